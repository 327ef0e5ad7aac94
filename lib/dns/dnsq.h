/* dnsq.h -- tiny UDP SOA queries: which serial does a server serve? */
/* SPDX-License-Identifier: ISC */
#ifndef DNSQ_H
#define DNSQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSQ_PKT_MAX	4096	/* largest answer read (no EDNS) */

/* What one SOA query learnt. */
enum dnsq_status {
	DNSQ_NONE = 0,	/* no (valid) answer arrived in time */
	DNSQ_SOA,	/* authoritative answer with the zone's own SOA */
	DNSQ_OTHER	/* an answer without the zone's SOA: see rcode */
};

struct dnsq_result {
	enum dnsq_status status;
	int		 rcode;		/* 0 NOERROR, 2 SERVFAIL,
					 * 3 NXDOMAIN, 5 REFUSED... */
	int		 aa;		/* the AA bit of the answer */
	uint32_t	 serial;	/* the SOA serial (DNSQ_SOA) */
};

struct dnsq_server {
	struct sockaddr_storage ss;
	socklen_t	 len;
};

/* Parse a server address in netaddr_parse()'s syntax (port 53 when
 * absent). Returns 0, or -1 with *why set. */
int dnsq_server_parse(const char *spec, struct dnsq_server *srv,
    const char **why);

/* Build a SOA query (class IN, RD clear, no EDNS) for zone, a name without
 * escapes, with the given id into buf. Returns its length, or 0 when the
 * name is not a valid domain name or buf is too small. */
size_t dnsq_query(uint16_t id, const char *zone, unsigned char *buf,
    size_t size);

/*
 * Parse pkt[0..len) as the answer to the SOA query dnsq_query(id, zone)
 * built. Every byte is checked: header, the echoed question, each resource
 * record of every section (names with compression pointers, lengths, SOA
 * rdata) and no trailing bytes. Returns 0 with res filled (DNSQ_SOA when
 * the answer section holds the zone's SOA and AA is set, DNSQ_OTHER
 * otherwise), or -1 with *why set to a static message when the packet is
 * not a well-formed answer to that query.
 */
int dnsq_parse(const unsigned char *pkt, size_t len, uint16_t id,
    const char *zone, struct dnsq_result *res, const char **why);

/*
 * Ask srv for the SOA of each of the n zones at once (at most a small
 * window of queries in flight on one socket) and wait at most timeout_ms
 * for the answers. res[i] gets zone i's answer; DNSQ_NONE when none came.
 * Returns 0, or -1 with errno set when the socket could not be used.
 */
int dnsq_soa(const struct dnsq_server *srv, const char *const zones[],
    size_t n, int timeout_ms, struct dnsq_result res[]);

#endif
