/* runner.c -- the queue runner of the zone writers: batches, retries, order */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "hash.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "promfile.h"
#include "ready.h"
#include "runner.h"
#include "spool.h"
#include "store.h"

#define RESCAN_MS	(60 * 1000)	/* look at new/ this often */
#define CLEAN_MS	(3600 * 1000)	/* tmp/ clean-up interval */
#define TMP_MAX_AGE	(36 * 3600)	/* maildir: tmp/ file stale */
#define PATHLEN		4096
#define METRICS_MS	1000	/* textfile refresh within a long pass */

/* Upper bounds of the batch seconds histogram. */
static const double batch_le[] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
};
#define NLE	(sizeof(batch_le) / sizeof(batch_le[0]))

/* The queue's counters, for the textfile metrics. */
struct rstats {
	unsigned long long applied[2];	/* save, delete */
	unsigned long long failed, retried, superseded, batches;
	unsigned long long bucket[NLE + 1];
	double		 batch_sum;	/* seconds */
	long long	 depth;		/* in new/ at the scan, less done */
	long long	 start_us, scan_us, success_us;
	long long	 written_ms;	/* monotonic, 0: never */
	int		 failing;	/* the last write failed */
};

/* A job that failed temporarily, waiting for its next attempt. */
struct retry {
	char		*name;		/* file name in new/ */
	char		*reason;	/* the last failure */
	unsigned	 fails;
	long long	 due_ms;	/* monotonic */
	int		 seen;		/* in new/ at the last scan */
};

struct run {
	const struct runner_opts *o;
	const struct runner_backend *b;
	struct store	*st;
	struct retry	*rt;
	size_t		 nrt, caprt;
	size_t		 nsorted;	/* rt[0..nsorted) by name */
	int		 notified;
	struct rstats	 m;
};

/* Print one line through the backend's logger; with sys set, append
 * ": strerror(errno)". */
static void
vsay(struct run *r, int level, int sys, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno, n;

	if (r->b->log == NULL)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (sys && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(saved));
	r->b->log(level, msg);
	errno = saved;
}

static void __attribute__((format(printf, 3, 4)))
say(struct run *r, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(r, level, 0, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
say_sys(struct run *r, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(r, level, 1, fmt, ap);
	va_end(ap);
}

static int
stopped(const struct run *r)
{
	return r->o->stop != NULL && *r->o->stop;
}

void
runner_fail(struct runner_item *it, enum runner_result res, const char *fmt,
    ...)
{
	va_list ap;

	it->result = res;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
}

void
runner_fail_sys(struct runner_item *it, enum runner_result res,
    const char *fmt, ...)
{
	va_list ap;
	int saved = errno, n;

	it->result = res;
	va_start(ap, fmt);
	n = vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(it->reason))
		snprintf(it->reason + n, sizeof(it->reason) - (size_t)n,
		    ": %s", strerror(saved));
	errno = saved;
}

int
runner_schedule_parse(const char *s, unsigned sched[], size_t max,
    const char **why)
{
	unsigned long v;
	size_t n = 0;
	char *end;

	for (;;) {
		if (*s < '0' || *s > '9') {
			*why = "expected a number of seconds";
			return -1;
		}
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno != 0 || v < 1 || v > 86400) {
			*why = "delays must be 1-86400 seconds";
			return -1;
		}
		if (n == max) {
			*why = "too many delays";
			return -1;
		}
		sched[n++] = (unsigned)v;
		if (*end == '\0')
			return (int)n;
		if (*end != ',') {
			*why = "delays are separated by commas";
			return -1;
		}
		s = end + 1;
	}
}

static int
retry_cmp(const void *a, const void *b)
{
	const struct retry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Entries added since the last retry_sort() are not found: a batch never
 * holds the same job twice. */
static struct retry *
retry_find(struct run *r, const char *name)
{
	struct retry key;

	if (r->nsorted == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, r->rt, r->nsorted, sizeof(*r->rt), retry_cmp);
}

static void
retry_sort(struct run *r)
{
	if (r->nsorted != r->nrt)
		qsort(r->rt, r->nrt, sizeof(*r->rt), retry_cmp);
	r->nsorted = r->nrt;
}

static struct retry *
retry_add(struct run *r, const char *name)
{
	struct retry *nrt;
	size_t cap;

	if (r->nrt == r->caprt) {
		cap = r->caprt ? r->caprt * 2 : 16;
		if ((nrt = realloc(r->rt, cap * sizeof(*nrt))) == NULL)
			return NULL;
		r->rt = nrt;
		r->caprt = cap;
	}
	memset(&r->rt[r->nrt], 0, sizeof(*r->rt));
	if ((r->rt[r->nrt].name = strdup(name)) == NULL)
		return NULL;
	r->rt[r->nrt].seen = 1;
	return &r->rt[r->nrt++];
}

/* Drop the entries marked unseen (jobs gone from new/). */
static void
retry_sweep(struct run *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->nrt; i++) {
		if (!r->rt[i].seen) {
			free(r->rt[i].name);
			free(r->rt[i].reason);
			continue;
		}
		r->rt[k++] = r->rt[i];
	}
	r->nrt = k;
	r->nsorted = 0;
	retry_sort(r);
	if (r->nrt == 0) {
		free(r->rt);
		r->rt = NULL;
		r->caprt = 0;
	}
}

static void
retry_forget(struct run *r, const char *name)
{
	struct retry *e;

	if ((e = retry_find(r, name)) != NULL)
		e->seen = 0;
}

static void
notify(struct run *r)
{
	if (r->notified)
		return;
	r->notified = 1;
	(void)ready_notify(r->o->notify_fd);
}

static const char *
action_word(const struct job *job)
{
	return job->action == JOB_DELETE ? "delete" : "save";
}

/* Index order for grouping: zone, then arrival. */
static const struct spool_entry *sort_ent;

static int
zone_seq_cmp(const void *a, const void *b)
{
	const struct spool_entry *x = &sort_ent[*(const size_t *)a];
	const struct spool_entry *y = &sort_ent[*(const size_t *)b];
	int c;

	if ((c = strcmp(x->zone, y->zone)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void
fail_job(struct run *r, const char *name, const char *zone,
    const char *action, uint64_t seq, const char *reason)
{
	say(r, LOG_WARN, "failed zone=%s action=%s seq=%" PRIu64 ": %s "
	    "(moved to fail/)", zone, action, seq, reason);
	r->m.failed++;
	r->m.depth--;
	if (spool_fail(r->o->spool, r->b->name, name, reason) < 0)
		say_sys(r, LOG_WARN, "unable to move job %s to fail/", name);
	retry_forget(r, name);
}

/* The HELP and TYPE lines of name, then its sample for the queue. */
static void
metric(struct buf *b, const char *name, const char *type, const char *help,
    const char *lab, unsigned long long v)
{
	promfile_head(b, name, type, help);
	promfile_uint(b, name, lab, v);
}

/* The queue's textfile, dadns-writer-<queue>.prom in o->metrics_dir: at
 * once with force, else at most every METRICS_MS. */
static void
metrics_write(struct run *r, int force)
{
	const char *h = "dadns_writer_batch_seconds";
	char lab[PROMFILE_LABEL_MAX], le[PROMFILE_LABEL_MAX + 32], name[128];
	struct rstats *m = &r->m;
	struct buf b = { 0 };
	unsigned long long cum = 0;
	long long now = clock_ms();
	size_t i;

	if (r->o->metrics_dir == NULL || r->o->metrics_dir[0] == '\0' ||
	    (!force && m->written_ms != 0 && now - m->written_ms < METRICS_MS))
		return;
	m->written_ms = now;
	promfile_label(lab, sizeof(lab), "backend", r->b->name);
	promfile_head(&b, "dadns_writer_jobs_applied_total", "counter",
	    "Jobs applied to the backend, by action.");
	for (i = 0; i < 2; i++) {
		snprintf(le, sizeof(le), "%s,action=\"%s\"", lab,
		    i ? "delete" : "save");
		promfile_uint(&b, "dadns_writer_jobs_applied_total", le,
		    m->applied[i]);
	}
	metric(&b, "dadns_writer_jobs_failed_total", "counter", "Jobs moved"
	    " to fail/ (invalid, or out of retries).", lab, m->failed);
	metric(&b, "dadns_writer_jobs_retried_total", "counter", "Temporary"
	    " failures put back on the retry schedule.", lab, m->retried);
	metric(&b, "dadns_writer_jobs_superseded_total", "counter", "Jobs"
	    " dropped for a newer job of the same zone.", lab,
	    m->superseded);
	promfile_head(&b, h, "histogram", "Seconds from loading a batch to"
	    " settling it.");
	for (i = 0; i <= NLE; i++) {
		cum += m->bucket[i];
		if (i < NLE)
			snprintf(le, sizeof(le), "%s,le=\"%g\"", lab,
			    batch_le[i]);
		else
			snprintf(le, sizeof(le), "%s,le=\"+Inf\"", lab);
		promfile_uint(&b, "dadns_writer_batch_seconds_bucket", le,
		    cum);
	}
	promfile_num(&b, "dadns_writer_batch_seconds_sum", lab, m->batch_sum);
	promfile_uint(&b, "dadns_writer_batch_seconds_count", lab,
	    m->batches);
	metric(&b, "dadns_writer_queue_depth", "gauge", "Jobs waiting in"
	    " new/ (at the last scan, less those done since).", lab,
	    m->depth > 0 ? (unsigned long long)m->depth : 0);
	metric(&b, "dadns_writer_retry_pending", "gauge", "Jobs waiting"
	    " for their next attempt.", lab, r->nrt);
	promfile_head(&b, "dadns_writer_last_success_timestamp_seconds",
	    "gauge", "When a job was last applied (0: none since start).");
	promfile_num(&b, "dadns_writer_last_success_timestamp_seconds", lab,
	    m->success_us / 1e6);
	promfile_head(&b, "dadns_writer_last_scan_timestamp_seconds",
	    "gauge", "When new/ was last scanned (at least every 60 s).");
	promfile_num(&b, "dadns_writer_last_scan_timestamp_seconds", lab,
	    m->scan_us / 1e6);
	promfile_head(&b, "dadns_writer_start_time_seconds", "gauge",
	    "When the queue runner started.");
	promfile_num(&b, "dadns_writer_start_time_seconds", lab,
	    m->start_us / 1e6);
	snprintf(name, sizeof(name), "dadns-writer-%s", r->b->name);
	if (promfile_write(r->o->metrics_dir, name, &b) < 0) {
		if (!m->failing)
			say_sys(r, LOG_WARN, "unable to write the metrics "
			    "file %s/%s.prom", r->o->metrics_dir, name);
		m->failing = 1;
	} else if (m->failing) {
		say(r, LOG_INFO, "metrics file %s/%s.prom written again",
		    r->o->metrics_dir, name);
		m->failing = 0;
	}
	buf_free(&b);
}

/*
 * Read and check one job. Returns 1 with item filled, 0 when the job is
 * gone or was dealt with here (moved to fail/), -1 when it could not be
 * read for a reason that may pass (it stays in new/).
 */
static int
load(struct run *r, const struct spool_entry *e, struct runner_item *it)
{
	char path[PATHLEN], reason[RUNNER_REASON_MAX], key[JOB_KEY_MAX + 1];
	struct store_zone sz;
	const char *why;
	size_t len;
	int found;

	memset(it, 0, sizeof(*it));
	it->name = e->name;
	if (io_fmt(path, sizeof(path), "%s/%s/new/%s", r->o->spool,
	    r->b->name, e->name) < 0)
		return -1;
	if (io_read_file(AT_FDCWD, path, JOB_MAX, &it->mem_, &len) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EFBIG) {
			fail_job(r, e->name, e->zone, "?", e->seq,
			    "job file too large");
			return 0;
		}
		say_sys(r, LOG_WARN, "unable to read job %s", path);
		return -1;
	}
	if (job_parse(it->mem_, len, &it->job, &why) < 0) {
		snprintf(reason, sizeof(reason), "unparsable job: %s", why);
		goto perm;
	}
	/* The file name carries the zone's key only: the zone is the
	 * header's, and it must give back that key (or be the key, in
	 * the name of a job queued by an older version). */
	if (job_name_key(it->job.zone, key, sizeof(key)) < 0 ||
	    (strcmp(key, e->zone) != 0 && strcmp(it->job.zone, e->zone) != 0) ||
	    it->job.seq != e->seq) {
		snprintf(reason, sizeof(reason), "job file name does not "
		    "match its zone or sequence");
		goto perm;
	}

	/*
	 * Job files of concurrent pushes can land in new/ out of the order
	 * of their sequence numbers. The store holds the newest state: when
	 * it knows a newer change than this job, apply that instead.
	 */
	if (it->job.seq == 0 || r->st == NULL)
		return 1;
	memset(&sz, 0, sizeof(sz));
	found = store_get(r->st, it->job.zone, &sz, 0);
	if (found < 0) {
		say(r, LOG_WARN, "unable to read zone %s from the store: %s",
		    it->job.zone, store_errmsg(r->st));
		return 1;
	}
	if (found == 0 || sz.seq <= it->job.seq)
		return 1;
	store_zone_free(&sz);
	memset(&sz, 0, sizeof(sz));
	if (store_get(r->st, it->job.zone, &sz, 1) != 1) {
		store_zone_free(&sz);
		return 1;
	}
	say(r, LOG_DEBUG, "newer state zone=%s seq=%" PRIu64 " store_seq=%"
	    PRIu64 ": applying the store's", it->job.zone, it->job.seq,
	    sz.seq);
	if (sz.deleted_us != 0 || sz.text == NULL) {
		it->job.action = JOB_DELETE;
		it->job.text = NULL;
		it->job.textlen = 0;
		it->job.serial = 0;
		free(sz.text);
	} else {
		/* The store's text replaces the file's buffer. */
		free(it->mem_);
		it->mem_ = sz.text;
		it->job.action = JOB_SAVE;
		it->job.text = sz.text;
		it->job.textlen = sz.textlen;
		it->job.serial = sz.serial;
	}
	it->job.seq = sz.seq;
	return 1;
perm:
	fail_job(r, e->name, e->zone, "?", e->seq, reason);
	free(it->mem_);
	it->mem_ = NULL;
	return 0;
}

/* Remove the applied jobs of a batch from new/, all at once. */
static void
done(struct run *r, struct runner_item *items, size_t n)
{
	const char **names;
	int *err;
	size_t i, m = 0;

	names = calloc(n, sizeof(*names));
	err = calloc(n, sizeof(*err));
	for (i = 0; i < n; i++)
		if (items[i].result == RUNNER_OK && names != NULL)
			names[m++] = items[i].name;
	if (names == NULL || err == NULL) {
		/* Out of memory: one at a time. */
		for (i = 0; i < n; i++)
			if (items[i].result == RUNNER_OK && spool_done(
			    r->o->spool, r->b->name, items[i].name) < 0)
				say_sys(r, LOG_WARN, "unable to remove job %s",
				    items[i].name);
	} else if (spool_done_many(r->o->spool, r->b->name, names, err, m) >
	    0) {
		for (i = 0; i < m; i++) {
			if (err[i] == 0)
				continue;
			errno = err[i];
			say_sys(r, LOG_WARN, "unable to remove job %s",
			    names[i]);
		}
	}
	for (i = 0; i < n; i++)
		if (items[i].result == RUNNER_OK)
			retry_forget(r, items[i].name);
	free(names);
	free(err);
}

/* Settle the results of one applied batch. */
static void
settle(struct run *r, struct runner_item *items, size_t n, long long t0,
    long long load_ms, long long apply_ms)
{
	char hash[HASH_HEX_LEN + 1];
	struct retry *e;
	size_t i, ok = 0, deferred = 0, failed = 0;
	long long now = clock_ms(), begin = now, when;
	unsigned delay;
	int intx = 0;

	if (r->st != NULL) {
		if (store_begin(r->st) == 0)
			intx = 1;
		else
			say(r, LOG_WARN, "unable to record applied zones in "
			    "the store: %s", store_errmsg(r->st));
	}
	for (i = 0; i < n; i++) {
		struct runner_item *it = &items[i];
		struct job *job = &it->job;

		switch (it->result) {
		case RUNNER_OK:
			ok++;
			r->m.applied[job->action == JOB_DELETE]++;
			r->m.depth--;
			r->m.success_us = clock_wall_us();
			if (job->action == JOB_SAVE)
				say(r, LOG_INFO, "applied zone=%s serial=%"
				    PRIu32 " action=save seq=%" PRIu64,
				    job->zone, job->serial, job->seq);
			else
				say(r, LOG_INFO, "applied zone=%s "
				    "action=delete seq=%" PRIu64, job->zone,
				    job->seq);
			if (intx) {
				if (job->action == JOB_SAVE)
					hash_hex(job->text, job->textlen,
					    hash);
				else
					hash[0] = '\0';
				when = it->applied_us ? it->applied_us :
				    clock_wall_us();
				if (store_applied_set(r->st, r->b->name,
				    job->zone, hash, when) < 0) {
					say(r, LOG_WARN, "unable to record "
					    "zone %s as applied: %s",
					    job->zone, store_errmsg(r->st));
					store_rollback(r->st);
					intx = 0;
				}
			}
			break;
		case RUNNER_PERM:
			failed++;
			fail_job(r, it->name, job->zone, action_word(job),
			    job->seq, it->reason);
			break;
		case RUNNER_TEMP:
		default:
			if ((e = retry_find(r, it->name)) == NULL &&
			    (e = retry_add(r, it->name)) == NULL) {
				say(r, LOG_WARN, "out of memory: job %s is "
				    "retried at the next pass", it->name);
				deferred++;
				break;
			}
			e->seen = 1;
			e->fails++;
			free(e->reason);
			e->reason = strdup(it->reason);
			if (e->fails > r->o->nschedule) {
				char why[RUNNER_REASON_MAX + 64];

				failed++;
				snprintf(why, sizeof(why), "gave up after %u "
				    "attempts: %s", e->fails, it->reason);
				fail_job(r, it->name, job->zone,
				    action_word(job), job->seq, why);
				break;
			}
			deferred++;
			r->m.retried++;
			delay = r->o->schedule[e->fails - 1];
			e->due_ms = now + (long long)delay * 1000;
			say(r, LOG_WARN, "deferred zone=%s action=%s seq=%"
			    PRIu64 " attempt=%u retry_in=%us: %s", job->zone,
			    action_word(job), job->seq, e->fails, delay,
			    it->reason);
			break;
		}
	}
	retry_sort(r);
	if (intx && store_commit(r->st) < 0) {
		say(r, LOG_WARN, "unable to record applied zones in the store: "
		    "%s", store_errmsg(r->st));
		store_rollback(r->st);
	}
	/* The store row first, then the job: a crash in between only
	 * applies the job again. */
	done(r, items, n);
	now = clock_ms();
	say(r, LOG_INFO, "batch jobs=%zu applied=%zu deferred=%zu failed=%zu "
	    "ms=%lld load_ms=%lld apply_ms=%lld settle_ms=%lld", n, ok,
	    deferred, failed, now - t0, load_ms, apply_ms, now - begin);
	for (i = 0; i < NLE && (now - t0) / 1e3 > batch_le[i]; i++)
		;
	r->m.bucket[i]++;
	r->m.batches++;
	r->m.batch_sum += (now - t0) / 1e3;
	metrics_write(r, 0);
}

/* One batch in the hands of the backend. */
struct batch {
	struct runner_item *items;
	size_t		 n;
	void		*token;
	long long	 t0;		/* loading began */
	long long	 load_ms, apply_ms;
};

static void
batch_finish(struct run *r, struct batch *bt)
{
	long long t = clock_ms();
	size_t k;

	r->b->finish(r->b->ctx, bt->token, bt->items, bt->n);
	bt->apply_ms += clock_ms() - t;
	settle(r, bt->items, bt->n, bt->t0, bt->load_ms, bt->apply_ms);
	for (k = 0; k < bt->n; k++)
		free(bt->items[k].mem_);
	memset(bt->items, 0, bt->n * sizeof(*bt->items));
	bt->n = 0;
#ifdef __GLIBC__
	/* Give a big batch's buffers back: the runner idles small. */
	malloc_trim(0);
#endif
}

/*
 * Hand the due jobs to the backend in batches of bmax. With start/finish,
 * batch k+1 is loaded and started before batch k is finished, so the
 * runner's file and store work overlaps the server's reload. Batches of
 * one pass never share a zone. Returns 0, or -1 when out of memory.
 */
static int
load_batches(struct run *r, const struct spool_entry *ent, const size_t *due,
    size_t ndue, size_t bmax)
{
	struct batch b[2];
	size_t i = 0, cap = ndue < bmax ? ndue : bmax;
	int pipe = r->b->start != NULL && r->b->finish != NULL;
	int cur = 0, prev = -1, rc;
	long long t;

	memset(b, 0, sizeof(b));
	if ((b[0].items = calloc(cap, sizeof(*b[0].items))) == NULL)
		return -1;
	if (pipe && ndue > bmax &&
	    (b[1].items = calloc(cap, sizeof(*b[1].items))) == NULL) {
		free(b[0].items);
		return -1;
	}
	while (i < ndue && !stopped(r)) {
		struct batch *bt = &b[cur];

		bt->t0 = clock_ms();
		for (bt->n = 0; i < ndue && bt->n < bmax; i++) {
			rc = load(r, &ent[due[i]], &bt->items[bt->n]);
			if (rc == 1)
				bt->n++;
			else if (rc < 0)
				free(bt->items[bt->n].mem_);
		}
		if (bt->n == 0)
			continue;
		t = clock_ms();
		bt->load_ms = t - bt->t0;
		if (!pipe) {
			r->b->apply(r->b->ctx, bt->items, bt->n);
			bt->apply_ms = clock_ms() - t;
			bt->token = NULL;
			settle(r, bt->items, bt->n, bt->t0, bt->load_ms,
			    bt->apply_ms);
			for (size_t k = 0; k < bt->n; k++)
				free(bt->items[k].mem_);
			memset(bt->items, 0, bt->n * sizeof(*bt->items));
#ifdef __GLIBC__
			malloc_trim(0);
#endif
			continue;
		}
		bt->token = r->b->start(r->b->ctx, bt->items, bt->n);
		bt->apply_ms = clock_ms() - t;
		if (prev >= 0)
			batch_finish(r, &b[prev]);
		prev = cur;
		if (b[1].items != NULL)
			cur ^= 1;
		else if (i < ndue) {
			/* One buffer only: finish before loading more. */
			batch_finish(r, &b[prev]);
			prev = -1;
		}
	}
	if (prev >= 0)
		batch_finish(r, &b[prev]);
	free(b[0].items);
	free(b[1].items);
	return 0;
}

/*
 * One pass over new/. Returns 0 with *next_due set to the monotonic time
 * of the earliest pending retry (0 when none), or -1 with errno set when
 * new/ cannot be read.
 */
static int
pass(struct run *r, long long *next_due)
{
	struct spool_entry *ent = NULL;
	struct retry *e;
	size_t *idx = NULL, *due = NULL, n, ndue = 0, i, j, k, bmax;
	long long now;
	long cnt;

	*next_due = 0;
	if ((cnt = spool_scan(r->o->spool, r->b->name, &ent)) < 0)
		return -1;
	notify(r);
	n = (size_t)cnt;
	r->m.depth = cnt;
	r->m.scan_us = clock_wall_us();
	for (i = 0; i < r->nrt; i++)
		r->rt[i].seen = 0;
	if (n == 0)
		goto sweep;
	if ((idx = malloc(n * sizeof(*idx))) == NULL ||
	    (due = malloc(n * sizeof(*due))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		idx[i] = i;
	sort_ent = ent;
	qsort(idx, n, sizeof(*idx), zone_seq_cmp);

	/* Only the newest job of a zone matters: jobs carry full state. */
	now = clock_ms();
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n &&
		    strcmp(ent[idx[j]].zone, ent[idx[i]].zone) == 0; j++)
			;
		for (k = i; k + 1 < j; k++) {
			const struct spool_entry *old = &ent[idx[k]];

			say(r, LOG_DEBUG, "superseded zone=%s seq=%" PRIu64
			    " by seq=%" PRIu64, old->zone, old->seq,
			    ent[idx[j - 1]].seq);
			if (spool_done(r->o->spool, r->b->name, old->name) < 0)
				say_sys(r, LOG_WARN, "unable to remove job %s",
				    old->name);
			r->m.superseded++;
			r->m.depth--;
		}
		k = idx[j - 1];
		if ((e = retry_find(r, ent[k].name)) != NULL) {
			e->seen = 1;
			if (e->due_ms > now)
				continue;
		}
		due[ndue++] = k;
	}
	/* Arrival order across zones. */
	qsort(due, ndue, sizeof(*due), size_cmp);

	bmax = r->o->batch_max > 0 ? r->o->batch_max : 1;
	if (ndue > 0 && load_batches(r, ent, due, ndue, bmax) < 0)
		goto nomem;
sweep:
	/* Retry entries whose job is gone (applied, superseded, removed
	 * by hand) are dropped; the earliest remaining one sets the wake-up. */
	retry_sweep(r);
	for (i = 0; i < r->nrt; i++)
		if (*next_due == 0 || r->rt[i].due_ms < *next_due)
			*next_due = r->rt[i].due_ms;
	metrics_write(r, 1);
	free(due);
	free(idx);
	free(ent);
	return 0;
nomem:
	for (i = 0; i < r->nrt; i++)
		r->rt[i].seen = 1;
	free(due);
	free(idx);
	free(ent);
	errno = ENOMEM;
	return -1;
}

/* Remove stale files from tmp/ now and then. */
static void
clean_tmp(struct run *r, long long *last_clean)
{
	long long now = clock_ms();
	long cleaned;

	if (*last_clean != 0 && now - *last_clean < CLEAN_MS)
		return;
	if ((cleaned = spool_clean_tmp(r->o->spool, TMP_MAX_AGE)) > 0)
		say(r, LOG_INFO, "removed %ld stale files from tmp/", cleaned);
	*last_clean = now;
}

/*
 * Sleep until the trigger is pulled, the program's wake-up pipe is written
 * to, the earliest retry (next_due, 0: none) is due, or the rescan time
 * passed. Returns 0, or -1 with errno set when poll() fails.
 */
static int
sleep_until(struct run *r, int trig, long long next_due)
{
	struct pollfd pfd[2];
	long long now = clock_ms(), timeout = RESCAN_MS;
	char c[64];
	nfds_t n = 1;

	if (next_due != 0 && next_due - now < timeout)
		timeout = next_due - now > 0 ? next_due - now : 0;
	pfd[0].fd = trig;
	pfd[0].events = POLLIN;
	if (r->o->wake_fd >= 0) {
		pfd[1].fd = r->o->wake_fd;
		pfd[1].events = POLLIN;
		n = 2;
	}
	if (poll(pfd, n, (int)timeout) < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 2 && (pfd[1].revents & POLLIN))
		while (read(r->o->wake_fd, c, sizeof(c)) > 0)
			;
	return 0;
}

int
runner_run(const struct runner_opts *o, const struct runner_backend *b,
    char *err, size_t errlen)
{
	struct run r;
	char *queues[1], serr[512];
	long long next_due, last_clean = 0;
	int trig = -1, keep = -1, rc = -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.b = b;
	r.m.start_us = clock_wall_us();
	queues[0] = (char *)b->name;
	if (spool_init(o->spool, queues, 1) < 0) {
		err_set_sys(err, errlen, "unable to set up the spool %s",
		    o->spool);
		return -1;
	}
	if ((r.st = store_open(o->store, serr, sizeof(serr))) == NULL) {
		err_set(err, errlen, "%s", serr);
		return -1;
	}
	if ((trig = spool_trigger_open(o->spool, b->name, &keep)) < 0) {
		err_set_sys(err, errlen, "unable to open the trigger of queue "
		    "%s", b->name);
		goto out;
	}
	while (!stopped(&r)) {
		clean_tmp(&r, &last_clean);
		/* Drain first: a trigger pulled during the pass wakes the
		 * next poll. */
		spool_trigger_drain(trig);
		if (pass(&r, &next_due) < 0) {
			err_set_sys(err, errlen, "unable to scan queue %s in "
			    "%s", b->name, o->spool);
			goto out;
		}
		if (stopped(&r))
			break;
		if (sleep_until(&r, trig, next_due) < 0) {
			err_set_sys(err, errlen, "unable to wait");
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < r.nrt; i++) {
		free(r.rt[i].name);
		free(r.rt[i].reason);
	}
	free(r.rt);
	if (trig >= 0) {
		close(trig);
		close(keep);
	}
	store_close(r.st);
	return rc;
}
