/* writer.h -- the program scaffolding the zone writers share */
/* SPDX-License-Identifier: ISC */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>

#include "job.h"
#include "runner.h"

struct config;
struct config_backend;

enum writer_cmd { WRITER_RUN, WRITER_SAVE, WRITER_DELETE };

/* The backend named name (or, when name is NULL, the only enabled one) of
 * type type (an enum backend_type) in cfg; tname is the type's word for
 * messages. Returns it, or NULL with a message in err (a usage error). */
const struct config_backend *writer_backend(const struct config *cfg,
    int type, const char *tname, const char *name, char *err, size_t errlen);

/* The command of the operands argv[0..argc): "run", "save ZONE" or
 * "delete ZONE". Returns an enum writer_cmd, or -1 for wrong usage. */
int writer_cmd(int argc, char *argv[]);

/*
 * Make it a one-shot job of action for the zone named arg (normalised).
 * For a save, read the zone text from fd 0 into *text (the caller frees
 * it) and its length into *len; it->job.text is left unset. Returns 0, or
 * an exit code (EXIT_USAGE, EXIT_TEMP) with a message in err.
 */
int writer_job(struct runner_item *it, enum job_action action,
    const char *arg, char **text, size_t *len, char *err, size_t errlen);

/* The outcome of the one-shot job it after apply(). Returns 0 with the
 * "applied ..." line in msg, or an exit code (EXIT_USAGE for a permanent
 * failure, EXIT_TEMP) with the fatal message in msg. */
int writer_result(const struct runner_item *it, char *msg, size_t msglen);

/*
 * Fill o for runner_run(): the queue and store of cfg, notify_fd, the
 * default retry schedule or that of $DADNS_RETRY_SCHEDULE (parsed into
 * sched), batch_max jobs per batch or, with batch_env set, those of
 * $DADNS_BATCH_MAX. Returns 0, or -1 with a message in err (a usage
 * error).
 */
int writer_runner_opts(struct runner_opts *o,
    unsigned sched[RUNNER_SCHEDULE_MAX], const struct config *cfg,
    int notify_fd, size_t batch_max, int batch_env, char *err,
    size_t errlen);

/*
 * Refuse the directory open at fd (described as what and path in
 * messages) when a user other than the effective one could write in it:
 * owned by another user than the effective one or root, or writable by
 * its group or by others (a sticky bit does not make that safe). Returns
 * 0, or EXIT_USAGE with a message in err, or EXIT_TEMP with a message in
 * err when fd cannot be examined.
 */
int writer_dir_check(int fd, const char *what, const char *path, char *err,
    size_t errlen);

/* The same check for the spool at path and the directories of the queue
 * named queue in it: tmp/, queue/, queue/new/, queue/fail/. A missing one
 * passes (the runner creates it, for its own user). Returns 0, or an exit
 * code (EXIT_USAGE, EXIT_TEMP) with a message in err. */
int writer_spool_check(const char *path, const char *queue, char *err,
    size_t errlen);

/* Set the result of it to res and its reason to the formatted message. */
void writer_fail(struct runner_item *it, enum runner_result res,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
