/* nsdctl.h -- NSD remote control: NSDCT1 over a unix socket, or nsd-control */
/* SPDX-License-Identifier: ISC */
#ifndef NSDCTL_H
#define NSDCTL_H

#include <stddef.h>

#define NSDCTL_WHY_MAX	192

/*
 * How to reach NSD. With a socket (NSD's control-interface when it is an
 * absolute path) the NSDCT1 protocol is spoken directly; without one,
 * nsd-control (found in PATH) is run with -c conf. The caller ignores
 * SIGPIPE.
 */
struct nsdctl {
	const char	*socket;	/* unix socket, NULL or "": exec */
	const char	*conf;		/* nsd.conf for nsd-control,
					 * "" for its default */
	int		 timeout_ms;	/* for one whole command */
};

/* Outcome for one zone of addzones/delzones. */
enum nsdctl_state {
	NSDCTL_FAILED = 0,	/* see why */
	NSDCTL_ADDED,		/* addzones: newly configured */
	NSDCTL_EXISTED,		/* addzones: was configured already */
	NSDCTL_REMOVED,		/* delzones: removed */
	NSDCTL_ABSENT		/* delzones: was not configured */
};

struct nsdctl_zone {
	const char	*zone;			/* in */
	enum nsdctl_state state;		/* out */
	char		 why[NSDCTL_WHY_MAX];	/* out, with FAILED */
};

/*
 * Run one command: argv (NULL-terminated words, e.g. {"reload", "a.b",
 * NULL}) and, when lines is not NULL, the nlines list lines that follow it
 * (addzones/delzones; the end-of-list bytes 0x04 0x0a are added). Collects
 * NSD's whole answer. Returns 0 with *outp (malloc'd, NUL-terminated, the
 * caller frees it) set, or -1 with a message in err when no answer could
 * be had (cannot connect, timeout, nsd-control not runnable or killed).
 */
int nsdctl_cmd(const struct nsdctl *c, const char *const argv[],
    const char *const lines[], size_t nlines, char **outp, char *err,
    size_t errlen);

/*
 * Configure the n zones z[i].zone with pattern in one addzones command and
 * fill each z[i].state (NSDCTL_ADDED, NSDCTL_EXISTED or NSDCTL_FAILED with
 * z[i].why; a zone NSD's answer does not cover failed). Returns 0 when NSD
 * answered, or -1 with a message in err (and every zone failed with it)
 * when it could not be reached or did not answer in time.
 */
int nsdctl_addzones(const struct nsdctl *c, const char *pattern,
    struct nsdctl_zone *z, size_t n, char *err, size_t errlen);

/* Remove the n zones in one delzones command, filling z[i].state with
 * NSDCTL_REMOVED, NSDCTL_ABSENT or NSDCTL_FAILED. Returns as
 * nsdctl_addzones(). */
int nsdctl_delzones(const struct nsdctl *c, struct nsdctl_zone *z, size_t n,
    char *err, size_t errlen);

/* Ask NSD to re-read zone's file (every zone file when zone is NULL) if
 * its mtime changed. Returns 0 on "ok", 1 with NSD's other answer in err,
 * or -1 with a message in err when NSD could not be reached or did not
 * answer in time. */
int nsdctl_reload(const struct nsdctl *c, const char *zone, char *err,
    size_t errlen);

/*
 * Whether NSD knows each of the n patterns: one addzones of a name NSD
 * cannot parse, with each pattern, which NSD answers only after looking
 * the pattern up, so nothing is added. Sets known[i] to 1 or 0 and
 * returns 0, or returns -1 with a message in err when NSD could not be
 * reached or answered otherwise.
 */
int nsdctl_patterns(const struct nsdctl *c, const char *const pattern[],
    size_t n, int known[], char *err, size_t errlen);

#endif
