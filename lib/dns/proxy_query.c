/* proxy_query.c -- dns-proxy's query pipeline, shared by UDP and TCP:
 * ACL, rules, rate limit, suffix routing, cache, backend choice */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"
#include "ratelimit.h"

struct route_ent {
	uint64_t	 hash;
	const struct proxyconf_route *r;
};

/* Open addressing on the hash of each route suffix. */
static struct route_ent *rtab;
static size_t rmask;

void
routes_build(void)
{
	size_t i, n, j;

	free(rtab);
	rtab = NULL;
	for (n = 16; n < px.conf->nroutes * 2; n <<= 1)
		;
	if ((rtab = calloc(n, sizeof(*rtab))) == NULL)
		die(EXIT_TEMP, "out of memory");
	rmask = n - 1;
	for (i = 0; i < px.conf->nroutes; i++) {
		uint64_t h = dnsmsg_hash(px.conf->routes[i].suffix,
		    px.conf->routes[i].len, 0);

		for (j = h & rmask; rtab[j].r != NULL; j = (j + 1) & rmask)
			;
		rtab[j].hash = h;
		rtab[j].r = &px.conf->routes[i];
	}
}

/* The pool of the longest route suffix of the case-folded name key. */
static int
route(const uint8_t *key, size_t nlen)
{
	size_t off = 0, j;
	uint64_t h;

	if (px.conf->nroutes == 0)
		return px.conf->default_pool;
	for (;;) {
		h = dnsmsg_hash(key + off, nlen - off, 0);
		for (j = h & rmask; rtab[j].r != NULL; j = (j + 1) & rmask)
			if (rtab[j].hash == h && rtab[j].r->len == nlen - off &&
			    memcmp(rtab[j].r->suffix, key + off,
			    nlen - off) == 0)
				return rtab[j].r->pool;
		if (key[off] == 0)
			break;
		off += key[off] + 1;
	}
	return px.conf->default_pool;
}

size_t
proxy_reply(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *out,
    int rcode, int tc)
{
	/* RA stays clear: the frontend itself recurses for nobody. */
	size_t n = dnsmsg_reply(pkt, m, out, BUFSZ, rcode, tc, 0);

	count_rcode(out);
	return n;
}

/* What the CHAOS, ANY and QPS rules do to the query m, counted. */
static enum proxyconf_action
rule_action(const struct dnsmsg *m, const union netaddr_sa *client, int tcp)
{
	enum proxyconf_action a = PROXYCONF_ALLOW;

	if (m->qclass == DNSMSG_C_CH &&
	    px.conf->chaos_action != PROXYCONF_ALLOW) {
		a = px.conf->chaos_action;
		px.ws->c[a == PROXYCONF_DROP ? C_DROP_CHAOS : C_REF_CHAOS]++;
	} else if (m->qtype == DNSMSG_T_ANY &&
	    px.conf->any_action != PROXYCONF_ALLOW) {
		a = px.conf->any_action;
		/* Over TCP a truncated answer means nothing: let it pass. */
		if (a == PROXYCONF_TC && tcp)
			a = PROXYCONF_ALLOW;
		else
			px.ws->c[a == PROXYCONF_DROP ? C_DROP_ANY :
			    a == PROXYCONF_TC ? C_TC_ANY : C_REF_ANY]++;
	}
	if (a == PROXYCONF_ALLOW && px.rl != NULL &&
	    !ratelimit_take(px.rl, netaddr_client_key(client), px.now_ms)) {
		a = px.conf->qps_action;
		if (a == PROXYCONF_TC && tcp)
			a = PROXYCONF_DROP;
		px.ws->c[a == PROXYCONF_DROP ? C_DROP_QPS :
		    a == PROXYCONF_TC ? C_TC_QPS : C_REF_QPS]++;
	}
	return a;
}

/* Run the rules on the query pkt from client. Returns V_DROP, V_ANSWER
 * with the answer in out (*outlen bytes), or V_FORWARD with qc filled. */
int
proxy_process(const uint8_t *pkt, size_t len,
    const union netaddr_sa *client, int tcp, uint8_t *out, size_t *outlen,
    struct qctx *qc)
{
	struct dnsmsg *m = &qc->m;
	const char *why;
	int pool, a;

	px.ws->c[C_Q_UDP + tcp]++;	/* tcp: PR_* */
	/* Dynamic blocks before any parsing: a flood costs little. */
	a = guard_on ? guard_block(client, tcp) : PROXYCONF_ALLOW;
	if (a == PROXYCONF_DROP)
		return V_DROP;
	/* The ACL first: outsiders get nothing but REFUSED, if that. */
	if (!netaddr_acl_match(&px.conf->acl, client)) {
		if (px.conf->acl_action == PROXYCONF_DROP ||
		    dnsmsg_parse(pkt, len, m, &why) < 0 ||
		    (m->flags & DNSMSG_QR)) {
			px.ws->c[C_DROP_ACL]++;
			return V_DROP;
		}
		px.ws->c[C_REF_ACL]++;
		*outlen = proxy_reply(pkt, m, out, DNSMSG_REFUSED, 0);
		return V_ANSWER;
	}
	if (dnsmsg_parse(pkt, len, m, &why) < 0) {
		/* Answer FORMERR (header only, never larger than the query)
		 * to what looks like a query; never answer responses or
		 * scraps. */
		if (len < DNSMSG_HDR || (pkt[2] & 0x80)) {
			px.ws->c[C_DROP_MALFORMED]++;
			return V_DROP;
		}
		memcpy(out, pkt, 4);
		out[2] = (pkt[2] & 0x79) | 0x80;
		out[3] = DNSMSG_FORMERR;
		memset(out + 4, 0, 8);
		*outlen = DNSMSG_HDR;
		px.ws->c[C_A_FORMERR]++;
		return V_ANSWER;
	}
	if (m->flags & DNSMSG_QR) {
		px.ws->c[C_DROP_MALFORMED]++;
		return V_DROP;
	}
	if (DNSMSG_OPCODE(m->flags) != 0) {
		*outlen = proxy_reply(pkt, m, out, DNSMSG_NOTIMP, 0);
		return V_ANSWER;
	}
	if (guard_on && a == PROXYCONF_ALLOW)
		guard_query(pkt, len, m, client, tcp);
	if (a == PROXYCONF_ALLOW)
		a = (int)rule_action(m, client, tcp);
	switch (a) {
	case PROXYCONF_ALLOW:
		break;
	case PROXYCONF_DROP:
		return V_DROP;
	case PROXYCONF_REFUSE:
		*outlen = proxy_reply(pkt, m, out, DNSMSG_REFUSED, 0);
		return V_ANSWER;
	case PROXYCONF_TC:
		*outlen = proxy_reply(pkt, m, out, DNSMSG_NOERROR, 1);
		return V_ANSWER;
	}
	qc->klen = dnsmsg_key(pkt, m, qc->key);
	if ((pool = route(qc->key, m->qname_len)) < 0) {
		px.ws->c[C_REF_NOROUTE]++;
		*outlen = proxy_reply(pkt, m, out, DNSMSG_REFUSED, 0);
		return V_ANSWER;
	}
	qc->pool = &px.pools[pool];
	qc->hash = dnsmsg_hash(qc->key, qc->klen, px.hash_seed);
	if (qc->pool->cache != NULL &&
	    cache_answer(pkt, tcp, out, outlen, qc))
		return V_ANSWER;
	if ((qc->b = backend_pick(qc->pool, qc->key, m->qname_len)) == NULL) {
		if (guard_stale(pkt, tcp, out, outlen, qc))
			return V_ANSWER;
		px.ws->c[C_SF_NOBACKEND]++;
		*outlen = proxy_reply(pkt, m, out, DNSMSG_SERVFAIL, 0);
		return V_ANSWER;
	}
	return V_FORWARD;
}
