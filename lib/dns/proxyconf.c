/* proxyconf.c -- the dns_proxy section of app.yml, with DADNS_DNS_PROXY_* */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "proxyconf.h"

/* Parsing context: where we are, for messages. */
struct ctx {
	const char	*file;
	yaml_document_t	*doc;
	char		*err;
	size_t		 errlen;
	char		 key[256];	/* dotted path of the current key */
	unsigned long	 line;		/* 1-based, 0 = environment */
	const char	*env;		/* variable name when from the env */
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

static yaml_node_t *
node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *
scalar(yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
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
enter(struct ctx *c, const char *parent, const char *key, yaml_node_t *n)
{
	join(c->key, sizeof(c->key), parent, ".", key);
	c->line = n->start_mark.line + 1;
}

static int
want_scalar(struct ctx *c, yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, "expected a single value");
	return 0;
}

/* A list given as a sequence of scalars or as one comma-separated scalar. */
static int
each_item(struct ctx *c, struct proxyconf *pc, yaml_node_t *n,
    int (*fn)(struct ctx *, struct proxyconf *, const char *))
{
	yaml_node_item_t *it;
	yaml_node_t *e;

	if (n->type == YAML_SCALAR_NODE)
		return each_word(c, pc, scalar(n), fn);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, "expected a list");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		e = node(c, *it);
		c->line = e->start_mark.line + 1;
		if (want_scalar(c, e) < 0 || fn(c, pc, scalar(e)) < 0)
			return -1;
	}
	return 0;
}

/* ---- scalar keys of dns_proxy (shared by YAML and environment) ---- */

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
	return 1;	/* not a scalar key */
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
	"tcp_backend_idle_timeout", "default_pool", NULL
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
parse_check(struct ctx *c, yaml_node_t *n, struct proxyconf_check *ck)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	char parent[256];
	const char *key;
	int t;

	join(parent, sizeof(parent), c->key, "", "");
	if (n->type == YAML_SCALAR_NODE) {
		if (parse_bool(c, scalar(n), &ck->enabled) < 0)
			return -1;
		ck->set |= 1;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, "expected a mapping");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(c, p->key);
		v = node(c, p->value);
		key = scalar(k);
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
			return fail(c, "unknown key");
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
parse_backend(struct ctx *c, struct proxyconf *pc, int pool, yaml_node_t *n,
    const char *parent)
{
	struct proxyconf_backend *b;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
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
	if (n->type == YAML_SCALAR_NODE) {
		/* Short form: just the address. */
		if (copy_str(c, scalar(n), b->address,
		    sizeof(b->address)) < 0)
			return -1;
	} else if (n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			k = node(c, p->key);
			v = node(c, p->value);
			key = scalar(k);
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
				return fail(c, "unknown key");
		}
	} else
		return fail(c, "expected an address or a mapping");
	join(c->key, sizeof(c->key), parent, ".", "address");
	c->line = n->start_mark.line + 1;
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

static int
parse_pool(struct ctx *c, struct proxyconf *pc, const char *name,
    yaml_node_t *n, const char *parent)
{
	struct proxyconf_pool *pl;
	yaml_node_pair_t *p, *q;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *ck, *cv;
	char bparent[256], cparent[256];
	const char *key;
	size_t first, i, idx;
	unsigned long ul;
	int pool;

	if (pc->npools == PROXYCONF_POOLS_MAX)
		return fail(c, "more than %d pools", PROXYCONF_POOLS_MAX);
	if (find_pool(pc, name) >= 0)
		return fail(c, "duplicate pool");
	pool = (int)pc->npools;
	pl = &pc->pools[pc->npools++];
	memset(pl, 0, sizeof(*pl));
	if (copy_str(c, name, pl->name, sizeof(pl->name)) < 0)
		return -1;
	pl->policy = PROXYCONF_LEAST_OUTSTANDING;
	pl->cache_entries = 100000;
	pl->copts.max_ttl = 86400;
	pl->copts.min_ttl = 0;
	pl->copts.temp_fail_ttl = 60;
	pl->copts.max_neg_ttl = 3600;
	pl->copts.max_size = 4096;
	pl->check.enabled = 1;
	pl->check.type = DNSMSG_T_SOA;
	pl->check.interval_ms = 1000;
	pl->check.timeout_ms = 1000;
	pl->check.fall = 3;
	pl->check.rise = 2;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, "expected a mapping");
	first = pc->nbackends;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(c, p->key);
		v = node(c, p->value);
		key = scalar(k);
		enter(c, parent, key, v);
		if (strcmp(key, "policy") == 0) {
			if (want_scalar(c, v) < 0)
				return -1;
			if (strcasecmp(scalar(v), "leastOutstanding") == 0 ||
			    strcasecmp(scalar(v), "least_outstanding") == 0)
				pl->policy = PROXYCONF_LEAST_OUTSTANDING;
			else if (strcasecmp(scalar(v), "firstAvailable") == 0 ||
			    strcasecmp(scalar(v), "first_available") == 0)
				pl->policy = PROXYCONF_FIRST_AVAILABLE;
			else if (strcasecmp(scalar(v), "wrandom") == 0)
				pl->policy = PROXYCONF_WRANDOM;
			else if (strcasecmp(scalar(v), "chashed") == 0)
				pl->policy = PROXYCONF_CHASHED;
			else
				return fail(c, "unknown policy \"%s\"",
				    scalar(v));
		} else if (strcmp(key, "check") == 0) {
			if (parse_check(c, v, &pl->check) < 0)
				return -1;
		} else if (strcmp(key, "cache") == 0) {
			pl->cache = 1;
			if (v->type == YAML_SCALAR_NODE) {
				if (parse_bool(c, scalar(v), &pl->cache) < 0)
					return -1;
				continue;
			}
			if (v->type != YAML_MAPPING_NODE)
				return fail(c, "expected a mapping or a "
				    "boolean");
			join(cparent, sizeof(cparent), c->key, "", "");
			for (q = v->data.mapping.pairs.start;
			    q < v->data.mapping.pairs.top; q++) {
				ck = node(c, q->key);
				cv = node(c, q->value);
				enter(c, cparent, scalar(ck), cv);
				if (want_scalar(c, cv) < 0)
					return -1;
				key = scalar(ck);
				if (strcmp(key, "enabled") == 0) {
					if (parse_bool(c, scalar(cv),
					    &pl->cache) < 0)
						return -1;
				} else if (strcmp(key, "entries") == 0) {
					if (parse_uint(c, scalar(cv), 1,
					    1 << 26, &ul) < 0)
						return -1;
					pl->cache_entries = ul;
				} else if (strcmp(key, "max_ttl") == 0) {
					if (parse_u(c, scalar(cv), 1,
					    0x7fffffff, &pl->copts.max_ttl) < 0)
						return -1;
				} else if (strcmp(key, "min_ttl") == 0) {
					if (parse_u(c, scalar(cv), 0,
					    0x7fffffff, &pl->copts.min_ttl) < 0)
						return -1;
				} else if (strcmp(key,
				    "temporary_failure_ttl") == 0) {
					if (parse_u(c, scalar(cv), 0,
					    0x7fffffff,
					    &pl->copts.temp_fail_ttl) < 0)
						return -1;
				} else if (strcmp(key, "max_negative_ttl") ==
				    0) {
					if (parse_u(c, scalar(cv), 0,
					    0x7fffffff,
					    &pl->copts.max_neg_ttl) < 0)
						return -1;
				} else if (strcmp(key, "max_size") == 0) {
					if (parse_u(c, scalar(cv), 512, 4096,
					    &pl->copts.max_size) < 0)
						return -1;
				} else
					return fail(c, "unknown key");
			}
		} else if (strcmp(key, "backends") != 0)
			return fail(c, "unknown key");
	}
	/* Backends after the pool-level keys, which they inherit. */
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(c, p->key);
		v = node(c, p->value);
		if (strcmp(scalar(k), "backends") != 0)
			continue;
		enter(c, parent, "backends", v);
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(c, "expected a list");
		for (it = v->data.sequence.items.start, idx = 0;
		    it < v->data.sequence.items.top; it++, idx++) {
			char num[32];

			snprintf(num, sizeof(num), "[%zu]", idx);
			join(bparent, sizeof(bparent), parent, ".backends",
			    num);
			c->line = node(c, *it)->start_mark.line + 1;
			join(c->key, sizeof(c->key), bparent, "", "");
			if (parse_backend(c, pc, pool, node(c, *it),
			    bparent) < 0)
				return -1;
		}
	}
	for (i = first; i < pc->nbackends; i++)
		inherit_check(&pc->backends[i].check, &pl->check);
	if (first == pc->nbackends) {
		enter(c, parent, "backends", n);
		return fail(c, "a pool needs at least one backend");
	}
	return 0;
}

static int
parse_routes(struct ctx *c, struct proxyconf *pc, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	struct proxyconf_route *r;
	size_t cnt;
	int len, pool;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, "expected a mapping of domain suffix to pool");
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if ((pc->routes = calloc(cnt + 1, sizeof(*pc->routes))) == NULL)
		return fail(c, "out of memory");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(c, p->key);
		v = node(c, p->value);
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
}

static const char *
env_get(const char *key, char *name, size_t size)
{
	const char *v;
	size_t i, o;

	/* Documented form: DADNS_DNS_PROXY_QPS_LIMIT. */
	o = (size_t)snprintf(name, size, "DADNS_DNS_PROXY_");
	for (i = 0; key[i] != '\0' && o + 1 < size; i++)
		name[o++] = (char)toupper((unsigned char)key[i]);
	name[o] = '\0';
	if ((v = getenv(name)) != NULL)
		return v;
	/* Dotted form, as directdnsonly's config library looked it up. */
	o = (size_t)snprintf(name, size, "DADNS.DNS_PROXY.");
	for (i = 0; key[i] != '\0' && o + 1 < size; i++)
		name[o++] = (char)toupper((unsigned char)key[i]);
	name[o] = '\0';
	return getenv(name);
}

static int
apply_env(struct ctx *c, struct proxyconf *pc)
{
	char name[128];
	const char *v;
	size_t i;
	int r;

	for (i = 0; env_keys[i] != NULL; i++) {
		if ((v = env_get(env_keys[i], name, sizeof(name))) == NULL)
			continue;
		c->env = name;
		if (strcmp(env_keys[i], "default_pool") == 0) {
			if (*v == '\0')
				pc->default_pool = -1;
			else if ((pc->default_pool = find_pool(pc, v)) < 0)
				return fail(c, "unknown pool \"%s\"", v);
			continue;
		}
		if ((r = set_top(c, pc, env_keys[i], v)) != 0)
			return -1;
	}
	c->env = NULL;
	return 0;
}

const char *
proxyconf_find(const char *path)
{
	static const char *const search[] = {
		"/etc/directdnsonly/app.yml", "./app.yml", "./config/app.yml",
		NULL
	};
	const char *e;
	size_t i;

	if (path != NULL)
		return path;
	if ((e = getenv("DADNS_CONFIG")) != NULL && *e != '\0')
		return e;
	for (i = 0; search[i] != NULL; i++)
		if (access(search[i], R_OK) == 0)
			return search[i];
	return NULL;
}

int
proxyconf_load(const char *path, struct proxyconf *pc, char *err,
    size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *k, *v, *sect = NULL, *pools = NULL, *routes = NULL;
	yaml_node_t *dpool = NULL;
	yaml_node_pair_t *p;
	struct ctx c;
	const char *key;
	FILE *fp;
	int r = -1, rc;

	defaults(pc);
	memset(&c, 0, sizeof(c));
	c.file = path;
	c.err = err;
	c.errlen = errlen;
	c.doc = &doc;
	snprintf(pc->path, sizeof(pc->path), "%s", path);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "unable to open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: %s", path,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && root->type == YAML_MAPPING_NODE) {
		for (p = root->data.mapping.pairs.start;
		    p < root->data.mapping.pairs.top; p++) {
			k = node(&c, p->key);
			if (k->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(k), "dns_proxy") == 0)
				sect = node(&c, p->value);
		}
	}
	if (sect == NULL) {
		snprintf(err, errlen, "%s: no dns_proxy section", path);
		goto out;
	}
	snprintf(c.key, sizeof(c.key), "dns_proxy");
	c.line = sect->start_mark.line + 1;
	if (sect->type != YAML_MAPPING_NODE) {
		fail(&c, "expected a mapping");
		goto out;
	}
	for (p = sect->data.mapping.pairs.start;
	    p < sect->data.mapping.pairs.top; p++) {
		k = node(&c, p->key);
		v = node(&c, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			fail(&c, "keys must be words");
			goto out;
		}
		key = scalar(k);
		enter(&c, "dns_proxy", key, v);
		if (strcmp(key, "pools") == 0) {
			pools = v;
			continue;
		}
		if (strcmp(key, "routes") == 0) {
			routes = v;
			continue;
		}
		if (strcmp(key, "default_pool") == 0) {
			dpool = v;
			continue;
		}
		if (strcmp(key, "listen") == 0 || strcmp(key, "acl") == 0) {
			if (key[0] == 'l')
				pc->nlisten = 0;
			else
				pc->acl.n = 0;
			if (each_item(&c, pc, v, key[0] == 'l' ? add_listen :
			    add_acl) < 0)
				goto out;
			continue;
		}
		if (strcmp(key, "tcp") == 0 && v->type == YAML_MAPPING_NODE) {
			yaml_node_pair_t *q;
			char tk[128];

			for (q = v->data.mapping.pairs.start;
			    q < v->data.mapping.pairs.top; q++) {
				k = node(&c, q->key);
				enter(&c, "dns_proxy.tcp", scalar(k),
				    node(&c, q->value));
				snprintf(tk, sizeof(tk), "tcp_%s", scalar(k));
				if (want_scalar(&c, node(&c, q->value)) < 0)
					goto out;
				rc = set_top(&c, pc, tk,
				    scalar(node(&c, q->value)));
				if (rc < 0)
					goto out;
				if (rc > 0) {
					fail(&c, "unknown key");
					goto out;
				}
			}
			continue;
		}
		if (v->type != YAML_SCALAR_NODE) {
			fail(&c, "expected a single value");
			goto out;
		}
		if ((rc = set_top(&c, pc, key, scalar(v))) < 0)
			goto out;
		if (rc > 0) {
			fail(&c, "unknown key");
			goto out;
		}
	}
	if (pools != NULL) {
		enter(&c, "dns_proxy", "pools", pools);
		if (pools->type != YAML_MAPPING_NODE) {
			fail(&c, "expected a mapping of pool names");
			goto out;
		}
		for (p = pools->data.mapping.pairs.start;
		    p < pools->data.mapping.pairs.top; p++) {
			char parent[256];

			k = node(&c, p->key);
			v = node(&c, p->value);
			join(parent, sizeof(parent), "dns_proxy.pools", ".",
			    scalar(k));
			join(c.key, sizeof(c.key), parent, "", "");
			c.line = k->start_mark.line + 1;
			if (parse_pool(&c, pc, scalar(k), v, parent) < 0)
				goto out;
		}
	}
	if (pc->npools == 0) {
		snprintf(c.key, sizeof(c.key), "dns_proxy.pools");
		c.line = sect->start_mark.line + 1;
		fail(&c, "at least one pool with a backend is needed");
		goto out;
	}
	if (routes != NULL) {
		enter(&c, "dns_proxy", "routes", routes);
		if (parse_routes(&c, pc, routes) < 0)
			goto out;
	}
	if (dpool != NULL) {
		enter(&c, "dns_proxy", "default_pool", dpool);
		if (want_scalar(&c, dpool) < 0)
			goto out;
		if (*scalar(dpool) != '\0' &&
		    (pc->default_pool = find_pool(pc, scalar(dpool))) < 0) {
			fail(&c, "unknown pool \"%s\"", scalar(dpool));
			goto out;
		}
	} else if (pc->npools == 1)
		pc->default_pool = 0;
	if (apply_env(&c, pc) < 0)
		goto out;
	/* Health checks of a pool default to the SOA of its first route. */
	{
		size_t i, j;

		for (i = 0; i < pc->nbackends; i++) {
			struct proxyconf_backend *b = &pc->backends[i];

			if (b->check.name[0] != '\0')
				continue;
			strcpy(b->check.name, ".");
			for (j = 0; j < pc->nroutes; j++)
				if (pc->routes[j].pool == b->pool) {
					dnsmsg_name_to_text(pc->routes[j].suffix,
					    b->check.name,
					    sizeof(b->check.name));
					break;
				}
		}
	}
	if (pc->nlisten == 0) {
		snprintf(err, errlen, "%s: dns_proxy.listen: no address", path);
		goto out;
	}
	r = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(fp);
	return r;
}

void
proxyconf_free(struct proxyconf *pc)
{
	netaddr_acl_free(&pc->acl);
	free(pc->routes);
	pc->routes = NULL;
	pc->nroutes = 0;
}
