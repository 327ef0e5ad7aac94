/* servewait.c -- wait until a name server serves the jobs of a batch */
/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "servewait.h"

/* Fail item x, not served as wanted with the last answer r. */
static void
fail(const struct servewait *o, struct runner_item *x,
    const struct dnsq_result *r)
{
	int s = o->timeout_ms / 1000;

	if (r->status == DNSQ_NONE)
		runner_fail(x, RUNNER_TEMP, "verify: no answer from %s for %s",
		    o->addr, x->job.zone);
	else if (x->job.action == JOB_DELETE)
		runner_fail(x, RUNNER_TEMP, "verify: %s still served by %s "
		    "after %d s", x->job.zone, o->addr, s);
	else if (r->status == DNSQ_SOA)
		runner_fail(x, RUNNER_TEMP, "verify: %s serves serial %" PRIu32
		    ", not %" PRIu32 " after %d s%s", o->addr, r->serial,
		    x->job.serial, s, o->hint);
	else
		runner_fail(x, RUNNER_TEMP, "verify: %s answers rcode %d%s for "
		    "%s after %d s", o->addr, r->rcode, r->aa ? "" :
		    " without AA", x->job.zone, s);
}

int
servewait_init(struct servewait *o, const char *addr, const char **why)
{
	memset(o, 0, sizeof(*o));
	if (dnsq_server_parse(addr, &o->srv, why) < 0)
		return -1;
	o->addr = addr;
	o->timeout_ms = SERVEWAIT_MS;
	o->round_ms = SERVEWAIT_ROUND_MS;
	o->first_ms = 1;
	o->hint = "";
	return 0;
}

int
servewait_run(const struct servewait *o, struct runner_item *it, size_t n)
{
	const char **zones;
	struct dnsq_result *res;
	char *pending;
	char msg[512];
	size_t *map, i, k, np;
	long long start = clock_ms(), now;
	int rounds = 0, done;

	zones = calloc(n, sizeof(*zones));
	res = calloc(n, sizeof(*res));
	map = calloc(n, sizeof(*map));
	pending = calloc(n, 1);
	if (zones == NULL || res == NULL || map == NULL || pending == NULL) {
		for (i = 0; i < n; i++)
			if (it[i].result == RUNNER_OK)
				runner_fail(&it[i], RUNNER_TEMP, "verify: out "
				    "of memory");
		rounds = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		pending[i] = it[i].result == RUNNER_OK;
	for (;;) {
		for (np = 0, i = 0; i < n; i++) {
			if (!pending[i])
				continue;
			zones[np] = it[i].job.zone;
			map[np++] = i;
		}
		if (np == 0)
			break;
		if (dnsq_soa(&o->srv, zones, np, o->round_ms, res) < 0) {
			memset(res, 0, np * sizeof(*res));
			if (o->log != NULL) {
				err_set_sys(msg, sizeof(msg), "verify: unable "
				    "to query %s", o->addr);
				o->log(LOG_DEBUG, msg);
			}
		}
		rounds++;
		now = clock_ms();
		for (k = 0; k < np; k++) {
			struct runner_item *x = &it[map[k]];

			if (x->job.action == JOB_SAVE)
				done = res[k].status == DNSQ_SOA &&
				    res[k].serial == x->job.serial;
			else
				done = res[k].status == DNSQ_OTHER;
			if (done) {
				pending[map[k]] = 0;
				x->applied_us = clock_wall_us();
				continue;
			}
			if (now - start < o->timeout_ms)
				continue;
			pending[map[k]] = 0;
			fail(o, x, &res[k]);
		}
		/* A server applies a change a few ms to tens of ms after it
		 * is told: ask often at first, then back off. */
		now = clock_ms();
		if (now - start < o->timeout_ms)
			poll(NULL, 0, now - start < 100 ? o->first_ms :
			    now - start < 1000 ? 10 : 50);
	}
out:
	free(pending);
	free(map);
	free(res);
	free(zones);
	return rounds;
}
