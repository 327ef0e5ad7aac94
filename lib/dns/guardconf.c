/* guardconf.c -- dns_proxy's keys against abuse: dynamic_blocks.*,
 * query_log.*, metrics_token, metrics_user/metrics_password,
 * control_socket_mode */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guardconf.h"
#include "proxyconf.h"

const char *const guardconf_keys[] = {
	"dynamic_blocks_queries", "dynamic_blocks_nxdomain",
	"dynamic_blocks_servfail", "dynamic_blocks_bytes",
	"dynamic_blocks_window", "dynamic_blocks_duration",
	"dynamic_blocks_action", "dynamic_blocks_ipv4_prefix",
	"dynamic_blocks_ipv6_prefix", "dynamic_blocks_table_size",
	"dynamic_blocks_kernel_filter",
	"query_log_sample", "query_log_dnstap_socket",
	"query_log_dnstap_identity", "metrics_token", "metrics_user",
	"metrics_password", "control_socket_mode", NULL
};

static int
bad(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
num(const char *v, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *msg, size_t msglen)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return bad(msg, msglen, "not a number: \"%s\"", v);
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return bad(msg, msglen, "not a number: \"%s\"", v);
	if (n < min || n > max)
		return bad(msg, msglen, "%llu is out of range %llu..%llu", n,
		    min, max);
	*out = n;
	return 0;
}

/* "10", "10s", "1500ms" -> ms within min..max */
static int
ms(const char *v, unsigned min, unsigned max, unsigned *out, char *msg,
    size_t msglen)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return bad(msg, msglen, "not a duration: \"%s\"", v);
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return bad(msg, msglen, "not a duration: \"%s\"", v);
	if (strcmp(end, "ms") != 0) {
		if (*end != '\0' && strcmp(end, "s") != 0)
			return bad(msg, msglen, "not a duration (seconds, or "
			    "NNNms): \"%s\"", v);
		n = n > 0xffffffffULL ? 0xffffffffULL * 1000 : n * 1000;
	}
	if (n < min || n > max)
		return bad(msg, msglen, "%s is out of range %.3g..%.3g s", v,
		    min / 1e3, max / 1e3);
	*out = (unsigned)n;
	return 0;
}

static int
str(const char *v, char *dst, size_t size, int printable, char *msg,
    size_t msglen)
{
	const char *p;

	if (strlen(v) >= size)
		return bad(msg, msglen, "longer than %zu bytes", size - 1);
	for (p = v; printable && *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ':')
			return bad(msg, msglen, "only printable characters "
			    "without spaces or ':'");
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

void
guardconf_defaults(struct guardconf *g)
{
	memset(g, 0, sizeof(*g));
	g->window_ms = 10000;
	g->duration_s = 60;
	g->action = PROXYCONF_DROP;
	g->v4_prefix = 32;
	g->v6_prefix = 56;
	g->table_size = 65536;
	g->kernel_filter = 1;
	snprintf(g->dnstap_identity, sizeof(g->dnstap_identity), "dns-proxy");
	g->control_mode = 0660;
}

int
guardconf_blocks(const struct guardconf *g)
{
	int i;

	for (i = 0; i < DYNBLOCK_N; i++)
		if (g->rate[i] != 0)
			return 1;
	return 0;
}

static int
set_block(struct guardconf *g, const char *k, const char *v, char *msg,
    size_t msglen)
{
	static const char *const rates[DYNBLOCK_N] = { "queries", "nxdomain",
		"servfail", "bytes" };
	unsigned long long n;
	int i;

	for (i = 0; i < DYNBLOCK_N; i++)
		if (strcmp(k, rates[i]) == 0) {
			if (num(v, 0, 1ULL << 40, &n, msg, msglen) < 0)
				return -1;
			g->rate[i] = n;
			return 0;
		}
	if (strcmp(k, "window") == 0)
		return ms(v, 100, 3600000, &g->window_ms, msg, msglen);
	if (strcmp(k, "duration") == 0) {
		unsigned d;

		if (ms(v, 1000, 86400000, &d, msg, msglen) < 0)
			return -1;
		g->duration_s = d / 1000;
		return 0;
	}
	if (strcmp(k, "action") == 0) {
		if (strcasecmp(v, "drop") == 0)
			g->action = PROXYCONF_DROP;
		else if (strcasecmp(v, "refuse") == 0 ||
		    strcasecmp(v, "refused") == 0)
			g->action = PROXYCONF_REFUSE;
		else if (strcasecmp(v, "truncate") == 0 ||
		    strcasecmp(v, "tc") == 0)
			g->action = PROXYCONF_TC;
		else
			return bad(msg, msglen, "unknown action \"%s\" (one "
			    "of drop, refuse, truncate)", v);
		return 0;
	}
	if (strcmp(k, "ipv4_prefix") == 0) {
		if (num(v, 8, 32, &n, msg, msglen) < 0)
			return -1;
		g->v4_prefix = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "ipv6_prefix") == 0) {
		if (num(v, 16, 128, &n, msg, msglen) < 0)
			return -1;
		g->v6_prefix = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "kernel_filter") == 0) {
		if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
		    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
			g->kernel_filter = 1;
		else if (strcasecmp(v, "false") == 0 ||
		    strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
		    strcmp(v, "0") == 0)
			g->kernel_filter = 0;
		else
			return bad(msg, msglen, "not a boolean: \"%s\"", v);
		return 0;
	}
	if (strcmp(k, "table_size") == 0) {
		if (num(v, 16, 1 << 24, &n, msg, msglen) < 0)
			return -1;
		g->table_size = (size_t)n;
		return 0;
	}
	return 1;
}

static int
set_log(struct guardconf *g, const char *k, const char *v, char *msg,
    size_t msglen)
{
	unsigned long long n;

	if (strcmp(k, "sample") == 0) {
		if (num(v, 0, 1000000000, &n, msg, msglen) < 0)
			return -1;
		g->sample = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "dnstap_socket") == 0) {
		if (*v != '\0' && *v != '/')
			return bad(msg, msglen, "not an absolute path: \"%s\"",
			    v);
		return str(v, g->dnstap_socket, sizeof(g->dnstap_socket), 0,
		    msg, msglen);
	}
	if (strcmp(k, "dnstap_identity") == 0)
		return str(v, g->dnstap_identity, sizeof(g->dnstap_identity),
		    1, msg, msglen);
	return 1;
}

int
guardconf_set(struct guardconf *g, const char *k, const char *v, char *msg,
    size_t msglen)
{
	unsigned long n;
	char *end;

	if (strncmp(k, "dynamic_blocks_", 15) == 0)
		return set_block(g, k + 15, v, msg, msglen);
	if (strncmp(k, "query_log_", 10) == 0)
		return set_log(g, k + 10, v, msg, msglen);
	if (strcmp(k, "metrics_token") == 0)
		return str(v, g->metrics_token, sizeof(g->metrics_token), 1,
		    msg, msglen);
	if (strcmp(k, "metrics_user") == 0)
		return str(v, g->metrics_user, sizeof(g->metrics_user), 1,
		    msg, msglen);
	if (strcmp(k, "metrics_password") == 0)
		return str(v, g->metrics_password,
		    sizeof(g->metrics_password), 0, msg, msglen);
	if (strcmp(k, "control_socket_mode") == 0) {
		errno = 0;
		if (*v < '0' || *v > '7')
			return bad(msg, msglen, "not an octal mode: \"%s\"",
			    v);
		n = strtoul(v, &end, 8);
		if (errno != 0 || *end != '\0' || n > 0777)
			return bad(msg, msglen, "not an octal mode: \"%s\"",
			    v);
		if (n & 0002)
			return bad(msg, msglen, "%04lo lets anybody control "
			    "the proxy: not world-writable", n);
		if ((n & 0600) != 0600)
			return bad(msg, msglen, "%04lo: the owner needs read "
			    "and write", n);
		g->control_mode = (unsigned)n;
		return 0;
	}
	return 1;
}
