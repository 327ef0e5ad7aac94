/* catalogrun.h -- a zone writer's catalog zone, kept in step with batches */
/* SPDX-License-Identifier: ISC */
#ifndef CATALOGRUN_H
#define CATALOGRUN_H

#include <stddef.h>

#include "runner.h"

struct catalogrun;

/*
 * The catalog zone name of backend, whose members are the zones the
 * backend serves: live in the store at path and last applied as a save
 * (read now). Returns the handle, or NULL with a message in err.
 */
struct catalogrun *catalogrun_open(const char *path, const char *backend,
    const char *name, char *err, size_t errlen);

/* Free cr and close its store. */
void catalogrun_close(struct catalogrun *cr);

/*
 * Make out the backend b with the catalog around it: after each batch,
 * when a save added a zone the catalog did not list, a delete removed
 * one it did, or a job of the catalog zone itself asked for it (one
 * queued with sequence 0, by reconcile), the catalog's new text (serial
 * bumped) goes through b as a batch of its own, after the batch's zones
 * are served. When it fails, the jobs that changed membership fail
 * temporarily with its reason, so they and the catalog are tried again.
 * A store push of a zone named like the catalog fails for good. out
 * keeps pointers to cr and b.
 */
void catalogrun_wrap(struct catalogrun *cr, const struct runner_backend *b,
    struct runner_backend *out);

/* Write the catalog through the wrapped backend now unless the store
 * says the members and name were written already; a catalog written
 * before under another name is dropped. Returns 0, or -1 with a message
 * in err (the next batch tries again). */
int catalogrun_flush(struct catalogrun *cr, char *err, size_t errlen);

/* For a backend without a catalog zone: drop the one the store at path
 * says was written for it before (through b), and forget it. Returns 0,
 * or -1 with a message in err. */
int catalogrun_retire(const char *path, const char *backend,
    const struct runner_backend *b, char *err, size_t errlen);

#endif
