/* store.h -- the desired state: one sqlite row per zone, WAL, tombstones */
/* SPDX-License-Identifier: ISC */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "job.h"

struct store;

struct store_zone {
	char		 name[JOB_NAME_MAX + 1];
	char		 hostname[JOB_NAME_MAX + 1];
	char		 username[JOB_NAME_MAX + 1];
	uint32_t	 serial;
	long long	 updated_us;	/* DA push time of the current text */
	long long	 deleted_us;	/* tombstone time, 0 when live */
	uint64_t	 seq;		/* change sequence of the last change */
	char		 hash[HASH_HEX_LEN + 1];	/* of text, "" if deleted */
	char		*text;		/* malloc'd when asked for, else NULL */
	size_t		 textlen;
};

/* Open (creating when missing) the store at path: WAL, busy timeout,
 * schema. Returns the handle, or NULL with *why set to a static message
 * (errmsg holds sqlite's detail when errmsg is not NULL). */
struct store *store_open(const char *path, char *errmsg, size_t errlen);

/* Close the handle and free its statements. */
void store_close(struct store *st);

/* Begin an immediate (write) transaction / commit / roll back.
 * Return 0 or -1. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* Make committed transactions durable (WAL is run with synchronous=NORMAL,
 * commits do not sync; this syncs the write-ahead log once for all of them).
 * Returns 0 or -1 with errno set. */
int store_sync(struct store *st);

/*
 * Record job (save: text, serial, owner, push time; delete: tombstone) as
 * the zone's desired state, inside the caller's transaction, and assign
 * the next change sequence to job->seq. An empty hostname or username in a
 * save keeps the stored one. Returns 0 or -1.
 */
int store_apply_job(struct store *st, struct job *job);

/* Look up zone. with_text asks for the text as well (free with
 * store_zone_free()). Returns 1 found (live or tombstoned: check
 * deleted_us), 0 not found, -1 error. */
int store_get(struct store *st, const char *zone, struct store_zone *out,
    int with_text);

/* Free what store_get() allocated in z. */
void store_zone_free(struct store_zone *z);

/* Count live zones and tombstones. Returns 0 or -1. */
int store_count(struct store *st, long long *live, long long *tombstones);

/* Record that backend applied the zone's text with hash (or "" for a
 * delete) at when_us. Returns 0 or -1. */
int store_applied_set(struct store *st, const char *backend,
    const char *zone, const char *hash, long long when_us);

/* The message of the last sqlite error on st. */
const char *store_errmsg(struct store *st);

#endif
