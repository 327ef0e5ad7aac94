/* proxyconf.c -- the dns_proxy section of app.yml, with DADNS_DNS_PROXY_* */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "err.h"
#include "proxyconf.h"

/* Parsing context: where we are, for messages. */
struct ctx {
	const char	*file;
	struct config_unknown *unknown;	/* keys ignored */
	char		*err;
	size_t		 errlen;
	char		 key[256];	/* dotted path of the current key */
	unsigned long	 line;		/* 1-based, 0 = environment */
	const char	*env;		/* variable name when from the env */
	struct config_faults *faults;	/* a check goes on: proxyconf_check() */
};

static int
fail(struct ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->env != NULL)
		snprintf(c->err, c->errlen, "%s: %s", c->env, msg);
	else
		snprintf(c->err, c->errlen, "%s:%lu: %s: %s", c->file, c->line,
		    c->key, msg);
	return -1;
}

/* r as it is, except in a check: there the fault of r < 0, its message in
 * c->err, is a line of c->faults and the reading goes on (returns 0). */
static int
note(struct ctx *c, int r)
{
	if (r >= 0 || c->faults == NULL)
		return r;
	config_fault_add(c->faults, "%s", c->err);
	c->err[0] = '\0';
	return 0;
}

const char *
proxyconf_action_name(enum proxyconf_action a)
{
	switch (a) {
	case PROXYCONF_ALLOW:
		return "allow";
	case PROXYCONF_DROP:
		return "drop";
	case PROXYCONF_REFUSE:
		return "refuse";
	case PROXYCONF_TC:
		return "truncate";
	}
	return "?";
}

const char *
proxyconf_policy_name(enum proxyconf_policy p)
{
	switch (p) {
	case PROXYCONF_LEAST_OUTSTANDING:
		return "leastOutstanding";
	case PROXYCONF_FIRST_AVAILABLE:
		return "firstAvailable";
	case PROXYCONF_WRANDOM:
		return "wrandom";
	case PROXYCONF_CHASHED:
		return "chashed";
	case PROXYCONF_ROUNDROBIN:
		return "roundrobin";
	}
	return "?";
}

/* ---- value parsers: v is the text, return 0 or fail() ---- */

static int
parse_uint(struct ctx *c, const char *v, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return fail(c, "not a number: \"%s\"", v);
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return fail(c, "not a number: \"%s\"", v);
	if (n < min || n > max)
		return fail(c, "%lu is out of range %lu..%lu", n, min, max);
	*out = n;
	return 0;
}

static int
parse_u(struct ctx *c, const char *v, unsigned long min, unsigned long max,
    unsigned *out)
{
	unsigned long n;

	if (parse_uint(c, v, min, max, &n) < 0)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* "2", "1.5", "2s", "500ms" -> milliseconds */
static int
parse_ms(struct ctx *c, const char *v, unsigned min, unsigned max,
    unsigned *out)
{
	char *end;
	double d;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return fail(c, "not a duration: \"%s\"", v);
	d = strtod(v, &end);
	if (errno != 0)
		return fail(c, "not a duration: \"%s\"", v);
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		d *= 1000;
	else
		return fail(c, "not a duration (seconds, or NNNms): \"%s\"", v);
	if (d < min || d > max)
		return fail(c, "%s is out of range %.3g..%.3g s", v, min / 1e3,
		    max / 1e3);
	*out = (unsigned)d;
	return 0;
}

static int
parse_bool(struct ctx *c, const char *v, int *out)
{
	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return fail(c, "not a boolean: \"%s\"", v);
	return 0;
}

static int
parse_action(struct ctx *c, const char *v, int allow, int refuse, int tc,
    enum proxyconf_action *out)
{
	if (allow && strcasecmp(v, "allow") == 0)
		*out = PROXYCONF_ALLOW;
	else if (strcasecmp(v, "drop") == 0)
		*out = PROXYCONF_DROP;
	else if (refuse && strcasecmp(v, "refuse") == 0)
		*out = PROXYCONF_REFUSE;
	else if (tc && (strcasecmp(v, "truncate") == 0 ||
	    strcasecmp(v, "tc") == 0))
		*out = PROXYCONF_TC;
	else
		return fail(c, "unknown action \"%s\" (one of%s drop%s%s)", v,
		    allow ? " allow," : "", refuse ? ", refuse" : "",
		    tc ? ", truncate" : "");
	return 0;
}

static int
copy_str(struct ctx *c, const char *v, char *dst, size_t size)
{
	if (strlen(v) >= size)
		return fail(c, "longer than %zu bytes", size - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
add_listen(struct ctx *c, struct proxyconf *pc, const char *v)
{
	if (pc->nlisten == PROXYCONF_LISTEN_MAX)
		return fail(c, "more than %d addresses", PROXYCONF_LISTEN_MAX);
	if (netaddr_parse(v, 53, &pc->listen_sa[pc->nlisten]) < 0)
		return fail(c, "not an address[:port]: \"%s\"", v);
	if (copy_str(c, v, pc->listen[pc->nlisten], sizeof(pc->listen[0])) < 0)
		return -1;
	pc->nlisten++;
	return 0;
}

/* A DoT (tls_listen, port 853) or DoH (doh_listen, port 443) address. */
static int
add_tls(struct ctx *c, struct proxyconf *pc, const char *v, int doh)
{
	size_t *n = doh ? &pc->ndoh : &pc->ntls;
	union netaddr_sa *sa = doh ? pc->doh_sa : pc->tls_sa;
	char (*text)[128] = doh ? pc->doh_listen : pc->tls_listen;

	if (*n == PROXYCONF_TLS_MAX)
		return fail(c, "more than %d addresses", PROXYCONF_TLS_MAX);
	if (netaddr_parse(v, doh ? 443 : 853, &sa[*n]) < 0)
		return fail(c, "not an address[:port]: \"%s\"", v);
	if (copy_str(c, v, text[*n], sizeof(text[0])) < 0)
		return -1;
	(*n)++;
	return 0;
}

static int
add_dot(struct ctx *c, struct proxyconf *pc, const char *v)
{
	return add_tls(c, pc, v, 0);
}

static int
add_doh(struct ctx *c, struct proxyconf *pc, const char *v)
{
	return add_tls(c, pc, v, 1);
}

static int
add_acl(struct ctx *c, struct proxyconf *pc, const char *v)
{
	struct netaddr_net n;

	if (netaddr_net_parse(v, &n) < 0)
		return fail(c, "not a network: \"%s\"", v);
	if (netaddr_acl_add(&pc->acl, &n) < 0)
		return fail(c, "out of memory");
	return 0;
}

/* Split a comma/space separated list (env and scalar forms). */
static int
each_word(struct ctx *c, struct proxyconf *pc, const char *v,
    int (*fn)(struct ctx *, struct proxyconf *, const char *))
{
	char buf[4096], *p, *w, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return fail(c, "list too long");
	strcpy(buf, v);
	for (p = buf; (w = strtok_r(p, ", \t", &save)) != NULL; p = NULL)
		if (fn(c, pc, w) < 0)
			return -1;
	return 0;
}

/* ---- YAML helpers ---- */

static const char *
scalar(const struct config_node *n)
{
	return config_node_text(n);
}

static int
is_kind(const struct config_node *n, int kind)
{
	return config_node_kind(n) == kind;
}

/* The current key is nobody's: a warning for the program, not an error. */
static int
ignore(struct ctx *c)
{
	if (c->faults != NULL)
		config_fault_add(c->faults, "%s:%lu: %s: unknown key",
		    c->file, c->line, c->key);
	else
		config_unknown_add(c->unknown, "%s:%lu: unknown key %s "
		    "ignored", c->file, c->line, c->key);
	return 0;
}

/* dst = a + sep + b, cut to size (key paths are for messages only). */
static void
join(char *dst, size_t size, const char *a, const char *sep, const char *b)
{
	size_t o = 0;
	const char *parts[3] = { a, sep, b }, *s;
	int i;

	for (i = 0; i < 3; i++)
		for (s = parts[i]; *s != '\0' && o + 1 < size; s++)
			dst[o++] = *s;
	dst[o] = '\0';
}

static void
enter(struct ctx *c, const char *parent, const char *key,
    const struct config_node *n)
{
	join(c->key, sizeof(c->key), parent, ".", key);
	c->line = config_node_line(n);
}

static int
want_scalar(struct ctx *c, const struct config_node *n)
{
	if (!is_kind(n, CONFIG_SCALAR))
		return fail(c, "expected a single value");
	return 0;
}

/* A list given as a sequence of scalars or as one comma-separated scalar. */
static int
each_item(struct ctx *c, struct proxyconf *pc, const struct config_node *n,
    int (*fn)(struct ctx *, struct proxyconf *, const char *))
{
	const struct config_node *e;
	size_t i;

	if (is_kind(n, CONFIG_SCALAR))
		return each_word(c, pc, scalar(n), fn);
	if (!is_kind(n, CONFIG_LIST))
		return fail(c, "expected a list");
	for (i = 0; i < config_node_count(n); i++) {
		e = config_node_value(n, i);
		c->line = config_node_line(e);
		if (want_scalar(c, e) < 0 || fn(c, pc, scalar(e)) < 0)
			return -1;
	}
	return 0;
}

/* ---- scalar keys of dns_proxy (shared by YAML and environment) ---- */

/* The keys of guardconf.c; 1 when k is none of them either. */
static int
set_guard(struct ctx *c, struct proxyconf *pc, const char *k, const char *v)
{
	char msg[256];
	int rc;

	if ((rc = guardconf_set(&pc->guard, k, v, msg, sizeof(msg))) < 0)
		return fail(c, "%s", msg);
	return rc;
}

static int
set_top(struct ctx *c, struct proxyconf *pc, const char *k, const char *v)
{
	unsigned long n;

	if (strcmp(k, "listen") == 0) {
		pc->nlisten = 0;
		return each_word(c, pc, v, add_listen);
	}
	if (strcmp(k, "acl") == 0) {
		pc->acl.n = 0;
		return each_word(c, pc, v, add_acl);
	}
	if (strcmp(k, "acl_action") == 0)
		return parse_action(c, v, 0, 1, 0, &pc->acl_action);
	if (strcmp(k, "any_action") == 0)
		return parse_action(c, v, 1, 1, 1, &pc->any_action);
	if (strcmp(k, "chaos_action") == 0)
		return parse_action(c, v, 1, 1, 0, &pc->chaos_action);
	if (strcmp(k, "qps_action") == 0)
		return parse_action(c, v, 0, 1, 1, &pc->qps_action);
	if (strcmp(k, "qps_limit") == 0) {
		if (parse_uint(c, v, 0, 100000000, &n) < 0)
			return -1;
		pc->qps_limit = (uint32_t)n;
		return 0;
	}
	if (strcmp(k, "qps_burst") == 0) {
		if (parse_uint(c, v, 0, 100000000, &n) < 0)
			return -1;
		pc->qps_burst = (uint32_t)n;
		return 0;
	}
	if (strcmp(k, "qps_table_size") == 0) {
		if (parse_uint(c, v, 16, 1 << 24, &n) < 0)
			return -1;
		pc->qps_table_size = n;
		return 0;
	}
	if (strcmp(k, "backend_timeout") == 0)
		return parse_ms(c, v, 10, 60000, &pc->backend_timeout_ms);
	if (strcmp(k, "udp_buffer") == 0)
		return parse_u(c, v, 0, 1 << 30, &pc->udp_buffer);
	if (strcmp(k, "metrics_listen") == 0) {
		char lo[128];

		/* A port alone is loopback's: metrics are not for all. */
		if (*v != '\0' && strspn(v + (*v == ':'), "0123456789") ==
		    strlen(v + (*v == ':')) && strlen(v) < 16) {
			snprintf(lo, sizeof(lo), "127.0.0.1:%s", v + (*v == ':'));
			v = lo;
		}
		if (*v != '\0' && netaddr_parse(v, 0, &pc->metrics_sa) < 0)
			return fail(c, "not an address:port: \"%s\"", v);
		return copy_str(c, v, pc->metrics_listen,
		    sizeof(pc->metrics_listen));
	}
	if (strcmp(k, "control_socket") == 0)
		return copy_str(c, v, pc->control_socket,
		    sizeof(pc->control_socket));
	if (strcmp(k, "workers") == 0)
		return parse_u(c, v, 1, 64, &pc->workers);
	if (strcmp(k, "steering") == 0) {
		if (strcasecmp(v, "client") == 0)
			pc->steer_flow = 0;
		else if (strcasecmp(v, "flow") == 0)
			pc->steer_flow = 1;
		else
			return fail(c, "unknown steering \"%s\" (client or "
			    "flow)", v);
		return 0;
	}
	if (strcmp(k, "user") == 0)
		return copy_str(c, v, pc->user, sizeof(pc->user));
	if (strcmp(k, "tcp_max_connections") == 0)
		return parse_u(c, v, 1, 1000000, &pc->tcp_max_connections);
	if (strcmp(k, "tcp_max_connections_per_client") == 0)
		return parse_u(c, v, 0, 1000000, &pc->tcp_max_per_client);
	if (strcmp(k, "tcp_idle_timeout") == 0)
		return parse_ms(c, v, 100, 3600000, &pc->tcp_idle_timeout_ms);
	if (strcmp(k, "tcp_max_queries_per_connection") == 0)
		return parse_u(c, v, 0, 1000000000, &pc->tcp_max_queries);
	if (strcmp(k, "tcp_query_timeout") == 0)
		return parse_ms(c, v, 100, 3600000, &pc->tcp_query_timeout_ms);
	if (strcmp(k, "tcp_max_connection_age") == 0)
		return parse_ms(c, v, 0, 86400000, &pc->tcp_max_age_ms);
	if (strcmp(k, "tcp_backend_pool_size") == 0)
		return parse_u(c, v, 0, 1024, &pc->tcp_backend_pool);
	if (strcmp(k, "tcp_backend_idle_timeout") == 0)
		return parse_ms(c, v, 100, 3600000, &pc->tcp_backend_idle_ms);
	if (strcmp(k, "tls_listen") == 0) {
		pc->ntls = 0;
		return each_word(c, pc, v, add_dot);
	}
	if (strcmp(k, "doh_listen") == 0) {
		pc->ndoh = 0;
		return each_word(c, pc, v, add_doh);
	}
	if (strcmp(k, "tls_cert") == 0)
		return copy_str(c, v, pc->tls_cert, sizeof(pc->tls_cert));
	if (strcmp(k, "tls_key") == 0)
		return copy_str(c, v, pc->tls_key, sizeof(pc->tls_key));
	if (strcmp(k, "doh_path") == 0) {
		if (v[0] != '/' || strpbrk(v, "?# ") != NULL)
			return fail(c, "not a path: \"%s\"", v);
		return copy_str(c, v, pc->doh_path, sizeof(pc->doh_path));
	}
	if (strcmp(k, "doh_max_streams") == 0)
		return parse_u(c, v, 1, 1000, &pc->doh_max_streams);
	return set_guard(c, pc, k, v);
}

/* Keys given via the environment, by their documented names. */
static const char *const env_keys[] = {
	"listen", "acl", "acl_action", "any_action", "chaos_action",
	"qps_action", "qps_limit", "qps_burst", "qps_table_size",
	"backend_timeout", "udp_buffer", "metrics_listen", "control_socket",
	"workers", "steering", "user", "tcp_max_connections",
	"tcp_max_connections_per_client", "tcp_idle_timeout",
	"tcp_max_queries_per_connection", "tcp_query_timeout",
	"tcp_max_connection_age", "tcp_backend_pool_size",
	"tcp_backend_idle_timeout", "default_pool", "tls_listen",
	"doh_listen", "tls_cert", "tls_key", "doh_path", "doh_max_streams",
	NULL
};

/* ---- pools, backends, checks ---- */

static int
find_pool(const struct proxyconf *pc, const char *name)
{
	size_t i;

	for (i = 0; i < pc->npools; i++)
		if (strcmp(pc->pools[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
parse_check(struct ctx *c, const struct config_node *n,
    struct proxyconf_check *ck)
{
	const struct config_node *v;
	char parent[256];
	const char *key;
	size_t i;
	int t;

	join(parent, sizeof(parent), c->key, "", "");
	if (is_kind(n, CONFIG_SCALAR)) {
		if (parse_bool(c, scalar(n), &ck->enabled) < 0)
			return -1;
		ck->set |= 1;
		return 0;
	}
	if (!is_kind(n, CONFIG_MAP))
		return fail(c, "expected a mapping");
	for (i = 0; i < config_node_count(n); i++) {
		v = config_node_value(n, i);
		key = scalar(config_node_key(n, i));
		enter(c, parent, key, v);
		if (want_scalar(c, v) < 0)
			return -1;
		if (strcmp(key, "enabled") == 0) {
			if (parse_bool(c, scalar(v), &ck->enabled) < 0)
				return -1;
			ck->set |= 1;
		} else if (strcmp(key, "name") == 0) {
			uint8_t w[DNSMSG_NAME_MAX];

			if (dnsmsg_name_from_text(scalar(v), w) < 0)
				return fail(c, "not a domain name: \"%s\"",
				    scalar(v));
			if (copy_str(c, scalar(v), ck->name,
			    sizeof(ck->name)) < 0)
				return -1;
			ck->set |= 2;
		} else if (strcmp(key, "type") == 0) {
			if ((t = dnsmsg_type_from_text(scalar(v))) < 0)
				return fail(c, "unknown record type \"%s\"",
				    scalar(v));
			ck->type = (uint16_t)t;
			ck->set |= 4;
		} else if (strcmp(key, "interval") == 0) {
			if (parse_ms(c, scalar(v), 100, 3600000,
			    &ck->interval_ms) < 0)
				return -1;
			ck->set |= 8;
		} else if (strcmp(key, "timeout") == 0) {
			if (parse_ms(c, scalar(v), 10, 60000,
			    &ck->timeout_ms) < 0)
				return -1;
			ck->set |= 16;
		} else if (strcmp(key, "fall") == 0) {
			if (parse_u(c, scalar(v), 1, 1000, &ck->fall) < 0)
				return -1;
			ck->set |= 32;
		} else if (strcmp(key, "rise") == 0) {
			if (parse_u(c, scalar(v), 1, 1000, &ck->rise) < 0)
				return -1;
			ck->set |= 64;
		} else if (strcmp(key, "must_resolve") == 0) {
			if (parse_bool(c, scalar(v), &ck->must_resolve) < 0)
				return -1;
			ck->set |= 128;
		} else
			ignore(c);
	}
	return 0;
}

/* Fill the keys of dst not set explicitly from src. */
static void
inherit_check(struct proxyconf_check *dst, const struct proxyconf_check *src)
{
	if (!(dst->set & 1))
		dst->enabled = src->enabled;
	if (!(dst->set & 2))
		memcpy(dst->name, src->name, sizeof(dst->name));
	if (!(dst->set & 4))
		dst->type = src->type;
	if (!(dst->set & 8))
		dst->interval_ms = src->interval_ms;
	if (!(dst->set & 16))
		dst->timeout_ms = src->timeout_ms;
	if (!(dst->set & 32))
		dst->fall = src->fall;
	if (!(dst->set & 64))
		dst->rise = src->rise;
	if (!(dst->set & 128))
		dst->must_resolve = src->must_resolve;
}

static int
parse_backend(struct ctx *c, struct proxyconf *pc, int pool,
    const struct config_node *n, const char *parent)
{
	struct proxyconf_backend *b;
	const struct config_node *v;
	const char *key;
	size_t i;

	if (pc->nbackends == PROXYCONF_BACKENDS_MAX)
		return fail(c, "more than %d backends",
		    PROXYCONF_BACKENDS_MAX);
	b = &pc->backends[pc->nbackends];
	memset(b, 0, sizeof(*b));
	b->pool = pool;
	b->weight = 1;
	b->order = 1;
	b->sockets = 1;
	b->max_outstanding = 4096;
	if (is_kind(n, CONFIG_SCALAR)) {
		/* Short form: just the address. */
		if (copy_str(c, scalar(n), b->address,
		    sizeof(b->address)) < 0)
			return -1;
	} else if (is_kind(n, CONFIG_MAP)) {
		for (i = 0; i < config_node_count(n); i++) {
			v = config_node_value(n, i);
			key = scalar(config_node_key(n, i));
			enter(c, parent, key, v);
			if (strcmp(key, "check") == 0) {
				if (parse_check(c, v, &b->check) < 0)
					return -1;
				continue;
			}
			if (want_scalar(c, v) < 0)
				return -1;
			if (strcmp(key, "name") == 0) {
				if (copy_str(c, scalar(v), b->name,
				    sizeof(b->name)) < 0)
					return -1;
			} else if (strcmp(key, "address") == 0) {
				if (copy_str(c, scalar(v), b->address,
				    sizeof(b->address)) < 0)
					return -1;
			} else if (strcmp(key, "weight") == 0) {
				if (parse_u(c, scalar(v), 1, 1000000,
				    &b->weight) < 0)
					return -1;
			} else if (strcmp(key, "order") == 0) {
				if (parse_u(c, scalar(v), 0, 1000000,
				    &b->order) < 0)
					return -1;
			} else if (strcmp(key, "sockets") == 0) {
				if (parse_u(c, scalar(v), 1, 64,
				    &b->sockets) < 0)
					return -1;
			} else if (strcmp(key, "max_outstanding") == 0) {
				if (parse_u(c, scalar(v), 16, 65000,
				    &b->max_outstanding) < 0)
					return -1;
			} else
				ignore(c);
		}
	} else
		return fail(c, "expected an address or a mapping");
	join(c->key, sizeof(c->key), parent, ".", "address");
	c->line = config_node_line(n);
	if (b->address[0] == '\0')
		return fail(c, "missing");
	if (netaddr_parse(b->address, 53, &b->sa) < 0)
		return fail(c, "not an address[:port]: \"%s\"", b->address);
	if (b->name[0] == '\0')
		join(b->name, sizeof(b->name), b->address, "", "");
	for (i = 0; i < pc->nbackends; i++)
		if (strcmp(pc->backends[i].name, b->name) == 0) {
			join(c->key, sizeof(c->key), parent, ".", "name");
			return fail(c, "duplicate backend name \"%s\"",
			    b->name);
		}
	pc->nbackends++;
	return 0;
}

/* A new pool named name with dnsdist's defaults, or NULL with a message. */
static struct proxyconf_pool *
pool_new(struct ctx *c, struct proxyconf *pc, const char *name)
{
	struct proxyconf_pool *pl;

	if (pc->npools == PROXYCONF_POOLS_MAX) {
		fail(c, "more than %d pools", PROXYCONF_POOLS_MAX);
		return NULL;
	}
	if (find_pool(pc, name) >= 0) {
		fail(c, "duplicate pool");
		return NULL;
	}
	pl = &pc->pools[pc->npools++];
	memset(pl, 0, sizeof(*pl));
	if (copy_str(c, name, pl->name, sizeof(pl->name)) < 0)
		return NULL;
	pl->policy = PROXYCONF_LEAST_OUTSTANDING;
	pl->cache_entries = 100000;
	pl->copts.max_ttl = 86400;
	pl->copts.min_ttl = 0;
	pl->copts.temp_fail_ttl = 60;
	pl->copts.max_neg_ttl = 3600;
	pl->copts.max_size = 4096;
	pl->stale_ttl = 30;
	pl->copts.max_stale = 86400;
	pl->check.enabled = 1;
	pl->check.type = DNSMSG_T_SOA;
	pl->check.interval_ms = 1000;
	pl->check.timeout_ms = 1000;
	pl->check.fall = 3;
	pl->check.rise = 2;
	return pl;
}

static int
parse_policy(struct ctx *c, const char *v, enum proxyconf_policy *out)
{
	if (strcasecmp(v, "leastOutstanding") == 0 ||
	    strcasecmp(v, "least_outstanding") == 0)
		*out = PROXYCONF_LEAST_OUTSTANDING;
	else if (strcasecmp(v, "firstAvailable") == 0 ||
	    strcasecmp(v, "first_available") == 0)
		*out = PROXYCONF_FIRST_AVAILABLE;
	else if (strcasecmp(v, "wrandom") == 0)
		*out = PROXYCONF_WRANDOM;
	else if (strcasecmp(v, "chashed") == 0)
		*out = PROXYCONF_CHASHED;
	else if (strcasecmp(v, "roundrobin") == 0)
		*out = PROXYCONF_ROUNDROBIN;
	else
		return fail(c, "unknown policy \"%s\"", v);
	return 0;
}

/* One key of a pool's cache mapping. */
static int
parse_cache_key(struct ctx *c, struct proxyconf_pool *pl, const char *key,
    const char *v)
{
	unsigned long ul;

	if (strcmp(key, "enabled") == 0)
		return parse_bool(c, v, &pl->cache);
	if (strcmp(key, "entries") == 0) {
		if (parse_uint(c, v, 1, 1 << 26, &ul) < 0)
			return -1;
		pl->cache_entries = ul;
		return 0;
	}
	if (strcmp(key, "max_ttl") == 0)
		return parse_u(c, v, 1, 0x7fffffff, &pl->copts.max_ttl);
	if (strcmp(key, "min_ttl") == 0)
		return parse_u(c, v, 0, 0x7fffffff, &pl->copts.min_ttl);
	if (strcmp(key, "temporary_failure_ttl") == 0)
		return parse_u(c, v, 0, 0x7fffffff,
		    &pl->copts.temp_fail_ttl);
	if (strcmp(key, "max_negative_ttl") == 0)
		return parse_u(c, v, 0, 0x7fffffff, &pl->copts.max_neg_ttl);
	if (strcmp(key, "max_size") == 0)
		return parse_u(c, v, 512, 4096, &pl->copts.max_size);
	if (strcmp(key, "serve_stale") == 0)
		return parse_bool(c, v, &pl->serve_stale);
	if (strcmp(key, "stale_ttl") == 0)
		return parse_u(c, v, 1, 86400, &pl->stale_ttl);
	if (strcmp(key, "stale_max_age") == 0)
		return parse_u(c, v, 1, 7 * 86400, &pl->copts.max_stale);
	return ignore(c);
}

/* A pool's cache: a boolean or a mapping. */
static int
parse_cache(struct ctx *c, struct proxyconf_pool *pl,
    const struct config_node *v)
{
	const struct config_node *cv;
	char cparent[256];
	size_t i;

	pl->cache = 1;
	if (is_kind(v, CONFIG_SCALAR))
		return parse_bool(c, scalar(v), &pl->cache);
	if (!is_kind(v, CONFIG_MAP))
		return fail(c, "expected a mapping or a boolean");
	join(cparent, sizeof(cparent), c->key, "", "");
	for (i = 0; i < config_node_count(v); i++) {
		cv = config_node_value(v, i);
		enter(c, cparent, scalar(config_node_key(v, i)), cv);
		if (want_scalar(c, cv) < 0 || parse_cache_key(c, pl,
		    scalar(config_node_key(v, i)), scalar(cv)) < 0)
			return -1;
	}
	return 0;
}

/* The backends list of a pool. */
static int
parse_pool_backends(struct ctx *c, struct proxyconf *pc, int pool,
    const struct config_node *v, const char *parent)
{
	char bparent[256], num[32];
	size_t i;

	if (!is_kind(v, CONFIG_LIST))
		return fail(c, "expected a list");
	for (i = 0; i < config_node_count(v); i++) {
		snprintf(num, sizeof(num), "[%zu]", i);
		join(bparent, sizeof(bparent), parent, ".backends", num);
		c->line = config_node_line(config_node_value(v, i));
		join(c->key, sizeof(c->key), bparent, "", "");
		if (parse_backend(c, pc, pool, config_node_value(v, i),
		    bparent) < 0)
			return -1;
	}
	return 0;
}

static int
parse_pool(struct ctx *c, struct proxyconf *pc, const char *name,
    const struct config_node *n, const char *parent)
{
	struct proxyconf_pool *pl;
	const struct config_node *v;
	const char *key;
	size_t first, i;
	int pool = (int)pc->npools;

	if ((pl = pool_new(c, pc, name)) == NULL)
		return -1;
	if (!is_kind(n, CONFIG_MAP))
		return fail(c, "expected a mapping");
	first = pc->nbackends;
	for (i = 0; i < config_node_count(n); i++) {
		v = config_node_value(n, i);
		key = scalar(config_node_key(n, i));
		enter(c, parent, key, v);
		if (strcmp(key, "policy") == 0) {
			if (want_scalar(c, v) < 0 ||
			    parse_policy(c, scalar(v), &pl->policy) < 0)
				return -1;
		} else if (strcmp(key, "check") == 0) {
			if (parse_check(c, v, &pl->check) < 0)
				return -1;
		} else if (strcmp(key, "cache") == 0) {
			if (parse_cache(c, pl, v) < 0)
				return -1;
		} else if (strcmp(key, "backends") != 0)
			ignore(c);
	}
	/* Backends after the pool-level keys, which they inherit. */
	for (i = 0; i < config_node_count(n); i++) {
		if (strcmp(scalar(config_node_key(n, i)), "backends") != 0)
			continue;
		enter(c, parent, "backends", config_node_value(n, i));
		if (parse_pool_backends(c, pc, pool, config_node_value(n, i),
		    parent) < 0)
			return -1;
	}
	if (!pl->serve_stale)
		pl->copts.max_stale = 0;
	for (i = first; i < pc->nbackends; i++)
		inherit_check(&pc->backends[i].check, &pl->check);
	if (first == pc->nbackends) {
		enter(c, parent, "backends", n);
		return fail(c, "a pool needs at least one backend");
	}
	return 0;
}

static int
parse_routes(struct ctx *c, struct proxyconf *pc, const struct config_node *n)
{
	const struct config_node *k, *v;
	struct proxyconf_route *r;
	size_t cnt, i;
	int len, pool;

	if (!is_kind(n, CONFIG_MAP))
		return fail(c, "expected a mapping of domain suffix to pool");
	cnt = config_node_count(n);
	if ((pc->routes = calloc(cnt + 1, sizeof(*pc->routes))) == NULL)
		return fail(c, "out of memory");
	for (i = 0; i < cnt; i++) {
		k = config_node_key(n, i);
		v = config_node_value(n, i);
		enter(c, "dns_proxy.routes", scalar(k), v);
		if (want_scalar(c, v) < 0)
			return -1;
		r = &pc->routes[pc->nroutes];
		if ((len = dnsmsg_name_from_text(scalar(k), r->suffix)) < 0)
			return fail(c, "not a domain name");
		r->len = (size_t)len;
		if ((pool = find_pool(pc, scalar(v))) < 0)
			return fail(c, "unknown pool \"%s\"", scalar(v));
		r->pool = pool;
		pc->nroutes++;
	}
	return 0;
}

static void
defaults(struct proxyconf *pc)
{
	static const char *const acl[] = {
		"127.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10",
		"169.254.0.0/16", "192.168.0.0/16", "172.16.0.0/12",
		"::1/128", "fc00::/7", "fe80::/10", NULL
	};
	struct netaddr_net n;
	size_t i;

	memset(pc, 0, sizeof(*pc));
	for (i = 0; acl[i] != NULL; i++)
		if (netaddr_net_parse(acl[i], &n) == 0)
			(void)netaddr_acl_add(&pc->acl, &n);
	strcpy(pc->listen[0], "127.0.0.1:53");
	(void)netaddr_parse(pc->listen[0], 53, &pc->listen_sa[0]);
	pc->nlisten = 1;
	pc->acl_action = PROXYCONF_REFUSE;
	pc->any_action = PROXYCONF_DROP;
	pc->chaos_action = PROXYCONF_DROP;
	pc->qps_action = PROXYCONF_DROP;
	pc->qps_table_size = 65536;
	pc->tcp_max_connections = 1024;
	pc->tcp_max_per_client = 16;
	pc->tcp_idle_timeout_ms = 10000;
	pc->tcp_query_timeout_ms = 2000;
	pc->tcp_max_age_ms = 120000;
	pc->tcp_backend_pool = 10;
	pc->tcp_backend_idle_ms = 10000;
	pc->backend_timeout_ms = 2000;
	pc->udp_buffer = 4 << 20;
	pc->workers = 1;
	strcpy(pc->user, "nobody");
	pc->default_pool = -1;
	guardconf_defaults(&pc->guard);
	strcpy(pc->doh_path, "/dns-query");
	pc->doh_max_streams = 100;
}

static int
apply_env(struct ctx *c, struct proxyconf *pc)
{
	char key[128], name[128];
	const char *v;
	size_t i;

	for (i = 0; env_keys[i] != NULL; i++) {
		snprintf(key, sizeof(key), "dns_proxy.%s", env_keys[i]);
		if ((v = config_env(key, name, sizeof(name))) == NULL)
			continue;
		c->env = name;
		if (strcmp(env_keys[i], "default_pool") == 0) {
			if ((pc->default_pool = find_pool(pc, v)) < 0 &&
			    note(c, fail(c, "unknown pool \"%s\"", v)) < 0)
				return -1;
			continue;
		}
		if (note(c, set_top(c, pc, env_keys[i], v)) != 0)
			return -1;
	}
	for (i = 0; guardconf_keys[i] != NULL; i++) {
		snprintf(key, sizeof(key), "dns_proxy.%s", guardconf_keys[i]);
		if ((v = config_env(key, name, sizeof(name))) == NULL)
			continue;
		c->env = name;
		if (note(c, set_top(c, pc, guardconf_keys[i], v)) != 0)
			return -1;
	}
	c->env = NULL;
	return 0;
}

const char *
proxyconf_find(const char *path)
{
	return config_find(path);
}

/* The scalar keys of dns_proxy.GROUP (tcp, dynamic_blocks, query_log), as
 * GROUP_<key> of set_top(). */
static int
parse_tcp(struct ctx *c, struct proxyconf *pc, const struct config_node *v,
    const char *group)
{
	const struct config_node *tv;
	char tk[128], parent[64];
	size_t i;
	int rc;

	snprintf(parent, sizeof(parent), "dns_proxy.%s", group);
	for (i = 0; i < config_node_count(v); i++) {
		tv = config_node_value(v, i);
		enter(c, parent, scalar(config_node_key(v, i)), tv);
		snprintf(tk, sizeof(tk), "%s_%s", group,
		    scalar(config_node_key(v, i)));
		if (want_scalar(c, tv) < 0)
			return -1;
		if ((rc = set_top(c, pc, tk, scalar(tv))) < 0)
			return -1;
		if (rc > 0)
			ignore(c);
	}
	return 0;
}

/* The parts of dns_proxy read after its other keys. */
struct later {
	const struct config_node	*pools, *routes, *dpool;
};

/* One key of dns_proxy; pools, routes and default_pool go to later. */
static int
parse_key(struct ctx *c, struct proxyconf *pc, const char *key,
    const struct config_node *v, struct later *l)
{
	int rc;

	enter(c, "dns_proxy", key, v);
	if (strcmp(key, "pools") == 0)
		l->pools = v;
	else if (strcmp(key, "routes") == 0)
		l->routes = v;
	else if (strcmp(key, "default_pool") == 0)
		l->dpool = v;
	else if (strcmp(key, "listen") == 0) {
		pc->nlisten = 0;
		return each_item(c, pc, v, add_listen);
	} else if (strcmp(key, "acl") == 0) {
		pc->acl.n = 0;
		return each_item(c, pc, v, add_acl);
	} else if (strcmp(key, "tls_listen") == 0) {
		pc->ntls = 0;
		return each_item(c, pc, v, add_dot);
	} else if (strcmp(key, "doh_listen") == 0) {
		pc->ndoh = 0;
		return each_item(c, pc, v, add_doh);
	} else if ((strcmp(key, "tcp") == 0 ||
	    strcmp(key, "dynamic_blocks") == 0 ||
	    strcmp(key, "query_log") == 0) && is_kind(v, CONFIG_MAP))
		return parse_tcp(c, pc, v, key);
	else if (!is_kind(v, CONFIG_SCALAR))
		return fail(c, "expected a single value");
	else if ((rc = set_top(c, pc, key, scalar(v))) != 0)
		return rc < 0 ? -1 : ignore(c);
	return 0;
}

static int
parse_pools(struct ctx *c, struct proxyconf *pc,
    const struct config_node *pools)
{
	char parent[256];
	const struct config_node *k;
	size_t i;

	enter(c, "dns_proxy", "pools", pools);
	if (!is_kind(pools, CONFIG_MAP))
		return fail(c, "expected a mapping of pool names");
	for (i = 0; i < config_node_count(pools); i++) {
		k = config_node_key(pools, i);
		join(parent, sizeof(parent), "dns_proxy.pools", ".",
		    scalar(k));
		join(c->key, sizeof(c->key), parent, "", "");
		c->line = config_node_line(k);
		if (note(c, parse_pool(c, pc, scalar(k),
		    config_node_value(pools, i), parent)) < 0)
			return -1;
	}
	return 0;
}

static int
parse_default_pool(struct ctx *c, struct proxyconf *pc,
    const struct config_node *dpool)
{
	enter(c, "dns_proxy", "default_pool", dpool);
	if (want_scalar(c, dpool) < 0)
		return -1;
	if (*scalar(dpool) != '\0' &&
	    (pc->default_pool = find_pool(pc, scalar(dpool))) < 0)
		return fail(c, "unknown pool \"%s\"", scalar(dpool));
	return 0;
}

/* What the dns_proxy section is read into. */
struct load {
	struct ctx	 c;
	struct proxyconf *pc;
	int		 present;	/* the file has the section */
};

/* The dns_proxy section, called by config.c while it reads the file. */
static int
parse_section(const struct config_node *sect, const char *file,
    struct config *cfg, void *arg, char *err, size_t errlen)
{
	struct load *ld = arg;
	struct ctx *c = &ld->c;
	struct proxyconf *pc = ld->pc;
	struct later l = { NULL, NULL, NULL };
	size_t i;

	c->file = file != NULL ? file : "environment";
	c->unknown = &cfg->unknown;
	if (sect == NULL && c->faults != NULL)
		return 0;	/* a check: no dns-proxy to check */
	if (sect == NULL) {
		err_set(err, errlen, "%s: no dns_proxy section", c->file);
		return -1;
	}
	ld->present = 1;
	snprintf(c->key, sizeof(c->key), "dns_proxy");
	c->line = config_node_line(sect);
	if (!is_kind(sect, CONFIG_MAP))
		return note(c, fail(c, "expected a mapping"));
	for (i = 0; i < config_node_count(sect); i++)
		if (note(c, parse_key(c, pc, scalar(config_node_key(sect, i)),
		    config_node_value(sect, i), &l)) < 0)
			return -1;
	if (l.pools != NULL && note(c, parse_pools(c, pc, l.pools)) < 0)
		return -1;
	if (pc->npools == 0) {
		snprintf(c->key, sizeof(c->key), "dns_proxy.pools");
		c->line = config_node_line(sect);
		if (note(c, fail(c, "at least one pool with a backend is "
		    "needed")) < 0)
			return -1;
	}
	if (l.routes != NULL) {
		enter(c, "dns_proxy", "routes", l.routes);
		if (note(c, parse_routes(c, pc, l.routes)) < 0)
			return -1;
	}
	if (l.dpool != NULL)
		return note(c, parse_default_pool(c, pc, l.dpool));
	if (pc->npools == 1)
		pc->default_pool = 0;
	return 0;
}

/* Health checks of a pool default to the SOA of its first route. */
static void
default_check_names(struct proxyconf *pc)
{
	struct proxyconf_backend *b;
	size_t i, j;

	for (i = 0; i < pc->nbackends; i++) {
		b = &pc->backends[i];
		if (b->check.name[0] != '\0')
			continue;
		strcpy(b->check.name, ".");
		for (j = 0; j < pc->nroutes; j++)
			if (pc->routes[j].pool == b->pool) {
				dnsmsg_name_to_text(pc->routes[j].suffix,
				    b->check.name, sizeof(b->check.name));
				break;
			}
	}
}

int
proxyconf_load(const char *path, struct proxyconf *pc, char *err,
    size_t errlen)
{
	struct config *cfg;
	struct load ld;
	int r = -1;

	defaults(pc);
	memset(&ld, 0, sizeof(ld));
	ld.c.err = err;
	ld.c.errlen = errlen;
	ld.c.file = path;
	ld.pc = pc;
	snprintf(pc->path, sizeof(pc->path), "%s", path);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		err_set_sys(err, errlen, "unable to allocate");
		return -1;
	}
	if (config_load_section(cfg, path, "dns_proxy", parse_section, &ld,
	    err, errlen) < 0)
		goto out;
	pc->unknown = cfg->unknown;
	if (apply_env(&ld.c, pc) < 0)
		goto out;
	default_check_names(pc);
	if (pc->nlisten == 0) {
		err_set(err, errlen, "%s: dns_proxy.listen: no address", path);
		goto out;
	}
	if (pc->ntls + pc->ndoh > 0 && (pc->tls_cert[0] == '\0' ||
	    pc->tls_key[0] == '\0')) {
		err_set(err, errlen, "%s: dns_proxy.tls_cert, tls_key: needed "
		    "by tls_listen and doh_listen", path);
		goto out;
	}
	r = 0;
out:
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	return r;
}

int
proxyconf_check(const char *path, struct config *cfg, struct proxyconf *pc,
    struct config_faults *f)
{
	struct load ld;
	char err[512];

	defaults(pc);
	memset(&ld, 0, sizeof(ld));
	err[0] = '\0';
	ld.c.err = err;
	ld.c.errlen = sizeof(err);
	ld.c.faults = f;
	ld.pc = pc;
	if ((path = config_find(path)) != NULL)
		snprintf(pc->path, sizeof(pc->path), "%s", path);
	ld.c.file = path;
	/* config_check() clears f: the section's faults come in later. */
	(void)config_check(cfg, path, "dns_proxy", parse_section, &ld, f);
	if (!ld.present || f->stopped)
		return 0;
	ld.c.faults = f;
	(void)apply_env(&ld.c, pc);
	default_check_names(pc);
	if (pc->nlisten == 0)
		config_fault_add(f, "%s: dns_proxy.listen: no address", path);
	if (pc->ntls + pc->ndoh > 0 && (pc->tls_cert[0] == '\0' ||
	    pc->tls_key[0] == '\0'))
		config_fault_add(f, "%s: dns_proxy.tls_cert, tls_key: needed "
		    "by tls_listen and doh_listen", path);
	return 1;
}

void
proxyconf_free(struct proxyconf *pc)
{
	netaddr_acl_free(&pc->acl);
	free(pc->routes);
	pc->routes = NULL;
	pc->nroutes = 0;
}
