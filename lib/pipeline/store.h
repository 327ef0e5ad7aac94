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
	char		 hash[HASH_HEX_LEN + 1]; /* of text, "" if deleted */
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

/*
 * Streaming over all zones (live and tombstoned) in name order, a page of
 * rows at a time: no statement stays active between calls, so the caller
 * may write to the store while iterating, and memory holds one page only.
 */
struct store_iter;

/* Begin iterating after name after ("" or NULL: from the first), page
 * rows per page (0: a default), texts included when with_text. Returns
 * the iterator, or NULL (out of memory, or the statement failed: see
 * store_errmsg()). */
struct store_iter *store_iter_begin(struct store *st, const char *after,
    size_t page, int with_text);

/* The next zone into *out (its text, if asked for, stays owned by the
 * iterator and valid until the next call). Returns 1, 0 at the end, or -1
 * on a store error. */
int store_iter_next(struct store_iter *it, struct store_zone *out);

/* Free the iterator. */
void store_iter_end(struct store_iter *it);

/* Set zone's owner (DirectAdmin server name) without changing its text or
 * change sequence. Returns 1 when a row changed, 0 when none did, -1. */
int store_owner_set(struct store *st, const char *zone, const char *hostname);

/*
 * Reconcile's orphan candidates: each pass numbers itself with
 * store_orphan_pass() (the previous pass's number + 1), marks every
 * orphan it sees with store_orphan_mark(), which tells whether the same
 * zone was marked by the previous pass too, and ends with
 * store_orphan_prune(), forgetting candidates this pass did not see.
 */

/* The number of the next pass into *pass. Returns 0 or -1. */
int store_orphan_pass(struct store *st, long long *pass);

/* Peek (mark = 0) or mark (mark = 1) zone, owned by hostname, as an
 * orphan candidate of pass. Returns 1 when the previous pass saw it as
 * well (confirmed), 0 when not, -1 on error. */
int store_orphan_mark(struct store *st, const char *zone,
    const char *hostname, long long pass, int mark);

/* Forget candidates not seen by pass and record pass as the last one.
 * Returns 0 or -1. */
int store_orphan_prune(struct store *st, long long pass);

/* Record reconcile's last run: its start and end (µs since the epoch),
 * whether it succeeded, and its summary as a JSON object. Returns 0 or
 * -1. */
int store_recon_last_set(struct store *st, long long started_us,
    long long finished_us, int ok, const char *json);

/* Read reconcile's last run; *json is malloc'd (the caller frees it).
 * Returns 1 found, 0 no run recorded yet, -1 on error. */
int store_recon_last_get(struct store *st, long long *started_us,
    long long *finished_us, int *ok, char **json);

/*
 * Peer sync (peer-pull and da-receive's /internal API): this store's
 * instance id, changes in sequence order, and per-peer high-water marks.
 */

#define STORE_ID_LEN	32	/* hex digits of an instance id */

/* This store's instance id (created at random on first use) into out.
 * Returns 0 or -1. */
int store_instance_id(struct store *st, char out[STORE_ID_LEN + 1]);

/* Called by store_changes() for each row; z->text (when asked for) is
 * valid during the call only. A non-zero return stops the walk. */
typedef int (*store_change_fn)(void *arg, const struct store_zone *z);

/* Walk zones (live and tombstoned) changed after sequence since, in
 * sequence order, at most limit rows (0: no limit), texts included when
 * with_text. Returns the number of rows handed to fn (the one that
 * stopped the walk included), or -1 on a store error. */
long store_changes(struct store *st, uint64_t since, size_t limit,
    int with_text, store_change_fn fn, void *arg);

/* What this store knows of a peer, keyed by its URL. */
struct store_peer {
	char		 instance[STORE_ID_LEN + 1];	/* "" when unknown */
	uint64_t	 since;		/* its sequence pulled up to */
	long long	 ok_us;		/* last good pass, 0 never */
	long long	 fail_us;	/* last failed pass, 0 never */
	unsigned	 failures;	/* consecutive failed passes */
	char		 error[256];	/* the last failure's reason */
	/* Its guards: passes begun, how far it was read (past since while
	 * deletes are held), changes refused as dated too far ahead. */
	long long	 pass;
	uint64_t	 seen;
	unsigned long long refused;
	char		 refused_zone[JOB_NAME_MAX + 1];
	long long	 refused_dated_us; /* the time the change claimed */
	long long	 refused_us;	/* when it was refused */
};

/* Read the state of the peer at url into *p (zeroed when none). Returns
 * 1 found, 0 not found, -1 on error. */
int store_peer_get(struct store *st, const char *url, struct store_peer *p);

/* Write the state of the peer at url. Returns 0 or -1. */
int store_peer_set(struct store *st, const char *url,
    const struct store_peer *p);

/*
 * Guards: deletes a peer asks for beyond peer-pull's share, held until
 * the peer's next pass asks again; owner changes, counted by source.
 */

/* Peek (mark = 0) or mark (mark = 1) the delete of zone asked by the
 * peer at url as held in the peer's pass. Returns 1 when its previous
 * pass held it as well (confirmed), 0 when not, -1 on error. */
int store_peer_held(struct store *st, const char *url, const char *zone,
    long long pass, int mark);

/* Forget the held deletes of the peer at url that pass did not hold.
 * Returns 0 or -1. */
int store_peer_held_prune(struct store *st, const char *url,
    long long pass);

/* Count one owner change (refused = 0) or one refused owner change
 * (refused = 1) from source ("directadmin" or "peer"). Returns 0 or -1. */
int store_owner_count(struct store *st, const char *source, int refused);

/* The owner changes made and refused from source so far. Returns 0 or
 * -1. */
int store_owner_counts(struct store *st, const char *source,
    unsigned long long *changed, unsigned long long *refused);

/*
 * Secondaries: the zones a backend serves (the catalog zone's members) and
 * what was last written of its catalog zone and secondary settings.
 */

/* Call fn(arg, name) for every zone live in the store whose last change
 * applied to backend was a save, in name order; a non-zero return stops
 * the walk. Returns the number of names handed to fn, or -1. */
long store_served_each(struct store *st, const char *backend,
    int (*fn)(void *, const char *), void *arg);

struct store_catalog {
	char		 name[JOB_NAME_MAX + 1];	/* the catalog zone */
	uint32_t	 serial;
	char		 members[HASH_HEX_LEN + 1];	/* digest of them */
	char		 options[HASH_HEX_LEN + 1];	/* digest of the
					 * secondary settings applied */
};

/* Read backend's catalog state into *c (zeroed when none). Returns 1
 * found, 0 not found, -1 on error. */
int store_catalog_get(struct store *st, const char *backend,
    struct store_catalog *c);

/* Write backend's catalog state, at when_us. Returns 0 or -1. */
int store_catalog_set(struct store *st, const char *backend,
    const struct store_catalog *c, long long when_us);

#endif
