/* soa-wait.c -- for bench/secondary: ask several servers (127.0.0.1@port)
 * for one zone's SOA over UDP, each every interval (1 ms), from one process
 * with non-blocking sockets and poll(2), until each answers with a serial
 * at or past the wanted one (RFC 1982) or the timeout passes; prints, per
 * server in argument order, "name ms" (milliseconds from T0, a wall-clock
 * time in microseconds since the epoch) or "name timeout". */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* ppoll(2) */
#define USAGE "soa-wait -z zone -s serial -t t0-us [-w seconds] " \
	"[-i interval-us] name=port..."

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SMAX	16

struct server {
	const char	*name;
	int		 fd;
	uint16_t	 id;		/* of the last query sent */
	double		 ms;		/* < 0 until answered */
};

static struct server srv[SMAX];
static unsigned nsrv;
static uint8_t qbuf[300];
static size_t qlen;

static void
usage(void)
{
	fprintf(stderr, "soa-wait: usage: %s\n", USAGE);
	exit(100);
}

static void
fatal(const char *what, const char *why)
{
	fprintf(stderr, "soa-wait: fatal: %s: %s\n", what, why);
	exit(111);
}

/* Microseconds since the epoch. */
static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The query for zone's SOA, no RD, into qbuf; -1 on a bad name. */
static int
make_query(const char *zone)
{
	const char *p = zone, *dot;
	size_t o = 12, n;

	memset(qbuf, 0, 12);
	qbuf[5] = 1;		/* QDCOUNT */
	while (*p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || o + n + 1 + 5 > 255 + 12)
			return -1;
		qbuf[o++] = (uint8_t)n;
		memcpy(qbuf + o, p, n);
		o += n;
		p += n;
		if (*p == '.')
			p++;
	}
	qbuf[o++] = 0;
	memcpy(qbuf + o, "\0\6\0\1", 4);	/* SOA IN */
	qlen = o + 4;
	return 0;
}

/* The offset past the name at o in m (len bytes), or 0 if it runs off. */
static size_t
skip_name(const uint8_t *m, size_t len, size_t o)
{
	while (o < len) {
		if (m[o] == 0)
			return o + 1;
		if ((m[o] & 0xc0) == 0xc0)
			return o + 2 <= len ? o + 2 : 0;
		o += 1 + m[o];
	}
	return 0;
}

/* The SOA serial in answer m (len bytes) to our question; -1 when it is
 * not one (another question, an error rcode, no SOA first). */
static int64_t
answer_serial(const uint8_t *m, size_t len)
{
	size_t o, rd;

	if (len < qlen || (m[2] & 0x80) == 0 || (m[3] & 0x0f) != 0 ||
	    (m[6] == 0 && m[7] == 0) ||
	    memcmp(m + 4, qbuf + 4, 2) != 0 ||
	    memcmp(m + 12, qbuf + 12, qlen - 12) != 0)
		return -1;
	o = skip_name(m, len, qlen);
	if (o == 0 || o + 10 > len || m[o] != 0 || m[o + 1] != 6)
		return -1;
	rd = (size_t)(m[o + 8] << 8 | m[o + 9]);
	o += 10;
	if (o + rd > len)
		return -1;
	if ((o = skip_name(m, len, o)) == 0 || (o = skip_name(m, len, o)) == 0 ||
	    o + 4 > len)
		return -1;
	return (int64_t)((uint32_t)m[o] << 24 | (uint32_t)m[o + 1] << 16 |
	    (uint32_t)m[o + 2] << 8 | m[o + 3]);
}

static void
send_query(struct server *s)
{
	s->id++;
	qbuf[0] = s->id >> 8;
	qbuf[1] = s->id & 0xff;
	/* A full socket buffer only delays this server's next try. */
	(void)send(s->fd, qbuf, qlen, 0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pfd[SMAX];
	uint8_t m[4096];
	const char *zone = NULL;
	char *eq;
	double t0 = 0, end, next, t;
	uint32_t want = 0;
	int64_t have;
	unsigned waitmax = 30, interval = 1000, left, i;
	long port;
	ssize_t r;
	struct timespec ts;
	int opt, haveserial = 0;

	while ((opt = getopt(argc, argv, "i:s:t:w:z:")) != -1) {
		switch (opt) {
		case 'i': interval = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's':
			want = (uint32_t)strtoul(optarg, NULL, 10);
			haveserial = 1;
			break;
		case 't': t0 = strtod(optarg, NULL); break;
		case 'w': waitmax = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'z': zone = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (zone == NULL || !haveserial || t0 <= 0 || interval < 100 ||
	    interval > 1000000 ||
	    waitmax < 1 || argc < 1 || argc > SMAX)
		usage();
	if (make_query(zone) == -1)
		fatal(zone, "not a domain name");
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	for (i = 0; i < (unsigned)argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			usage();
		*eq = '\0';
		port = strtol(eq + 1, NULL, 10);
		if (port < 1 || port > 65535)
			fatal(argv[i], "port out of range (1-65535)");
		sa.sin_port = htons((uint16_t)port);
		srv[i].name = argv[i];
		srv[i].ms = -1;
		srv[i].id = (uint16_t)(getpid() + i * 4096);
		if ((srv[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK,
		    0)) == -1 ||
		    connect(srv[i].fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			fatal(argv[i], strerror(errno));
		pfd[i].fd = srv[i].fd;
		pfd[i].events = POLLIN;
	}
	nsrv = (unsigned)argc;
	left = nsrv;
	end = t0 + waitmax * 1e6;
	next = now_us();
	while (left > 0 && (t = now_us()) < end) {
		if (t >= next) {
			for (i = 0; i < nsrv; i++)
				if (srv[i].ms < 0)
					send_query(&srv[i]);
			next = t + interval;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = next > t ? (long)((next - t) * 1e3) : 0;
		if (ppoll(pfd, nsrv, &ts, NULL) == -1 && errno != EINTR)
			fatal("poll", strerror(errno));
		for (i = 0; i < nsrv; i++) {
			if (srv[i].ms >= 0 || (pfd[i].revents & POLLIN) == 0)
				continue;
			while ((r = recv(srv[i].fd, m, sizeof(m), 0)) > 0) {
				/* Any answer of ours counts, the last id or an
				 * earlier one: each tells the server's state
				 * when it answered. */
				have = answer_serial(m, (size_t)r);
				if (have >= 0 &&
				    (int32_t)((uint32_t)have - want) >= 0) {
					srv[i].ms = (now_us() - t0) / 1e3;
					left--;
					break;
				}
			}
		}
	}
	for (i = 0; i < nsrv; i++) {
		if (srv[i].ms < 0)
			printf("%s timeout\n", srv[i].name);
		else
			printf("%s %.1f\n", srv[i].name, srv[i].ms);
	}
	return 0;
}
