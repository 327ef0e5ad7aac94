/* runner.h -- the queue runner of the zone writers: batches, retries, order */
/* SPDX-License-Identifier: ISC */
#ifndef RUNNER_H
#define RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "job.h"

#define RUNNER_SCHEDULE_MAX	16
#define RUNNER_REASON_MAX	256

enum runner_result {
	RUNNER_OK = 0,		/* applied: the job is removed */
	RUNNER_TEMP,		/* retry later on the schedule */
	RUNNER_PERM		/* will never work: the job goes to fail/ */
};

/* One job handed to a backend. */
struct runner_item {
	struct job	 job;		/* parsed; text points into a
					 * buffer the runner owns */
	const char	*name;		/* file name in new/, or "" */
	enum runner_result result;	/* set by the backend */
	char		 reason[RUNNER_REASON_MAX];	/* TEMP, PERM */
	long long	 applied_us;	/* with OK: when the change was
					 * seen served (0: now) */
	char		*mem_;		/* private to the runner */
};

/* Set the result of it to res and its reason to the formatted message. */
void runner_fail(struct runner_item *it, enum runner_result res,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like runner_fail() with ": strerror(errno)" appended; errno is kept. */
void runner_fail_sys(struct runner_item *it, enum runner_result res,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What a writer plugs into the runner. */
struct runner_backend {
	const char	*name;		/* backend instance: the queue
					 * and the store's backend key */
	void		*ctx;
	/* Apply items[0..n), at most one job per zone, in arrival order.
	 * Each item comes with result RUNNER_OK, an empty reason and
	 * applied_us 0; fail those that fail (runner_fail()). */
	void		(*apply)(void *ctx, struct runner_item *items,
			    size_t n);
	/* Optional, both or neither: apply() in two halves, so that the
	 * runner loads and starts the next batch (never with a zone of this
	 * one) while the backend waits for this one to take effect. start()
	 * returns a token for finish() (NULL is a valid token); finish()
	 * sets every item's result. When set, apply is not used. */
	void		*(*start)(void *ctx, struct runner_item *items,
			    size_t n);
	void		(*finish)(void *ctx, void *token,
			    struct runner_item *items, size_t n);
	/* Print one diagnostic line; level is an enum log_level. */
	void		(*log)(int level, const char *msg);
};

struct runner_opts {
	const char	*spool;		/* queue_location */
	const char	*store;		/* the store (db_location) */
	int		 notify_fd;	/* readiness fd, -1 for none */
	const unsigned	*schedule;	/* retry delays in seconds */
	size_t		 nschedule;
	size_t		 batch_max;	/* jobs per apply() call */
	/* Set by the program's own signal handler: finish and return. */
	const volatile sig_atomic_t *stop;
	/* Non-blocking read end of a pipe the same handler writes a byte
	 * to, so that a wait ends at once; -1 for none. */
	int		 wake_fd;
	/* Textfile metrics: the directory of dadns-writer-<queue>.prom,
	 * rewritten after each pass and each second of a long one; NULL or
	 * "" for none. */
	const char	*metrics_dir;
};

/* Parse a retry schedule, comma-separated seconds ("30,120,300"), each
 * 1-86400, at most max of them, into sched. Returns the count, or -1 with
 * *why set to a static message. */
int runner_schedule_parse(const char *s, unsigned sched[], size_t max,
    const char **why);

/*
 * Consume the backend's queue until *o->stop is set (a NULL o->stop
 * never stops; the batches in progress are finished first, and no signal
 * handler is installed here). Each pass: scan new/, drop all but the
 * newest job of each zone, parse it (an unparsable job goes to fail/ at
 * once), prefer the store's state when the store holds a newer change than
 * the job, hand due jobs to the backend in batches (two in flight with
 * start/finish), then record applied ones in the store and remove them,
 * move permanent failures to fail/ with their reason, and keep temporary
 * ones for the next retry; after the last delay of the schedule a job goes
 * to fail/. Retry counts live in memory: a restart retries every job at
 * once. Between passes it sleeps on the queue's trigger and o->wake_fd
 * with a 60 s rescan. With o->metrics_dir, keeps the queue's counters
 * there (jobs applied, failed, retried, superseded, batch seconds, queue
 * depth, last success); a failed write is logged, never fatal. Writes
 * "\n" to o->notify_fd (then closes it) once
 * the spool and store are open and the first scan is done. Returns 0 once
 * stopped, or -1 with a message in err when the spool or the store cannot
 * be used.
 */
int runner_run(const struct runner_opts *o, const struct runner_backend *b,
    char *err, size_t errlen);

#endif
