/* enqueue.c -- commit jobs durably: store rows and queue files as one step */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enqueue.h"
#include "err.h"
#include "job.h"
#include "spool.h"
#include "store.h"

int
enqueue_commit(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, struct job *jobs, size_t n,
    char *err, size_t errlen)
{
	char **names = NULL, **bufs = NULL;
	size_t *lens = NULL, i;
	int rc = -1;

	if (n == 0)
		return 0;
	names = calloc(n, sizeof(*names));
	bufs = calloc(n, sizeof(*bufs));
	lens = calloc(n, sizeof(*lens));
	if (names == NULL || bufs == NULL || lens == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (store_begin(st) < 0) {
		snprintf(err, errlen, "unable to begin a store transaction: %s",
		    store_errmsg(st));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (store_apply_job(st, &jobs[i]) < 0) {
			snprintf(err, errlen, "unable to store zone %s: %s",
			    jobs[i].zone, store_errmsg(st));
			goto rollback;
		}
		if ((names[i] = malloc(JOB_FILE_NAME_MAX + 1)) == NULL ||
		    job_name(&jobs[i], names[i], JOB_FILE_NAME_MAX + 1) < 0 ||
		    (bufs[i] = job_format(&jobs[i], &lens[i])) == NULL) {
			snprintf(err, errlen, "unable to format the job for %s",
			    jobs[i].zone);
			goto rollback;
		}
	}
	/*
	 * The job files are durable in every queue before the store commits,
	 * inside its write transaction: when they cannot be written, the
	 * store is rolled back and nothing changed.
	 */
	if (nq > 0 && spool_stage(spool_path, queues, nq, names, bufs, lens,
	    n) < 0) {
		err_set_sys(err, errlen, "unable to write the jobs to %s",
		    spool_path);
		goto rollback;
	}
	if (store_commit(st) < 0) {
		snprintf(err, errlen, "unable to commit the store: %s",
		    store_errmsg(st));
		if (nq > 0)
			spool_unstage(spool_path, queues, nq, names, n);
		goto rollback;
	}
	/* The jobs are in place either way: a store whose log cannot be
	 * synced is an error to report, the rows stay with their jobs. */
	rc = 0;
	if (store_sync(st) < 0) {
		err_set_sys(err, errlen, "unable to sync the store");
		rc = -1;
	}
	if (nq > 0)
		spool_release(spool_path, queues, nq, names, n);
	goto out;
rollback:
	store_rollback(st);
out:
	for (i = 0; i < n && names != NULL; i++) {
		free(names[i]);
		if (bufs != NULL)
			free(bufs[i]);
	}
	free(names);
	free(bufs);
	free(lens);
	return rc;
}
