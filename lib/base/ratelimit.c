/* ratelimit.c -- per-client token buckets in a fixed-size table */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>

#include "ratelimit.h"

#define PROBE	8	/* slots searched for a key, and for a victim */

struct bucket {
	uint64_t	 key;
	uint64_t	 last;		/* ms of the last refill; 0 = free */
	uint64_t	 milli;		/* tokens x 1000 */
};

struct ratelimit {
	struct bucket	*b;
	size_t		 mask, count;
	uint64_t	 rate;		/* millitokens per ms = tokens per s */
	uint64_t	 max;		/* burst x 1000 */
};

struct ratelimit *
ratelimit_new(size_t slots, uint32_t qps, uint32_t burst)
{
	struct ratelimit *rl;
	size_t n;

	if (qps == 0 || slots == 0 || slots > ((size_t)1 << 28)) {
		errno = EINVAL;
		return NULL;
	}
	for (n = PROBE; n < slots; n <<= 1)
		;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->b = calloc(n, sizeof(*rl->b))) == NULL) {
		free(rl);
		return NULL;
	}
	rl->mask = n - 1;
	rl->rate = qps;
	rl->max = (uint64_t)(burst ? burst : qps) * 1000;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->b);
	free(rl);
}

int
ratelimit_take(struct ratelimit *rl, uint64_t key, uint64_t now_ms)
{
	struct bucket *b, *victim = NULL;
	uint64_t h = key * 0x9e3779b97f4a7c15ULL, m;
	size_t i, idx;

	if (now_ms == 0)
		now_ms = 1;	/* 0 marks a free slot */
	h ^= h >> 31;
	for (i = 0; i < PROBE; i++) {
		idx = (h + i) & rl->mask;
		b = &rl->b[idx];
		if (b->last != 0 && b->key == key)
			goto found;
		if (victim == NULL || b->last < victim->last)
			victim = b;
	}
	/* New client: the least recently refilled (or a free) slot. */
	if (victim->last == 0)
		rl->count++;
	victim->key = key;
	victim->last = now_ms;
	victim->milli = rl->max;
	b = victim;
found:
	if (now_ms > b->last) {
		m = b->milli + (now_ms - b->last) * rl->rate;
		b->milli = m > rl->max ? rl->max : m;
		b->last = now_ms;
	}
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

size_t
ratelimit_count(const struct ratelimit *rl)
{
	return rl->count;
}
