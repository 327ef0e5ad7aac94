/* auth.c -- HTTP credentials compared by keyed digest, and failed logins
 * limited per source address in a table of fixed size */
/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "auth.h"

#define BLOCK	64	/* SHA-256 block size */
#define PROBE	8	/* slots searched for a key, and for a victim */

void
auth_key_init(struct auth_key *k, const unsigned char key[AUTH_KEY_LEN])
{
	unsigned char pad[BLOCK];
	size_t i;

	/* The padded key fills exactly one block: hashed once here, not
	 * for every message. */
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < AUTH_KEY_LEN; i++)
		pad[i] ^= key[i];
	ldns_sha256_init(&k->inner);
	ldns_sha256_update(&k->inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < AUTH_KEY_LEN; i++)
		pad[i] ^= key[i];
	ldns_sha256_init(&k->outer);
	ldns_sha256_update(&k->outer, pad, sizeof(pad));
	explicit_bzero(pad, sizeof(pad));
}

void
auth_hmac(const struct auth_key *k, const void *buf, size_t len,
    unsigned char out[AUTH_DIGEST_LEN])
{
	unsigned char inner[LDNS_SHA256_DIGEST_LENGTH];
	ldns_sha256_CTX ctx;

	ctx = k->inner;
	ldns_sha256_update(&ctx, buf, len);
	ldns_sha256_final(inner, &ctx);
	ctx = k->outer;
	ldns_sha256_update(&ctx, inner, sizeof(inner));
	ldns_sha256_final(out, &ctx);
	explicit_bzero(inner, sizeof(inner));
	explicit_bzero(&ctx, sizeof(ctx));
}

void
auth_cred_init(struct auth_cred *c, const struct auth_key *k,
    const char *user, const char *pass)
{
	auth_hmac(k, user, strlen(user), c->user);
	auth_hmac(k, pass, strlen(pass), c->pass);
	c->set = pass[0] != '\0';
}

int
auth_cred_match(const struct auth_cred *c, const struct auth_key *k,
    const char *user, const char *pass)
{
	unsigned char du[AUTH_DIGEST_LEN], dp[AUTH_DIGEST_LEN];
	volatile unsigned char diff = 0;
	size_t i;

	/* Both digests always, so a right user name takes no longer. */
	auth_hmac(k, user ? user : "", user ? strlen(user) : 0, du);
	auth_hmac(k, pass ? pass : "", pass ? strlen(pass) : 0, dp);
	for (i = 0; i < AUTH_DIGEST_LEN; i++)
		diff |= (du[i] ^ c->user[i]) | (dp[i] ^ c->pass[i]);
	explicit_bzero(dp, sizeof(dp));
	return diff == 0 && c->set && user != NULL && pass != NULL;
}

/*
 * The failure table: open addressing over a power-of-two array, a key
 * searched in PROBE neighbouring slots.
 */

struct slot {
	unsigned char	 key[AUTH_ADDR_LEN];
	uint64_t	 seen;		/* ms of the last failure; 0 = free */
	uint64_t	 start;		/* the window began */
	uint64_t	 until;		/* locked out until; 0 = not */
	unsigned	 n;		/* failures in the window */
};

struct authlimit {
	struct slot	*s;
	size_t		 mask;
	unsigned	 max;
	uint64_t	 window, lockout;	/* ms */
	uint64_t	 seed;
};

int
authlimit_key(const struct sockaddr *sa, unsigned char key[AUTH_ADDR_LEN])
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const struct sockaddr_in *in;
	const struct sockaddr_in6 *in6;

	memset(key, 0, AUTH_ADDR_LEN);
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		in = (const struct sockaddr_in *)(const void *)sa;
		memcpy(key, mapped, sizeof(mapped));
		memcpy(key + 12, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (memcmp(&in6->sin6_addr, mapped, sizeof(mapped)) == 0)
			memcpy(key, &in6->sin6_addr, AUTH_ADDR_LEN);
		else
			memcpy(key, &in6->sin6_addr, 8);
		return 0;
	}
	return -1;
}

struct authlimit *
authlimit_new(size_t slots, unsigned max, unsigned window_s,
    unsigned lockout_s, uint64_t seed)
{
	struct authlimit *al;
	size_t n;

	if (max == 0 || window_s == 0 || lockout_s == 0 || slots == 0 ||
	    slots > ((size_t)1 << 24)) {
		errno = EINVAL;
		return NULL;
	}
	for (n = PROBE; n < slots; n <<= 1)
		;
	if ((al = calloc(1, sizeof(*al))) == NULL)
		return NULL;
	if ((al->s = calloc(n, sizeof(*al->s))) == NULL) {
		free(al);
		return NULL;
	}
	al->mask = n - 1;
	al->max = max;
	al->window = (uint64_t)window_s * 1000;
	al->lockout = (uint64_t)lockout_s * 1000;
	al->seed = seed;
	return al;
}

void
authlimit_free(struct authlimit *al)
{
	if (al == NULL)
		return;
	free(al->s);
	free(al);
}

static uint64_t
slot_hash(const struct authlimit *al, const unsigned char key[AUTH_ADDR_LEN])
{
	uint64_t a, b, h;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	h = (a ^ al->seed) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h = (h + b) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

/* How willingly slot s gives up its place at now: 0 free, 1 stale (window
 * over, not locked out), 2 counting, 3 locked out. */
static int
slot_class(const struct authlimit *al, const struct slot *s, uint64_t now)
{
	if (s->seen == 0)
		return 0;
	if (s->until > now)
		return 3;
	if (s->until != 0 || now - s->start >= al->window)
		return 1;
	return 2;
}

/* Key's slot, or when create is set a new one in place of the most
 * willing neighbour; NULL when absent. */
static struct slot *
slot_find(struct authlimit *al, const unsigned char key[AUTH_ADDR_LEN],
    uint64_t now, int create)
{
	struct slot *s, *victim = NULL;
	uint64_t h = slot_hash(al, key);
	int cls, vcls = 4;
	size_t i;

	for (i = 0; i < PROBE; i++) {
		s = &al->s[(h + i) & al->mask];
		if (s->seen != 0 && memcmp(s->key, key, AUTH_ADDR_LEN) == 0)
			return s;
		cls = slot_class(al, s, now);
		/* Among counting sources the least recently failing goes,
		 * among locked ones the one released soonest. */
		if (victim == NULL || cls < vcls || (cls == vcls &&
		    (cls == 3 ? s->until < victim->until :
		    s->seen < victim->seen))) {
			victim = s;
			vcls = cls;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, AUTH_ADDR_LEN);
	victim->seen = now;
	victim->start = now;
	return victim;
}

unsigned
authlimit_locked(struct authlimit *al, const unsigned char key[AUTH_ADDR_LEN],
    uint64_t now_ms)
{
	struct slot *s;

	if (now_ms == 0)
		now_ms = 1;
	if ((s = slot_find(al, key, now_ms, 0)) == NULL || s->until <= now_ms)
		return 0;
	return (unsigned)((s->until - now_ms + 999) / 1000);
}

int
authlimit_fail(struct authlimit *al, const unsigned char key[AUTH_ADDR_LEN],
    uint64_t now_ms, unsigned *n)
{
	struct slot *s;

	if (now_ms == 0)
		now_ms = 1;
	s = slot_find(al, key, now_ms, 1);
	s->seen = now_ms;
	if (s->until > now_ms) {
		/* Locked out already (a request checked before the lock). */
		*n = s->n;
		return 0;
	}
	if (s->until != 0 || now_ms - s->start >= al->window) {
		s->until = 0;
		s->n = 0;
		s->start = now_ms;
	}
	*n = ++s->n;
	if (s->n < al->max)
		return 0;
	s->until = now_ms + al->lockout;
	return 1;
}

void
authlimit_stats(const struct authlimit *al, uint64_t now_ms, size_t *tracked,
    size_t *locked)
{
	size_t i;
	int cls;

	*tracked = *locked = 0;
	for (i = 0; i <= al->mask; i++) {
		cls = slot_class(al, &al->s[i], now_ms);
		if (cls >= 2)
			(*tracked)++;
		if (cls == 3)
			(*locked)++;
	}
}
