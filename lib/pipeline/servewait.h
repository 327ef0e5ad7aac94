/* servewait.h -- wait until a name server serves the jobs of a batch */
/* SPDX-License-Identifier: ISC */
#ifndef SERVEWAIT_H
#define SERVEWAIT_H

#include <stddef.h>

#include "dnsq.h"
#include "runner.h"

#define SERVEWAIT_MS		10000	/* until a change must be served */
#define SERVEWAIT_ROUND_MS	100	/* waiting for one round's answers */

struct servewait {
	struct dnsq_server srv;
	const char	*addr;		/* srv as configured, for messages */
	int		 timeout_ms;	/* until a change must be served */
	int		 round_ms;	/* waiting for one round's answers */
	int		 first_ms;	/* pause between rounds in the first
					 * 100 ms (10 ms, then 50 ms later) */
	const char	*hint;		/* after a wrong serial's reason */
	/* Print one diagnostic line (an enum log_level), or NULL. */
	void		(*log)(int level, const char *msg);
};

/* Set o up to ask the server at addr (dnsq_server_parse()'s syntax; addr
 * must outlive o) for SERVEWAIT_MS, rounds of SERVEWAIT_ROUND_MS, 1 ms
 * between the first rounds, no hint and no log. Returns 0, or -1 with
 * *why set to a static message. */
int servewait_init(struct servewait *o, const char *addr, const char **why);

/*
 * Ask o->srv about every item of it[0..n) whose result is RUNNER_OK until
 * each is served as wanted (a save: the zone's SOA with the job's serial
 * and AA; a delete: no SOA of the zone), which sets its applied_us, or
 * o->timeout_ms passed, which fails it with RUNNER_TEMP and the reason.
 * Returns the number of rounds asked, or -1 when out of memory (the items
 * failed then too).
 */
int servewait_run(const struct servewait *o, struct runner_item *it,
    size_t n);

#endif
