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
enqueue_files_init(struct enqueue_files *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->names = calloc(max + 1, sizeof(*f->names));
	f->bufs = calloc(max + 1, sizeof(*f->bufs));
	f->lens = calloc(max + 1, sizeof(*f->lens));
	if (f->names == NULL || f->bufs == NULL || f->lens == NULL) {
		enqueue_files_free(f);
		return -1;
	}
	return 0;
}

int
enqueue_files_add(struct enqueue_files *f, const struct job *job,
    char *err, size_t errlen)
{
	size_t i = f->n++;	/* freed with the others even when it fails */

	if ((f->names[i] = malloc(JOB_FILE_NAME_MAX + 1)) == NULL ||
	    job_name(job, f->names[i], JOB_FILE_NAME_MAX + 1) < 0 ||
	    (f->bufs[i] = job_format(job, &f->lens[i])) == NULL) {
		err_set(err, errlen, "unable to format the job for %s",
		    job->zone);
		return -1;
	}
	return 0;
}

void
enqueue_files_free(struct enqueue_files *f)
{
	size_t i;

	for (i = 0; i < f->n && f->names != NULL; i++) {
		free(f->names[i]);
		if (f->bufs != NULL)
			free(f->bufs[i]);
	}
	free(f->names);
	free(f->bufs);
	free(f->lens);
	memset(f, 0, sizeof(*f));
}

int
enqueue_finish(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, const struct enqueue_files *f,
    char *err, size_t errlen)
{
	int stage = f->n > 0 && nq > 0, rc = 0;

	/*
	 * The job files are durable in every queue before the store commits,
	 * inside its write transaction: when they cannot be written, the
	 * store is rolled back and nothing changed.
	 */
	if (stage && spool_stage(spool_path, queues, nq, f->names, f->bufs,
	    f->lens, f->n) < 0) {
		err_set_sys(err, errlen, "unable to write the jobs to %s",
		    spool_path);
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0) {
		err_set(err, errlen, "unable to commit the store: %s",
		    store_errmsg(st));
		if (stage)
			spool_unstage(spool_path, queues, nq, f->names, f->n);
		store_rollback(st);
		return -1;
	}
	if (f->n == 0)
		return 0;
	/* The jobs are in place either way: a store whose log cannot be
	 * synced is an error to report, the rows stay with their jobs. */
	if (store_sync(st) < 0) {
		err_set_sys(err, errlen, "unable to sync the store");
		rc = -1;
	}
	if (nq > 0)
		spool_release(spool_path, queues, nq, f->names, f->n);
	return rc;
}

int
enqueue_commit(struct store *st, const char *spool_path,
    char *const queues[], size_t nq, struct job *jobs, size_t n,
    char *err, size_t errlen)
{
	struct enqueue_files f;
	size_t i;
	int rc = -1;

	if (n == 0)
		return 0;
	if (enqueue_files_init(&f, n) < 0) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	if (store_begin(st) < 0) {
		err_set(err, errlen, "unable to begin a store transaction: %s",
		    store_errmsg(st));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (store_apply_job(st, &jobs[i]) < 0) {
			err_set(err, errlen, "unable to store zone %s: %s",
			    jobs[i].zone, store_errmsg(st));
			store_rollback(st);
			goto out;
		}
		if (enqueue_files_add(&f, &jobs[i], err, errlen) < 0) {
			store_rollback(st);
			goto out;
		}
	}
	rc = enqueue_finish(st, spool_path, queues, nq, &f, err, errlen);
out:
	enqueue_files_free(&f);
	return rc;
}
