/* dot-load.c -- DNS over TLS load: C connections, each with Q queries in
 * flight (r0..rN-1.bench.test A, TCP framing in TLS, RFC 7858), for L
 * seconds; prints dnsperf's summary lines (completed, lost, QPS) so that
 * bench/dns-proxy reads both alike. The certificate is not checked. */
/* SPDX-License-Identifier: ISC */
#define USAGE "dot-load -p port [-s addr] [-c conns] [-q inflight] " \
	"[-l seconds] [-n names]"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define CMAX	1024

struct conn {
	gnutls_session_t s;
	int		 fd;
	unsigned	 out;		/* queries in flight */
	uint8_t		 rbuf[65536 + 2];
	size_t		 rlen;
};

static struct conn conns[CMAX];
static unsigned long sent, done, bad;
static unsigned names = 1000, next_name;
static uint16_t next_id;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fatal(const char *what, const char *why)
{
	fprintf(stderr, "dot-load: fatal: %s: %s\n", what, why);
	exit(111);
}

/* Append one framed query to b; returns its length. */
static size_t
query(uint8_t *b)
{
	char label[16];
	size_t o = 14, n;

	n = (size_t)snprintf(label, sizeof(label), "r%u",
	    next_name++ % names);
	memset(b, 0, 14);
	b[2] = next_id >> 8;
	b[3] = next_id & 0xff;
	next_id++;
	b[4] = 0x01;		/* RD */
	b[7] = 1;		/* QDCOUNT */
	b[o++] = (uint8_t)n;
	memcpy(b + o, label, n);
	o += n;
	memcpy(b + o, "\5bench\4test\0\0\1\0\1", 16);
	o += 16;
	b[0] = (uint8_t)((o - 2) >> 8);
	b[1] = (uint8_t)(o - 2);
	return o;
}

static void
send_queries(struct conn *c, unsigned n)
{
	uint8_t buf[64 * 64];
	size_t len = 0;
	ssize_t r;

	while (n > 0) {
		len = 0;
		for (; n > 0 && len + 64 <= sizeof(buf); n--) {
			len += query(buf + len);
			c->out++;
			sent++;
		}
		do
			r = gnutls_record_send(c->s, buf, len);
		while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		if (r < 0)
			fatal("send", gnutls_strerror((int)r));
	}
}

/* Read what c has; returns the answers read. */
static unsigned
read_answers(struct conn *c)
{
	unsigned got = 0;
	size_t m;
	ssize_t r;

	do {
		r = gnutls_record_recv(c->s, c->rbuf + c->rlen,
		    sizeof(c->rbuf) - c->rlen);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			break;
		if (r <= 0)
			fatal("read", r == 0 ? "closed by the server" :
			    gnutls_strerror((int)r));
		c->rlen += (size_t)r;
		while (c->rlen >= 2 && c->rlen >= 2 +
		    (m = (size_t)(c->rbuf[0] << 8 | c->rbuf[1]))) {
			if (m < 12 || (c->rbuf[5] & 0x0f) != 0)
				bad++;
			done++;
			got++;
			c->out--;
			c->rlen -= 2 + m;
			memmove(c->rbuf, c->rbuf + 2 + m, c->rlen);
		}
	} while (gnutls_record_check_pending(c->s) > 0);
	return got;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	gnutls_certificate_credentials_t cred;
	struct epoll_event ev, evs[64];
	unsigned nconn = 10, inflight = 50, secs = 10, i, got;
	const char *addr = "127.0.0.1";
	double t0, t1, end;
	int port = 0, opt, ep, n, k, one = 1, r;

	while ((opt = getopt(argc, argv, "c:l:n:p:q:s:")) != -1) {
		switch (opt) {
		case 'c': nconn = (unsigned)atoi(optarg); break;
		case 'l': secs = (unsigned)atoi(optarg); break;
		case 'n': names = (unsigned)atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'q': inflight = (unsigned)atoi(optarg); break;
		case 's': addr = optarg; break;
		default:
			fprintf(stderr, "dot-load: usage: %s\n", USAGE);
			return 100;
		}
	}
	if (port <= 0 || nconn < 1 || nconn > CMAX || inflight < 1 ||
	    names < 1 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "dot-load: usage: %s\n", USAGE);
		return 100;
	}
	sa.sin_port = htons((uint16_t)port);
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    (ep = epoll_create1(0)) < 0)
		fatal("setup", "out of memory");
	for (i = 0; i < nconn; i++) {
		struct conn *c = &conns[i];

		if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			fatal("connect", addr);
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		gnutls_init(&c->s, GNUTLS_CLIENT);
		gnutls_set_default_priority(c->s);
		gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, cred);
		gnutls_transport_set_int(c->s, c->fd);
		do
			r = gnutls_handshake(c->s);
		while (r < 0 && !gnutls_error_is_fatal(r));
		if (r < 0)
			fatal("handshake", gnutls_strerror(r));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	t0 = now();
	end = t0 + secs;
	for (i = 0; i < nconn; i++)
		send_queries(&conns[i], inflight);
	for (;;) {
		t1 = now();
		if (t1 >= end + 1)
			break;	/* what is still out is lost */
		if (t1 >= end) {
			for (i = 0; i < nconn && conns[i].out == 0; i++)
				;
			if (i == nconn)
				break;
		}
		n = epoll_wait(ep, evs, 64, 100);
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			got = read_answers(c);
			if (got > 0 && now() < end)
				send_queries(c, got);
		}
	}
	t1 = now();
	if (t1 > end)
		t1 = end;
	printf("  Queries sent:         %lu\n", sent);
	printf("  Queries completed:    %lu\n", done);
	printf("  Queries lost:         %lu\n", sent - done);
	printf("  Response codes:       NOERROR %lu, other %lu\n", done - bad,
	    bad);
	printf("  Queries per second:   %.0f\n", done / (t1 - t0));
	for (i = 0; i < nconn; i++) {
		gnutls_bye(conns[i].s, GNUTLS_SHUT_RDWR);
		close(conns[i].fd);
		gnutls_deinit(conns[i].s);
	}
	gnutls_certificate_free_credentials(cred);
	return bad > 0 ? 1 : 0;
}
