/* dnstap.c -- dnstap messages (protobuf, encoded by hand) over a Frame
 * Streams unix socket, without blocking the caller */
/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnstap.h"

#define CT		"protobuf:dnstap.Dnstap"
#define FS_ACCEPT	1
#define FS_START	2
#define FS_STOP		3
#define FS_READY	4

/* ---- protobuf, the few wire types dnstap needs ---- */

struct pb {
	uint8_t		*p;
	size_t		 len, cap;
	int		 full;
};

static void
pb_byte(struct pb *b, uint8_t v)
{
	if (b->len < b->cap)
		b->p[b->len++] = v;
	else
		b->full = 1;
}

static void
pb_varint(struct pb *b, uint64_t v)
{
	while (v >= 0x80) {
		pb_byte(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	pb_byte(b, (uint8_t)v);
}

static void
pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	pb_varint(b, (uint64_t)field << 3);
	pb_varint(b, v);
}

static void
pb_bytes(struct pb *b, unsigned field, const void *p, size_t len)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, len);
	if (b->cap - b->len < len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
pb_fixed32(struct pb *b, unsigned field, uint32_t v)
{
	int i;

	pb_varint(b, (uint64_t)field << 3 | 5);
	for (i = 0; i < 4; i++)
		pb_byte(b, (uint8_t)(v >> (8 * i)));
}

/* The Message inside the Dnstap envelope. */
static void
message(struct pb *b, const struct dnstap_msg *m)
{
	const union netaddr_sa *sa = m->client;
	int resp = m->type == DNSTAP_CLIENT_RESPONSE;

	pb_uint(b, 1, (uint64_t)m->type);
	if (sa->sa.sa_family == AF_INET) {
		pb_uint(b, 2, 1);
		pb_uint(b, 3, m->tcp ? 2 : 1);
		pb_bytes(b, 4, &sa->sin.sin_addr, 4);
		pb_uint(b, 6, ntohs(sa->sin.sin_port));
	} else {
		pb_uint(b, 2, 2);
		pb_uint(b, 3, m->tcp ? 2 : 1);
		pb_bytes(b, 4, &sa->sin6.sin6_addr, 16);
		pb_uint(b, 6, ntohs(sa->sin6.sin6_port));
	}
	pb_uint(b, resp ? 12 : 8, m->sec);
	pb_fixed32(b, resp ? 13 : 9, m->nsec);
	pb_bytes(b, resp ? 14 : 10, m->dns, m->len);
}

size_t
dnstap_encode(const struct dnstap_msg *m, const char *identity,
    uint8_t *out, size_t cap)
{
	uint8_t inner[70000];
	struct pb mb = { inner, 0, sizeof(inner), 0 };
	struct pb b = { out, 0, cap, 0 };

	if (m->len > 65535)
		return 0;
	message(&mb, m);
	pb_bytes(&b, 1, identity, strlen(identity));
	pb_bytes(&b, 2, "dadns", 5);
	pb_bytes(&b, 14, inner, mb.len);
	pb_uint(&b, 15, 1);	/* type MESSAGE */
	return b.full || mb.full ? 0 : b.len;
}

/* ---- Frame Streams ---- */

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* A control frame of type with the content type field, into out (64
 * bytes). Returns its length. */
static size_t
control(uint8_t *out, uint32_t type, int ct)
{
	size_t n = ct ? 4 + 8 + strlen(CT) : 4;

	put32(out, 0);
	put32(out + 4, (uint32_t)n);
	put32(out + 8, type);
	if (ct) {
		put32(out + 12, 1);
		put32(out + 16, strlen(CT));
		memcpy(out + 20, CT, strlen(CT));
	}
	return 8 + n;
}

int
dnstap_init(struct dnstap *d, const char *path, const char *identity)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (strlen(path) >= sizeof(d->path) ||
	    strlen(identity) >= sizeof(d->identity)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(d->path, path);
	strcpy(d->identity, identity);
	if ((d->buf = malloc(DNSTAP_BUF)) == NULL)
		return -1;
	return 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read the ACCEPT control frame. */
static int
read_accept(int fd)
{
	uint8_t h[8], body[512];
	size_t got = 0, want;
	ssize_t n;

	while (got < 8) {
		if ((n = read(fd, h + got, 8 - got)) <= 0)
			goto bad;
		got += (size_t)n;
	}
	want = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 |
	    h[7];
	if (h[0] | h[1] | h[2] | h[3] || want < 4 || want > sizeof(body))
		goto bad;
	for (got = 0; got < want; got += (size_t)n)
		if ((n = read(fd, body + got, want - got)) <= 0)
			goto bad;
	if (body[0] | body[1] | body[2] || body[3] != FS_ACCEPT)
		goto bad;
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int
dnstap_connect(struct dnstap *d)
{
	struct sockaddr_un sun;
	struct timeval tv = { 1, 0 };
	uint8_t f[64];
	int fd, e;

	if (d->fd >= 0)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, d->path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    write_all(fd, f, control(f, FS_READY, 1)) < 0 ||
	    read_accept(fd) < 0 ||
	    write_all(fd, f, control(f, FS_START, 1)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	d->fd = fd;
	d->len = d->off = 0;
	return 0;
}

void
dnstap_add(struct dnstap *d, const struct dnstap_msg *m)
{
	size_t n;

	if (d->fd < 0 || DNSTAP_BUF - d->len < 4 + 512 + m->len) {
		d->dropped++;
		return;
	}
	if ((n = dnstap_encode(m, d->identity, d->buf + d->len + 4,
	    DNSTAP_BUF - d->len - 4)) == 0) {
		d->dropped++;
		return;
	}
	put32(d->buf + d->len, (uint32_t)n);
	d->len += 4 + n;
	d->frames++;
}

void
dnstap_flush(struct dnstap *d)
{
	ssize_t n;

	while (d->fd >= 0 && d->off < d->len) {
		n = send(d->fd, d->buf + d->off, d->len - d->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close(d->fd);
			d->fd = -1;
			d->len = d->off = 0;
			return;
		}
		d->off += (size_t)n;
	}
	if (d->off == d->len)
		d->off = d->len = 0;
	else if (d->off > DNSTAP_BUF / 2) {
		memmove(d->buf, d->buf + d->off, d->len - d->off);
		d->len -= d->off;
		d->off = 0;
	}
}

void
dnstap_close(struct dnstap *d)
{
	uint8_t f[64];
	int fl;

	if (d->fd >= 0) {
		fl = fcntl(d->fd, F_GETFL);
		if (fl >= 0)
			(void)fcntl(d->fd, F_SETFL, fl & ~O_NONBLOCK);
		if (d->off < d->len)
			(void)write_all(d->fd, d->buf + d->off,
			    d->len - d->off);
		(void)write_all(d->fd, f, control(f, FS_STOP, 0));
		close(d->fd);
	}
	free(d->buf);
	d->buf = NULL;
	d->fd = -1;
}
