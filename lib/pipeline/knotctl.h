/* knotctl.h -- knotd's control socket: conf transactions, zone commands */
/* SPDX-License-Identifier: ISC */
#ifndef KNOTCTL_H
#define KNOTCTL_H

#include <stddef.h>

#define KNOTCTL_WHY_MAX		192
#define KNOTCTL_FIELDS		12	/* KNOT_CTL_IDX__COUNT of Knot 3.2 */

/* Indexes of the fields of a control unit (libknot's knot_ctl_idx_t). */
enum {
	KNOTCTL_CMD = 0, KNOTCTL_FLAGS, KNOTCTL_ERROR, KNOTCTL_SECTION,
	KNOTCTL_ITEM, KNOTCTL_ID, KNOTCTL_ZONE, KNOTCTL_OWNER, KNOTCTL_TTL,
	KNOTCTL_TYPE, KNOTCTL_DATA, KNOTCTL_FILTER
};

/*
 * How to reach knotd, and the connection while a batch runs: one
 * connection carries many commands (knotd serves one control connection at
 * a time, so it is closed between batches). The caller ignores SIGPIPE.
 */
struct knotctl {
	const char	*socket;	/* knotd's control listen path */
	int		 timeout_ms;	/* for one send or receive */
	void		*ctl;		/* knot_ctl_t, NULL when closed */
};

/* Outcome for one zone of a command. */
struct knotctl_zone {
	const char	*zone;			/* in: "example.com" */
	int		 failed;		/* out */
	char		 why[KNOTCTL_WHY_MAX];	/* out: knotd's error */
};

/* Connect to k->socket unless connected. Returns 0, or -1 with a message
 * in err. */
int knotctl_open(struct knotctl *k, char *err, size_t errlen);

/* End the session and close the connection (a closed one is fine). */
void knotctl_close(struct knotctl *k);

/*
 * Run one command without arguments (conf-begin, conf-commit, conf-abort,
 * status). Returns 0 when knotd said OK, 1 with knotd's error in err, or
 * -1 with a message in err when knotd could not be reached or did not
 * answer (the connection is closed then).
 */
int knotctl_simple(struct knotctl *k, const char *cmd, char *err,
    size_t errlen);

/*
 * Run cmd (zone-reload, zone-purge...) with flags (NULL, or "B" to block
 * until done) once over the n zones z[i].zone, filling z[i].failed and
 * z[i].why from knotd's answer. Returns as knotctl_simple(); an error that
 * names no zone fails every zone with it and returns 1.
 */
int knotctl_zones(struct knotctl *k, const char *cmd, const char *flags,
    struct knotctl_zone *z, size_t n, char *err, size_t errlen);

/*
 * Inside a conf transaction: add (set non-zero) or remove the n zones
 * z[i].zone, in one command, or, when knotd refuses one (and so all of
 * that command), one command per zone, many in flight: an add sets
 * zone[NAME], its template tmpl and, when file[i] is not NULL, its file;
 * a remove unsets zone[NAME]. A zone knotd refuses fails alone, with
 * knotd's error ("duplicate identifier": configured already; "invalid
 * identifier": not configured). Returns 0, or -1 with a message in err
 * when knotd could not be reached (every zone not answered failed).
 */
int knotctl_conf_zones(struct knotctl *k, int set, const char *tmpl,
    const char *const file[], struct knotctl_zone *z, size_t n, char *err,
    size_t errlen);

/*
 * Call fn(arg, zone) for every zone knotd's configuration gives the
 * template tmpl (conf-read zone.template), zone as "example.com". Returns
 * 0, 1 with knotd's error in err, -1 with a message in err when knotd
 * could not be reached, or -2 when fn returned non-zero.
 */
int knotctl_template_zones(struct knotctl *k, const char *tmpl,
    int (*fn)(void *arg, const char *zone), void *arg, char *err,
    size_t errlen);

/*
 * The parse of one answer unit of a command over zones z[0..n): the
 * fields d[0..KNOTCTL_FIELDS) as knotd sent them (NULL when absent). An
 * error naming a zone (its ZONE or ID field, trailing dot and case
 * ignored) among z fails that zone; any other error is the command's,
 * copied into why (when why[0] is still empty). Returns 1 for an error,
 * else 0.
 */
int knotctl_take(const char *const d[KNOTCTL_FIELDS], struct knotctl_zone *z,
    size_t n, char *why, size_t whylen);

/*
 * The parse of one answer unit of conf-read zone.template: when it sets
 * the template of a zone to tmpl, write the zone's name ("example.com",
 * lower case, checked as zone_name_norm() does) into zone[0..size) and
 * return 1; return 0 for any other unit, -1 for one whose zone name is
 * not valid.
 */
int knotctl_template_unit(const char *const d[KNOTCTL_FIELDS],
    const char *tmpl, char *zone, size_t size);

#endif
