/* rndc.h -- run BIND's tools (rndc, named-checkconf): many at once, bounded */
/* SPDX-License-Identifier: ISC */
#ifndef RNDC_H
#define RNDC_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "rndcconf.h"
#include "rndcproto.h"

#define RNDC_WHY_MAX	256

/* One program run: argv in, exit status and output out. */
struct rndc_call {
	const char *const *argv;	/* in: NULL-terminated, argv[0]
					 * looked up in PATH; with
					 * rndc_ctl_run() set from cmd */
	const char *const *cmd;		/* in, rndc_ctl_run() only: the
					 * command's words, NULL-terminated */
	int		 status;	/* out: exit code 0-255, or -1 when the
					 * program could not be run, was
					 * killed or timed out (see why) */
	char		*out;		/* out: stdout and stderr merged,
					 * malloc'd, NUL-terminated ("" at
					 * least when status >= 0) */
	char		 why[RNDC_WHY_MAX];	/* out: with status -1 */
	/* private */
	pid_t		 pid_;
	int		 fd_;
	struct buf	 buf_;		/* holds out */
	long long	 deadline_;
	const char	*argv_[16];
};

/* How rndc commands reach named: by its control channel in-process, or
 * by the rndc program. */
struct rndc_ctl {
	const char	*conf;		/* rndc's configuration, NULL: its
					 * default */
	int		 native;	/* 1: the control channel in-process */
	char		 why[RNDC_WHY_MAX];	/* why not native */
	/* private */
	int		 down_;		/* native failed to connect or
					 * authenticate last time */
	struct rndcconf	 rc_;
	struct rndcproto proto_;
	struct buf	 cmd_;
};

/*
 * Set up ctl for rndc's configuration conf (NULL: rndc's default). Unless
 * program is set, read it for the control channel in-process; when that
 * cannot use it (a host name for a server, an option it does not know),
 * ctl runs the rndc program and why says why. Returns ctl->native.
 */
int rndc_ctl_open(struct rndc_ctl *ctl, const char *conf, int program);

/*
 * Run the commands (cmd) of the n calls and fill each call's status, out
 * and why as rndc_exec() does, out worded as the rndc program prints it.
 * Native: one after another on one kept connection (made again when it
 * broke). When the native path cannot connect or named refuses its key,
 * the calls left run the rndc program, parallel at a time (logged when it
 * happens, and when native works again). timeout_ms bounds each command.
 */
void rndc_ctl_run(struct rndc_ctl *ctl, struct rndc_call *c, size_t n,
    size_t parallel, int timeout_ms);

/* The server and key of a native ctl ("127.0.0.1#953 key rndc-key") or
 * "program" with why, into buf. Returns buf. */
const char *rndc_ctl_describe(const struct rndc_ctl *ctl, char *buf,
    size_t size);

/* Close ctl's connection, wipe its key. */
void rndc_ctl_close(struct rndc_ctl *ctl);

/* What an rndc command answered. */
enum rndc_answer {
	RNDC_OK = 0,		/* exit 0 */
	RNDC_NOT_FOUND,		/* "failed: not found": no such zone */
	RNDC_EXISTS,		/* "failed: already exists" */
	RNDC_FAILED		/* anything else: see rndc_reason() */
};

/*
 * Run the n calls with at most parallel of them at a time (stdin from
 * /dev/null), each killed after timeout_ms, and fill every call's status,
 * out and why. Returns 0 once all have ended, or -1 with errno set when
 * no process could be started at all (each call's why says so too). The
 * caller ignores or handles SIGCHLD in the default way (not SIG_IGN).
 */
int rndc_exec(struct rndc_call *c, size_t n, size_t parallel,
    int timeout_ms);

/* Free the outputs of the n calls (the calls themselves are the
 * caller's). */
void rndc_free(struct rndc_call *c, size_t n);

/* Classify the answer of a finished rndc call. */
enum rndc_answer rndc_answer(const struct rndc_call *c);

/* A one-line reason for a failed call into buf: why, or the first line of
 * rndc's output that says what failed. Returns buf. */
const char *rndc_reason(const struct rndc_call *c, char *buf, size_t size);

#endif
