/* dnsq.c -- tiny UDP SOA queries: which serial does a server serve? */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dnsmsg.h"
#include "dnsq.h"
#include "netaddr.h"

#define HDR		DNSMSG_HDR
#define T_A		DNSMSG_T_A
#define T_NS		DNSMSG_T_NS
#define T_CNAME		5
#define T_SOA		DNSMSG_T_SOA
#define T_PTR		12
#define T_MX		15
#define T_AAAA		28
#define C_IN		DNSMSG_C_IN
#define NAME_WIRE_MAX	DNSMSG_NAME_MAX
#define WINDOW		128	/* queries in flight on the socket */
#define CHUNK		32768	/* queries per id range */
#define SLICE_MS	20	/* quiet time after which in-flight is lost */

int
dnsq_server_parse(const char *spec, struct dnsq_server *srv,
    const char **why)
{
	union netaddr_sa sa;
	int len;

	memset(srv, 0, sizeof(*srv));
	if ((len = netaddr_parse(spec, 53, &sa)) < 0) {
		*why = "invalid address (numeric IPv4 or IPv6, port 1-65535 "
		    "expected)";
		return -1;
	}
	memcpy(&srv->ss, &sa, (size_t)len);
	srv->len = (socklen_t)len;
	return 0;
}

/* The zone as a lower-case wire-format name into out. Returns the length
 * (root label included) or 0 when zone is not a plain domain name:
 * printable, without escapes, not the root. */
static size_t
name_wire(const char *zone, unsigned char out[DNSMSG_NAME_MAX])
{
	const unsigned char *p;
	int n;

	if (*zone == '\0' || strcmp(zone, ".") == 0)
		return 0;
	for (p = (const unsigned char *)zone; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == '\\')
			return 0;
	if ((n = dnsmsg_name_from_text(zone, out)) < 0)
		return 0;
	return (size_t)n;
}

size_t
dnsq_query(uint16_t id, const char *zone, unsigned char *buf, size_t size)
{
	unsigned char w[DNSMSG_NAME_MAX];

	if (name_wire(zone, w) == 0)
		return 0;
	return dnsmsg_query(buf, size, id, zone, DNSMSG_T_SOA, 0);
}

/* Read the (possibly compressed) name at *off into out, lower case,
 * uncompressed (dnsmsg_name_unpack()'s rules). Advances *off past the
 * name's bytes at *off. Returns the wire length or -1 when the name is
 * malformed. */
static int
name_read(const unsigned char *pkt, size_t len, size_t *off,
    unsigned char out[DNSMSG_NAME_MAX])
{
	size_t end;
	int n, i;

	if ((n = dnsmsg_name_unpack(pkt, len, *off, out, &end)) < 0)
		return -1;
	/* Label length bytes are < 64: only name bytes change. */
	for (i = 0; i < n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] += 32;
	*off = end;
	return n;
}

static unsigned
get16(const unsigned char *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/* Check the rdata of the types whose layout a SOA answer may carry; others
 * are only bounded by rdlength. Returns 0 or -1. */
static int
rdata_ok(const unsigned char *pkt, size_t off, size_t rdlen, unsigned type,
    uint32_t *serial)
{
	unsigned char tmp[NAME_WIRE_MAX];
	size_t p = off, end = off + rdlen;

	/* A name in rdata may point anywhere before it but must end inside
	 * the rdata: read it against a packet that ends there. */
	switch (type) {
	case T_A:
		return rdlen == 4 ? 0 : -1;
	case T_AAAA:
		return rdlen == 16 ? 0 : -1;
	case T_NS:
	case T_CNAME:
	case T_PTR:
		if (name_read(pkt, end, &p, tmp) < 0)
			return -1;
		return p == end ? 0 : -1;
	case T_MX:
		if (rdlen < 3)
			return -1;
		p += 2;
		if (name_read(pkt, end, &p, tmp) < 0)
			return -1;
		return p == end ? 0 : -1;
	case T_SOA:
		if (name_read(pkt, end, &p, tmp) < 0 ||
		    name_read(pkt, end, &p, tmp) < 0)
			return -1;
		if (end - p != 20)
			return -1;
		*serial = get32(pkt + p);
		return 0;
	default:
		return 0;
	}
}

int
dnsq_parse(const unsigned char *pkt, size_t len, uint16_t id,
    const char *zone, struct dnsq_result *res, const char **why)
{
	unsigned char want[NAME_WIRE_MAX], got[NAME_WIRE_MAX];
	size_t wlen, off, rdlen;
	unsigned qd, an, ns, ar, i, type, klass, nsoa = 0;
	uint32_t serial = 0, s;
	int glen;

	memset(res, 0, sizeof(*res));
	if ((wlen = name_wire(zone, want)) == 0) {
		*why = "invalid zone name";
		return -1;
	}
	if (len < HDR) {
		*why = "shorter than a header";
		return -1;
	}
	if (get16(pkt) != id) {
		*why = "id mismatch";
		return -1;
	}
	if (!(pkt[2] & 0x80)) {
		*why = "not a response";
		return -1;
	}
	if ((pkt[2] & 0x78) != 0) {
		*why = "opcode is not QUERY";
		return -1;
	}
	if (pkt[2] & 0x02) {
		*why = "truncated";
		return -1;
	}
	qd = get16(pkt + 4);
	an = get16(pkt + 6);
	ns = get16(pkt + 8);
	ar = get16(pkt + 10);
	if (qd != 1) {
		*why = "question count is not 1";
		return -1;
	}
	off = HDR;
	if ((glen = name_read(pkt, len, &off, got)) < 0) {
		*why = "malformed question name";
		return -1;
	}
	if ((size_t)glen != wlen || memcmp(got, want, wlen) != 0) {
		*why = "question name mismatch";
		return -1;
	}
	if (len - off < 4 || get16(pkt + off) != T_SOA ||
	    get16(pkt + off + 2) != C_IN) {
		*why = "question type or class mismatch";
		return -1;
	}
	off += 4;
	for (i = 0; i < an + ns + ar; i++) {
		if ((glen = name_read(pkt, len, &off, got)) < 0) {
			*why = "malformed owner name";
			return -1;
		}
		if (len - off < 10) {
			*why = "truncated record header";
			return -1;
		}
		type = get16(pkt + off);
		klass = get16(pkt + off + 2);
		rdlen = get16(pkt + off + 8);
		off += 10;
		if (len - off < rdlen) {
			*why = "record data past the end";
			return -1;
		}
		s = 0;
		if (rdata_ok(pkt, off, rdlen, type, &s) < 0) {
			*why = "malformed record data";
			return -1;
		}
		if (i < an && type == T_SOA && klass == C_IN &&
		    (size_t)glen == wlen && memcmp(got, want, wlen) == 0) {
			nsoa++;
			serial = s;
		}
		off += rdlen;
	}
	if (off != len) {
		*why = "trailing bytes";
		return -1;
	}
	if (nsoa > 1) {
		*why = "several SOA records for the zone";
		return -1;
	}
	res->rcode = pkt[3] & 0x0f;
	res->aa = (pkt[2] & 0x04) != 0;
	if (nsoa == 1 && res->aa && res->rcode == 0) {
		res->status = DNSQ_SOA;
		res->serial = serial;
	} else
		res->status = DNSQ_OTHER;
	return 0;
}

int
dnsq_soa(const struct dnsq_server *srv, const char *const zones[],
    size_t n, int timeout_ms, struct dnsq_result res[])
{
	unsigned char q[HDR + NAME_WIRE_MAX + 4], pkt[DNSQ_PKT_MAX];
	struct dnsq_result r;
	struct pollfd pfd;
	long long deadline, now;
	size_t start, cnt, next, answered, inflight, i, qlen;
	const char *why;
	uint16_t base;
	ssize_t got;
	int fd, rc, wait, refused = 0;

	memset(res, 0, n * sizeof(*res));
	if (n == 0)
		return 0;
	fd = socket(srv->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&srv->ss, srv->len) < 0) {
		rc = errno;
		close(fd);
		errno = rc;
		return -1;
	}
	deadline = clock_ms() + timeout_ms;
	for (start = 0; start < n && !refused; start += cnt) {
		cnt = n - start < CHUNK ? n - start : CHUNK;
		base = (uint16_t)arc4random();
		next = answered = inflight = 0;
		while (answered < cnt && !refused) {
			while (next < cnt && inflight < WINDOW) {
				qlen = dnsq_query((uint16_t)(base + next),
				    zones[start + next], q, sizeof(q));
				if (qlen == 0) {
					/* Not a name: it can have no answer. */
					next++;
					answered++;
					continue;
				}
				if (send(fd, q, qlen, 0) < 0) {
					if (errno == ECONNREFUSED) {
						refused = 1;
						break;
					}
					if (errno == EAGAIN ||
					    errno == ENOBUFS)
						break;
					if (errno == EINTR)
						continue;
					goto fail;
				}
				next++;
				inflight++;
			}
			if (refused || answered == cnt)
				break;
			if ((now = clock_ms()) >= deadline)
				break;
			wait = deadline - now < SLICE_MS ?
			    (int)(deadline - now) : SLICE_MS;
			pfd.fd = fd;
			pfd.events = POLLIN;
			if ((rc = poll(&pfd, 1, wait)) < 0) {
				if (errno == EINTR)
					continue;
				goto fail;
			}
			if (rc == 0) {
				/* A quiet slice: what is in flight is lost
				 * or slow; let the next queries go out. */
				inflight = 0;
				continue;
			}
			for (;;) {
				got = recv(fd, pkt, sizeof(pkt), 0);
				if (got < 0) {
					if (errno == EINTR)
						continue;
					if (errno == ECONNREFUSED)
						refused = 1;
					else if (errno != EAGAIN)
						goto fail;
					break;
				}
				if (got < 2)
					continue;
				i = (uint16_t)(get16(pkt) - base);
				if (i >= next || res[start + i].status !=
				    DNSQ_NONE)
					continue;
				if (dnsq_parse(pkt, (size_t)got, get16(pkt),
				    zones[start + i], &r, &why) < 0)
					continue;
				res[start + i] = r;
				answered++;
				if (inflight > 0)
					inflight--;
			}
		}
		if (clock_ms() >= deadline)
			break;
	}
	close(fd);
	return 0;
fail:
	rc = errno;
	close(fd);
	errno = rc;
	return -1;
}
