/* ratelimit.h -- per-client token buckets in a fixed-size table */
/* SPDX-License-Identifier: ISC */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* A table of at most slots buckets (rounded up to a power of two), each
 * refilled at qps tokens per second up to burst tokens. Returns NULL with
 * errno set. */
struct ratelimit *ratelimit_new(size_t slots, uint32_t qps, uint32_t burst);

/* Free the table; NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);

/* Take one token from key's bucket at now_ms (a monotonic clock). A key
 * not in the table gets a full bucket, replacing the least recently seen
 * one of its neighbourhood when needed. Returns 1 when allowed, 0 when
 * the bucket is empty. */
int ratelimit_take(struct ratelimit *rl, uint64_t key, uint64_t now_ms);

/* Buckets in use now. */
size_t ratelimit_count(const struct ratelimit *rl);

#endif
