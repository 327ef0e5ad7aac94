/* writer.h -- the program shape every zone writer shares */
/* SPDX-License-Identifier: ISC */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>

#include "runner.h"

struct config;
struct config_backend;

/*
 * What one zone writer brings to writer_main(): its words for -h and
 * messages, the type of backend it writes, its batch size, and its own
 * code. Adding a backend is one program file with one of these tables.
 * Every writer takes the same options (-c, -b, -d, -v, -q, -h) and
 * commands (save ZONE, delete ZONE, run); no writer has an option of its
 * own today, so there is no hook for one.
 */
struct writer_ops {
	const char	*prog;		/* program name, for messages */
	const char	*usage;		/* the USAGE line */
	const char	*backend_help;	/* -h: what -b NAME picks */
	const char	*help;		/* -h: the lines of save, delete, run */
	int		 type;		/* enum backend_type it writes */
	const char	*type_word;	/* that type as app.yml spells it */
	size_t		 batch_max;	/* run: jobs per batch */
	int		 batch_env;	/* run: $DADNS_BATCH_MAX may set it */
	/* Set up the backend be of cfg, for one job (oneshot set) or for
	 * run; a program's code, it exits with a fatal line when it cannot.
	 * Returns the ctx handed to the functions below. */
	void		*(*open)(struct config *cfg,
			    const struct config_backend *be, int oneshot);
	/* Apply a batch, as in struct runner_backend: apply, or start and
	 * finish (both or neither). A save that does not validate fails
	 * with RUNNER_PERM and a reason "invalid zone data: WHY". */
	void		 (*apply)(void *ctx, struct runner_item *it,
			    size_t n);
	void		*(*start)(void *ctx, struct runner_item *it,
			    size_t n);
	void		 (*finish)(void *ctx, void *token,
			    struct runner_item *it, size_t n);
	/* Optional, run only: called last before the queue runner starts
	 * (clean up leftovers, say what runs). */
	void		 (*running)(void *ctx);
	/* Release what open() set up. */
	void		 (*close)(void *ctx);
};

/*
 * The whole program of a zone writer: parse the options and the command,
 * load app.yml, pick the backend of ops->type (-b NAME, or the only
 * enabled one), ignore SIGPIPE, open() it, then either apply one `save
 * ZONE` (zone text on stdin) or `delete ZONE` and log its outcome, or
 * `run` the queue runner until SIGTERM or SIGINT with -d's readiness.
 * Exits with a fatal line and 100 or 111 on failure. Returns 0 (main()'s
 * return value).
 */
int writer_main(int argc, char *argv[], const struct writer_ops *ops);

/*
 * The text of the save it ready for a zone file into *text (malloc'd,
 * NUL-terminated) and *len, and it->job.serial set: zone_prepare()'s
 * result, or for a text dadns generated (it->job.generated: the catalog
 * zone, valid by construction, with its own $ORIGIN and $TTL) a copy of
 * it, its records not parsed again. Returns 0, or -1 with zone_prepare()'s
 * message in err (or "out of memory").
 */
int writer_prepare(struct runner_item *it, char **text, size_t *len,
    char *err, size_t errlen);

/* Nonzero once SIGTERM or SIGINT came in `run`: a backend waiting on its
 * own (for a database to answer) gives up then. */
int writer_stopped(void);

/* Print one diagnostic line of an enum log_level with the program's
 * logger: the log hook of the runner and of servewait. */
void writer_log(int level, const char *msg);

/* zonefile_clean()'s report of a stale file it removed: an info line
 * "removed stale DIR/NAME" (arg: the directory's path). */
void writer_removed(void *arg, const char *name);

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

#endif
