/* catalogrun.c -- a zone writer's catalog zone, kept in step with batches */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "catalogrun.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "store.h"

struct catalogrun {
	char		 backend[64];
	char		 name[JOB_NAME_MAX + 1];
	struct store	*st;
	char		**m;		/* members, sorted */
	size_t		 n, cap;
	uint32_t	 serial;	/* last written */
	int		 dirty;		/* must be written */
	struct runner_backend in;	/* the wrapped backend */
};

/* What nested a batch of the wrapped backend. */
struct token {
	void		*inner;
	struct runner_item *its;	/* handed to it, NULL: the batch's */
	size_t		*map;		/* its[k] is the batch's map[k] */
	size_t		 ni;
	int		 force;		/* catalog jobs in the batch */
};

static void __attribute__((format(printf, 3, 4)))
say(struct catalogrun *cr, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (cr->in.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cr->in.log(level, msg);
}

static int
add_name(void *arg, const char *name)
{
	struct catalogrun *cr = arg;
	char **v;
	size_t cap;

	if (cr->n == cr->cap) {
		cap = cr->cap ? cr->cap * 2 : 256;
		if ((v = reallocarray(cr->m, cap, sizeof(*v))) == NULL)
			return -1;
		cr->m = v;
		cr->cap = cap;
	}
	if ((cr->m[cr->n] = strdup(name)) == NULL)
		return -1;
	cr->n++;
	return 0;
}

struct catalogrun *
catalogrun_open(const char *path, const char *backend, const char *name,
    char *err, size_t errlen)
{
	struct catalogrun *cr;

	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		err_set(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(cr->backend, sizeof(cr->backend), "%s", backend);
	snprintf(cr->name, sizeof(cr->name), "%s", name);
	if ((cr->st = store_open(path, err, errlen)) == NULL)
		goto fail;
	if (store_served_each(cr->st, backend, add_name, cr) < 0) {
		err_set(err, errlen, "unable to read the zones of backend %s "
		    "from the store: %s", backend, store_errmsg(cr->st));
		goto fail;
	}
	cr->dirty = 1;
	return cr;
fail:
	catalogrun_close(cr);
	return NULL;
}

void
catalogrun_close(struct catalogrun *cr)
{
	if (cr == NULL)
		return;
	catalog_free(cr->m, cr->n);
	store_close(cr->st);
	free(cr);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
member(const struct catalogrun *cr, const char *zone)
{
	return cr->n > 0 && bsearch(&zone, cr->m, cr->n, sizeof(*cr->m),
	    name_cmp) != NULL;
}

/* The next serial: one more than the last, or the time when later. */
static uint32_t
next_serial(const struct catalogrun *cr)
{
	uint32_t now = (uint32_t)time(NULL);

	return cr->serial + 1 > now ? cr->serial + 1 : now;
}

/* One batch of the wrapped backend. */
static void
inner_batch(struct catalogrun *cr, struct runner_item *it, size_t n)
{
	if (cr->in.apply != NULL)
		cr->in.apply(cr->in.ctx, it, n);
	else
		cr->in.finish(cr->in.ctx, cr->in.start(cr->in.ctx, it, n), it,
		    n);
}

/*
 * Write the catalog with the members v[0..n) through the wrapped backend
 * and record it in the store. Returns 0, or -1 with the reason in why.
 */
static int
write_catalog(struct catalogrun *cr, char **v, size_t n, char *why,
    size_t whylen)
{
	struct store_catalog sc;
	struct runner_item ci;
	uint32_t serial = next_serial(cr);
	char *text;
	size_t len;

	if ((text = catalog_text(cr->name, serial, v, n, &len)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.name = "";
	ci.job.action = JOB_SAVE;
	snprintf(ci.job.zone, sizeof(ci.job.zone), "%s", cr->name);
	ci.job.pushed_us = clock_wall_us();
	ci.job.serial = serial;
	ci.job.text = text;
	ci.job.textlen = len;
	ci.job.generated = 1;
	inner_batch(cr, &ci, 1);
	free(text);
	if (ci.result != RUNNER_OK) {
		snprintf(why, whylen, "%s", ci.reason);
		return -1;
	}
	cr->serial = serial;
	memset(&sc, 0, sizeof(sc));
	if (store_catalog_get(cr->st, cr->backend, &sc) < 0)
		memset(&sc, 0, sizeof(sc));
	snprintf(sc.name, sizeof(sc.name), "%s", cr->name);
	sc.serial = serial;
	catalog_digest(cr->name, v, n, sc.members);
	if (store_catalog_set(cr->st, cr->backend, &sc, clock_wall_us()) < 0)
		say(cr, LOG_WARN, "unable to record catalog zone=%s in the "
		    "store: %s", cr->name, store_errmsg(cr->st));
	say(cr, LOG_INFO, "applied catalog zone=%s serial=%" PRIu32
	    " members=%zu", cr->name, serial, n);
	return 0;
}

/* Whether item it changes membership: 1 adds, -1 removes, 0 neither. */
static int
change(const struct catalogrun *cr, const struct runner_item *it)
{
	if (it->result != RUNNER_OK || strcmp(it->job.zone, cr->name) == 0)
		return 0;
	if (it->job.action == JOB_SAVE)
		return member(cr, it->job.zone) ? 0 : 1;
	return member(cr, it->job.zone) ? -1 : 0;
}

/* After a batch: the catalog's new members, written when they changed
 * (or force, or an earlier write failed). */
static void
after(struct catalogrun *cr, struct runner_item *it, size_t n, int force)
{
	char why[RUNNER_REASON_MAX], **v, **del;
	size_t i, d, k = 0, nadd = 0, ndel = 0;
	int c;

	for (i = 0; i < n; i++) {
		c = change(cr, &it[i]);
		nadd += c > 0;
		ndel += c < 0;
	}
	if (nadd == 0 && ndel == 0 && !force && !cr->dirty)
		return;
	if ((v = calloc(cr->n + nadd + 1, sizeof(*v))) == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	/* Pointers only: the names stay owned by cr->m and the items. The
	 * removed ones are looked up sorted. */
	if ((del = calloc(ndel + 1, sizeof(*del))) == NULL) {
		free(v);
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	for (i = 0, d = 0; i < n; i++) {
		c = change(cr, &it[i]);
		if (c < 0)
			del[d++] = it[i].job.zone;
	}
	qsort(del, ndel, sizeof(*del), name_cmp);
	for (i = 0; i < cr->n; i++)
		if (ndel == 0 || bsearch(&cr->m[i], del, ndel, sizeof(*del),
		    name_cmp) == NULL)
			v[k++] = cr->m[i];
	free(del);
	for (i = 0; i < n; i++)
		if (change(cr, &it[i]) > 0)
			v[k++] = it[i].job.zone;
	qsort(v, k, sizeof(*v), name_cmp);
	/* A zone saved twice in one batch cannot happen: one job per zone. */
	if (write_catalog(cr, v, k, why, sizeof(why)) < 0) {
		free(v);
		goto fail;
	}
	/* The new members become cr->m, each its own copy. */
	for (i = 0; i < k; i++)
		if ((v[i] = strdup(v[i])) == NULL) {
			catalog_free(v, i);
			say(cr, LOG_WARN, "out of memory: catalog zone=%s "
			    "members reread at the next batch", cr->name);
			cr->dirty = 1;
			return;
		}
	catalog_free(cr->m, cr->n);
	cr->m = v;
	cr->n = cr->cap = k;
	cr->dirty = 0;
	return;
fail:
	say(cr, LOG_WARN, "catalog zone=%s not written: %s", cr->name, why);
	cr->dirty = 1;
	for (i = 0; i < n; i++)
		if (change(cr, &it[i]) != 0 || (force &&
		    it[i].result == RUNNER_OK &&
		    strcmp(it[i].job.zone, cr->name) == 0))
			runner_fail(&it[i], RUNNER_TEMP, "catalog %s: %s",
			    cr->name, why);
}

/* The jobs of the catalog zone itself: reconcile's (sequence 0) ask for
 * it, a store push of that name is refused. Returns how many, each marked
 * done or failed. */
static size_t
own_jobs(struct catalogrun *cr, struct runner_item *it, size_t n, int *force)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(it[i].job.zone, cr->name) != 0)
			continue;
		k++;
		if (it[i].job.seq != 0)
			runner_fail(&it[i], RUNNER_PERM, "zone %s is the "
			    "catalog zone of backend %s", cr->name,
			    cr->backend);
		else
			*force = 1;
	}
	return k;
}

static void *
cat_start(void *ctx, struct runner_item *it, size_t n)
{
	struct catalogrun *cr = ctx;
	struct token *t;
	size_t i, k = 0, own;
	int force = 0;

	own = own_jobs(cr, it, n, &force);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	t->force = force;
	if (own > 0) {
		t->ni = n - own;
		if ((t->its = calloc(t->ni + 1, sizeof(*t->its))) == NULL ||
		    (t->map = calloc(t->ni + 1, sizeof(*t->map))) == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			if (strcmp(it[i].job.zone, cr->name) != 0) {
				t->its[k] = it[i];
				t->map[k++] = i;
			}
		if (t->ni > 0)
			t->inner = cr->in.start(cr->in.ctx, t->its, t->ni);
	} else
		t->inner = cr->in.start(cr->in.ctx, it, n);
	return t;
nomem:
	if (t != NULL) {
		free(t->its);
		free(t->map);
		free(t);
	}
	for (i = 0; i < n; i++)
		runner_fail(&it[i], RUNNER_TEMP, "out of memory");
	return NULL;
}

static void
cat_finish(void *ctx, void *token, struct runner_item *it, size_t n)
{
	struct catalogrun *cr = ctx;
	struct token *t = token;
	size_t k, i;

	if (t == NULL)
		return;
	if (t->its == NULL)
		cr->in.finish(cr->in.ctx, t->inner, it, n);
	else if (t->ni > 0) {
		cr->in.finish(cr->in.ctx, t->inner, t->its, t->ni);
		for (k = 0; k < t->ni; k++) {
			i = t->map[k];
			it[i].result = t->its[k].result;
			it[i].applied_us = t->its[k].applied_us;
			it[i].job.serial = t->its[k].job.serial;
			memcpy(it[i].reason, t->its[k].reason,
			    sizeof(it[i].reason));
		}
	}
	after(cr, it, n, t->force);
	free(t->its);
	free(t->map);
	free(t);
}

static void
cat_apply(void *ctx, struct runner_item *it, size_t n)
{
	struct catalogrun *cr = ctx;
	struct runner_backend in = cr->in;
	struct runner_item *its;
	size_t i, k = 0, own;
	int force = 0;

	own = own_jobs(cr, it, n, &force);
	if (own == 0) {
		in.apply(in.ctx, it, n);
		after(cr, it, n, force);
		return;
	}
	if ((its = calloc(n - own + 1, sizeof(*its))) == NULL) {
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		if (strcmp(it[i].job.zone, cr->name) != 0)
			its[k++] = it[i];
	if (k > 0)
		in.apply(in.ctx, its, k);
	for (i = 0, k = 0; i < n; i++)
		if (strcmp(it[i].job.zone, cr->name) != 0) {
			it[i].result = its[k].result;
			it[i].applied_us = its[k].applied_us;
			it[i].job.serial = its[k].job.serial;
			memcpy(it[i].reason, its[k].reason,
			    sizeof(it[i].reason));
			k++;
		}
	free(its);
	after(cr, it, n, force);
}

void
catalogrun_wrap(struct catalogrun *cr, const struct runner_backend *b,
    struct runner_backend *out)
{
	cr->in = *b;
	*out = *b;
	out->ctx = cr;
	if (b->start != NULL && b->finish != NULL) {
		out->apply = NULL;
		out->start = cat_start;
		out->finish = cat_finish;
	} else {
		out->apply = cat_apply;
		out->start = NULL;
		out->finish = NULL;
	}
}

/* Make backend b stop serving the catalog zone name (one delete job).
 * Returns 0, or -1 with the reason in why. */
static int
drop(const struct runner_backend *b, const char *name, char *why,
    size_t whylen)
{
	struct runner_item di;

	memset(&di, 0, sizeof(di));
	di.name = "";
	di.job.action = JOB_DELETE;
	snprintf(di.job.zone, sizeof(di.job.zone), "%s", name);
	di.job.pushed_us = clock_wall_us();
	if (b->apply != NULL)
		b->apply(b->ctx, &di, 1);
	else
		b->finish(b->ctx, b->start(b->ctx, &di, 1), &di, 1);
	if (di.result != RUNNER_OK) {
		snprintf(why, whylen, "%s", di.reason);
		return -1;
	}
	return 0;
}

int
catalogrun_retire(const char *path, const char *backend,
    const struct runner_backend *b, char *err, size_t errlen)
{
	struct store_catalog sc;
	struct store *st;
	char why[RUNNER_REASON_MAX];
	int rc = 0;

	if ((st = store_open(path, err, errlen)) == NULL)
		return -1;
	if (store_catalog_get(st, backend, &sc) < 0) {
		err_set(err, errlen, "unable to read the catalog state of "
		    "backend %s: %s", backend, store_errmsg(st));
		rc = -1;
	} else if (sc.name[0] != '\0') {
		if (drop(b, sc.name, why, sizeof(why)) < 0) {
			err_set(err, errlen, "catalog zone %s not dropped: %s",
			    sc.name, why);
			rc = -1;
		} else {
			if (b->log != NULL)
				b->log(LOG_INFO, "dropped the catalog zone, "
				    "no longer configured");
			sc.name[0] = sc.members[0] = '\0';
			if (store_catalog_set(st, backend, &sc,
			    clock_wall_us()) < 0)
				rc = -1;
		}
	}
	store_close(st);
	return rc;
}

int
catalogrun_flush(struct catalogrun *cr, char *err, size_t errlen)
{
	struct store_catalog sc;
	char digest[HASH_HEX_LEN + 1], why[RUNNER_REASON_MAX];
	int rc;

	if ((rc = store_catalog_get(cr->st, cr->backend, &sc)) < 0) {
		err_set(err, errlen, "unable to read the catalog state of "
		    "backend %s: %s", cr->backend, store_errmsg(cr->st));
		return -1;
	}
	if (rc == 1)
		cr->serial = sc.serial;
	catalog_digest(cr->name, cr->m, cr->n, digest);
	if (rc == 1 && strcmp(sc.name, cr->name) == 0 &&
	    strcmp(sc.members, digest) == 0) {
		cr->dirty = 0;
		return 0;
	}
	if (write_catalog(cr, cr->m, cr->n, why, sizeof(why)) < 0) {
		err_set(err, errlen, "catalog zone %s: %s", cr->name, why);
		cr->dirty = 1;
		return -1;
	}
	cr->dirty = 0;
	/* Renamed: the old catalog goes, or secondaries keep following
	 * it. */
	if (rc == 1 && sc.name[0] != '\0' && strcmp(sc.name, cr->name) != 0) {
		if (drop(&cr->in, sc.name, why, sizeof(why)) < 0)
			say(cr, LOG_WARN, "former catalog zone=%s not dropped: "
			    "%s", sc.name, why);
		else
			say(cr, LOG_INFO, "dropped former catalog zone=%s",
			    sc.name);
	}
	return 0;
}
