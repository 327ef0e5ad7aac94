/* dynblock.h -- dynamic blocks: per-client rates over a sliding window and
 * a table of expiring blocks shared by the workers */
/* SPDX-License-Identifier: ISC */
#ifndef DYNBLOCK_H
#define DYNBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

/* What is counted per client prefix. */
enum { DYNBLOCK_QUERIES, DYNBLOCK_NXDOMAIN, DYNBLOCK_SERVFAIL,
	DYNBLOCK_BYTES, DYNBLOCK_N };

#define DYNBLOCK_TAB	4096	/* blocks held at once */

/* A client prefix: family (4 or 6), prefix length, masked address. */
struct dynblock_key {
	uint8_t		 fam, plen;
	uint8_t		 a[16];
};

/* One block in the shared table. */
struct dynblock_ent {
	struct dynblock_key k;
	uint8_t		 reason;	/* DYNBLOCK_* */
	uint8_t		 action;	/* the caller's action code */
	uint32_t	 since_s, until_s;	/* monotonic seconds */
	uint64_t	 hits;		/* queries blocked */
};

/* The shared table (fixed size, in shared memory). */
struct dynblock_tab {
	uint32_t	 lock;
	uint32_t	 latest;	/* the latest until_s set: 0 = none */
	uint64_t	 added;		/* blocks ever inserted */
	uint64_t	 gen;		/* bumped by each insertion and clear */
	struct dynblock_ent e[DYNBLOCK_TAB];
};

struct dynblock_rate;

/* The prefix of sa cut to v4 (0..32) or v6 (0..128) bits, into k; its
 * hash is returned. */
uint64_t dynblock_key(const union netaddr_sa *sa, unsigned v4, unsigned v6,
    struct dynblock_key *k);

/* k as text ("192.0.2.0/24", "2001:db8::/56") into buf (64 bytes). */
char *dynblock_key_text(const struct dynblock_key *k, char *buf, size_t size);

/* Parse "ADDR/LEN", or "ADDR" cut to v4 or v6 bits, into k (masked).
 * Returns its hash, or 0 with a bad text. */
uint64_t dynblock_key_parse(const char *s, unsigned v4, unsigned v6,
    struct dynblock_key *k);

/* A rate table of entries slots (a power of two is used), in this
 * process' memory; NULL when out of memory. */
struct dynblock_rate *dynblock_rate_new(size_t entries);
void dynblock_rate_free(struct dynblock_rate *r);

/* Add n to the counter what of k (hash h) at now_ms. Returns the rate per
 * second over the last window_ms, estimated from the current and the
 * previous window (O(1): two slots probed, the older one is reused). */
uint64_t dynblock_rate_add(struct dynblock_rate *r, const struct dynblock_key *k,
    uint64_t h, int what, uint32_t n, uint64_t now_ms, uint32_t window_ms);

/* A zeroed table in shared anonymous memory (before fork), or NULL. */
struct dynblock_tab *dynblock_tab_new(void);

/* The action of the live block on k (hash h) at now_s, plus one, with its
 * hits counted; 0 when k is not blocked. At most 16 slots are probed; no
 * slot at all when nothing is blocked. */
int dynblock_lookup(struct dynblock_tab *t, const struct dynblock_key *k,
    uint64_t h, uint32_t now_s);

/* Block k (hash h) for duration_s from now_s, or extend its block.
 * Returns 1 when new, 0 when it was blocked already, -1 when the table
 * has no free slot near h. */
int dynblock_insert(struct dynblock_tab *t, const struct dynblock_key *k,
    uint64_t h, int reason, int action, uint32_t now_s, uint32_t duration_s);

/* Lift the block on k, or every block with k NULL. Returns how many. */
size_t dynblock_clear(struct dynblock_tab *t, const struct dynblock_key *k);

/* The keyword of a reason: "queries", "nxdomain", "servfail", "bytes". */
const char *dynblock_reason(int reason);

#endif
