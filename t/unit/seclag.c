/* seclag.c -- unit checks of lib/pipeline/seclag.c: a silent secondary,
 * the report's JSON, its file */
/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "seclag.h"

static int calls;

static void
count(void *arg, const struct seclag *s, const char *zone,
    const struct dnsq_result *have, uint32_t want)
{
	(void)arg;
	(void)s;
	(void)zone;
	(void)have;
	(void)want;
	calls++;
}

/* A secondary whose socket is bound but never read: down, once. */
static void
test_silent(void)
{
	struct config_secondary sec;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	const char *zones[] = { "a.example", "b.example", "c.example" };
	uint32_t want[] = { 1, 2, 3 };
	struct seclag s;
	int fd;

	memset(&sec, 0, sizeof(sec));
	snprintf(sec.address, sizeof(sec.address), "not an address");
	CHECK(seclag_init(&s, "nsd", &sec) == -1);
	CHECK(s.state == SECLAG_DOWN);
	CHECK(strncmp(s.why, "invalid address", 15) == 0);
	CHECK(seclag_check(&s, zones, want, 3, 50, count, NULL) == 0);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	snprintf(sec.address, sizeof(sec.address), "127.0.0.1@%u",
	    ntohs(sa.sin_port));
	CHECK(seclag_init(&s, "nsd", &sec) == 0);
	CHECK(s.state == SECLAG_OK);
	CHECK(seclag_check(&s, zones, want, 3, 50, count, NULL) == 0);
	CHECK(s.state == SECLAG_DOWN);
	CHECK(strcmp(s.why, "no answer to 3 SOA queries in 50 ms") == 0);
	CHECK(s.checked == 0 && s.behind == 0);
	CHECK(calls == 0);
	close(fd);
}

static int
metrics_of(const char *text, struct buf *m)
{
	return seclag_metrics(text, strlen(text), m);
}

/* The report as /metrics shows it; what is not a report is refused. */
static void
test_metrics(const char *report, size_t len)
{
	struct buf m = { 0 };
	const char *want[] = {
	    "dadns_secondary_up{backend=\"bind\",secondary=\"192.0.2.2\"} 1\n",
	    "dadns_secondary_up{backend=\"nsd\",secondary=\"192.0.2.2@5301\"} 1\n",
	    "dadns_secondary_up{backend=\"nsd\",secondary=\"192.0.2.3\"} 0\n",
	    "dadns_secondary_zones{backend=\"nsd\",secondary=\"192.0.2.2@5301\","
	    "result=\"behind\"} 2\n",
	    "dadns_secondary_zones{backend=\"nsd\",secondary=\"192.0.2.2@5301\","
	    "result=\"unchecked\"} 1\n",
	    "dadns_secondary_zones{backend=\"bind\",secondary=\"192.0.2.2\","
	    "result=\"checked\"} 10\n",
	    "# TYPE dadns_secondary_up gauge\n",
	};
	size_t i;

	CHECK(report != NULL && seclag_metrics(report, len, &m) == 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK(m.p != NULL && strstr(m.p, want[i]) != NULL);
		if (m.p == NULL || strstr(m.p, want[i]) == NULL)
			fprintf(stderr, "missing %s", want[i]);
	}
	buf_free(&m);
	/* No secondaries: nothing at all. */
	CHECK(metrics_of("{\"backends\":{}}", &m) == 0);
	CHECK(m.len == 0);
	CHECK(metrics_of("{\"backends\":[]}", &m) == -1);
	CHECK(metrics_of("{\"backends\":{\"a\":[{\"address\":\"x\"}]}}",
	    &m) == -1);
	CHECK(metrics_of("{\"backends\":{\"a\":[{\"address\":\"x\","
	    "\"state\":\"ok\",\"checked\":-1,\"behind\":0,"
	    "\"unchecked\":0}]}}", &m) == -1);
	CHECK(m.len == 0);
	buf_free(&m);
}

static void
test_json(void)
{
	struct seclag s[3];
	struct buf b = { 0 };
	const char *want =
	    "{\"checked_at\":\"2026-12-03T06:00:00Z\",\"backends\":{"
	    "\"bind\":[{\"address\":\"192.0.2.2\",\"state\":\"ok\","
	    "\"checked\":10,\"behind\":0,\"unchecked\":0,\"reason\":null}],"
	    "\"nsd\":[{\"address\":\"192.0.2.2@5301\",\"state\":\"behind\","
	    "\"checked\":10,\"behind\":2,\"unchecked\":1,\"reason\":null},"
	    "{\"address\":\"192.0.2.3\",\"state\":\"down\",\"checked\":0,"
	    "\"behind\":0,\"unchecked\":0,\"reason\":\"no \\\"answer\\\"\"}]}}\n";

	memset(s, 0, sizeof(s));
	snprintf(s[0].backend, sizeof(s[0].backend), "bind");
	snprintf(s[0].address, sizeof(s[0].address), "192.0.2.2");
	s[0].checked = 10;
	snprintf(s[1].backend, sizeof(s[1].backend), "nsd");
	snprintf(s[1].address, sizeof(s[1].address), "192.0.2.2@5301");
	s[1].state = SECLAG_BEHIND;
	s[1].checked = 10;
	s[1].behind = 2;
	s[1].unchecked = 1;
	snprintf(s[2].backend, sizeof(s[2].backend), "nsd");
	snprintf(s[2].address, sizeof(s[2].address), "192.0.2.3");
	s[2].state = SECLAG_DOWN;
	snprintf(s[2].why, sizeof(s[2].why), "no \"answer\"");
	seclag_json(s, 3, 1796277600000000LL, &b);
	CHECK(b.p != NULL && strcmp(b.p, want) == 0);
	if (b.p != NULL && strcmp(b.p, want) != 0)
		fprintf(stderr, "got  %s", b.p);
	test_metrics(b.p, b.len);
	buf_free(&b);
	seclag_json(s, 0, 1796277600000000LL, &b);
	CHECK(b.p != NULL && strcmp(b.p,
	    "{\"checked_at\":\"2026-12-03T06:00:00Z\",\"backends\":{}}\n") == 0);
	buf_free(&b);
}

/* The file: written, read back as one object, refused otherwise. */
static void
test_file(void)
{
	char dir[] = "seclag.XXXXXX", path[64], *t;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	errno = 0;
	CHECK(seclag_read(dir) == NULL && errno == ENOENT);
	CHECK(seclag_write(dir, "{\"a\":1}\n", 8) == 0);
	t = seclag_read(dir);
	CHECK(t != NULL && strcmp(t, "{\"a\":1}") == 0);
	free(t);
	CHECK(seclag_write(dir, "[1]", 3) == 0);
	CHECK(seclag_read(dir) == NULL && errno == EINVAL);
	CHECK(seclag_write(dir, "{\"a\":", 5) == 0);
	CHECK(seclag_read(dir) == NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, SECLAG_FILE);
	if ((f = fopen(path, "w")) != NULL) {
		fputc('{', f);
		for (int i = 0; i < SECLAG_FILE_MAX; i++)
			fputc(' ', f);
		fputc('}', f);
		fclose(f);
	}
	CHECK(seclag_read(dir) == NULL);
	CHECK(seclag_write(dir, NULL, 0) == 0);
	CHECK(access(path, F_OK) == -1 && errno == ENOENT);
	CHECK(seclag_write(dir, NULL, 0) == 0);
	CHECK(rmdir(dir) == 0);
}

int
main(void)
{
	test_silent();
	test_json();
	test_file();
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
