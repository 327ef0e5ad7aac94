/* auth.h -- HTTP credentials compared by keyed digest, and failed logins
 * limited per source address in a table of fixed size */
/* SPDX-License-Identifier: ISC */
#ifndef AUTH_H
#define AUTH_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <ldns/sha2.h>

#define AUTH_KEY_LEN	32	/* the per-process secret key's bytes */
#define AUTH_DIGEST_LEN	32	/* HMAC-SHA-256 */
#define AUTH_ADDR_LEN	16	/* a source's key in the table */

/* An HMAC key: the SHA-256 states after its inner and outer pads. */
struct auth_key {
	ldns_sha256_CTX	 inner, outer;
};

/* A configured user name and password, kept only as digests. */
struct auth_cred {
	unsigned char	 user[AUTH_DIGEST_LEN];
	unsigned char	 pass[AUTH_DIGEST_LEN];
	int		 set;		/* a password is configured */
};

struct authlimit;

/* Make k from the secret bytes key[0..AUTH_KEY_LEN). */
void auth_key_init(struct auth_key *k, const unsigned char key[AUTH_KEY_LEN]);

/* Write HMAC-SHA-256 of buf[0..len) under k into out. */
void auth_hmac(const struct auth_key *k, const void *buf, size_t len,
    unsigned char out[AUTH_DIGEST_LEN]);

/* Keep the digests of user and pass under k in c; with pass empty, no
 * credentials ever match c. */
void auth_cred_init(struct auth_cred *c, const struct auth_key *k,
    const char *user, const char *pass);

/* Do user and pass (NULL when absent) match c? Both are digested under key
 * and the digests compared in constant time, so the time taken shows
 * neither the configured lengths nor where the inputs differ. Returns 1
 * or 0. */
int auth_cred_match(const struct auth_cred *c, const struct auth_key *k,
    const char *user, const char *pass);

/* The table key of a client address: IPv4 (or IPv4-mapped IPv6) whole,
 * IPv6 by its /64. Returns 0, or -1 for another family. */
int authlimit_key(const struct sockaddr *sa, unsigned char key[AUTH_ADDR_LEN]);

/* A table of at most slots sources (rounded up to a power of two) where
 * max failures within window_s seconds lock a source out for lockout_s
 * seconds; seed keys the table's hash. Returns NULL with errno set. */
struct authlimit *authlimit_new(size_t slots, unsigned max, unsigned window_s,
    unsigned lockout_s, uint64_t seed);

/* Free the table; NULL is a no-op. */
void authlimit_free(struct authlimit *al);

/* Seconds left (at least 1) of key's lockout at now_ms (a monotonic
 * clock), or 0 when key is not locked out. */
unsigned authlimit_locked(struct authlimit *al,
    const unsigned char key[AUTH_ADDR_LEN], uint64_t now_ms);

/* Count a failed login of key at now_ms; *n gets the failures in the
 * current window. When the table is full, the least recently failing
 * source that is not locked out gives up its slot. Returns 1 when this
 * failure locks key out, 0 otherwise. */
int authlimit_fail(struct authlimit *al, const unsigned char key[AUTH_ADDR_LEN],
    uint64_t now_ms, unsigned *n);

/* Sources with failures in their window or locked out at now_ms into
 * *tracked, those locked out into *locked. */
void authlimit_stats(const struct authlimit *al, uint64_t now_ms,
    size_t *tracked, size_t *locked);

#endif
