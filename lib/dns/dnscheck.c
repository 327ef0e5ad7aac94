/* dnscheck.c -- one DNS query over UDP as a health probe */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dnscheck.h"

static int
parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

int
dnscheck_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon, *port = NULL;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((colon = strchr(s, ']')) == NULL)
			return -1;
		n = (size_t)(colon - s - 1);
		if (colon[1] == ':')
			port = colon + 2;
		else if (colon[1] != '\0')
			return -1;
		s++;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		n = (size_t)(colon - s);
		port = colon + 1;
	} else
		n = strlen(s);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		*sslen = sizeof(*s4);
		return port != NULL ? parse_port(port, &s4->sin_port) : 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		*sslen = sizeof(*s6);
		return port != NULL ? parse_port(port, &s6->sin6_port) : 0;
	}
	return -1;
}

static const struct {
	const char *name;
	int type;
} types[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },
	{ "DNSKEY", 48 }, { "CAA", 257 }
};

int
dnscheck_type(const char *s)
{
	char *end;
	size_t i;
	long v;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

size_t
dnscheck_query(uint8_t *buf, size_t size, uint16_t id, const char *name,
    int qtype)
{
	const char *p = name, *dot;
	size_t off = 12, lab;

	if (size < 12 + 1 + 4 || qtype < 1 || qtype > 65535)
		return 0;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[5] = 1;		/* QDCOUNT */
	if (strcmp(p, ".") == 0)
		p = "";
	while (*p != '\0') {
		dot = strchr(p, '.');
		lab = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (lab == 0 || lab > 63 || off + 1 + lab + 1 + 4 > size ||
		    off + 1 + lab > 12 + 254)
			return 0;
		buf[off++] = (uint8_t)lab;
		memcpy(buf + off, p, lab);
		off += lab;
		p += lab;
		if (*p == '.')
			p++;
	}
	buf[off++] = 0;
	buf[off++] = (uint8_t)(qtype >> 8);
	buf[off++] = (uint8_t)qtype;
	buf[off++] = 0;
	buf[off++] = 1;		/* class IN */
	return off;
}

/* Names may come back in another case (0x20 mixing), so compare the
 * question's name bytes without ASCII case. */
static int
same_name(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;
	uint8_t x, y;

	for (i = 0; i < n; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

int
dnscheck_reply(const uint8_t *reply, size_t len, const uint8_t *query,
    size_t qlen)
{
	if (len < qlen || qlen < 12)
		return -1;
	if (reply[0] != query[0] || reply[1] != query[1])
		return -1;
	if (!(reply[2] & 0x80) || (reply[2] & 0x78) != 0)
		return -1;	/* not a response, or not a QUERY */
	if (reply[4] != 0 || reply[5] != 1)
		return -1;
	if (!same_name(reply + 12, query + 12, qlen - 12 - 4) ||
	    memcmp(reply + qlen - 4, query + qlen - 4, 4) != 0)
		return -1;
	return reply[3] & 0x0f;
}

int
dnscheck_rcode_ok(int rcode)
{
	return rcode == 0 || rcode == 3;
}

const char *
dnscheck_rcode_name(int rcode)
{
	static const char *names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE"
	};

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return "RCODE?";
}

int
dnscheck_open(const struct sockaddr_storage *ss, socklen_t sslen)
{
	int fd, e;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, sslen) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
dnscheck_once(const struct sockaddr_storage *ss, socklen_t sslen,
    const char *name, int qtype, int timeout_ms)
{
	uint8_t q[DNSCHECK_MSG_MAX], r[DNSCHECK_MSG_MAX];
	struct pollfd pfd;
	long long end;
	size_t qlen;
	ssize_t n;
	int fd, rc, e;

	qlen = dnscheck_query(q, sizeof(q), (uint16_t)(random() & 0xffff),
	    name, qtype);
	if (qlen == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = dnscheck_open(ss, sslen)) < 0)
		return -1;
	if (send(fd, q, qlen, 0) < 0)
		goto fail;
	end = clock_ms() + timeout_ms;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		long long left = end - clock_ms();

		if (left <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			goto fail;
		if (rc <= 0)
			continue;
		n = recv(fd, r, sizeof(r), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			goto fail;
		}
		if ((rc = dnscheck_reply(r, (size_t)n, q, qlen)) >= 0) {
			close(fd);
			return rc;
		}
	}
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
