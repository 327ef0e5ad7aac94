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
#include "dnsmsg.h"
#include "netaddr.h"

int
dnscheck_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	union netaddr_sa sa;
	int len;

	memset(ss, 0, sizeof(*ss));
	if ((len = netaddr_parse(s, 53, &sa)) < 0)
		return -1;
	memcpy(ss, &sa, (size_t)len);
	*sslen = (socklen_t)len;
	return 0;
}

int
dnscheck_type(const char *s)
{
	char *end;
	long v;
	int t;

	if ((t = dnsmsg_type_from_text(s)) >= 0)
		return t;
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
	if (qtype < 1 || qtype > 65535)
		return 0;
	return dnsmsg_query(buf, size, id, name, (uint16_t)qtype, 0);
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
