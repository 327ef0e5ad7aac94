/* pcache.c -- bounded DNS packet cache with CLOCK eviction and TTL ageing */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "pcache.h"

/* One slot; data holds the key, the answer, then the TTL offsets. */
struct ent {
	uint64_t	 hash;
	uint8_t		*data;
	uint32_t	 next;		/* chain: slot index + 1, 0 ends */
	uint32_t	 expire;	/* monotonic seconds */
	uint32_t	 inserted;
	uint16_t	 klen, alen, nttl;
	uint8_t		 ref, used;
};

struct pcache {
	struct pcache_opts o;
	struct ent	*ent;
	uint32_t	*bucket;	/* slot index + 1, 0 = empty */
	size_t		 cap, nbucket, nused, hand, count;
	uint32_t	 freelist;	/* slot index + 1 */
	struct pcache_stats st;
};

struct pcache *
pcache_new(size_t entries, const struct pcache_opts *o)
{
	struct pcache *c;

	if (entries == 0 || entries > 0x7fffffff) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->o = *o;
	if (c->o.max_size == 0 || c->o.max_size > 65535)
		c->o.max_size = 4096;
	c->cap = entries;
	for (c->nbucket = 64; c->nbucket < entries; c->nbucket <<= 1)
		;
	c->ent = calloc(entries, sizeof(*c->ent));
	c->bucket = calloc(c->nbucket, sizeof(*c->bucket));
	if (c->ent == NULL || c->bucket == NULL) {
		pcache_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void
pcache_free(struct pcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->ent != NULL)
		for (i = 0; i < c->nused; i++)
			free(c->ent[i].data);
	free(c->ent);
	free(c->bucket);
	free(c);
}

static void
unlink_slot(struct pcache *c, uint32_t idx)
{
	struct ent *e = &c->ent[idx];
	uint32_t *pp = &c->bucket[e->hash & (c->nbucket - 1)];

	while (*pp != 0 && *pp != idx + 1)
		pp = &c->ent[*pp - 1].next;
	if (*pp == idx + 1)
		*pp = e->next;
	free(e->data);
	e->data = NULL;
	e->used = 0;
	e->next = c->freelist;
	c->freelist = idx + 1;
	c->count--;
}

static struct ent *
find(struct pcache *c, uint64_t hash, const uint8_t *key, size_t klen,
    uint32_t *idxp)
{
	uint32_t i = c->bucket[hash & (c->nbucket - 1)];
	struct ent *e;

	while (i != 0) {
		e = &c->ent[i - 1];
		if (e->hash == hash && e->klen == klen &&
		    memcmp(e->data, key, klen) == 0) {
			*idxp = i - 1;
			return e;
		}
		i = e->next;
	}
	return NULL;
}

/* Copy the answer of e to out with its TTLs aged to now, or all set to
 * stale when it is not 0. */
static int
copy_out(struct ent *e, uint32_t now, uint32_t stale, uint8_t *out)
{
	const uint8_t *ttl;
	uint32_t age, v;
	uint16_t off;
	size_t i;

	memcpy(out, e->data + e->klen, e->alen);
	age = now - e->inserted;
	if (age == 0 && stale == 0)
		return e->alen;
	ttl = e->data + e->klen + e->alen;
	for (i = 0; i < e->nttl; i++) {
		memcpy(&off, ttl + 2 * i, 2);
		v = (uint32_t)out[off] << 24 | (uint32_t)out[off + 1] << 16 |
		    (uint32_t)out[off + 2] << 8 | out[off + 3];
		v = stale != 0 ? stale : v > age ? v - age : 0;
		out[off] = v >> 24;
		out[off + 1] = v >> 16;
		out[off + 2] = v >> 8;
		out[off + 3] = v;
	}
	return e->alen;
}

int
pcache_get(struct pcache *c, uint64_t hash, const uint8_t *key, size_t klen,
    uint32_t now, uint8_t *out, size_t cap)
{
	struct ent *e;
	uint32_t idx;

	if ((e = find(c, hash, key, klen, &idx)) == NULL) {
		c->st.misses++;
		return 0;
	}
	if ((int32_t)(e->expire - now) <= 0) {
		/* Kept for pcache_get_stale() a while. */
		if (now - e->expire >= c->o.max_stale) {
			unlink_slot(c, idx);
			c->st.expired++;
		}
		c->st.misses++;
		return 0;
	}
	if (e->alen > cap)
		return -1;
	e->ref = 1;
	c->st.hits++;
	return copy_out(e, now, 0, out);
}

int
pcache_get_stale(struct pcache *c, uint64_t hash, const uint8_t *key,
    size_t klen, uint32_t now, uint32_t ttl, uint8_t *out, size_t cap)
{
	struct ent *e;
	uint32_t idx;

	if ((e = find(c, hash, key, klen, &idx)) == NULL)
		return 0;
	if ((int32_t)(e->expire - now) > 0)
		ttl = 0;	/* fresh after all: aged as usual */
	else if (now - e->expire >= c->o.max_stale)
		return 0;
	if (e->alen > cap)
		return -1;
	c->st.stale++;
	return copy_out(e, now, ttl, out);
}

/* A free slot: the free list, a never used one, or a CLOCK victim. */
static uint32_t
take_slot(struct pcache *c)
{
	uint32_t idx;

	if (c->freelist != 0) {
		idx = c->freelist - 1;
		c->freelist = c->ent[idx].next;
		return idx;
	}
	if (c->nused < c->cap)
		return (uint32_t)c->nused++;
	for (;;) {
		idx = (uint32_t)c->hand;
		c->hand = (c->hand + 1) % c->cap;
		if (!c->ent[idx].used)
			continue;
		if (c->ent[idx].ref) {
			c->ent[idx].ref = 0;
			continue;
		}
		unlink_slot(c, idx);
		c->st.evictions++;
		/* unlink_slot pushed it on the free list. */
		c->freelist = c->ent[idx].next;
		return idx;
	}
}

int
pcache_put(struct pcache *c, uint64_t hash, const uint8_t *key, size_t klen,
    const uint8_t *ans, size_t len, const struct dnsmsg *m, uint32_t now)
{
	struct dnsmsg_ttls t;
	const char *why;
	struct ent *e;
	uint32_t ttl, idx;
	uint8_t *data;
	int rcode = DNSMSG_RCODE(m->flags);

	if ((m->flags & DNSMSG_TC) || len > c->o.max_size ||
	    dnsmsg_scan(ans, len, m, &t, &why) < 0 || t.sig)
		goto no;
	if (rcode == DNSMSG_SERVFAIL || rcode == DNSMSG_REFUSED) {
		ttl = c->o.temp_fail_ttl;
	} else if (rcode == DNSMSG_NXDOMAIN ||
	    (rcode == DNSMSG_NOERROR && m->ancount == 0)) {
		if (!t.has_soa)
			goto no;
		ttl = t.soa_min;
		if (ttl > c->o.max_neg_ttl)
			ttl = c->o.max_neg_ttl;
	} else if (rcode == DNSMSG_NOERROR) {
		ttl = t.min_ttl;
		if (ttl < c->o.min_ttl)
			goto no;
	} else
		goto no;
	if (ttl > c->o.max_ttl)
		ttl = c->o.max_ttl;
	if (ttl == 0)
		goto no;
	if ((data = malloc(klen + len + 2 * (size_t)t.n)) == NULL)
		goto no;
	memcpy(data, key, klen);
	memcpy(data + klen, ans, len);
	/* Only the OPT record, the last one, shrinks: the TTL offsets
	 * (never inside it) stay valid. */
	if (dnsmsg_strip_opts(data + klen, &len, m) < 0) {
		free(data);
		goto no;
	}
	memcpy(data + klen + len, t.off, 2 * (size_t)t.n);
	if ((e = find(c, hash, key, klen, &idx)) != NULL) {
		free(e->data);
	} else {
		idx = take_slot(c);
		e = &c->ent[idx];
		e->hash = hash;
		e->next = c->bucket[hash & (c->nbucket - 1)];
		c->bucket[hash & (c->nbucket - 1)] = idx + 1;
		e->used = 1;
		c->count++;
	}
	e->data = data;
	e->klen = (uint16_t)klen;
	e->alen = (uint16_t)len;
	e->nttl = t.n;
	e->inserted = now;
	e->expire = now + ttl;
	e->ref = 0;
	c->st.inserts++;
	return 1;
no:
	c->st.uncacheable++;
	return 0;
}

void
pcache_clear(struct pcache *c)
{
	size_t i;

	for (i = 0; i < c->nused; i++)
		free(c->ent[i].data);
	memset(c->ent, 0, c->nused * sizeof(*c->ent));
	memset(c->bucket, 0, c->nbucket * sizeof(*c->bucket));
	c->nused = c->hand = c->count = 0;
	c->freelist = 0;
}

void
pcache_get_stats(const struct pcache *c, struct pcache_stats *st)
{
	*st = c->st;
	st->entries = c->count;
	st->capacity = c->cap;
}
