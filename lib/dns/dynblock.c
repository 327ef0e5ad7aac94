/* dynblock.c -- dynamic blocks: per-client rates over a sliding window and
 * a table of expiring blocks shared by the workers */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynblock.h"

/* One client prefix's counters: the current window and the one before. */
struct rent {
	struct dynblock_key k;
	uint64_t	 start_ms;	/* of the current window; 0 = free */
	uint64_t	 cur[DYNBLOCK_N], prev[DYNBLOCK_N];
};

struct dynblock_rate {
	struct rent	*e;
	size_t		 mask;
};

static uint64_t
mix(const struct dynblock_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)k->fam << 8 | k->plen);
	size_t i;

	for (i = 0; i < sizeof(k->a); i++) {
		h ^= k->a[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return h | 1;	/* never 0: 0 means a bad key to callers */
}

static void
mask_bits(uint8_t *a, size_t len, unsigned bits)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (bits >= 8)
			bits -= 8;
		else {
			a[i] &= (uint8_t)(0xff00 >> bits);
			bits = 0;
		}
	}
}

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

uint64_t
dynblock_key(const union netaddr_sa *sa, unsigned v4, unsigned v6,
    struct dynblock_key *k)
{
	const uint8_t *a6;

	memset(k, 0, sizeof(*k));
	if (sa->sa.sa_family == AF_INET6) {
		a6 = sa->sin6.sin6_addr.s6_addr;
		if (memcmp(a6, v4mapped, 12) != 0) {
			k->fam = 6;
			k->plen = (uint8_t)(v6 > 128 ? 128 : v6);
			memcpy(k->a, a6, 16);
			mask_bits(k->a, 16, k->plen);
			return mix(k);
		}
		memcpy(k->a, a6 + 12, 4);
	} else
		memcpy(k->a, &sa->sin.sin_addr, 4);
	k->fam = 4;
	k->plen = (uint8_t)(v4 > 32 ? 32 : v4);
	mask_bits(k->a, 4, k->plen);
	return mix(k);
}

char *
dynblock_key_text(const struct dynblock_key *k, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(k->fam == 4 ? AF_INET : AF_INET6, k->a, a,
	    sizeof(a)) == NULL)
		strcpy(a, "?");
	snprintf(buf, size, "%s/%u", a, k->plen);
	return buf;
}

uint64_t
dynblock_key_parse(const char *s, unsigned v4, unsigned v6,
    struct dynblock_key *k)
{
	char a[INET6_ADDRSTRLEN];
	const char *slash;
	char *end;
	unsigned long plen;
	size_t n;

	memset(k, 0, sizeof(*k));
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(a))
		return 0;
	memcpy(a, s, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, k->a) == 1) {
		k->fam = 4;
		plen = v4 > 32 ? 32 : v4;
	} else if (inet_pton(AF_INET6, a, k->a) == 1) {
		k->fam = 6;
		plen = v6 > 128 ? 128 : v6;
	} else
		return 0;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return 0;
		n = k->fam == 4 ? 32 : 128;
		plen = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || plen > n)
			return 0;
	}
	k->plen = (uint8_t)plen;
	mask_bits(k->a, 16, k->plen);
	return mix(k);
}

struct dynblock_rate *
dynblock_rate_new(size_t entries)
{
	struct dynblock_rate *r;
	size_t n;

	for (n = 16; n < entries && n < ((size_t)1 << 26); n <<= 1)
		;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->e = calloc(n, sizeof(*r->e))) == NULL) {
		free(r);
		return NULL;
	}
	r->mask = n - 1;
	return r;
}

void
dynblock_rate_free(struct dynblock_rate *r)
{
	if (r == NULL)
		return;
	free(r->e);
	free(r);
}

static int
key_eq(const struct dynblock_key *a, const struct dynblock_key *b)
{
	return a->fam == b->fam && a->plen == b->plen &&
	    memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

uint64_t
dynblock_rate_add(struct dynblock_rate *r, const struct dynblock_key *k,
    uint64_t h, int what, uint32_t n, uint64_t now_ms, uint32_t window_ms)
{
	struct rent *e = &r->e[h & r->mask], *o = &r->e[(h ^ 1) & r->mask];
	uint64_t age, left;
	int i;

	if (now_ms == 0)
		now_ms = 1;
	if (e->start_ms == 0 || !key_eq(&e->k, k)) {
		if (o->start_ms != 0 && key_eq(&o->k, k))
			e = o;
		else {
			/* Reuse the free or the staler of the two. */
			if (e->start_ms != 0 && (o->start_ms == 0 ||
			    o->start_ms < e->start_ms))
				e = o;
			memset(e, 0, sizeof(*e));
			e->k = *k;
			e->start_ms = now_ms;
		}
	}
	age = now_ms - e->start_ms;
	if (age >= window_ms) {
		/* Slide by whole windows; two or more clears both. */
		for (i = 0; i < DYNBLOCK_N; i++) {
			e->prev[i] = age >= 2 * (uint64_t)window_ms ? 0 :
			    e->cur[i];
			e->cur[i] = 0;
		}
		e->start_ms += age - age % window_ms;
		age %= window_ms;
	}
	e->cur[what] += n;
	/* The part of the previous window still inside the sliding one. */
	left = window_ms - age;
	return (e->cur[what] + e->prev[what] * left / window_ms) * 1000 /
	    window_ms;
}

struct dynblock_tab *
dynblock_tab_new(void)
{
	struct dynblock_tab *t;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	return t == MAP_FAILED ? NULL : t;
}

#define PROBE	16

int
dynblock_lookup(struct dynblock_tab *t, const struct dynblock_key *k,
    uint64_t h, uint32_t now_s)
{
	struct dynblock_ent *e;
	uint32_t until;
	size_t i;

	if (__atomic_load_n(&t->latest, __ATOMIC_RELAXED) <= now_s)
		return 0;
	for (i = 0; i < PROBE; i++) {
		e = &t->e[(h + i) & (DYNBLOCK_TAB - 1)];
		until = __atomic_load_n(&e->until_s, __ATOMIC_ACQUIRE);
		if (until == 0 && e->k.fam == 0)
			return 0;	/* never used: the end of the run */
		if (until > now_s && key_eq(&e->k, k)) {
			__atomic_add_fetch(&e->hits, 1, __ATOMIC_RELAXED);
			return e->action + 1;
		}
	}
	return 0;
}

static void
lock(struct dynblock_tab *t)
{
	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE) != 0)
		;
}

static void
unlock(struct dynblock_tab *t)
{
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

int
dynblock_insert(struct dynblock_tab *t, const struct dynblock_key *k,
    uint64_t h, int reason, int action, uint32_t now_s, uint32_t duration_s)
{
	struct dynblock_ent *e, *free_e = NULL;
	uint32_t until = now_s + duration_s;
	size_t i;
	int r = -1;

	lock(t);
	for (i = 0; i < PROBE; i++) {
		e = &t->e[(h + i) & (DYNBLOCK_TAB - 1)];
		if (e->until_s > now_s && key_eq(&e->k, k)) {
			if (e->until_s < until)
				__atomic_store_n(&e->until_s, until,
				    __ATOMIC_RELEASE);
			free_e = NULL;
			r = 0;
			break;
		}
		if (e->until_s <= now_s && free_e == NULL)
			free_e = e;
		if (e->until_s == 0 && e->k.fam == 0)
			break;
	}
	if (free_e != NULL) {
		__atomic_store_n(&free_e->until_s, 0, __ATOMIC_RELEASE);
		free_e->k = *k;
		free_e->reason = (uint8_t)reason;
		free_e->action = (uint8_t)action;
		free_e->since_s = now_s;
		free_e->hits = 0;
		__atomic_store_n(&free_e->until_s, until, __ATOMIC_RELEASE);
		t->added++;
		__atomic_add_fetch(&t->gen, 1, __ATOMIC_RELEASE);
		r = 1;
	}
	if (r >= 0 && t->latest < until)
		__atomic_store_n(&t->latest, until, __ATOMIC_RELEASE);
	unlock(t);
	return r;
}

size_t
dynblock_clear(struct dynblock_tab *t, const struct dynblock_key *k)
{
	struct dynblock_ent *e;
	size_t i, n = 0;

	lock(t);
	for (i = 0; i < DYNBLOCK_TAB; i++) {
		e = &t->e[i];
		if (e->until_s <= 1 || (k != NULL && !key_eq(&e->k, k)))
			continue;
		/* 1: expired but used, so that probes run on past it. */
		__atomic_store_n(&e->until_s, 1, __ATOMIC_RELEASE);
		n++;
	}
	if (k == NULL)
		__atomic_store_n(&t->latest, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&t->gen, 1, __ATOMIC_RELEASE);
	unlock(t);
	return n;
}

const char *
dynblock_reason(int reason)
{
	static const char *const w[] = { "queries", "nxdomain", "servfail",
		"bytes" };

	return reason >= 0 && reason < DYNBLOCK_N ? w[reason] : "?";
}
