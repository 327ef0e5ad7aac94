/* guardconf.h -- dns_proxy's keys against abuse: dynamic_blocks.*,
 * query_log.*, metrics_token, metrics_user/metrics_password,
 * control_socket_mode */
/* SPDX-License-Identifier: ISC */
#ifndef GUARDCONF_H
#define GUARDCONF_H

#include <stddef.h>
#include <stdint.h>

#include "dynblock.h"

struct guardconf {
	/* dynamic_blocks: rates per second over window_ms (0: no rule) */
	uint64_t	 rate[DYNBLOCK_N];
	unsigned	 window_ms, duration_s, v4_prefix, v6_prefix;
	int		 action;	/* PROXYCONF_DROP, _REFUSE or _TC */
	size_t		 table_size;
	int		 kernel_filter;	/* drop blocked sources in the kernel */
	/* query_log */
	unsigned	 sample;	/* one query in sample logged; 0 none */
	char		 dnstap_socket[108];
	char		 dnstap_identity[64];
	/* metrics and control endpoints */
	char		 metrics_token[128];
	char		 metrics_user[64];
	char		 metrics_password[128];
	unsigned	 control_mode;
};

/* Every key guardconf_set() takes, by its flat name, NULL-terminated (the
 * environment: DADNS_DNS_PROXY_<NAME>). */
extern const char *const guardconf_keys[];

/* The defaults: no rule, 10 s window, 60 s blocks, drop, /32 and /56,
 * 65536 prefixes counted, the kernel filter on, no log, control socket
 * 0660. */
void guardconf_defaults(struct guardconf *g);

/* Set the key k ("dynamic_blocks_queries", "query_log_sample",
 * "metrics_token" ...) to the text v. Returns 0, 1 when k is not one of
 * these keys, or -1 with the fault in msg, e.g. "not a number: \"x\"". */
int guardconf_set(struct guardconf *g, const char *k, const char *v,
    char *msg, size_t msglen);

/* 1 when some dynamic block rule is set. */
int guardconf_blocks(const struct guardconf *g);

#endif
