/* rndc.c -- run BIND's tools (rndc, named-checkconf): many at once, bounded;
 * rndc commands by the control channel in-process or the program */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "rndc.h"

#define OUT_MAX		(1024 * 1024)	/* output kept per call */
#define PARALLEL_MAX	64

/* Append to c's output, cut at OUT_MAX. */
static int
out_add(struct rndc_call *c, const char *p, size_t n)
{
	if (c->buf_.len + n + 1 > OUT_MAX)
		n = c->buf_.len + 1 < OUT_MAX ? OUT_MAX - c->buf_.len - 1 : 0;
	if (buf_add(&c->buf_, p, n) < 0)
		return -1;
	c->out = c->buf_.p;
	return 0;
}

/* Fork and exec one call with its output on a pipe. Returns 0, or -1 with
 * why set. */
static int
start(struct rndc_call *c, int timeout_ms)
{
	int p[2], saved;

	if (pipe2(p, O_CLOEXEC) < 0) {
		err_set_sys(c->why, sizeof(c->why), "unable to create a pipe");
		return -1;
	}
	if ((c->pid_ = fork()) < 0) {
		saved = errno;
		close(p[0]);
		close(p[1]);
		errno = saved;
		err_set_sys(c->why, sizeof(c->why), "unable to fork");
		return -1;
	}
	if (c->pid_ == 0) {
		int null;

		/* An ignored SIGPIPE would survive exec. */
		signal(SIGPIPE, SIG_DFL);
		if ((null = open("/dev/null", O_RDONLY)) < 0 ||
		    dup2(null, 0) < 0 || dup2(p[1], 1) < 0 ||
		    dup2(p[1], 2) < 0)
			_exit(126);
		execvp(c->argv[0], (char *const *)c->argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->fd_ = p[0];
	c->deadline_ = clock_ms() + timeout_ms;
	return 0;
}

/* Reap a call whose output ended (or that is to be killed). */
static void
reap(struct rndc_call *c, int kill_it)
{
	int st;

	if (c->fd_ >= 0) {
		close(c->fd_);
		c->fd_ = -1;
	}
	if (kill_it)
		kill(c->pid_, SIGKILL);
	while (waitpid(c->pid_, &st, 0) < 0) {
		if (errno != EINTR) {
			c->status = -1;
			err_set_sys(c->why, sizeof(c->why), "unable to wait "
			    "for %s", c->argv[0]);
			return;
		}
	}
	c->pid_ = 0;
	if (kill_it) {
		c->status = -1;
		snprintf(c->why, sizeof(c->why), "%s %s: timed out",
		    c->argv[0], c->argv[1] != NULL ? c->argv[1] : "");
	} else if (WIFSIGNALED(st)) {
		c->status = -1;
		snprintf(c->why, sizeof(c->why), "%s killed by signal %d",
		    c->argv[0], WTERMSIG(st));
	} else if (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127) {
		c->status = -1;
		snprintf(c->why, sizeof(c->why), "unable to run %s%s",
		    c->argv[0], WEXITSTATUS(st) == 127 ? ": not found" : "");
	} else
		c->status = WEXITSTATUS(st);
}

int
rndc_exec(struct rndc_call *c, size_t n, size_t parallel, int timeout_ms)
{
	struct pollfd pfd[PARALLEL_MAX];
	size_t run[PARALLEL_MAX];
	size_t next = 0, nrun = 0, started = 0, i, k;
	long long now, wait;
	char buf[4096];
	ssize_t r;
	int rc;

	if (parallel < 1)
		parallel = 1;
	if (parallel > PARALLEL_MAX)
		parallel = PARALLEL_MAX;
	for (i = 0; i < n; i++) {
		c[i].status = -1;
		c[i].out = NULL;
		c[i].why[0] = '\0';
		c[i].pid_ = 0;
		c[i].fd_ = -1;
		memset(&c[i].buf_, 0, sizeof(c[i].buf_));
	}
	for (;;) {
		while (nrun < parallel && next < n) {
			if (out_add(&c[next], "", 0) < 0) {
				snprintf(c[next].why, sizeof(c[next].why),
				    "out of memory");
				next++;
				continue;
			}
			if (start(&c[next], timeout_ms) == 0) {
				run[nrun++] = next;
				started++;
			}
			next++;
		}
		if (nrun == 0)
			break;
		now = clock_ms();
		wait = -1;
		for (k = 0; k < nrun; k++) {
			pfd[k].fd = c[run[k]].fd_;
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
			if (wait < 0 || c[run[k]].deadline_ - now < wait)
				wait = c[run[k]].deadline_ - now;
		}
		if (wait < 0)
			wait = 0;
		rc = poll(pfd, nrun, (int)wait);
		if (rc < 0 && errno != EINTR)
			return -1;
		now = clock_ms();
		for (k = 0; k < nrun; k++) {
			struct rndc_call *x = &c[run[k]];
			int done = 0, expired = 0;

			if (rc > 0 && (pfd[k].revents &
			    (POLLIN | POLLHUP | POLLERR))) {
				r = read(x->fd_, buf, sizeof(buf));
				if (r == 0 || (r < 0 && errno != EAGAIN &&
				    errno != EINTR))
					done = 1;
				else if (r > 0 && out_add(x, buf,
				    (size_t)r) < 0)
					done = expired = 1;
			}
			if (!done && now >= x->deadline_)
				done = expired = 1;
			if (!done)
				continue;
			reap(x, expired);
			run[k] = run[--nrun];
			pfd[k] = pfd[nrun];
			k--;
		}
	}
	if (started == 0 && n > 0) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

void
rndc_free(struct rndc_call *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_free(&c[i].buf_);
		c[i].out = NULL;
	}
}

enum rndc_answer
rndc_answer(const struct rndc_call *c)
{
	if (c->status == 0)
		return RNDC_OK;
	if (c->status < 0 || c->out == NULL)
		return RNDC_FAILED;
	/* "rndc: 'delzone' failed: not found" (then "no matching zone 'x'
	 * in any view"); "rndc: 'addzone' failed: already exists". */
	if (strstr(c->out, "' failed: not found\n") != NULL)
		return RNDC_NOT_FOUND;
	if (strstr(c->out, "' failed: already exists\n") != NULL)
		return RNDC_EXISTS;
	return RNDC_FAILED;
}

const char *
rndc_reason(const struct rndc_call *c, char *buf, size_t size)
{
	const char *p, *line = NULL, *nl;
	size_t len;

	if (c->status < 0 || c->out == NULL) {
		snprintf(buf, size, "%s", c->why[0] != '\0' ? c->why :
		    "no answer");
		return buf;
	}
	/* Prefer the line that says what failed; rndc adds detail lines
	 * ("dns_zone_loadnew failed: ...") after it. */
	for (p = c->out; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && line == NULL)
			line = p;
		if (len > 0 && strncmp(p, "rndc: ", 6) == 0) {
			line = p;
			break;
		}
		if (nl == NULL)
			break;
	}
	if (line == NULL) {
		snprintf(buf, size, "%s exited %d without output", c->argv[0],
		    c->status);
		return buf;
	}
	len = strcspn(line, "\n");
	snprintf(buf, size, "%.*s", (int)len, line);
	return buf;
}

int
rndc_ctl_open(struct rndc_ctl *ctl, const char *conf, int program)
{
	char why[RNDC_WHY_MAX];

	memset(ctl, 0, sizeof(*ctl));
	ctl->conf = conf;
	ctl->proto_.fd = -1;
	if (program) {
		snprintf(ctl->why, sizeof(ctl->why), "rndc_program is set");
		return 0;
	}
	if (rndcconf_load(&ctl->rc_, conf, why, sizeof(why)) < 0) {
		snprintf(ctl->why, sizeof(ctl->why), "%s", why);
		return 0;
	}
	rndcproto_init(&ctl->proto_, &ctl->rc_);
	ctl->native = 1;
	return 1;
}

const char *
rndc_ctl_describe(const struct rndc_ctl *ctl, char *buf, size_t size)
{
	if (ctl->native)
		snprintf(buf, size, "native %s#%u key %s", ctl->rc_.server,
		    ctl->rc_.port, ctl->rc_.keyname);
	else
		snprintf(buf, size, "program (%s)", ctl->why);
	return buf;
}

/* Set call c up to run the rndc program. */
static void
program_argv(struct rndc_ctl *ctl, struct rndc_call *c)
{
	size_t a = 0, i;

	c->argv_[a++] = "rndc";
	if (ctl->conf != NULL) {
		c->argv_[a++] = "-c";
		c->argv_[a++] = ctl->conf;
	}
	for (i = 0; c->cmd[i] != NULL && a < 15; i++)
		c->argv_[a++] = c->cmd[i];
	c->argv_[a] = NULL;
	c->argv = c->argv_;
}

/* Run call c on the kept connection. Returns 0 (answered or failed on
 * the way), or -1 when the native path could not connect or
 * authenticate (c untouched, ctl->why set). */
static int
native_one(struct rndc_ctl *ctl, struct rndc_call *c, int timeout_ms)
{
	struct rndcmsg_answer a;
	char why[RNDC_WHY_MAX];
	unsigned long before = ctl->proto_.connects;
	int was_up = ctl->proto_.fd >= 0, rc;
	size_t i;

	buf_clear(&ctl->cmd_);
	for (i = 0; c->cmd[i] != NULL; i++) {
		if (i > 0)
			buf_add(&ctl->cmd_, " ", 1);
		buf_adds(&ctl->cmd_, c->cmd[i]);
	}
	c->status = -1;
	c->out = NULL;
	c->why[0] = '\0';
	c->pid_ = 0;
	c->fd_ = -1;
	memset(&c->buf_, 0, sizeof(c->buf_));
	c->argv = c->cmd;
	if (ctl->cmd_.oom || out_add(c, "", 0) < 0) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		return 0;
	}
	rc = rndcproto_cmd(&ctl->proto_, ctl->cmd_.p, timeout_ms, &a, why,
	    sizeof(why));
	/* Not connected, or refused at the nonce: the program may do. */
	if (rc == -2 || (rc == -1 && ctl->proto_.fd < 0 &&
	    ctl->proto_.connects == before && !was_up)) {
		snprintf(ctl->why, sizeof(ctl->why), "%s", why);
		buf_free(&c->buf_);
		c->out = NULL;
		return -1;
	}
	if (rc < 0) {
		err_set(c->why, sizeof(c->why), "rndc %s: %s", c->cmd[0], why);
		return 0;
	}
	/* Worded as the program prints it, for rndc_answer(). */
	if (a.err[0] != '\0') {
		char line[RNDC_WHY_MAX + 64];

		snprintf(line, sizeof(line), "rndc: '%s' failed: %s\n",
		    c->cmd[0], a.err);
		out_add(c, line, strlen(line));
	}
	if (a.textlen > 0) {
		out_add(c, a.text, a.textlen);
		out_add(c, "\n", 1);
	}
	c->status = a.err[0] != '\0' ? 1 : 0;
	rndcmsg_answer_free(&a);
	return 0;
}

void
rndc_ctl_run(struct rndc_ctl *ctl, struct rndc_call *c, size_t n,
    size_t parallel, int timeout_ms)
{
	size_t i, k;

	for (i = 0; ctl->native && i < n; i++) {
		if (native_one(ctl, &c[i], timeout_ms) < 0) {
			if (!ctl->down_)
				log_warn("rndc: the control channel in-process "
				    "failed: %s; running the rndc program "
				    "instead until it works again", ctl->why);
			ctl->down_ = 1;
			break;
		}
		if (ctl->down_) {
			log_info("rndc: the control channel in-process works "
			    "again");
			ctl->down_ = 0;
		}
	}
	if (i == n)
		return;
	for (k = i; k < n; k++)
		program_argv(ctl, &c[k]);
	rndc_exec(c + i, n - i, parallel, timeout_ms);
}

void
rndc_ctl_close(struct rndc_ctl *ctl)
{
	if (ctl->native)
		rndcproto_close(&ctl->proto_);
	rndcconf_wipe(&ctl->rc_);
	buf_free(&ctl->cmd_);
}
