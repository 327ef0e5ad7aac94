/* nsdctl.c -- NSD remote control: NSDCT1 over a unix socket, or nsd-control */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "nsdctl.h"

#define OUT_MAX		(16 * 1024 * 1024)	/* longest answer */
#define ARGS_MAX	16

/*
 * Write req to wfd and read rfd until EOF, both non-blocking, so a long
 * addzones list never deadlocks against NSD writing its per-line answers.
 * wfd may equal rfd (a socket: its write side is shut down when done).
 * Returns 0, or -1 with errno set (ETIMEDOUT when the deadline passed).
 */
static int
exchange(int wfd, int rfd, const char *req, size_t reqlen, struct buf *out,
    long long deadline)
{
	struct pollfd pfd[2];
	char tmp[8192];
	size_t off = 0;
	ssize_t r;
	long long now;
	int nfd, rc, wdone = reqlen == 0;

	if (wdone && wfd != rfd)
		close(wfd);
	for (;;) {
		nfd = 0;
		pfd[nfd].fd = rfd;
		pfd[nfd].events = POLLIN;
		nfd++;
		if (!wdone) {
			if (wfd == rfd)
				pfd[0].events |= POLLOUT;
			else {
				pfd[nfd].fd = wfd;
				pfd[nfd].events = POLLOUT;
				nfd++;
			}
		}
		if ((now = clock_ms()) >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(pfd, nfd, (int)(deadline - now));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (rc == 0)
			continue;
		if (!wdone && ((wfd == rfd && (pfd[0].revents & POLLOUT)) ||
		    (wfd != rfd && pfd[1].revents))) {
			if (wfd == rfd)
				r = send(wfd, req + off, reqlen - off,
				    MSG_NOSIGNAL);
			else
				r = write(wfd, req + off, reqlen - off);
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				/* The peer stopped reading: keep what it
				 * answered. */
				wdone = 1;
			} else if (r > 0 && (off += (size_t)r) == reqlen)
				wdone = 1;
			if (wdone) {
				if (wfd == rfd)
					shutdown(wfd, SHUT_WR);
				else
					close(wfd);
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(rfd, tmp, sizeof(tmp));
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				if (errno == ECONNRESET)
					return 0;
				return -1;
			}
			if (r == 0) {
				if (!wdone && wfd != rfd)
					close(wfd);
				return 0;
			}
			if (out->len + (size_t)r > OUT_MAX) {
				errno = EFBIG;
				return -1;
			}
			if (buf_add(out, tmp, (size_t)r) < 0)
				return -1;
		}
	}
}

static int
via_socket(const struct nsdctl *c, const char *req, size_t reqlen,
    struct buf *out, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv;
	long long deadline = clock_ms() + c->timeout_ms;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->socket) >= sizeof(sun.sun_path)) {
		err_set(err, errlen, "control socket path too long: %s",
		    c->socket);
		return -1;
	}
	strcpy(sun.sun_path, c->socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		err_set_sys(err, errlen, "unable to create a socket");
		return -1;
	}
	/* A blocking connect, bounded: it waits only when NSD's listen
	 * queue is full. */
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err_set_sys(err, errlen, "unable to connect to NSD control "
		    "socket %s", c->socket);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    exchange(fd, fd, req, reqlen, out, deadline) < 0) {
		err_set_sys(err, errlen, "unable to talk to NSD on %s",
		    c->socket);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
via_exec(const struct nsdctl *c, const char *const argv[], const char *in,
    size_t inlen, struct buf *out, char *err, size_t errlen)
{
	const char *av[ARGS_MAX + 4];
	long long deadline = clock_ms() + c->timeout_ms;
	int pin[2], pout[2], status, saved, i, n = 0, rc;
	pid_t pid;

	av[n++] = "nsd-control";
	if (c->conf != NULL && c->conf[0] != '\0') {
		av[n++] = "-c";
		av[n++] = c->conf;
	}
	for (i = 0; argv[i] != NULL; i++) {
		if (i == ARGS_MAX) {
			err_set(err, errlen, "too many arguments");
			return -1;
		}
		av[n++] = argv[i];
	}
	av[n] = NULL;
	if (pipe2(pin, O_CLOEXEC) < 0) {
		err_set_sys(err, errlen, "unable to create a pipe");
		return -1;
	}
	if (pipe2(pout, O_CLOEXEC) < 0) {
		saved = errno;
		close(pin[0]);
		close(pin[1]);
		errno = saved;
		err_set_sys(err, errlen, "unable to create a pipe");
		return -1;
	}
	if ((pid = fork()) < 0) {
		saved = errno;
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		errno = saved;
		err_set_sys(err, errlen, "unable to fork");
		return -1;
	}
	if (pid == 0) {
		/* An ignored SIGPIPE would survive exec. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 ||
		    dup2(pout[1], 2) < 0)
			_exit(126);
		execvp(av[0], (char *const *)av);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(pin[0]);
	close(pout[1]);
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	rc = exchange(pin[1], pout[0], in, inlen, out, deadline);
	saved = errno;
	close(pout[0]);
	if (rc < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		errno = saved;
		err_set_sys(err, errlen, "nsd-control %s", argv[0]);
		return -1;
	}
	/* Its output is closed: it has finished or is about to. */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err_set_sys(err, errlen, "unable to wait for "
			    "nsd-control");
			return -1;
		}
	}
	if (WIFSIGNALED(status)) {
		err_set(err, errlen, "nsd-control %s killed by signal %d",
		    argv[0], WTERMSIG(status));
		return -1;
	}
	rc = WEXITSTATUS(status);
	if (rc == 126 || rc == 127) {
		err_set(err, errlen, "unable to run nsd-control%s", rc == 127 ?
		    ": not found" : "");
		return -1;
	}
	/* 0, or 1 when the answer starts with "error": the answer says
	 * what went wrong, the caller reads it. Anything else is nsd-control
	 * failing before it got an answer. */
	if (rc != 0 && rc != 1) {
		err_set(err, errlen, "nsd-control %s exited %d", argv[0], rc);
		return -1;
	}
	if (rc == 1 && out->len == 0) {
		err_set(err, errlen, "nsd-control %s exited 1 without output",
		    argv[0]);
		return -1;
	}
	return 0;
}

int
nsdctl_cmd(const struct nsdctl *c, const char *const argv[],
    const char *const lines[], size_t nlines, char **outp, char *err,
    size_t errlen)
{
	struct buf req = { NULL, 0, 0, 0 }, out = { NULL, 0, 0, 0 };
	int sock = c->socket != NULL && c->socket[0] != '\0';
	size_t i;
	int rc;

	*outp = NULL;
	if (argv[0] == NULL) {
		err_set(err, errlen, "empty command");
		return -1;
	}
	/* Over the socket the request is the protocol line, the list and
	 * its end marker; nsd-control takes the words as arguments and the
	 * list on its input (it adds the marker itself). */
	if (sock) {
		if (buf_add(&req, "NSDCT1", 6) < 0)
			goto nomem;
		for (i = 0; argv[i] != NULL; i++)
			if (buf_add(&req, " ", 1) < 0 ||
			    buf_add(&req, argv[i], strlen(argv[i])) < 0)
				goto nomem;
		if (buf_add(&req, "\n", 1) < 0)
			goto nomem;
	}
	if (lines != NULL) {
		for (i = 0; i < nlines; i++)
			if (buf_add(&req, lines[i], strlen(lines[i])) < 0 ||
			    buf_add(&req, "\n", 1) < 0)
				goto nomem;
		if (sock && buf_add(&req, "\004\n", 2) < 0)
			goto nomem;
	}
	if (sock)
		rc = via_socket(c, req.p, req.len, &out, err, errlen);
	else
		rc = via_exec(c, argv, req.p, req.len, &out, err, errlen);
	free(req.p);
	if (rc < 0) {
		free(out.p);
		return -1;
	}
	if (out.p == NULL && buf_add(&out, "", 0) < 0)
		goto nomem;
	*outp = out.p;
	return 0;
nomem:
	free(req.p);
	free(out.p);
	err_set(err, errlen, "out of memory");
	return -1;
}

/* The first line of s, for messages. */
static void
first_line(char *dst, size_t size, const char *s)
{
	size_t n = strcspn(s, "\n");

	if (n == 0) {
		snprintf(dst, size, "empty answer from NSD");
		return;
	}
	snprintf(dst, size, "%.*s", (int)n, s);
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Read the answer of addzones (add = 1) or delzones: for every input line
 * in order, optional message lines, then "added: Z" / "removed: Z" or
 * "error for input line 'Z'", and at the end "added N zones" / "deleted N
 * zones".
 */
static void
list_parse(char *out, int add, struct nsdctl_zone *z, size_t n)
{
	char msg[NSDCTL_WHY_MAX] = "", why[NSDCTL_WHY_MAX] = "";
	char *line, *next, *name, *q;
	const char *ok = add ? "added: " : "removed: ";
	const char *efor = "error for input line '";
	size_t i = 0, k;
	int existed = 0, absent = 0, done = 0;

	for (line = out; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (has_prefix(line, ok) || has_prefix(line, efor)) {
			int good = has_prefix(line, ok);

			name = line + strlen(good ? ok : efor);
			if (!good && (q = strrchr(name, '\'')) != NULL)
				*q = '\0';
			if (i >= n || strcmp(name, z[i].zone) != 0) {
				snprintf(why, sizeof(why), "unexpected answer "
				    "line from NSD: %s", line);
				break;
			}
			if (good)
				z[i].state = add ? (existed ? NSDCTL_EXISTED :
				    NSDCTL_ADDED) : NSDCTL_REMOVED;
			else if (!add && absent)
				z[i].state = NSDCTL_ABSENT;
			else {
				z[i].state = NSDCTL_FAILED;
				snprintf(z[i].why, sizeof(z[i].why), "%s",
				    msg[0] != '\0' ? msg : line);
			}
			i++;
			msg[0] = '\0';
			existed = absent = 0;
		} else if (has_prefix(line, add ? "added " : "deleted ") &&
		    strstr(line, " zones") != NULL) {
			done = 1;
			break;
		} else if (add && has_prefix(line, "zone ") &&
		    strstr(line, " already exists") != NULL)
			existed = 1;
		else if (!add && has_prefix(line, "warning zone ") &&
		    strstr(line, " not present") != NULL)
			absent = 1;
		else
			snprintf(msg, sizeof(msg), "%s", line);
	}
	if (i == n)
		return;		/* every zone answered (a missing summary line
				 * changes nothing) */
	if (why[0] == '\0') {
		/* No answer for the rest: the last message says why (a
		 * version mismatch, nsd-control's connection error...). */
		if (msg[0] != '\0')
			snprintf(why, sizeof(why), "%s", msg);
		else if (done)
			snprintf(why, sizeof(why), "NSD answered for %zu of "
			    "%zu zones", i, n);
		else
			snprintf(why, sizeof(why), "NSD's answer ended before "
			    "the zone %s", z[i].zone);
	}
	for (k = i; k < n; k++) {
		z[k].state = NSDCTL_FAILED;
		snprintf(z[k].why, sizeof(z[k].why), "%s", why);
	}
}

static int
list_cmd(const struct nsdctl *c, const char *pattern, struct nsdctl_zone *z,
    size_t n, char *err, size_t errlen)
{
	const char *argv[2] = { pattern != NULL ? "addzones" : "delzones",
	    NULL };
	const char **lines;
	char e[NSDCTL_WHY_MAX], *out, *l;
	size_t i, k, plen = pattern != NULL ? strlen(pattern) : 0;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (i = 0; i < n; i++) {
		z[i].state = NSDCTL_FAILED;
		z[i].why[0] = '\0';
	}
	if (n == 0)
		return 0;
	if ((lines = calloc(n, sizeof(*lines))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (pattern == NULL) {
			lines[i] = z[i].zone;
			continue;
		}
		if ((l = malloc(strlen(z[i].zone) + plen + 2)) == NULL) {
			for (k = 0; k < i; k++)
				free((char *)lines[k]);
			free(lines);
			goto nomem;
		}
		sprintf(l, "%s %s", z[i].zone, pattern);
		lines[i] = l;
	}
	rc = nsdctl_cmd(c, argv, lines, n, &out, e, sizeof(e));
	if (pattern != NULL)
		for (i = 0; i < n; i++)
			free((char *)lines[i]);
	free(lines);
	if (rc < 0) {
		for (i = 0; i < n; i++)
			snprintf(z[i].why, sizeof(z[i].why), "%s", e);
		err_set(err, errlen, "%s", e);
		return -1;
	}
	list_parse(out, pattern != NULL, z, n);
	free(out);
	return 0;
nomem:
	err_set(err, errlen, "out of memory");
	for (i = 0; i < n; i++)
		snprintf(z[i].why, sizeof(z[i].why), "out of memory");
	return -1;
}

int
nsdctl_addzones(const struct nsdctl *c, const char *pattern,
    struct nsdctl_zone *z, size_t n, char *err, size_t errlen)
{
	return list_cmd(c, pattern, z, n, err, errlen);
}

int
nsdctl_delzones(const struct nsdctl *c, struct nsdctl_zone *z, size_t n,
    char *err, size_t errlen)
{
	return list_cmd(c, NULL, z, n, err, errlen);
}

int
nsdctl_reload(const struct nsdctl *c, const char *zone, char *err,
    size_t errlen)
{
	const char *argv[3] = { "reload", zone, NULL };
	char *out;

	if (nsdctl_cmd(c, argv, NULL, 0, &out, err, errlen) < 0)
		return -1;
	if (strcmp(out, "ok\n") == 0 || strcmp(out, "ok") == 0) {
		free(out);
		return 0;
	}
	first_line(err, errlen, out);
	free(out);
	return 1;
}

#define PROBE	"dadns-pattern-probe-" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.invalid"	/* a label
					 * of 64 octets: never a zone */

int
nsdctl_patterns(const struct nsdctl *c, const char *const pattern[],
    size_t n, int known[], char *err, size_t errlen)
{
	const char *argv[2] = { "addzones", NULL };
	char **lines, *out, *line, *next, msg[NSDCTL_WHY_MAX] = "";
	size_t i, k = 0;
	int verdict = -1, rc;

	if ((lines = calloc(n, sizeof(*lines))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (asprintf(&lines[i], "%s %s", PROBE, pattern[i]) < 0) {
			lines[i] = NULL;
			break;
		}
	if (i < n)
		rc = -2;
	else
		rc = nsdctl_cmd(c, argv, (const char *const *)lines, n, &out,
		    err, errlen);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	if (rc == -2)
		goto nomem;
	if (rc < 0)
		return -1;
	/* Per input line: what NSD found, then "error for input line". */
	for (line = out; k < n && line != NULL && *line != '\0';
	    line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (has_prefix(line, "error cannot parse zone name"))
			verdict = 1;
		else if (has_prefix(line, "error pattern ") &&
		    strstr(line, " does not exist") != NULL)
			verdict = 0;
		else if (has_prefix(line, "error for input line '") &&
		    verdict >= 0) {
			known[k++] = verdict;
			verdict = -1;
		} else if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "%s", line);
	}
	free(out);
	if (k == n)
		return 0;
	err_set(err, errlen, "%s", msg[0] != '\0' ? msg : "NSD's answer "
	    "ended early");
	return -1;
nomem:
	err_set(err, errlen, "out of memory");
	return -1;
}
