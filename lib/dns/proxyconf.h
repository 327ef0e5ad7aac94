/* proxyconf.h -- the dns_proxy section of app.yml, with DADNS_DNS_PROXY_* */
/* SPDX-License-Identifier: ISC */
#ifndef PROXYCONF_H
#define PROXYCONF_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dnsmsg.h"
#include "guardconf.h"
#include "netaddr.h"
#include "pcache.h"

#define PROXYCONF_LISTEN_MAX	16
#define PROXYCONF_POOLS_MAX	16
#define PROXYCONF_BACKENDS_MAX	64
#define PROXYCONF_NAME_MAX	64
#define PROXYCONF_TLS_MAX	8	/* DoT and DoH addresses, each */

enum proxyconf_action {
	PROXYCONF_ALLOW, PROXYCONF_DROP, PROXYCONF_REFUSE, PROXYCONF_TC
};

enum proxyconf_policy {
	PROXYCONF_LEAST_OUTSTANDING, PROXYCONF_FIRST_AVAILABLE,
	PROXYCONF_WRANDOM, PROXYCONF_CHASHED, PROXYCONF_ROUNDROBIN
};

struct proxyconf_check {
	int		 enabled;
	char		 name[DNSMSG_NAME_MAX * 4 + 1];	/* dotted text */
	uint16_t	 type;
	unsigned	 interval_ms, timeout_ms, fall, rise;
	int		 must_resolve;	/* NXDOMAIN counts as a failure */
	int		 set;		/* bitmask of keys given */
};

struct proxyconf_backend {
	char		 name[PROXYCONF_NAME_MAX];
	char		 address[128];
	union netaddr_sa sa;
	unsigned	 weight, order, sockets, max_outstanding;
	int		 pool;		/* index in pools */
	struct proxyconf_check check;
};

struct proxyconf_pool {
	char		 name[PROXYCONF_NAME_MAX];
	enum proxyconf_policy policy;
	int		 cache;		/* a packet cache is configured */
	size_t		 cache_entries;
	struct pcache_opts copts;
	int		 serve_stale;	/* RFC 8767, with every backend down */
	unsigned	 stale_ttl;	/* the TTL of such answers */
	struct proxyconf_check check;	/* defaults for its backends */
};

struct proxyconf_route {
	uint8_t		 suffix[DNSMSG_NAME_MAX];	/* case-folded wire */
	size_t		 len;
	int		 pool;
};

struct proxyconf {
	char		 path[1024];	/* file read */
	size_t		 nlisten;
	char		 listen[PROXYCONF_LISTEN_MAX][128];
	union netaddr_sa listen_sa[PROXYCONF_LISTEN_MAX];
	struct netaddr_acl acl;
	enum proxyconf_action acl_action, any_action, chaos_action, qps_action;
	uint32_t	 qps_limit, qps_burst;
	size_t		 qps_table_size;
	unsigned	 tcp_max_connections, tcp_max_per_client;
	unsigned	 tcp_idle_timeout_ms, tcp_max_queries;
	unsigned	 tcp_query_timeout_ms;	/* from a query's 1st byte */
	unsigned	 tcp_max_age_ms;	/* of a connection; 0 = none */
	unsigned	 tcp_backend_pool;	/* idle connections kept */
	unsigned	 tcp_backend_idle_ms;	/* kept that long */
	unsigned	 backend_timeout_ms;
	unsigned	 udp_buffer;		/* SO_RCVBUF/SO_SNDBUF bytes */
	/* DNS over TLS and over HTTPS */
	size_t		 ntls, ndoh;
	char		 tls_listen[PROXYCONF_TLS_MAX][128];
	union netaddr_sa tls_sa[PROXYCONF_TLS_MAX];
	char		 doh_listen[PROXYCONF_TLS_MAX][128];
	union netaddr_sa doh_sa[PROXYCONF_TLS_MAX];
	char		 tls_cert[1024], tls_key[1024];	/* PEM files */
	char		 doh_path[256];
	unsigned	 doh_max_streams;	/* per HTTP/2 connection */
	char		 metrics_listen[128];
	union netaddr_sa metrics_sa;
	char		 control_socket[1024];
	unsigned	 workers;
	int		 steer_flow;	/* workers: 4-tuple hash, not client */
	char		 user[64];
	int		 default_pool;	/* -1: unrouted queries are refused */
	size_t		 npools, nbackends, nroutes;
	struct proxyconf_pool pools[PROXYCONF_POOLS_MAX];
	struct proxyconf_backend backends[PROXYCONF_BACKENDS_MAX];
	struct proxyconf_route *routes;
	struct guardconf guard;		/* dynamic blocks, query log */
	struct config_unknown unknown;	/* keys ignored, whole file */
};

/* Find the app.yml to read, as every program does: config_find(). */
const char *proxyconf_find(const char *path);

/* Read the app.yml at path through config_load_section() (the other
 * sections are checked too) with its dns_proxy mapping into pc, then apply
 * DADNS_DNS_PROXY_* (and DADNS.DNS_PROXY.*) variables for scalar keys.
 * Unknown keys are ignored and listed in pc->unknown. Returns 0, or -1
 * with a message naming the file, line and key in err, e.g.
 * "app.yml:12: dns_proxy.pools.auth.policy: unknown policy \"x\"".
 * pc needs proxyconf_free() after either. */
int proxyconf_load(const char *path, struct proxyconf *pc, char *err,
    size_t errlen);

/* The checker's proxyconf_load(): the whole app.yml at path (NULL: the
 * usual places) through config_check() into cfg and f, and its dns_proxy
 * section, when there is one, into pc with each of its faults a line of f,
 * unknown keys included. Returns 1 when the file has a dns_proxy section,
 * else 0. pc needs proxyconf_free() after either. */
int proxyconf_check(const char *path, struct config *cfg,
    struct proxyconf *pc, struct config_faults *f);

/* Release what proxyconf_load() allocated. */
void proxyconf_free(struct proxyconf *pc);

/* The keyword of an action or a policy, for messages and metrics. */
const char *proxyconf_action_name(enum proxyconf_action a);
const char *proxyconf_policy_name(enum proxyconf_policy p);

#endif
