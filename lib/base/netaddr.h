/* netaddr.h -- IPv4/IPv6 addresses, host:port parsing and network ACLs */
/* SPDX-License-Identifier: ISC */
#ifndef NETADDR_H
#define NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* A socket address small enough to keep per query. */
union netaddr_sa {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

/* A network: family AF_INET or AF_INET6, address bytes and prefix. */
struct netaddr_net {
	int		 family;
	uint8_t		 addr[16];
	unsigned	 plen;
};

struct netaddr_acl {
	struct netaddr_net *net;
	size_t		 n, cap;
};

/* Parse the one address syntax of every program: "192.0.2.1:53",
 * "[2001:db8::1]:53", NSD's and BIND's "192.0.2.1@53" and "2001:db8::1@53",
 * or a bare "2001:db8::1" or "192.0.2.1" (port dflt_port when absent; 0
 * requires one), numeric only, into sa. Returns the socklen, or -1 when s
 * is not such an address. */
int netaddr_parse(const char *s, unsigned dflt_port, union netaddr_sa *sa);

/* Parse a network "10.0.0.0/8", "2001:db8::/32" or one address (full
 * prefix). Host bits are cleared. Returns 0, or -1. */
int netaddr_net_parse(const char *s, struct netaddr_net *n);

/* Add a network to acl. Returns 0, or -1 with errno ENOMEM. */
int netaddr_acl_add(struct netaddr_acl *acl, const struct netaddr_net *n);

/* Free the networks of acl and empty it. */
void netaddr_acl_free(struct netaddr_acl *acl);

/* 1 when sa (an IPv4-mapped IPv6 address counts as IPv4) is inside one
 * of the networks of acl, 0 otherwise. */
int netaddr_acl_match(const struct netaddr_acl *acl,
    const union netaddr_sa *sa);

/* The rate-limit key of a client: its IPv4 address, or the /64 of its
 * IPv6 address, with the family in the top bit. */
uint64_t netaddr_client_key(const union netaddr_sa *sa);

/* Format sa as "addr:port" / "[addr]:port" into buf (at least 64 bytes).
 * Returns buf. */
char *netaddr_format(const union netaddr_sa *sa, char *buf, size_t size);

/* 1 when both addresses (and ports) are equal, 0 otherwise. */
int netaddr_equal(const union netaddr_sa *a, const union netaddr_sa *b);

#endif
