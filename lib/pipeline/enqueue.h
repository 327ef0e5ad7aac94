/* enqueue.h -- commit jobs durably: store rows and queue files as one step */
/* SPDX-License-Identifier: ISC */
#ifndef ENQUEUE_H
#define ENQUEUE_H

#include <stddef.h>

struct job;
struct store;

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
