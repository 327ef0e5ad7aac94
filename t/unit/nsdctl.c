/* nsdctl.c -- unit checks of lib/pipeline/nsdctl.c against a fake NSD control
 * socket: what is sent, and how every kind of answer is read */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nsdctl.h"

static char sockpath[108];
static char reqpath[128];

/*
 * A fake NSD serving one connection: it reads the request up to the end
 * of the command line (and the 0x04 0x0a marker for list commands), keeps
 * it in reqpath, writes answer and closes. Returns the child's pid.
 */
static pid_t
fake(const char *answer, int list)
{
	struct sockaddr_un sun;
	int ls, fd, n;
	char buf[65536];
	size_t len = 0;
	FILE *f;
	pid_t pid;

	unlink(sockpath);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(ls, 1) < 0) {
		perror("fake socket");
		exit(1);
	}
	if ((pid = fork()) != 0) {
		close(ls);
		return pid;
	}
	if ((fd = accept(ls, NULL, NULL)) < 0)
		_exit(1);
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!list && memchr(buf, '\n', len) != NULL)
			break;
		if (list && len >= 2 && buf[len - 2] == 4 &&
		    buf[len - 1] == '\n')
			break;
	}
	if ((f = fopen(reqpath, "w")) != NULL) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
	if (write(fd, answer, strlen(answer)) < 0)
		_exit(1);
	close(fd);
	_exit(0);
}

static void
reap(pid_t pid)
{
	int st;

	waitpid(pid, &st, 0);
}

static int
request_is(const char *want, size_t len)
{
	char buf[65536];
	FILE *f = fopen(reqpath, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n == len && memcmp(buf, want, len) == 0;
}

/* A plain command, and reload with its answers. */
static void
test_commands(struct nsdctl *c)
{
	char err[NSDCTL_WHY_MAX], *out;
	const char *argv[] = { "status", NULL };
	pid_t pid;

	/* A plain command and its answer. */
	pid = fake("version: 4.6.1\nverbosity: 1\n", 0);
	CHECK(nsdctl_cmd(c, argv, NULL, 0, &out, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(strcmp(out, "version: 4.6.1\nverbosity: 1\n") == 0);
	CHECK(request_is("NSDCT1 status\n", 14));
	free(out);

	/* reload: ok, and an error answer. */
	pid = fake("ok\n", 0);
	CHECK(nsdctl_reload(c, "a.example", err, sizeof(err)) == 0);
	reap(pid);
	CHECK(request_is("NSDCT1 reload a.example\n", 24));
	pid = fake("error zone b.example not configured\n", 0);
	CHECK(nsdctl_reload(c, "b.example", err, sizeof(err)) == 1);
	reap(pid);
	CHECK(strcmp(err, "error zone b.example not configured") == 0);
	pid = fake("ok\n", 0);
	CHECK(nsdctl_reload(c, NULL, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(request_is("NSDCT1 reload\n", 14));
}

/* The zones a.example, b.example and c.example, nothing known of them. */
static void
zones_abc(struct nsdctl_zone z[3])
{
	memset(z, 0, 3 * sizeof(*z));
	z[0].zone = "a.example";
	z[1].zone = "b.example";
	z[2].zone = "c.example";
}

/* addzones and delzones: the state of every zone from the answer. */
static void
test_zone_lists(struct nsdctl *c)
{
	struct nsdctl_zone z[3];
	char err[NSDCTL_WHY_MAX];
	pid_t pid;

	/* addzones: added, existed, failed with the message before it. */
	zones_abc(z);
	pid = fake("added: a.example\nzone b.example already exists\n"
	    "added: b.example\nerror pattern da does not exist\n"
	    "error for input line 'c.example'\nadded 2 zones\n", 1);
	CHECK(nsdctl_addzones(c, "da", z, 3, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(request_is("NSDCT1 addzones\na.example da\nb.example da\n"
	    "c.example da\n\004\n", 57));
	CHECK(z[0].state == NSDCTL_ADDED);
	CHECK(z[1].state == NSDCTL_EXISTED);
	CHECK(z[2].state == NSDCTL_FAILED);
	CHECK(strcmp(z[2].why, "error pattern da does not exist") == 0);

	/* delzones: removed, absent, refused. */
	pid = fake("removed: a.example\nwarning zone b.example not present\n"
	    "error for input line 'b.example'\nerror zone defined in "
	    "nsd.conf, cannot delete it in this manner\nerror for input line"
	    " 'c.example'\ndeleted 1 zones\n", 1);
	CHECK(nsdctl_delzones(c, z, 3, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(request_is("NSDCT1 delzones\na.example\nb.example\nc.example\n"
	    "\004\n", 48));
	CHECK(z[0].state == NSDCTL_REMOVED);
	CHECK(z[1].state == NSDCTL_ABSENT);
	CHECK(z[2].state == NSDCTL_FAILED);
	CHECK(strncmp(z[2].why, "error zone defined in nsd.conf", 30) == 0);
}

/* Answers that fail zones: a mismatch, an early stop, another zone,
 * nobody listening. */
static void
test_zone_failures(struct nsdctl *c)
{
	struct nsdctl_zone z[3];
	char err[NSDCTL_WHY_MAX];
	pid_t pid;

	zones_abc(z);
	/* A version mismatch: every zone fails with that line. */
	pid = fake("error version mismatch\n", 1);
	CHECK(nsdctl_addzones(c, "da", z, 2, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(z[0].state == NSDCTL_FAILED && z[1].state == NSDCTL_FAILED);
	CHECK(strcmp(z[1].why, "error version mismatch") == 0);

	/* An answer that stops early, and one for another zone. */
	pid = fake("added: a.example\n", 1);
	CHECK(nsdctl_addzones(c, "da", z, 2, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(z[0].state == NSDCTL_ADDED && z[1].state == NSDCTL_FAILED);
	pid = fake("added: x.example\nadded 1 zones\n", 1);
	CHECK(nsdctl_addzones(c, "da", z, 1, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(z[0].state == NSDCTL_FAILED);
	CHECK(strstr(z[0].why, "unexpected") != NULL);

	/* Nobody listening. */
	unlink(sockpath);
	CHECK(nsdctl_reload(c, "a.example", err, sizeof(err)) < 0);
	CHECK(nsdctl_addzones(c, "da", z, 2, err, sizeof(err)) < 0);
	CHECK(z[0].state == NSDCTL_FAILED && z[1].state == NSDCTL_FAILED);
	CHECK(strstr(err, "unable to connect") != NULL);
	CHECK(strstr(z[1].why, "unable to connect") != NULL);
}

/* A long list goes through without deadlock. */
static void
test_long_list(struct nsdctl *c)
{
	static struct nsdctl_zone big[3000];
	static char names[3000][32];
	static char ans[3000 * 32 + 64];
	char err[NSDCTL_WHY_MAX];
	size_t i, o = 0;
	pid_t pid;

	for (i = 0; i < 3000; i++) {
		snprintf(names[i], sizeof(names[i]), "z%zu.example", i);
		big[i].zone = names[i];
		o += (size_t)snprintf(ans + o, sizeof(ans) - o,
		    "added: %s\n", names[i]);
	}
	snprintf(ans + o, sizeof(ans) - o, "added 3000 zones\n");
	pid = fake(ans, 1);
	CHECK(nsdctl_addzones(c, "da", big, 3000, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(big[2999].state == NSDCTL_ADDED);
}

/* The pattern check: NSD's verdict per pattern, and answers it does not
 * know. */
static void
test_patterns(struct nsdctl *c)
{
	const char *pats[2] = { "da", "da-long" };
	const char *probe = "dadns-pattern-probe-"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.invalid";
	char err[NSDCTL_WHY_MAX], want[512], answer[512];
	int known[2] = { -1, -1 };
	pid_t pid;

	snprintf(answer, sizeof(answer), "error cannot parse zone name\n"
	    "error for input line '%s'\nerror pattern da-long does not "
	    "exist\nerror for input line '%s'\nadded 0 zones\n", probe,
	    probe);
	pid = fake(answer, 1);
	CHECK(nsdctl_patterns(c, pats, 2, known, err, sizeof(err)) == 0);
	reap(pid);
	CHECK(known[0] == 1 && known[1] == 0);
	snprintf(want, sizeof(want), "NSDCT1 addzones\n%s da\n%s da-long\n"
	    "\004\n", probe, probe);
	CHECK(request_is(want, strlen(want)));
	/* A version mismatch: no verdict. */
	pid = fake("error: version mismatch\n", 1);
	CHECK(nsdctl_patterns(c, pats, 2, known, err, sizeof(err)) == -1);
	reap(pid);
	CHECK(strcmp(err, "error: version mismatch") == 0);
	/* An answer for the first pattern only. */
	snprintf(answer, sizeof(answer), "error cannot parse zone name\n"
	    "error for input line '%s'\n", probe);
	pid = fake(answer, 1);
	CHECK(nsdctl_patterns(c, pats, 2, known, err, sizeof(err)) == -1);
	reap(pid);
}

int
main(void)
{
	struct nsdctl c = { sockpath, "", 5000 };
	char dir[] = "/tmp/nsdctl-unit.XXXXXX";

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sockpath, sizeof(sockpath), "%s/nsd.ctl", dir);
	snprintf(reqpath, sizeof(reqpath), "%s/request", dir);
	test_commands(&c);
	test_zone_lists(&c);
	test_zone_failures(&c);
	test_long_list(&c);
	test_patterns(&c);
	unlink(sockpath);
	unlink(reqpath);
	rmdir(dir);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
