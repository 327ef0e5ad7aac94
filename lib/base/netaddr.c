/* netaddr.c -- IPv4/IPv6 addresses, host:port parsing and network ACLs */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static int
parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
netaddr_parse(const char *s, unsigned dflt_port, union netaddr_sa *sa)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *close, *at;
	unsigned port = dflt_port;
	size_t n;

	memset(sa, 0, sizeof(*sa));
	if ((at = strchr(s, '@')) != NULL) {
		/* NSD's and BIND's ADDR@PORT, either family. */
		n = (size_t)(at - s);
		if (n == 0 || n >= sizeof(host) || parse_port(at + 1, &port) < 0)
			return -1;
		memcpy(host, s, n);
		host[n] = '\0';
	} else if (*s == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return -1;
		n = (size_t)(close - s - 1);
		if (n >= sizeof(host))
			return -1;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (close[1] == ':') {
			if (parse_port(close + 2, &port) < 0)
				return -1;
		} else if (close[1] != '\0')
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			/* One colon: IPv4 with a port. */
			n = (size_t)(colon - s);
			if (n >= sizeof(host) || parse_port(colon + 1, &port) < 0)
				return -1;
			memcpy(host, s, n);
			host[n] = '\0';
		} else {
			if (strlen(s) >= sizeof(host))
				return -1;
			strcpy(host, s);
		}
	}
	if (port == 0)
		return -1;
	if (inet_pton(AF_INET, host, &sa->sin.sin_addr) == 1) {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_port = htons(port);
		return sizeof(sa->sin);
	}
	if (inet_pton(AF_INET6, host, &sa->sin6.sin6_addr) == 1) {
		sa->sin6.sin6_family = AF_INET6;
		sa->sin6.sin6_port = htons(port);
		return sizeof(sa->sin6);
	}
	return -1;
}

int
netaddr_net_parse(const char *s, struct netaddr_net *out)
{
	struct netaddr_net tmp, *n = &tmp;
	char host[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s), i;
	unsigned long plen;
	unsigned max;

	memset(n, 0, sizeof(*n));
	if (len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return -1;
	plen = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		plen = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || plen > max)
			return -1;
	}
	n->plen = (unsigned)plen;
	for (i = 0; i < 16; i++) {
		if (i * 8 >= plen)
			n->addr[i] = 0;
		else if (i * 8 + 8 > plen)
			n->addr[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
	}
	*out = tmp;	/* untouched on failure */
	return 0;
}

int
netaddr_acl_add(struct netaddr_acl *acl, const struct netaddr_net *n)
{
	struct netaddr_net *p;
	size_t cap;

	if (acl->n == acl->cap) {
		cap = acl->cap ? acl->cap * 2 : 8;
		if ((p = realloc(acl->net, cap * sizeof(*p))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		acl->net = p;
		acl->cap = cap;
	}
	acl->net[acl->n++] = *n;
	return 0;
}

void
netaddr_acl_free(struct netaddr_acl *acl)
{
	free(acl->net);
	acl->net = NULL;
	acl->n = acl->cap = 0;
}

static int
in_net(const struct netaddr_net *n, const uint8_t *a)
{
	unsigned full = n->plen / 8, rest = n->plen % 8;

	if (memcmp(n->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return (a[full] & (uint8_t)(0xff << (8 - rest))) == n->addr[full];
}

int
netaddr_acl_match(const struct netaddr_acl *acl, const union netaddr_sa *sa)
{
	const uint8_t *a;
	int family;
	size_t i;

	if (sa->sa.sa_family == AF_INET) {
		family = AF_INET;
		a = (const uint8_t *)&sa->sin.sin_addr;
	} else {
		a = sa->sin6.sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sa->sin6.sin6_addr)) {
			family = AF_INET;
			a += 12;
		} else
			family = AF_INET6;
	}
	for (i = 0; i < acl->n; i++)
		if (acl->net[i].family == family && in_net(&acl->net[i], a))
			return 1;
	return 0;
}

uint64_t
netaddr_client_key(const union netaddr_sa *sa)
{
	const uint8_t *a;
	uint64_t k = 0;
	int i;

	if (sa->sa.sa_family == AF_INET)
		return ntohl(sa->sin.sin_addr.s_addr);
	a = sa->sin6.sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&sa->sin6.sin6_addr))
		return (uint64_t)a[12] << 24 | (uint64_t)a[13] << 16 |
		    (uint64_t)a[14] << 8 | a[15];
	for (i = 0; i < 8; i++)
		k = k << 8 | a[i];
	/* Mix the family in: a /64 never equals an IPv4 key. */
	return k ^ 0x8000000000000000ULL ^ (k >> 32 == 0 ? 1ULL << 62 : 0);
}

char *
netaddr_format(const union netaddr_sa *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &sa->sin.sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(sa->sin.sin_port));
	} else if (sa->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sa->sin6.sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(sa->sin6.sin6_port));
	} else
		snprintf(buf, size, "-");
	return buf;
}

int
netaddr_equal(const union netaddr_sa *a, const union netaddr_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_port == b->sin.sin_port &&
		    a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->sin6.sin6_port == b->sin6.sin6_port &&
		    memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
	return 0;
}
