/* enqueue.h -- commit jobs durably: store rows first, then every queue */
/* SPDX-License-Identifier: ISC */
#ifndef ENQUEUE_H
#define ENQUEUE_H

#include <stddef.h>

struct job;
struct store;

/*
 * Commit n jobs as one unit: record each in the store (assigning job->seq)
 * in one transaction, then write each job file into every one of the nq
 * queues under the spool at spool_path, and make all of it durable.
 * Returns 0 when everything is durable; -1 with a message in err when
 * nothing was acknowledged (a store row may remain without its job file;
 * healing re-queues it).
 */
int enqueue_commit(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, struct job *jobs, size_t n,
    char *err, size_t errlen);

#endif
