/* rndc.c -- run BIND's tools (rndc, named-checkconf): many at once, bounded */
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
