/* namedcheck.h -- validate zone files the way named will load them */
/* SPDX-License-Identifier: ISC */
#ifndef NAMEDCHECK_H
#define NAMEDCHECK_H

#include <stddef.h>

#define NAMEDCHECK_WHY_MAX	256

/* One zone file to check, and named-checkconf's verdict on it. */
struct namedcheck_zone {
	const char	*zone;		/* in: its name; NULL: skip it */
	const char	*file;		/* in: "PREFIX I-HEX.tmp" in the
					 * directory, I its index in z */
	unsigned long	 pre;		/* in: lines written before the
					 * text pushed */
	int		 verdict;	/* out: 1 loaded, -1 rejected, 0 none */
	char		 why[NAMEDCHECK_WHY_MAX];	/* out: the first
					 * detail; with no verdict, why */
};

/*
 * Check the zone files of z[0..n) in the directory dfd (absolute path
 * dir) with one named-checkconf -z, killed after timeout_ms, over a
 * configuration written there as "PREFIX HEX.conf" (removed after) that
 * lists only those zones, so that named's defaults for primary zones
 * apply (check-names fail, check-integrity yes...). named-checkconf goes
 * on after a bad zone and names each: every zone gets its verdict and its
 * first detail, where "FILE:N: ..." becomes "line N...", N counted in the
 * text pushed. Returns 0, or -1 with a message in err (and no verdicts)
 * when the configuration could not be written or named-checkconf not run.
 */
int namedcheck_run(int dfd, const char *dir, const char *prefix,
    struct namedcheck_zone *z, size_t n, int timeout_ms, char *err,
    size_t errlen);

#endif
