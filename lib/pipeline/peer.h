/* peer.h -- peer sync: the /internal JSON, which copy of a zone wins, and
 * committing what a peer (or an imported database) holds */
/* SPDX-License-Identifier: ISC */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define PEER_PAGE_DEFAULT	1000	/* zones in one /internal page */
#define PEER_PAGE_MAX		10000
#define PEER_PAGE_TEXT_MAX	(8 * 1024 * 1024)	/* text bytes a page
							 * grows past only
							 * for its first zone */

struct buf;
struct job;
struct json;

/* Append s[0..n) to b as a JSON string (quoted; '"', '\\' and control
 * characters escaped, other bytes as they are). s NULL appends null. */
void peer_json_str(struct buf *b, const char *s, size_t n);

/* Format us (µs since the epoch) as Python's naive UTC isoformat() does,
 * "2024-01-02T03:04:05.123456" (no fraction when it is 0), into buf. */
void peer_time_iso(long long us, char *buf, size_t size);

/*
 * Append zone z as one /internal JSON object: domain, zone_updated_at,
 * hostname, username (the original's shape), then serial, hash, seq,
 * updated_us, deleted_us, and zone_data when z->text is not NULL.
 */
void peer_json_zone(struct buf *b, const struct store_zone *z);

/* One page of a peer's changes: GET /internal/zones?since=. */
struct peer_page {
	char		 instance[STORE_ID_LEN + 1];
	uint64_t	 since;		/* as asked */
	uint64_t	 seq;		/* ask from here next */
	int		 more;		/* more changes follow */
	struct store_zone *zones;	/* texts point into tree */
	size_t		 n;
	struct json	*tree;
};

/*
 * Parse and validate a page: {"instance", "since", "seq", "more",
 * "zones": [zone...]}, each zone as peer_zone_parse() checks it, in
 * increasing sequence, none past the page's seq. Returns 0 with pg filled
 * (free it with peer_page_free()), or -1 with a message in err and pg
 * empty.
 */
int peer_page_parse(const char *buf, size_t len, struct peer_page *pg,
    char *err, size_t errlen);

/* Free what peer_page_parse() allocated; pg is empty afterwards. */
void peer_page_free(struct peer_page *pg);

/*
 * Validate one zone object of the /internal API into z: domain a valid
 * name (stored normalised), hostname and username printable without
 * spaces (absent or null: ""), serial 0..2^32-1, updated_us, deleted_us
 * and seq non-negative integers, hash 64 lower-case hex digits for a live
 * zone, zone_data (a string, kept as a pointer into o) only for a live
 * one. Returns 0, or -1 with a message in err.
 */
int peer_zone_from_json(const struct json *o, struct store_zone *z,
    char *err, size_t errlen);

/* Like peer_zone_from_json() on the single zone answer of GET
 * /internal/zones?domain= in buf[0..len); *tree (free it with
 * json_free()) holds the text. Returns 0 or -1 with a message in err. */
int peer_zone_parse(const char *buf, size_t len, struct store_zone *z,
    struct json **tree, char *err, size_t errlen);

/*
 * Does the remote copy r of a zone win over the local copy l (NULL when
 * the store has none)? A tombstone wins over a live copy when it is
 * later than that copy's push time, a live copy over a tombstone when
 * its push time is later; between live copies the higher SOA serial (RFC
 * 1982) wins; at equal serials the same text (hash) is no change, else
 * the later DirectAdmin push time wins, then the greater hash. Two
 * tombstones: no. Returns 1 or 0.
 */
int peer_wins(const struct store_zone *r, const struct store_zone *l);

/*
 * Turn the validated remote zone z into a job: a delete at its tombstone
 * time, or a save of its text checked with zone_prepare() (same serial,
 * and the text's hash must be z's hash). *prepared (malloc'd, the job's
 * text) is for the caller to free. Returns 0, or -1 with a message in
 * err.
 */
int peer_job(const struct store_zone *z, struct job *job, char **prepared,
    char *err, size_t errlen);

/*
 * In one store transaction, record each of the n jobs whose copy still
 * wins (peer_wins() against the store as it is now, so a newer push that
 * arrived meanwhile is kept) and, when url is not NULL, the peer's state
 * *state; then write the recorded jobs into every one of the nq queues,
 * durably. won[i] (when won is not NULL) tells which jobs were recorded.
 * Returns the number recorded, or -1 with a message in err.
 */
long peer_commit(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, struct job *jobs, size_t n,
    const char *url, const struct store_peer *state, char *won,
    char *err, size_t errlen);

#endif
