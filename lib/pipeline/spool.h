/* spool.h -- maildir-style job spool: tmp/, <queue>/new/, fail/, trigger */
/* SPDX-License-Identifier: ISC */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_QUEUE_MAX	64	/* longest queue name */

struct spool_entry {
	char		 name[320];	/* file name in new/ (job_name form) */
	uint64_t	 seq;
	const char	*zone;		/* the zone key (job_name_key() form),
					 * points into name */
};

/* Create the spool at path (tmp/) and, for each of the nq queue names,
 * <queue>/new/, <queue>/fail/ and the <queue>/trigger FIFO. Idempotent.
 * Returns 0 or -1 with errno set. */
int spool_init(const char *path, char *const queues[], size_t nq);

/* Valid queue name: 1-63 of [a-z0-9_-]. Returns 1 or 0. */
int spool_queue_name_ok(const char *name);

/*
 * Durably put n job files into every one of the nq queues: write each to
 * tmp/ and sync it, link each into every <queue>/new/ (replacing a job of
 * the same name), sync those directories (a batch of more than a few jobs
 * is synced with syncfs() instead). names[i] and bufs[i]/lens[i] describe
 * job i. Returns 0 when every link is durable; on failure returns -1 with
 * errno set, after removing what it created. Follow with spool_release()
 * or spool_unstage().
 */
int spool_stage(const char *path, char *const queues[], size_t nq,
    char *const names[], char *const bufs[], const size_t lens[], size_t n);

/* Withdraw jobs staged by spool_stage(): unlink them from every queue's
 * new/ and from tmp/. Errors are ignored. */
void spool_unstage(const char *path, char *const queues[], size_t nq,
    char *const names[], size_t n);

/* Finish jobs staged by spool_stage(): unlink their tmp/ files and pull
 * each queue's trigger. Errors are ignored. */
void spool_release(const char *path, char *const queues[], size_t nq,
    char *const names[], size_t n);

/* spool_stage() then spool_release(). Returns 0 or -1 with errno set. */
int spool_commit(const char *path, char *const queues[], size_t nq,
    char *const names[], char *const bufs[], const size_t lens[], size_t n);

/* Wake the queue's runner: write one byte to its trigger FIFO without
 * blocking. Returns 0, or -1 when nobody listens (not an error to report). */
int spool_trigger(const char *path, const char *queue);

/* Open the trigger FIFO of a queue for its runner: a non-blocking read end
 * (returned) and a held write end (*keepfd) so poll() never sees EOF.
 * Returns the read fd or -1 with errno set. */
int spool_trigger_open(const char *path, const char *queue, int *keepfd);

/* Empty the trigger FIFO after poll() reported it readable. */
void spool_trigger_drain(int fd);

/* List the jobs of <queue>/new/ sorted by sequence (arrival order) into a
 * malloc'd array. Names that are not job names are skipped. Returns the
 * count (*entp set, free it) or -1 with errno set. */
long spool_scan(const char *path, const char *queue, struct spool_entry **entp);

/* Remove a finished job from <queue>/new/. Returns 0 or -1 with errno. */
int spool_done(const char *path, const char *queue, const char *name);

/*
 * Remove the n finished jobs names[0..n) from <queue>/new/, a big batch
 * several at a time (each removal waits on the file system's journal).
 * err[i] gets 0, or the errno of a job not removed (absent is removed).
 * Returns the number not removed.
 */
size_t spool_done_many(const char *path, const char *queue,
    const char *const names[], int err[], size_t n);

/* Move a job from <queue>/new/ to <queue>/fail/ and write the reason next
 * to it (<name>.reason), durably. Returns 0 or -1 with errno. */
int spool_fail(const char *path, const char *queue, const char *name,
    const char *reason);

/* Count the jobs in <queue>/new/ or <queue>/fail/ (which = "new"|"fail").
 * Returns the count or -1 with errno. */
long spool_count(const char *path, const char *queue, const char *which);

/* Remove files in tmp/ older than max_age seconds. Returns the count. */
long spool_clean_tmp(const char *path, long max_age);

#endif
