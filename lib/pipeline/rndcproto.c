/* rndcproto.c -- one kept connection to named's control channel: the
 * nonce handshake, then signed commands and their answers */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "rndcproto.h"

void
rndcproto_init(struct rndcproto *p, const struct rndcconf *conf)
{
	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->fd = -1;
	/* A random first serial: named drops a _ser/_tim pair it saw in
	 * the last 15 minutes. */
	if (getrandom(&p->ser, sizeof(p->ser), GRND_NONBLOCK) !=
	    sizeof(p->ser))
		p->ser = (uint32_t)clock_wall_us();
}

static void
disconnect(struct rndcproto *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->nonce = 0;
}

/* The server as text, "127.0.0.1#953". */
static const char *
where(const struct rndcproto *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s#%u", p->conf->server, p->conf->port);
	return buf;
}

/* Wait for events on p->fd until deadline. Returns 0, or -1 with errno
 * (ETIMEDOUT). */
static int
await(struct rndcproto *p, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int rc;

	for (;;) {
		left = deadline - clock_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = p->fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Connect to the server by deadline. */
static int
dial(struct rndcproto *p, long long deadline, char *why, size_t size)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl, el = sizeof(int);
	char w[300];
	int e = 0, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, p->conf->server, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->conf->port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, p->conf->server, &s6->sin6_addr) ==
	    1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->conf->port);
		sl = sizeof(*s6);
	} else {
		err_set(why, size, "server %s is not an IP address",
		    p->conf->server);
		return -2;
	}
	if ((p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0) {
		err_set_sys(why, size, "unable to create a socket");
		return -1;
	}
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(p->fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS ||
		    await(p, POLLOUT, deadline) < 0 ||
		    getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 ||
		    (e != 0 && (errno = e))) {
			err_set_sys(why, size, "unable to connect to %s",
			    where(p, w, sizeof(w)));
			disconnect(p);
			return -1;
		}
	}
	p->connects++;
	return 0;
}

/* Write all of buf by deadline. */
static int
send_all(struct rndcproto *p, const char *buf, size_t len,
    long long deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(p->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (await(p, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes into buf by deadline; EOF sets errno to
 * ECONNRESET and returns -2 when nothing was read. */
static int
recv_all(struct rndcproto *p, unsigned char *buf, size_t len,
    long long deadline)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(p->fd, buf + got, len - got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (await(p, POLLIN, deadline) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ECONNRESET;
			return -2;
		}
		got += (size_t)n;
	}
	return 0;
}

/*
 * One exchange on the connection: send cmd with the nonce, read and
 * verify the answer. Returns 0, -1 (exchange failed), -2 (refused or
 * not verified), -3 (closed before any answer byte: maybe a stale
 * connection).
 */
static int
exchange(struct rndcproto *p, const char *cmd, long long deadline,
    struct rndcmsg_answer *a, char *why, size_t size)
{
	unsigned char h[4];
	char w[300];
	uint32_t len;
	int rc;

	buf_clear(&p->out);
	if (rndcmsg_encode(&p->out, &p->conf->key, ++p->ser,
	    (uint32_t)time(NULL), p->nonce, cmd, why, size) < 0)
		return -1;
	if (send_all(p, p->out.p, p->out.len, deadline) < 0) {
		rc = errno == EPIPE || errno == ECONNRESET ? -3 : -1;
		err_set_sys(why, size, "unable to send to %s",
		    where(p, w, sizeof(w)));
		return rc;
	}
	if ((rc = recv_all(p, h, 4, deadline)) < 0) {
		if (rc == -2 || errno == ECONNRESET) {
			err_set(why, size, "%s closed the connection",
			    where(p, w, sizeof(w)));
			return -3;
		}
		err_set_sys(why, size, "no answer from %s",
		    where(p, w, sizeof(w)));
		return -1;
	}
	len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	if (len < 4 || len > RNDCMSG_MAX) {
		err_set(why, size, "%s answered a message of %u bytes",
		    where(p, w, sizeof(w)), len);
		return -1;
	}
	if (len > p->incap) {
		unsigned char *n = realloc(p->in, len);

		if (n == NULL) {
			err_set(why, size, "out of memory");
			return -1;
		}
		p->in = n;
		p->incap = len;
	}
	if (recv_all(p, p->in, len, deadline) < 0) {
		err_set_sys(why, size, "answer from %s cut short",
		    where(p, w, sizeof(w)));
		return -1;
	}
	if ((rc = rndcmsg_decode(p->in, len, &p->conf->key, a, why,
	    size)) < 0)
		return rc;
	if (!a->reply || a->ser != p->ser) {
		rndcmsg_answer_free(a);
		err_set(why, size, "%s answered another request",
		    where(p, w, sizeof(w)));
		return -1;
	}
	return 0;
}

/* Connect and take the connection's nonce with a "null" command. */
static int
handshake(struct rndcproto *p, long long deadline, char *why, size_t size)
{
	struct rndcmsg_answer a;
	char w[300];
	int rc;

	if ((rc = dial(p, deadline, why, size)) < 0)
		return rc;
	rc = exchange(p, "null", deadline, &a, why, size);
	if (rc == -3) {
		err_set(why, size, "%s closed the connection at the key "
		    "\"%s\" (%s): wrong key or algorithm, or this address not"
		    " allowed (see named's log)", where(p, w, sizeof(w)),
		    p->conf->keyname, rndcmsg_alg_name(p->conf->key.alg));
		rc = -2;
	}
	if (rc < 0) {
		disconnect(p);
		return rc;
	}
	p->nonce = a.nonce;
	rndcmsg_answer_free(&a);
	return 0;
}

int
rndcproto_cmd(struct rndcproto *p, const char *cmd, int timeout_ms,
    struct rndcmsg_answer *a, char *why, size_t size)
{
	long long deadline = clock_ms() + timeout_ms;
	int rc, tries, kept;

	for (tries = 0; tries < 2; tries++) {
		kept = p->fd >= 0;
		if (!kept && (rc = handshake(p, deadline, why, size)) < 0)
			return rc;
		rc = exchange(p, cmd, deadline, a, why, size);
		if (rc == 0)
			return 0;
		disconnect(p);
		/* A kept connection named closed (it restarted): once
		 * more on a new one. */
		if (rc != -3 || !kept)
			return rc == -3 ? -1 : rc;
	}
	return -1;
}

void
rndcproto_close(struct rndcproto *p)
{
	disconnect(p);
	buf_free(&p->out);
	free(p->in);
	p->in = NULL;
	p->incap = 0;
}
