/* seclag.h -- how far a primary's secondaries lag: SOA serials, a report */
/* SPDX-License-Identifier: ISC */
#ifndef SECLAG_H
#define SECLAG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dnsq.h"

struct config_secondary;

#define SECLAG_FILE	"secondaries.json"	/* in the queue location */
#define SECLAG_FILE_MAX	65536			/* read back at most */

enum seclag_state {
	SECLAG_OK = 0,		/* every zone asked has the primary's serial */
	SECLAG_BEHIND,		/* some zone has another serial, or none */
	SECLAG_DOWN		/* no answer at all */
};

/* One secondary of one backend during a reconcile pass. */
struct seclag {
	char		 backend[64];
	char		 address[64];	/* as configured */
	struct dnsq_server srv;
	enum seclag_state state;
	int		 answered;	/* some query had an answer */
	long long	 checked;	/* zones answered */
	long long	 behind;	/* of which another serial or none */
	long long	 unchecked;	/* zones without an answer */
	char		 why[160];	/* SECLAG_DOWN: what failed */
};

/* What seclag_check() calls for each lagging zone: have is the
 * secondary's answer (DNSQ_SOA with its serial, or DNSQ_OTHER), want the
 * primary's serial. */
typedef void seclag_fn(void *arg, const struct seclag *s, const char *zone,
    const struct dnsq_result *have, uint32_t want);

/* Set s up for the secondary sec of backend, state SECLAG_OK. Returns 0,
 * or -1 with s->state SECLAG_DOWN and s->why set (an address dnsq cannot
 * use). */
int seclag_init(struct seclag *s, const char *backend,
    const struct config_secondary *sec);

/*
 * Ask s for the SOA of the n zones, want[i] being the primary's serial of
 * zones[i]: UDP, pipelined, two rounds of at most timeout_ms each (the
 * second asks again what the first lost), then fn for every zone
 * answered with another serial or without its SOA. A secondary that never
 * answered anything since seclag_init() becomes SECLAG_DOWN and is not
 * asked again. Returns the number of lagging zones of this call.
 */
size_t seclag_check(struct seclag *s, const char *const zones[],
    const uint32_t want[], size_t n, int timeout_ms, seclag_fn *fn,
    void *arg);

/* The state's name: "ok", "behind" or "down". */
const char *seclag_state_name(enum seclag_state st);

/* Append the report of the n secondaries s[0..n), checked at now_us
 * (wall clock, microseconds), as one JSON object to out:
 * {"checked_at":...,"backends":{"B":[{"address":...,"state":...,
 * "checked":N,"behind":N,"unchecked":N,"reason":...}]}}. */
void seclag_json(const struct seclag *s, size_t n, long long now_us,
    struct buf *out);

/* Write the report text[0..len) to dir/SECLAG_FILE atomically (mode
 * 0644); with len 0, remove it. Returns 0, or -1 with errno set. */
int seclag_write(const char *dir, const char *text, size_t len);

/* The report in dir/SECLAG_FILE when it is one JSON object of at most
 * SECLAG_FILE_MAX bytes: malloc'd, NUL-terminated. NULL when absent or
 * not such an object (errno ENOENT for absent). */
char *seclag_read(const char *dir);

/* Append to out the Prometheus text of the report text[0..len) that
 * seclag_read() returned: dadns_secondary_up and dadns_secondary_zones
 * per backend and secondary. Returns 0, or -1 when text is not such a
 * report (out unchanged). */
int seclag_metrics(const char *text, size_t len, struct buf *out);

#endif
