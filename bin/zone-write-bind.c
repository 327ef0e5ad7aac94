/* zone-write-bind.c -- write zones to BIND 9: zone files and named's
 * control channel */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-bind [-V] [-c app.yml] [-b backend] [-d fd] " \
	"[-v|-q] save ZONE | delete ZONE | run"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "namedcheck.h"
#include "namedlist.h"
#include "rndc.h"
#include "runner.h"
#include "secondary.h"
#include "servewait.h"
#include "store.h"
#include "writer.h"
#include "zone.h"
#include "zonefile.h"

#define BATCH_MAX	10000	/* jobs per batch in run mode: a bulk
				 * load is one reconfig per batch */
#define RNDC_PARALLEL	4	/* rndc processes in flight */
#define RNDC_TIMEOUT_MS	30000	/* one rndc command */
#define CHECK_TIMEOUT_MS 120000	/* named-checkconf -z of one batch */
#define TMP_PREFIX	".zwb-"
#define TMP_STALE_S	3600	/* leftover temporary files */
#define SYNC_EACH_MAX	16	/* bigger batches: one syncfs() */

struct bind {
	const struct config_backend *be;
	const struct config *cfg;
	char		 zdir[PATH_MAX];	/* zones_dir, absolute */
	int		 zfd;
	int		 verify;	/* sw is set */
	struct servewait sw;
	struct rndc_ctl	 ctl;		/* how rndc commands reach named */
	struct namedlist list;		/* NAMEDLIST_FILE: zones of bulk
					 * loads */
};

enum step { S_NONE, S_ADD, S_RELOAD, S_DEL };

/* Per-item state of one batch. */
struct work {
	char		*text;		/* prepared zone text (save) */
	size_t		 len;
	unsigned long	 pre;		/* lines zone_prepare() put before
					 * the pushed text */
	char		 tmp[64];	/* temporary file name, "" when none */
	int		 existed;	/* the zone file was there before */
	int		 installed;	/* renamed into place */
	int		 unlisted;	/* taken out of the zone list */
	enum step	 step;		/* the rndc command of this round */
	char		*stmt;		/* addzone's zone statement */
	const char	*cmd[4];	/* the rndc command */
};

/* Write the prepared text of item i into a new temporary file of
 * zones_dir, .zwb-I-RANDOM.tmp: I leads named-checkconf's messages back to
 * the item, the random part keeps the name unpredictable. */
static int
write_tmp(struct bind *b, struct runner_item *it, struct work *w, size_t i,
    int sync)
{
	char pfx[32];

	snprintf(pfx, sizeof(pfx), TMP_PREFIX "%zu-", i);
	if (zonefile_write(b->zfd, pfx, ".tmp", w->text, w->len, sync, w->tmp,
	    sizeof(w->tmp)) == 0)
		return 0;
	runner_fail_sys(it, RUNNER_TEMP, "unable to write a temporary file "
	    "in %s", b->zdir);
	w->tmp[0] = '\0';
	return -1;
}

/* Fail every item whose written file awaits its check, with reason why. */
static void
fail_written(struct runner_item *it, const struct work *w, size_t n,
    const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
			runner_fail(&it[i], RUNNER_TEMP, "%s", why);
}

/*
 * Validate every written temporary file the way named will load it, with
 * one named-checkconf -z over them all. A zone named rejects fails
 * permanently with the first message about it; no verdict at all is a
 * temporary failure.
 */
static void
check(struct bind *b, struct runner_item *it, struct work *w, size_t n)
{
	struct namedcheck_zone *z;
	char err[RNDC_WHY_MAX + 64];
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
			m++;
	if (m == 0)
		return;
	if ((z = calloc(n, sizeof(*z))) == NULL) {
		err_set_sys(err, sizeof(err), "unable to write a configuration "
		    "in %s", b->zdir);
		fail_written(it, w, n, err);
		return;
	}
	for (i = 0; i < n; i++) {
		if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK)
			continue;
		z[i].zone = it[i].job.zone;
		z[i].file = w[i].tmp;
		z[i].pre = w[i].pre;
	}
	if (namedcheck_run(b->zfd, b->zdir, TMP_PREFIX, z, n, CHECK_TIMEOUT_MS,
	    err, sizeof(err)) < 0) {
		fail_written(it, w, n, err);
		free(z);
		return;
	}
	for (i = 0; i < n; i++) {
		if (z[i].zone == NULL)
			continue;
		if (z[i].verdict == 1 && z[i].why[0] != '\0')
			log_debug("validate: zone=%s: %s", z[i].zone,
			    z[i].why);
		else if (z[i].verdict < 0)
			runner_fail(&it[i], RUNNER_PERM, "invalid zone data "
			    "(named-checkconf): %s", z[i].why[0] != '\0' ?
			    z[i].why : "rejected");
		else if (z[i].verdict == 0)
			runner_fail(&it[i], RUNNER_TEMP, "validate: %s",
			    z[i].why);
	}
	free(z);
}

/* The zone statement of addzone, modzone and the zone list for zone
 * ("{ ... };"), with the options of the backend's secondaries and tag
 * (its journal's name): malloc'd, or NULL when out of memory. */
static char *
zone_stmt(struct bind *b, const char *zone, unsigned long long tag)
{
	struct buf sb = { 0 };
	char name[ZONEFILE_NAME_MAX + 1];

	zonefile_name(zone, name, sizeof(name));
	secondary_bind_zone(b->be, b->zdir, name, zone, tag, &sb);
	if (sb.oom) {
		buf_free(&sb);
		return NULL;
	}
	return sb.p;
}

/* The tag of a job's zone statement: its sequence number, else the time
 * it was pushed. */
static unsigned long long
job_tag(const struct runner_item *it)
{
	return it->job.seq != 0 ? it->job.seq :
	    (unsigned long long)it->job.pushed_us;
}

/* Set up w's rndc command for step s. */
static void
set_step(struct bind *b, struct runner_item *it, struct work *w,
    enum step s)
{
	int a = 0;

	w->step = s;
	switch (s) {
	case S_ADD:
		free(w->stmt);
		w->stmt = zone_stmt(b, it->job.zone, job_tag(it));
		w->cmd[a++] = "addzone";
		w->cmd[a++] = it->job.zone;
		w->cmd[a++] = w->stmt != NULL ? w->stmt : "";
		if (w->stmt == NULL)
			runner_fail(it, RUNNER_TEMP, "out of memory");
		break;
	case S_RELOAD:
		w->cmd[a++] = "reload";
		w->cmd[a++] = it->job.zone;
		break;
	case S_DEL:
		w->cmd[a++] = "delzone";
		w->cmd[a++] = it->job.zone;
		break;
	case S_NONE:
		break;
	}
	w->cmd[a] = NULL;
}

static const char *
step_word(enum step s)
{
	return s == S_ADD ? "addzone" : s == S_RELOAD ? "reload" : "delzone";
}

/* Run one rndc command ({"reconfig"}, {"modzone", Z, STMT}...) with the
 * backend's rndc_conf. Returns 0, or -1 with the reason in why. */
static int
rndc_one(struct bind *b, const char *const cmd[], char *why, size_t size)
{
	struct rndc_call c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.cmd = cmd;
	rndc_ctl_run(&b->ctl, &c, 1, 1, RNDC_TIMEOUT_MS);
	rc = rndc_answer(&c) == RNDC_OK ? 0 :
	    rndc_answer(&c) == RNDC_NOT_FOUND ? 1 : -1;
	if (rc < 0)
		rndc_reason(&c, why, size);
	rndc_free(&c, 1);
	return rc;
}

/*
 * Write the zone list after zones were taken out of it (the items marked
 * unlisted) before their command (what, addzone or delzone) runs: when it
 * cannot be written they fail, as named would find them in the list at
 * its next start or reconfig.
 */
static void
unlist_save(struct bind *b, struct runner_item *it, struct work *w,
    size_t n, const char *what)
{
	size_t i;

	if (namedlist_save(&b->list, b->zfd, TMP_PREFIX) == 0)
		return;
	for (i = 0; i < n; i++)
		if (w[i].unlisted && it[i].result == RUNNER_OK)
			runner_fail_sys(&it[i], RUNNER_TEMP, "unable to write "
			    "%s/%s before %s", b->zdir, NAMEDLIST_FILE, what);
}

/*
 * Run the rndc command of every item with a step: in-process on the
 * kept control channel, or RNDC_PARALLEL rndc programs at a time. An addzone of a zone BIND has turns into a reload, a reload of a
 * zone it lacks into an addzone (the zone file is the guess, BIND's NZD
 * the truth); a delzone of an absent zone is done. Returns the number of
 * commands run.
 */
static size_t
control(struct bind *b, struct runner_item *it, struct work *w, size_t n)
{
	struct rndc_call *calls;
	size_t *map, i, k, nc, total = 0;
	char why[RUNNER_REASON_MAX];
	int round, dirty = 0;

	calls = calloc(n, sizeof(*calls));
	map = calloc(n, sizeof(*map));
	if (calls == NULL || map == NULL) {
		for (i = 0; i < n; i++)
			if (w[i].step != S_NONE)
				runner_fail(&it[i], RUNNER_TEMP,
				    "out of memory");
		goto out;
	}
	for (round = 0; round < 2; round++) {
		for (nc = 0, i = 0; i < n; i++) {
			if (w[i].step == S_NONE || it[i].result != RUNNER_OK)
				continue;
			memset(&calls[nc], 0, sizeof(calls[nc]));
			calls[nc].cmd = w[i].cmd;
			map[nc++] = i;
		}
		if (nc == 0)
			break;
		rndc_ctl_run(&b->ctl, calls, nc, RNDC_PARALLEL,
		    RNDC_TIMEOUT_MS);
		total += nc;
		for (k = 0; k < nc; k++) {
			struct runner_item *x = &it[map[k]];
			struct work *y = &w[map[k]];
			enum rndc_answer a = rndc_answer(&calls[k]);

			if (a == RNDC_OK || (a == RNDC_NOT_FOUND &&
			    y->step == S_DEL)) {
				if (y->step == S_RELOAD && strstr(calls[k].out,
				    "up-to-date") != NULL)
					log_debug("reload zone=%s: %s",
					    x->job.zone, "up-to-date");
				y->step = S_NONE;
				continue;
			}
			if (round == 0 && a == RNDC_EXISTS &&
			    y->step == S_ADD) {
				set_step(b, x, y, S_RELOAD);
				continue;
			}
			if (round == 0 && a == RNDC_NOT_FOUND &&
			    y->step == S_RELOAD) {
				/* named lacks a zone of the list: out of
				 * it first, or named would find it twice. */
				if (namedlist_del(&b->list, x->job.zone))
					y->unlisted = dirty = 1;
				set_step(b, x, y, S_ADD);
				continue;
			}
			runner_fail(x, RUNNER_TEMP, "%s %s: %s",
			    step_word(y->step), x->job.zone,
			    rndc_reason(&calls[k], why, sizeof(why)));
		}
		rndc_free(calls, nc);
		if (dirty) {
			unlist_save(b, it, w, n, "addzone");
			dirty = 0;
		}
	}
out:
	free(calls);
	free(map);
	return total;
}

/*
 * Validate the saves of a batch in-process (zone_prepare) and write each
 * into a temporary file, durable before any of them replaces a zone file:
 * each synced in a small batch, one file system sync in a bigger one.
 * Returns how many were written.
 */
static size_t
write_saves(struct bind *b, struct runner_item *it, struct work *w,
    size_t n)
{
	char err[512];
	size_t i, k, nwritten = 0;

	for (i = 0; i < n; i++) {
		if (it[i].job.action == JOB_DELETE)
			continue;
		if (writer_prepare(&it[i], &w[i].text, &w[i].len, err,
		    sizeof(err)) < 0) {
			runner_fail(&it[i], RUNNER_PERM, "invalid zone "
			    "data: %s", err);
			continue;
		}
		for (k = 0; k + it[i].job.textlen < w[i].len; k++)
			if (w[i].text[k] == '\n')
				w[i].pre++;
		if (write_tmp(b, &it[i], &w[i], i, n <= SYNC_EACH_MAX) == 0)
			nwritten++;
	}
	if (nwritten > 0 && n > SYNC_EACH_MAX && syncfs(b->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0')
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to sync %s", b->zdir);
	}
	return nwritten;
}

/* Counts of one batch, for the debug line. */
struct tally {
	size_t		 ninst, nadd, nrel, ndel, nlist;
};

/*
 * Rename each checked file in place, with a later mtime than the file it
 * replaces (like NSD, named reloads a zone file only when its mtime is
 * later than that of the file it loaded last), and give every item its
 * rndc command: addzone (a new zone), reload (a known one) or delzone.
 */
static void
install_saves(struct bind *b, struct runner_item *it, struct work *w,
    size_t n, struct tally *t)
{
	char err[RUNNER_REASON_MAX];
	size_t i;
	int dirty = 0, known;

	for (i = 0; i < n; i++) {
		if (it[i].result != RUNNER_OK)
			continue;
		if (it[i].job.action == JOB_DELETE) {
			/* Out of the list first: delzone alone would
			 * not keep it from coming back at a restart. */
			if (namedlist_del(&b->list, it[i].job.zone))
				w[i].unlisted = dirty = 1;
			set_step(b, &it[i], &w[i], S_DEL);
			t->ndel++;
			continue;
		}
		if (zonefile_install(b->zfd, b->zdir, w[i].tmp, it[i].job.zone,
		    &w[i].existed, err, sizeof(err)) < 0) {
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
			continue;
		}
		w[i].tmp[0] = '\0';
		w[i].installed = 1;
		t->ninst++;
		/* A zone of the list is named's even without its file:
		 * reload, never addzone (control() takes it out of the
		 * list first when named lacks it). */
		known = w[i].existed || namedlist_has(&b->list,
		    it[i].job.zone);
		set_step(b, &it[i], &w[i], known ? S_RELOAD : S_ADD);
		if (known)
			t->nrel++;
		else
			t->nadd++;
	}
	if (t->ninst > 0 && fsync(b->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].step != S_NONE && w[i].step != S_DEL)
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to sync %s", b->zdir);
	}
	if (dirty)
		unlist_save(b, it, w, n, "delzone");
}

/*
 * A batch of at least bulk_min new zones: instead of one addzone each
 * (named pauses all its threads and commits its NZD, with two disk
 * syncs, per addzone), their zone statements go into the zone list
 * named.conf includes and one rndc reconfig loads them all. named
 * refuses a configuration naming a zone it has in its NZD (reconfig
 * answers "already exists", and named would not even start): then the
 * list is put back as it was and the zones go by addzone, whose "already
 * exists" turns into reload. Returns how many went into the list.
 */
static size_t
bulk_add(struct bind *b, struct runner_item *it, struct work *w, size_t n)
{
	const char *cmd[] = { "reconfig", NULL };
	const char *probe[] = { "zonestatus", NULL, NULL };
	char why[RNDC_WHY_MAX];
	size_t i, m = 0, k;
	char *stmt;
	long long t0;

	if (b->be->bulk_min == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (w[i].step == S_ADD && it[i].result == RUNNER_OK)
			m++;
	if (m < b->be->bulk_min)
		return 0;
	for (k = 0, i = 0; i < n; i++) {
		if (w[i].step != S_ADD || it[i].result != RUNNER_OK)
			continue;
		if ((stmt = zone_stmt(b, it[i].job.zone, job_tag(&it[i]))) ==
		    NULL || namedlist_put(&b->list, it[i].job.zone, stmt) < 0) {
			free(stmt);
			log_warn("zone list: out of memory; addzone instead");
			goto undo;
		}
		free(stmt);
		w[i].unlisted = -1;	/* listed by this batch */
		k++;
	}
	t0 = clock_us();
	if (namedlist_save(&b->list, b->zfd, TMP_PREFIX) < 0) {
		log_warn("unable to write %s/%s: %s; addzone instead",
		    b->zdir, NAMEDLIST_FILE, strerror(errno));
		goto undo;
	}
	if (rndc_one(b, cmd, why, sizeof(why)) != 0) {
		log_warn("rndc reconfig with %zu new zones in %s/%s: %s; "
		    "addzone instead", k, b->zdir, NAMEDLIST_FILE, why);
		goto undo;
	}
	/* named has them once reconfigured, loaded or not: one lacking
	 * means named.conf does not include the list. */
	for (i = 0; i < n && w[i].unlisted >= 0; i++)
		;
	probe[1] = it[i].job.zone;
	if (rndc_one(b, probe, why, sizeof(why)) == 1) {
		log_warn("named does not have the zones of %s/%s after rndc "
		    "reconfig: named.conf must include it; addzone instead",
		    b->zdir, NAMEDLIST_FILE);
		goto undo;
	}
	for (i = 0; i < n; i++)
		if (w[i].unlisted < 0) {
			w[i].unlisted = 0;
			w[i].step = S_NONE;
		}
	log_debug("bind: %zu new zones into %s, reconfig_ms=%.1f", k,
	    NAMEDLIST_FILE, (clock_us() - t0) / 1000.0);
	return k;
undo:
	for (i = 0; i < n; i++)
		if (w[i].unlisted < 0) {
			w[i].unlisted = 0;
			namedlist_del(&b->list, it[i].job.zone);
		}
	if (namedlist_save(&b->list, b->zfd, TMP_PREFIX) < 0) {
		/* The file may name zones named does not have: none of
		 * them may go by addzone. */
		for (i = 0; i < n; i++)
			if (w[i].step == S_ADD && it[i].result == RUNNER_OK)
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to write %s/%s", b->zdir, NAMEDLIST_FILE);
	}
	return 0;
}

/*
 * The backend: make BIND serve the saves of a batch and drop its deletes.
 * Saves: validate in-process (zone_prepare), write temporary files, one
 * file system sync, validate them all with one named-checkconf -z, rename
 * the good ones in place (a bad text never replaces a zone file, so BIND
 * keeps serving the old zone, even after a restart), then rndc addzone
 * (new) or reload (known). Deletes: rndc delzone. The rndc commands run
 * RNDC_PARALLEL at a time. Then, when a verify address is set, wait until
 * BIND serves the result; last, remove the zone files of deleted zones.
 */
static void
bind_apply(void *ctx, struct runner_item *it, size_t n)
{
	struct bind *b = ctx;
	struct work *w;
	struct tally t;
	char err[RUNNER_REASON_MAX];
	size_t i, nrndc;
	long long t0 = clock_us(), t1, t2, t3, t4;

	if ((w = calloc(n, sizeof(*w))) == NULL) {
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "out of memory");
		return;
	}
	memset(&t, 0, sizeof(t));
	i = write_saves(b, it, w, n);
	t1 = clock_us();
	if (i > 0)
		check(b, it, w, n);
	t2 = clock_us();
	install_saves(b, it, w, n, &t);
	t.nlist = bulk_add(b, it, w, n);
	nrndc = control(b, it, w, n);
	/* A new zone BIND did not take must not pass for a known one
	 * next time. */
	for (i = 0; i < n; i++)
		if (w[i].installed && !w[i].existed &&
		    it[i].result != RUNNER_OK)
			zonefile_remove(b->zfd, b->zdir, it[i].job.zone, NULL,
			    0);
	t3 = clock_us();
	if (b->verify)
		servewait_run(&b->sw, it, n);
	t4 = clock_us();

	/* BIND dropped the deleted zones: their files can go. */
	for (i = 0; i < n; i++)
		if (it[i].job.action == JOB_DELETE &&
		    it[i].result == RUNNER_OK &&
		    zonefile_remove(b->zfd, b->zdir, it[i].job.zone, err,
		    sizeof(err)) < 0)
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
	log_debug("bind: jobs=%zu saves=%zu new=%zu known=%zu deletes=%zu "
	    "rndc=%zu listed=%zu write_ms=%.1f check_ms=%.1f control_ms=%.1f "
	    "verify_ms=%.1f", n, t.ninst, t.nadd, t.nrel, t.ndel, nrndc,
	    t.nlist,
	    (t1 - t0) / 1000.0, (t2 - t1) / 1000.0, (t3 - t2) / 1000.0,
	    (t4 - t3) / 1000.0);
	for (i = 0; i < n; i++) {
		if (w[i].tmp[0] != '\0')
			unlinkat(b->zfd, w[i].tmp, 0);
		free(w[i].text);
		free(w[i].stmt);
	}
	free(w);
}

/*
 * With secondaries: their TSIG keys into SECONDARY_BIND_FILE of the zones
 * directory, which named.conf includes; named reads it again (rndc
 * reconfig) when it changed, before any zone names a key.
 */
static void
secondaries_keys(struct bind *b)
{
	const char *cmd[] = { "reconfig", NULL };
	char why[RNDC_WHY_MAX];
	struct buf kb = { 0 };
	int rc;

	if (b->be->nsecondaries == 0)
		return;
	secondary_bind_keys(b->be, &kb);
	if (kb.oom)
		die(EXIT_TEMP, "out of memory");
	rc = secondary_put(b->zfd, SECONDARY_BIND_FILE, kb.p, kb.len);
	explicit_bzero(kb.p, kb.len);
	buf_free(&kb);
	if (rc < 0)
		die_sys(EXIT_TEMP, "unable to write %s/%s", b->zdir,
		    SECONDARY_BIND_FILE);
	if (rc == 0)
		return;
	if (rndc_one(b, cmd, why, sizeof(why)) != 0)
		die(EXIT_TEMP, "rndc reconfig, for the keys of %s/%s "
		    "(named.conf must include it): %s", b->zdir,
		    SECONDARY_BIND_FILE, why);
	log_info("named reconfigured with %s/%s (%zu secondaries)", b->zdir,
	    SECONDARY_BIND_FILE, b->be->nsecondaries);
}

/* A served zone for secondaries_modzone(): today's options, by rndc
 * modzone, or for a zone of the list in its statement there (named reads
 * the list again at the end). */
static int
modzone_one(void *arg, const char *zone)
{
	struct bind *b = arg;
	char why[RNDC_WHY_MAX], *stmt;
	const char *cmd[] = { "modzone", zone, NULL, NULL };

	if ((stmt = zone_stmt(b, zone, (unsigned long long)clock_wall_us())) ==
	    NULL) {
		log_warn("rndc modzone %s: out of memory", zone);
		return 0;
	}
	if (namedlist_has(&b->list, zone)) {
		if (namedlist_put(&b->list, zone, stmt) < 0)
			log_warn("zone list %s: out of memory", zone);
		free(stmt);
		return 0;
	}
	cmd[2] = stmt;
	if (rndc_one(b, cmd, why, sizeof(why)) < 0)
		log_warn("rndc modzone %s: %s", zone, why);
	free(stmt);
	return 0;
}

/* After secondaries_modzone(): the zone list with the new statements,
 * read again by named. */
static void
relist(struct bind *b)
{
	const char *cmd[] = { "reconfig", NULL };
	char why[RNDC_WHY_MAX];

	if (b->list.n == 0)
		return;
	if (namedlist_save(&b->list, b->zfd, TMP_PREFIX) < 0)
		log_warn("unable to write %s/%s: %s", b->zdir, NAMEDLIST_FILE,
		    strerror(errno));
	else if (rndc_one(b, cmd, why, sizeof(why)) != 0)
		log_warn("rndc reconfig, for %s/%s: %s", b->zdir,
		    NAMEDLIST_FILE, why);
}

/*
 * run: when the secondaries changed since the zones were added (the
 * store keeps the digest of those applied), give every zone the backend
 * serves, and the catalog zone, the new options with rndc modzone, once.
 */
static void
secondaries_modzone(struct bind *b)
{
	struct store_catalog sc;
	struct store *st;
	char err[512], digest[HASH_HEX_LEN + 1];
	long n;
	int rc;

	if ((st = store_open(b->cfg->db_location, err, sizeof(err))) ==
	    NULL) {
		log_warn("secondaries: %s", err);
		return;
	}
	secondary_digest(b->be, digest);
	if ((rc = store_catalog_get(st, b->be->name, &sc)) < 0 ||
	    strcmp(sc.options, digest) == 0)
		goto out;
	/* Zones added before any secondary have today's options. */
	if (b->be->nsecondaries > 0 || sc.options[0] != '\0') {
		log_info("secondaries changed: rndc modzone for every zone");
		if ((n = store_served_each(st, b->be->name, modzone_one,
		    b)) < 0) {
			log_warn("secondaries: unable to list the zones: %s",
			    store_errmsg(st));
			goto out;
		}
		if (b->be->catalog_zone[0] != '\0')
			modzone_one(b, b->be->catalog_zone);
		relist(b);
		log_info("secondaries: %ld zones given the new options", n);
	}
	snprintf(sc.options, sizeof(sc.options), "%s", digest);
	if (store_catalog_set(st, b->be->name, &sc, clock_wall_us()) < 0)
		log_warn("secondaries: unable to record them in the store: "
		    "%s", store_errmsg(st));
out:
	store_close(st);
}

/* A path that goes into named's configuration language, in double
 * quotes, must not hold these. */
#define CONF_UNSAFE	"\"\\;{}\n"

/* Set up the bind backend be: its verify address and its zones directory,
 * by its absolute path (named resolves relative paths against its own
 * directory). */
static void *
bind_open(struct config *cfg, const struct config_backend *be, int oneshot)
{
	struct bind *b;
	const char *why;
	char err[1024];
	int rc;

	(void)oneshot;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	b->be = be;
	b->cfg = cfg;
	if (be->verify[0] != '\0') {
		if (servewait_init(&b->sw, be->verify, &why) < 0)
			die(EXIT_USAGE, "invalid dns.backends.%s.verify %s: %s",
			    be->name, be->verify, why);
		b->verify = 1;
		b->sw.first_ms = 2;
		b->sw.hint = " (see named's log)";
		b->sw.log = writer_log;
	}
	if (strpbrk(be->zones_dir, CONF_UNSAFE) != NULL)
		die(EXIT_USAGE, "dns.backends.%s.zones_dir must not contain "
		    "quotes, backslashes, braces, semicolons or newlines",
		    be->name);
	if (io_mkdir_p(be->zones_dir, 0755) < 0)
		die_sys(EXIT_TEMP, "unable to create %s", be->zones_dir);
	if (realpath(be->zones_dir, b->zdir) == NULL)
		die_sys(EXIT_TEMP, "unable to resolve %s", be->zones_dir);
	if (strpbrk(b->zdir, CONF_UNSAFE) != NULL)
		die(EXIT_USAGE, "the path of dns.backends.%s.zones_dir (%s) "
		    "must not contain quotes, backslashes, braces, semicolons "
		    "or newlines", be->name, b->zdir);
	if ((b->zfd = open(b->zdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to open %s", b->zdir);
	if ((rc = writer_dir_check(b->zfd, "zones directory", b->zdir, err,
	    sizeof(err))) != 0)
		die(rc, "%s", err);
	/* Read even with bulk_min 0: its zones are still deleted from it. */
	if (namedlist_load(&b->list, b->zfd, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s/%s: %s", b->zdir, NAMEDLIST_FILE, err);
	/* named.conf includes it: there it must be before named starts. */
	if (be->bulk_min > 0 && faccessat(b->zfd, NAMEDLIST_FILE, F_OK,
	    AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
	    namedlist_save(&b->list, b->zfd, TMP_PREFIX) < 0)
		die_sys(EXIT_TEMP, "unable to write %s/%s", b->zdir,
		    NAMEDLIST_FILE);
	if (!rndc_ctl_open(&b->ctl, be->rndc_conf[0] != '\0' ? be->rndc_conf :
	    NULL, be->rndc_program) && !be->rndc_program)
		log_warn("rndc: the control channel in-process cannot use %s: "
		    "%s; running the rndc program instead", be->rndc_conf[0] ?
		    be->rndc_conf : "rndc's default configuration", b->ctl.why);
	secondaries_keys(b);
	return b;
}

/* Before the queue runner: remove stale temporary files, say what runs. */
static void
bind_running(void *ctx)
{
	struct bind *b = ctx;
	char how[RNDC_WHY_MAX + 64];

	zonefile_clean(b->zfd, TMP_PREFIX, "", TMP_STALE_S, writer_removed,
	    b->zdir);
	secondaries_modzone(b);
	log_info("running queue=%s zones_dir=%s rndc_conf=%s rndc=%s verify=%s",
	    b->be->name, b->zdir, b->be->rndc_conf[0] ? b->be->rndc_conf :
	    "(rndc's default)", rndc_ctl_describe(&b->ctl, how, sizeof(how)),
	    b->verify ? b->be->verify : "off");
}

static void
bind_close(void *ctx)
{
	struct bind *b = ctx;

	rndc_ctl_close(&b->ctl);
	namedlist_free(&b->list);
	close(b->zfd);
	free(b);
}

static const struct writer_ops bind_ops = {
	.prog = "zone-write-bind",
	.usage = USAGE,
	.backend_help = "the bind backend of app.yml to write (default: the"
	    " only enabled one)",
	.help = "save ZONE     validate the zone text on stdin and make BIND"
	    " serve it\n"
	    "delete ZONE   make BIND stop serving ZONE (absent is fine)\n"
	    "run           apply the backend's queue until SIGTERM\n",
	.type = BACKEND_BIND,
	.type_word = "bind",
	.batch_max = BATCH_MAX,
	.batch_env = 1,
	.open = bind_open,
	.apply = bind_apply,
	.running = bind_running,
	.close = bind_close,
};

int
main(int argc, char *argv[])
{
	return writer_main(argc, argv, &bind_ops);
}
