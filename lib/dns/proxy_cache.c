/* proxy_cache.c -- dns-proxy's glue to the pools' packet caches */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "pcache.h"
#include "proxy.h"

int
cache_answer(const uint8_t *pkt, int tcp, uint8_t *out, size_t *outlen,
    struct qctx *qc)
{
	const struct dnsmsg *m = &qc->m;
	size_t max;
	int r;

	r = pcache_get(qc->pool->cache, qc->hash, qc->key, qc->klen,
	    px.now_s, out, BUFSZ);
	if (r <= 0) {
		qc->pool->st->c[N_MISSES]++;
		return 0;
	}
	qc->pool->st->c[N_HITS]++;
	max = tcp ? 65535 : m->edns_size;
	if ((size_t)r > max) {
		px.ws->c[C_TC_SIZE]++;
		*outlen = proxy_reply(pkt, m, out, DNSMSG_NOERROR, 1);
		return 1;
	}
	/* The client's ID and name spelling (0x20). */
	memcpy(out, pkt, 2);
	memcpy(out + DNSMSG_HDR, pkt + DNSMSG_HDR, m->qname_len);
	count_rcode(out);
	*outlen = (size_t)r;
	return 1;
}

void
cache_store(struct backend *b, const uint8_t *ans, size_t len,
    const struct dnsmsg *m, uint8_t kflags)
{
	uint8_t key[DNSMSG_KEY_MAX];
	size_t klen;

	if (b->pool == NULL || b->pool->cache == NULL)
		return;
	klen = dnsmsg_key(ans, m, key);
	key[klen - 1] = kflags;
	pcache_put(b->pool->cache, dnsmsg_hash(key, klen, px.hash_seed), key,
	    klen, ans, len, m, px.now_s);
}

void
pool_stats(struct pool *p)
{
	struct pcache_stats st;

	if (p->cache == NULL)
		return;
	pcache_get_stats(p->cache, &st);
	p->st->c[N_INSERTS] += st.inserts - p->last.inserts;
	p->st->c[N_EVICTIONS] += st.evictions - p->last.evictions;
	p->st->entries = st.entries;
	p->st->capacity = st.capacity;
	p->last = st;
}
