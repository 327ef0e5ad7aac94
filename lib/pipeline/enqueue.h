/* enqueue.h -- commit jobs durably: store rows and queue files as one step */
/* SPDX-License-Identifier: ISC */
#ifndef ENQUEUE_H
#define ENQUEUE_H

#include <stddef.h>

struct job;
struct store;

/* The job files of one commit: name, text and length of each. */
struct enqueue_files {
	char		**names, **bufs;
	size_t		 *lens;
	size_t		  n;
};

/* Make room in f for max files. Returns 0, or -1 (out of memory) with f
 * empty. */
int enqueue_files_init(struct enqueue_files *f, size_t max);

/* Add the file of job to f. Returns 0, or -1 with a message in err. */
int enqueue_files_add(struct enqueue_files *f, const struct job *job,
    char *err, size_t errlen);

/* Free f's files and room; f is empty afterwards. */
void enqueue_files_free(struct enqueue_files *f);

/*
 * Finish the store write transaction st is in: write the files of f
 * durably into every one of the nq queues under spool_path, commit and
 * sync the store, then pull the queues' triggers; with no file, only
 * commit. Returns 0; or -1 with a message in err, the transaction rolled
 * back and the queues as they were (unless only the final sync of the
 * store failed).
 */
int enqueue_finish(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, const struct enqueue_files *f,
    char *err, size_t errlen);

/*
 * Commit n jobs as one unit: in one store write transaction, record each
 * job (assigning job->seq), write each job file durably into every one of
 * the nq queues under the spool at spool_path, commit and sync the store,
 * then pull the queues' triggers. Returns 0 when everything is durable; -1
 * with a message in err otherwise, the store and the queues left as they
 * were (unless only the final sync of the store failed).
 */
int enqueue_commit(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, struct job *jobs, size_t n,
    char *err, size_t errlen);

#endif
