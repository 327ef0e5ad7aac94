/* pcache.h -- bounded DNS packet cache with CLOCK eviction and TTL ageing */
/* SPDX-License-Identifier: ISC */
#ifndef PCACHE_H
#define PCACHE_H

#include <stddef.h>
#include <stdint.h>

struct dnsmsg;

struct pcache_opts {
	uint32_t	 max_ttl;	/* keep an entry at most this long */
	uint32_t	 min_ttl;	/* do not cache answers below this TTL */
	uint32_t	 temp_fail_ttl;	/* SERVFAIL/REFUSED; 0 = never cache */
	uint32_t	 max_neg_ttl;	/* cap for NXDOMAIN and NODATA */
	uint32_t	 max_size;	/* largest answer kept, bytes */
	uint32_t	 max_stale;	/* kept that long past expiry, for
					 * pcache_get_stale(); 0 = not */
};

struct pcache_stats {
	uint64_t	 hits, misses, inserts, evictions, expired;
	uint64_t	 uncacheable, stale;
	size_t		 entries, capacity;
};

struct pcache;

/* Allocate a cache of at most entries answers. Memory for slots is
 * reserved up front but touched only as entries fill. Returns NULL with
 * errno set. */
struct pcache *pcache_new(size_t entries, const struct pcache_opts *o);

/* Free the cache and every answer in it; NULL is a no-op. */
void pcache_free(struct pcache *c);

/* Look up key (klen bytes, hash from dnsmsg_hash) at time now (seconds of
 * a monotonic clock). On a hit copy the answer to out with every TTL
 * decremented by its age and return its length; return 0 on a miss and
 * -1 when the answer is larger than cap. The ID and the question name
 * bytes in out are the stored ones: the caller rewrites them. */
int pcache_get(struct pcache *c, uint64_t hash, const uint8_t *key,
    size_t klen, uint32_t now, uint8_t *out, size_t cap);

/* pcache_get() that also takes an entry expired less than max_stale
 * seconds ago, with every TTL set to ttl then (RFC 8767). */
int pcache_get_stale(struct pcache *c, uint64_t hash, const uint8_t *key,
    size_t klen, uint32_t now, uint32_t ttl, uint8_t *out, size_t cap);

/* Store the response ans (len bytes, parsed as m) under key at time now,
 * with a lifetime from its records and the cache options, without the EDNS
 * options that belong to its client (dnsmsg_strip_opts). Returns 1 when
 * stored, 0 when the answer is not cacheable (TC, TTL too short, rcode,
 * size, malformed, ECS scope, TSIG or SIG(0)). Never fails otherwise: a
 * full cache evicts. */
int pcache_put(struct pcache *c, uint64_t hash, const uint8_t *key,
    size_t klen, const uint8_t *ans, size_t len, const struct dnsmsg *m,
    uint32_t now);

/* Drop every entry. */
void pcache_clear(struct pcache *c);

/* Copy the counters and sizes into st. */
void pcache_get_stats(const struct pcache *c, struct pcache_stats *st);

#endif
