/* reconcile.c -- orphans against DirectAdmin, backends against the store */
/* SPDX-License-Identifier: ISC */
#define USAGE "reconcile [-V] [-c app.yml] [-n] [-f] [-l] [-m percent] [-v|-q]"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mariadb/mysql.h>

#include "clock.h"
#include "appconf.h"
#include "buf.h"
#include "catalog.h"
#include "config.h"
#include "coredns.h"
#include "daclient.h"
#include "dnsq.h"
#include "enqueue.h"
#include "err.h"
#include "hash.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "nameset.h"
#include "nsdconf.h"
#include "nsdctl.h"
#include "promfile.h"
#include "rndc.h"
#include "seclag.h"
#include "spool.h"
#include "store.h"
#include "version.h"
#include "zone.h"
#include "zonefile.h"

#define PAGE		512	/* zones checked per round */
#define SOA_MS		2000	/* one round of SOA queries */
#define LOG_EACH_MAX	100	/* actions logged one by one per backend */
#define MYSQL_TIMEOUT	30	/* seconds */
#define PCT_DEFAULT	10	/* orphans deleted per server and pass, % */
#define JOBS_MAX	256	/* heal jobs committed at once */
#define NOTIFY_MAX	64	/* lagging zones re-notified per backend */
#define CTL_MS		10000	/* one nsd-control or rndc command */
#define SECLAG_N	(CONFIG_BACKENDS_MAX * CONFIG_SECONDARIES_MAX)

/* ------------------------------------------------------------------ */
/* One pass */

struct server {
	const struct config_da_server *cfg;
	int		 ok;		/* answered its whole list */
	int		 usable;	/* ok and not empty */
	unsigned long	 listed;
	long long	 owned;		/* live zones it owns in the store */
	char		**cand;		/* orphan candidates of this pass */
	size_t		 ncand, capcand;
	size_t		 confirmed, deleted, held;
};

struct bstat {
	const struct config_backend *be;
	int		 ok;		/* every check could be made */
	long long	 checked, healed, removed, pending, unchecked;
	long long	 logged;
	char		 why[256];	/* when not ok */
	char		*names[JOBS_MAX], *bufs[JOBS_MAX];	/* to commit */
	size_t		 lens[JOBS_MAX], njobs;
	struct seclag	*lag;		/* its secondaries */
	size_t		 nlag;
	long long	 lagged;	/* lagging zones seen */
	char		*notify[NOTIFY_MAX];	/* zones to notify again */
	size_t		 nnotify;
	int		 notify_cat;	/* a secondary lacks a zone */
	char		**lz;		/* zones to ask the secondaries */
	uint32_t	*lw;		/* and the store's serials */
	size_t		 nl, capl;
};

struct pass {
	struct config	*cfg;
	struct store	*st;
	int		 dry, force, loop;
	unsigned	 pct;
	char		*queues[CONFIG_BACKENDS_MAX];
	size_t		 nq;
	struct server	 srv[CONFIG_SERVERS_MAX];
	size_t		 nsrv;
	struct nameset	 listed;
	long long	 backfilled, migrated, orphans, confirmed, deleted, held;
	struct bstat	 bs[CONFIG_BACKENDS_MAX];
	size_t		 nbs;
	struct seclag	 lag[SECLAG_N];	/* every backend's secondaries */
	size_t		 nlag;
	int		 drift;		/* something differs */
	int		 failed;	/* something could not be checked */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V          print the version and exit\n"
	    "  -c FILE     app.yml to read (default: DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -n          dry run: print what would be done, change nothing;"
	    " exit 1 on drift\n"
	    "  -f          (--force) delete confirmed orphans even when they"
	    " are more than\n"
	    "              the -m share of their server's zones\n"
	    "  -l          loop: a pass every reconciliation.interval_minutes"
	    " (after\n"
	    "              initial_delay_minutes) until SIGTERM\n"
	    "  -m PERCENT  orphans deleted per server and pass at most"
	    " (default %d)\n"
	    "  -v          debug messages\n"
	    "  -q          warnings and errors only\n"
	    "A pass lists the domains of every reconciliation.directadmin_"
	    "servers entry\n(when reconciliation.enabled), queues deletes of"
	    " orphans seen on two passes\nin a row, then compares every"
	    " enabled backend with the store and re-queues\nwhat differs;"
	    " the secondaries of nsd and bind backends are asked for\nevery"
	    " zone's serial (secondary-behind, secondary-down).\n",
	    USAGE, PCT_DEFAULT);
}

/* Print a dry-run line on stdout, or log the action. */
static void
act(struct pass *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
act(struct pass *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (p->dry)
		printf("%s\n", line);
	else
		log_info("%s", line);
}

/* Case-insensitive owner match, a trailing dot ignored. */
static int
name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

/* The index of the configured server named owner, or -1. */
static int
server_of(const struct pass *p, const char *owner)
{
	size_t i;

	for (i = 0; i < p->nsrv; i++)
		if (name_eq(p->srv[i].cfg->name, owner))
			return (int)i;
	return -1;
}

struct listing {
	struct pass	*p;
	uint32_t	 bit;
};

static int
on_domain(void *arg, const char *domain)
{
	struct listing *l = arg;

	return nameset_add(&l->p->listed, domain, l->bit);
}

static void
list_servers(struct pass *p)
{
	const struct config *cfg = p->cfg;
	struct daclient_server ds;
	struct daclient_opts o;
	struct daclient_stats stats;
	struct listing l;
	char err[512];
	size_t i;

	memset(&o, 0, sizeof(o));
	o.verify_ssl = cfg->reconciliation.verify_ssl;
	o.ipp = cfg->reconciliation.ipp;
	for (i = 0; i < p->nsrv && !stop; i++) {
		struct server *s = &p->srv[i];

		ds.hostname = s->cfg->hostname;
		ds.port = s->cfg->port;
		ds.username = s->cfg->username;
		ds.password = s->cfg->password;
		ds.ssl = s->cfg->ssl;
		l.p = p;
		l.bit = 1U << i;
		if (daclient_list(&ds, &o, on_domain, &l, &stats, err,
		    sizeof(err)) < 0) {
			log_warn("server %s failed, none of its zones is "
			    "deleted: %s server=%s address=%s:%u", s->cfg->name,
			    err, s->cfg->name, s->cfg->hostname, s->cfg->port);
			p->failed = 1;
			continue;
		}
		s->ok = 1;
		s->listed = stats.domains;
		if (stats.invalid > 0)
			log_warn("server %s listed %lu invalid names, ignored "
			    "server=%s", s->cfg->name, stats.invalid,
			    s->cfg->name);
		if (stats.domains == 0) {
			log_warn("server %s answered an empty list, none of "
			    "its zones is deleted server=%s", s->cfg->name,
			    s->cfg->name);
			continue;
		}
		s->usable = 1;
		log_info("listed server=%s domains=%lu pages=%lu%s%s",
		    s->cfg->name, stats.domains, stats.pages,
		    stats.login ? " login=cookie" : "",
		    stats.legacy ? " form=legacy" : "");
	}
}

static int
cand_add(struct server *s, const char *name)
{
	char **n;

	if (s->ncand == s->capcand) {
		size_t cap = s->capcand ? s->capcand * 2 : 64;

		if ((n = reallocarray(s->cand, cap, sizeof(*n))) == NULL)
			return -1;
		s->cand = n;
		s->capcand = cap;
	}
	if ((s->cand[s->ncand] = strdup(name)) == NULL)
		return -1;
	s->ncand++;
	return 0;
}

/*
 * One streaming pass over the store: owners to fill in or move (a zone
 * listed by a server other than its stored owner), orphan candidates (a
 * live zone owned by a server that listed something, absent from every
 * answer) and each server's count of owned zones.
 */
static int
scan_owners(struct pass *p)
{
	struct store_iter *it;
	struct store_zone z;
	uint32_t mask;
	int rc, j, last;
	size_t i;

	if ((it = store_iter_begin(p->st, NULL, 0, 0)) == NULL)
		return -1;
	while ((rc = store_iter_next(it, &z)) == 1) {
		if (z.deleted_us != 0)
			continue;
		j = server_of(p, z.hostname);
		if (j >= 0)
			p->srv[j].owned++;
		mask = nameset_get(&p->listed, z.name);
		if (mask != 0) {
			if (j >= 0 && (mask & (1U << j)))
				continue;
			/* Listed by another server: fill in a missing owner,
			 * move it from a configured server that answered
			 * without it; an unknown owner, or one that failed,
			 * keeps it (its DirectAdmin may still send deletes).
			 * The last listing server wins (directdnsonly). */
			if (z.hostname[0] != '\0' && (j < 0 ||
			    !p->srv[j].usable))
				continue;
			for (last = -1, i = 0; i < p->nsrv; i++)
				if (mask & (1U << i))
					last = (int)i;
			p->drift = 1;
			if (z.hostname[0] == '\0')
				p->backfilled++;
			else
				p->migrated++;
			act(p, "%s zone=%s owner=%s was=%s", p->dry ?
			    "would-set-owner" : "set owner", z.name,
			    p->srv[last].cfg->name, z.hostname[0] ?
			    z.hostname : "(none)");
			if (!p->dry && store_owner_set(p->st, z.name,
			    p->srv[last].cfg->name) < 0)
				goto fail;
			continue;
		}
		if (j < 0 || !p->srv[j].usable)
			continue;
		/* Owned by a server that answered, listed by none. */
		if (cand_add(&p->srv[j], z.name) < 0)
			goto fail;
	}
	store_iter_end(it);
	return rc;
fail:
	store_iter_end(it);
	return -1;
}

/* Orphans: confirm over two passes, guard the share, queue deletes. */
static int
orphans(struct pass *p)
{
	struct job *jobs = NULL;
	struct store_zone z;
	long long pass, limit;
	size_t i, k, nj;
	char err[512];
	int c;

	if (store_orphan_pass(p->st, &pass) < 0)
		return -1;
	for (i = 0; i < p->nsrv; i++) {
		struct server *s = &p->srv[i];
		char **conf;

		if (s->ncand == 0)
			continue;
		p->drift = 1;
		p->orphans += s->ncand;
		if ((conf = calloc(s->ncand, sizeof(*conf))) == NULL)
			return -1;
		for (k = 0; k < s->ncand; k++) {
			if ((c = store_orphan_mark(p->st, s->cand[k],
			    s->cfg->name, pass, !p->dry)) < 0) {
				free(conf);
				return -1;
			}
			if (c == 1)
				conf[s->confirmed++] = s->cand[k];
			else
				act(p, "%s zone=%s server=%s", p->dry ?
				    "orphan-first-seen" : "orphan first seen, "
				    "deleted if still absent next pass",
				    s->cand[k], s->cfg->name);
		}
		p->confirmed += s->confirmed;
		/* At least one, at most pct % of the server's zones. */
		limit = (s->owned * p->pct + 99) / 100;
		if (s->confirmed > (size_t)limit && !p->force) {
			s->held = s->confirmed;
			p->held += s->held;
			log_warn("server %s: %zu orphans confirmed, more than "
			    "%u %% of its %lld zones: none deleted (-f to "
			    "delete) server=%s", s->cfg->name, s->confirmed,
			    p->pct, s->owned, s->cfg->name);
			if (p->dry)
				printf("would-hold server=%s orphans=%zu "
				    "zones=%lld\n", s->cfg->name,
				    s->confirmed, s->owned);
			free(conf);
			continue;
		}
		if (s->confirmed == 0) {
			free(conf);
			continue;
		}
		if ((jobs = calloc(s->confirmed, sizeof(*jobs))) == NULL) {
			free(conf);
			return -1;
		}
		for (nj = 0, k = 0; k < s->confirmed; k++) {
			/* The owner is the stored one: the delete passes
			 * the same ownership checks as DirectAdmin's. */
			if (store_get(p->st, conf[k], &z, 0) != 1 ||
			    z.deleted_us != 0)
				continue;
			if (p->dry) {
				printf("would-delete zone=%s server=%s\n",
				    conf[k], s->cfg->name);
				continue;
			}
			jobs[nj].action = JOB_DELETE;
			snprintf(jobs[nj].zone, sizeof(jobs[nj].zone), "%s",
			    z.name);
			snprintf(jobs[nj].hostname, sizeof(jobs[nj].hostname),
			    "%s", z.hostname);
			snprintf(jobs[nj].username, sizeof(jobs[nj].username),
			    "%s", z.username);
			jobs[nj].pushed_us = clock_wall_us();
			nj++;
		}
		if (nj > 0 && enqueue_commit(p->st, p->cfg->queue_location,
		    p->queues, p->nq, jobs, nj, err, sizeof(err)) < 0) {
			log_warn("unable to queue orphan deletes of server %s: "
			    "%s", s->cfg->name, err);
			p->failed = 1;
			nj = 0;
		}
		for (k = 0; k < nj; k++)
			log_info("deleted orphan zone=%s server=%s",
			    jobs[k].zone, s->cfg->name);
		s->deleted = nj;
		p->deleted += nj;
		free(jobs);
		jobs = NULL;
		free(conf);
	}
	if (!p->dry && store_orphan_prune(p->st, pass) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Healing */

enum need { N_OK = 0, N_SAVE, N_DELETE };

struct item {
	char		 name[JOB_NAME_MAX + 1];
	char		 hash[HASH_HEX_LEN + 1];
	uint64_t	 seq;
	uint32_t	 serial;
	int		 deleted;
	int		 pending;	/* a job waits in the queue */
	enum need	 need;
	char		 why[96];
};

/* A page of zones under check. */
struct batch {
	struct item	 it[PAGE];
	size_t		 n;
};

static void
item_set(struct item *it, const struct store_zone *z)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", z->name);
	memcpy(it->hash, z->hash, sizeof(it->hash));
	it->seq = z->seq;
	it->serial = z->serial;
	it->deleted = z->deleted_us != 0;
}

static void
need(struct item *it, enum need n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
need(struct item *it, enum need n, const char *fmt, ...)
{
	va_list ap;

	it->need = n;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof(it->why), fmt, ap);
	va_end(ap);
}

/* Write the collected job files into the backend's queue at once. */
static void
commit(struct pass *p, struct bstat *b)
{
	char *q[1];
	size_t i;

	q[0] = (char *)b->be->name;
	if (b->njobs > 0 && spool_commit(p->cfg->queue_location, q, 1,
	    b->names, b->bufs, b->lens, b->njobs) < 0) {
		err_set_sys(b->why, sizeof(b->why), "unable to queue into %s",
		    b->be->name);
		b->ok = 0;
	}
	for (i = 0; i < b->njobs; i++) {
		free(b->names[i]);
		free(b->bufs[i]);
	}
	b->njobs = 0;
}

/*
 * Collect a job with the store's current state for every item of the
 * page that needs one, for the backend's queue only; commit them when
 * JOBS_MAX are collected (and at the end, commit()). The job carries the
 * store row's own change sequence: the store is not written (no new
 * change for peers to pull, no race with a DirectAdmin push in between),
 * and the runner applies the store's state if a newer one arrives.
 */
static void
flush(struct pass *p, struct bstat *b, struct batch *bt)
{
	struct store_zone z;
	struct job job;
	size_t i, n;

	for (i = 0; i < bt->n; i++) {
		struct item *it = &bt->it[i];

		if (it->need == N_OK)
			continue;
		p->drift = 1;
		if (it->need == N_SAVE)
			b->healed++;
		else
			b->removed++;
		if (p->dry) {
			printf("would-%s backend=%s zone=%s reason=\"%s\"\n",
			    it->need == N_SAVE ? "heal" : "remove",
			    b->be->name, it->name, it->why);
			continue;
		}
		if (store_get(p->st, it->name, &z, 1) != 1) {
			store_zone_free(&z);
			continue;
		}
		memset(&job, 0, sizeof(job));
		snprintf(job.zone, sizeof(job.zone), "%s", z.name);
		snprintf(job.hostname, sizeof(job.hostname), "%s", z.hostname);
		snprintf(job.username, sizeof(job.username), "%s", z.username);
		job.seq = z.seq;
		if (z.deleted_us != 0 || z.text == NULL) {
			job.action = JOB_DELETE;
			job.pushed_us = z.deleted_us;
		} else {
			job.action = JOB_SAVE;
			job.pushed_us = z.updated_us;
			job.serial = z.serial;
			job.text = z.text;
			job.textlen = z.textlen;
		}
		n = b->njobs;
		b->names[n] = malloc(320);
		b->bufs[n] = b->names[n] && job_name(&job, b->names[n], 320) ==
		    0 ? job_format(&job, &b->lens[n]) : NULL;
		store_zone_free(&z);
		if (b->bufs[n] == NULL) {
			free(b->names[n]);
			snprintf(b->why, sizeof(b->why), "unable to format a job "
			    "for zone %s", it->name);
			b->ok = 0;
			continue;
		}
		if (b->logged++ < LOG_EACH_MAX)
			log_info("%s backend=%s zone=%s reason=\"%s\"",
			    it->need == N_SAVE ? "heal" : "remove", b->be->name,
			    it->name, it->why);
		if (++b->njobs == JOBS_MAX)
			commit(p, b);
	}
	bt->n = 0;
}

/* The zones with a job waiting in the backend's queue, by the zone key of
 * their job file names (job_name_key()). */
static int
pending_set(struct pass *p, const char *queue, struct nameset *set)
{
	struct spool_entry *ent;
	long n, i;

	if ((n = spool_scan(p->cfg->queue_location, queue, &ent)) < 0)
		return errno == ENOENT ? 0 : -1;
	for (i = 0; i < n; i++)
		if (nameset_add(set, ent[i].zone, 1) < 0) {
			free(ent);
			return -1;
		}
	free(ent);
	return 0;
}

/* Whether pending_set() holds a job for zone. */
static int
pending_has(const struct nameset *set, const char *zone)
{
	char key[JOB_KEY_MAX + 1];

	if (job_name_key(zone, key, sizeof(key)) < 0)
		return 0;
	return nameset_get(set, key) != 0;
}

/* Read the store's next zone into z and into a new item of bt, marked
 * pending when a job for it waits in the queue (pend). Returns
 * store_iter_next()'s value: 1 when an item was added. */
static int
heal_next(struct store_iter *it, const struct nameset *pend, struct batch *bt,
    struct bstat *b, struct store_zone *z)
{
	struct item *x;
	int rc;

	if ((rc = store_iter_next(it, z)) != 1)
		return rc;
	x = &bt->it[bt->n++];
	item_set(x, z);
	x->pending = pending_has(pend, x->name);
	b->checked++;
	b->pending += x->pending;
	return 1;
}

struct filebe {
	int		 zfd;
	struct dnsq_server srv;
	int		 verify;	/* srv set and answering */
	int		 answered;	/* some query got an answer */
};

/* Zone files: the store's text byte for byte, none for tombstones. */
static void
check_files(struct filebe *f, struct batch *bt)
{
	char fn[ZONEFILE_NAME_MAX + 1], h[HASH_HEX_LEN + 1], *buf;
	size_t i, len;

	for (i = 0; i < bt->n; i++) {
		struct item *it = &bt->it[i];

		if (it->pending)
			continue;
		zonefile_name(it->name, fn, sizeof(fn));
		if (it->deleted) {
			if (faccessat(f->zfd, fn, F_OK, 0) == 0)
				need(it, N_DELETE, "zone file of a deleted "
				    "zone present");
			continue;
		}
		if (zonefile_read(f->zfd, fn, ZONE_TEXT_MAX + 1024, &buf,
		    &len) < 0) {
			if (errno == ENOENT)
				need(it, N_SAVE, "zone file missing");
			else
				need(it, N_SAVE, "zone file unreadable: %s",
				    strerror(errno));
			continue;
		}
		hash_hex(buf, len, h);
		free(buf);
		if (strcmp(h, it->hash) != 0)
			need(it, N_SAVE, "zone file differs from the store");
	}
}

/* Served state: the store's serial for live zones, nothing for
 * tombstones. Returns -1 when the server answered nothing at all. */
static int
check_served(struct filebe *f, struct batch *bt, struct bstat *b)
{
	const char *zones[PAGE];
	struct dnsq_result res[PAGE];
	size_t map[PAGE], n, i, k, got;
	int round;

	for (i = 0, n = 0; i < bt->n; i++)
		if (!bt->it[i].pending && bt->it[i].need == N_OK) {
			zones[n] = bt->it[i].name;
			map[n++] = i;
		}
	/* Two rounds: the second asks again what the first lost. */
	for (round = 0; round < 2 && n > 0; round++) {
		if (dnsq_soa(&f->srv, zones, n, SOA_MS, res) < 0) {
			err_set_sys(b->why, sizeof(b->why), "unable to query "
			    "%s", b->be->verify);
			return -1;
		}
		for (got = 0, k = 0; k < n; k++) {
			struct item *it = &bt->it[map[k]];

			if (res[k].status == DNSQ_NONE)
				continue;
			got++;
			if (it->deleted) {
				if (res[k].status == DNSQ_SOA)
					need(it, N_DELETE, "deleted zone "
					    "still served");
			} else if (res[k].status != DNSQ_SOA)
				need(it, N_SAVE, "not served (rcode %d%s)",
				    res[k].rcode, res[k].aa ? "" :
				    ", no AA");
			else if (res[k].serial != it->serial)
				need(it, N_SAVE, "serves serial %" PRIu32
				    ", store %" PRIu32, res[k].serial,
				    it->serial);
		}
		if (got > 0)
			f->answered = 1;
		/* Keep the unanswered ones for the next round. */
		for (i = 0, k = 0; k < n; k++)
			if (res[k].status == DNSQ_NONE) {
				zones[i] = zones[k];
				map[i++] = map[k];
			}
		if (got == 0 && !f->answered) {
			snprintf(b->why, sizeof(b->why), "no answer from %s",
			    b->be->verify);
			return -1;
		}
		n = i;
	}
	b->unchecked += n;
	return 0;
}

struct lagctx {
	struct pass	*p;
	struct bstat	*b;
};

/* A zone a secondary serves with another serial than the store's, or
 * not at all: a line, and a NOTIFY to send again (the catalog's when the
 * secondary lacks the zone). */
static void
on_lag(void *arg, const struct seclag *s, const char *zone,
    const struct dnsq_result *have, uint32_t want)
{
	static const char *const rcodes[] = { "NOERROR", "FORMERR",
	    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	struct lagctx *c = arg;
	struct bstat *b = c->b;
	char h[32];
	size_t i;

	c->p->drift = 1;
	if (have->status == DNSQ_SOA)
		snprintf(h, sizeof(h), "%" PRIu32, have->serial);
	else if (have->rcode >= 0 && have->rcode < (int)(sizeof(rcodes) /
	    sizeof(rcodes[0])))
		snprintf(h, sizeof(h), "%s", rcodes[have->rcode]);
	else
		snprintf(h, sizeof(h), "RCODE%d", have->rcode);
	if (c->p->dry || b->lagged++ < LOG_EACH_MAX)
		act(c->p, "secondary-behind backend=%s secondary=%s zone=%s "
		    "have=%s want=%" PRIu32, s->backend, s->address, zone, h,
		    want);
	if (c->p->dry)
		return;
	if (have->status != DNSQ_SOA) {
		b->notify_cat = 1;
		return;
	}
	for (i = 0; i < b->nnotify; i++)
		if (strcmp(b->notify[i], zone) == 0)
			return;
	if (b->nnotify < NOTIFY_MAX &&
	    (b->notify[b->nnotify] = strdup(zone)) != NULL)
		b->nnotify++;
}

/* Keep, for b's secondaries, the zones of the page that the primary
 * serves as the store has them (live, nothing queued, nothing to heal):
 * they are asked all at once at the end (ask_secondaries()), so a slow
 * secondary costs one timeout per pass, not one per page. */
static void
check_secondaries(struct pass *p, struct bstat *b, struct batch *bt)
{
	size_t i, cap;
	char **nz;
	uint32_t *nw;

	if (b->nlag == 0)
		return;
	for (i = 0; i < bt->n; i++) {
		struct item *it = &bt->it[i];

		if (it->pending || it->deleted || it->need != N_OK)
			continue;
		if (b->nl == b->capl) {
			cap = b->capl ? b->capl * 2 : 1024;
			if ((nz = reallocarray(b->lz, cap, sizeof(*nz))) == NULL)
				goto oom;
			b->lz = nz;
			if ((nw = reallocarray(b->lw, cap, sizeof(*nw))) == NULL)
				goto oom;
			b->lw = nw;
			b->capl = cap;
		}
		if ((b->lz[b->nl] = strdup(it->name)) == NULL)
			goto oom;
		b->lw[b->nl++] = it->serial;
	}
	return;
oom:
	snprintf(b->why, sizeof(b->why), "out of memory");
	p->failed = 1;
}

/* Ask each secondary of b for the zones check_secondaries() kept: two
 * rounds of SOA_MS and 1 ms per 5 zones at most each. */
static void
ask_secondaries(struct pass *p, struct bstat *b)
{
	struct lagctx c = { p, b };
	int ms = SOA_MS + (int)(b->nl / 5 < 600000 ? b->nl / 5 : 600000);
	size_t i;

	for (i = 0; i < b->nlag && !stop; i++)
		seclag_check(&b->lag[i], (const char *const *)b->lz, b->lw,
		    b->nl, ms, on_lag, &c);
	for (i = 0; i < b->nl; i++)
		free(b->lz[i]);
	free(b->lz);
	free(b->lw);
	b->lz = NULL;
	b->lw = NULL;
	b->nl = b->capl = 0;
}

static void
heal_files(struct pass *p, struct bstat *b)
{
	const struct config_backend *be = b->be;
	struct filebe f;
	struct nameset pend = { 0 };
	struct store_iter *it;
	struct store_zone z;
	struct batch *bt;
	const char *why;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((bt = calloc(1, sizeof(*bt))) == NULL) {
		snprintf(b->why, sizeof(b->why), "out of memory");
		return;
	}
	if ((f.zfd = open(be->zones_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		err_set_sys(b->why, sizeof(b->why), "unable to open %s",
		    be->zones_dir);
		free(bt);
		return;
	}
	if (be->verify[0] != '\0') {
		if (dnsq_server_parse(be->verify, &f.srv, &why) < 0) {
			snprintf(b->why, sizeof(b->why), "invalid verify %s: %s",
			    be->verify, why);
			close(f.zfd);
			free(bt);
			return;
		}
		f.verify = 1;
	} else
		log_debug("backend %s has no verify address: zone files "
		    "only backend=%s", be->name, be->name);
	if (pending_set(p, be->name, &pend) < 0) {
		err_set_sys(b->why, sizeof(b->why), "unable to scan queue %s",
		    be->name);
		goto out;
	}
	if ((it = store_iter_begin(p->st, NULL, PAGE, 0)) == NULL) {
		snprintf(b->why, sizeof(b->why), "unable to read the store: %s",
		    store_errmsg(p->st));
		goto out;
	}
	b->ok = 1;
	for (;;) {
		rc = heal_next(it, &pend, bt, b, &z);
		if (rc == 1 && bt->n < PAGE)
			continue;
		if (bt->n > 0) {
			check_files(&f, bt);
			if (f.verify && check_served(&f, bt, b) < 0) {
				log_warn("backend %s: served zones not checked:"
				    " %s backend=%s", be->name, b->why,
				    be->name);
				f.verify = 0;
				b->ok = 0;
				p->failed = 1;
			}
			check_secondaries(p, b, bt);
			flush(p, b, bt);
		}
		if (rc != 1 || stop)
			break;
	}
	if (rc < 0) {
		snprintf(b->why, sizeof(b->why), "unable to read the store: %s",
		    store_errmsg(p->st));
		b->ok = 0;
	}
	store_iter_end(it);
out:
	nameset_free(&pend);
	close(f.zfd);
	free(bt);
}

/* An order-independent digest of a zone's rows: count and two sums. */
struct digest {
	uint64_t	 n, a, b;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void
digest_row(struct digest *d, const char *host, const char *type,
    const char *data, unsigned long long ttl, int online)
{
	uint64_t h = 1469598103934665603ULL;
	char num[48];
	const char *parts[4] = { host, type, data, num };
	const char *s;
	int i;

	snprintf(num, sizeof(num), "%llu/%d", ttl, online != 0);
	for (i = 0; i < 4; i++) {
		for (s = parts[i]; *s != '\0'; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	d->n++;
	d->a += mix(h);
	d->b += mix(h ^ 0x9e3779b97f4a7c15ULL);
}

/* The rows zone-write-mysql would write for the zone's text. */
static int
digest_want(const struct store_zone *z, struct digest *d, char *err,
    size_t errlen)
{
	struct coredns_zone cz;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (coredns_zone_parse(&cz, z->name, z->text, z->textlen, NULL, err,
	    errlen) < 0)
		return -1;
	for (i = 0; i < cz.nrows; i++)
		digest_row(d, cz.rows[i].hostname, cz.rows[i].type,
		    cz.rows[i].data, cz.rows[i].ttl, 1);
	coredns_zone_free(&cz);
	return 0;
}

/* The database's side of the merge: one zone and its rows' digest. */
struct dbcur {
	MYSQL_RES	*res;
	MYSQL_ROW	 row;		/* the look-ahead row, NULL at end */
	char		 name[ZONE_NAME_MAX + 2];	/* without the dot */
	struct digest	 d;
	int		 have;		/* name and d are a zone */
};

static void
db_name(const char *fq, char *out, size_t size)
{
	size_t n = strlen(fq);

	if (n > 0 && fq[n - 1] == '.')
		n--;
	snprintf(out, size, "%.*s", (int)n, fq);
}

/* Read the next zone with all its rows. */
static void
db_next(struct dbcur *c)
{
	char name[ZONE_NAME_MAX + 2];

	c->have = 0;
	if (c->row == NULL)
		return;
	db_name(c->row[0], c->name, sizeof(c->name));
	memset(&c->d, 0, sizeof(c->d));
	c->have = 1;
	do {
		if (c->row[1] != NULL)
			digest_row(&c->d, c->row[1], c->row[2] ? c->row[2] :
			    "", c->row[3] ? c->row[3] : "",
			    c->row[4] ? strtoull(c->row[4], NULL, 10) : 0,
			    c->row[5] ? atoi(c->row[5]) : 0);
		if ((c->row = mysql_fetch_row(c->res)) == NULL)
			break;
		db_name(c->row[0], name, sizeof(name));
	} while (strcmp(name, c->name) == 0);
}

static MYSQL *
db_connect(const struct config_backend *be, char *err, size_t errlen)
{
	unsigned int t = MYSQL_TIMEOUT;
	my_bool on = 1, verify = be->tls_verify ? 1 : 0;
	const char *host, *sock;
	MYSQL *my;

	if ((my = mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mysql_optionsv(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_optionsv(my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_optionsv(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (be->tls) {
		mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
		if (be->tls_ca[0] != '\0')
			mysql_optionsv(my, MYSQL_OPT_SSL_CA, be->tls_ca);
		if (be->tls_cert[0] != '\0')
			mysql_optionsv(my, MYSQL_OPT_SSL_CERT, be->tls_cert);
		if (be->tls_key[0] != '\0')
			mysql_optionsv(my, MYSQL_OPT_SSL_KEY, be->tls_key);
	}
	host = be->host[0] != '\0' ? be->host : NULL;
	sock = be->socket[0] != '\0' ? be->socket : NULL;
	if (sock != NULL)
		host = "localhost";
	if (mysql_real_connect(my, host, be->username, be->password,
	    be->database, be->port, sock, 0) == NULL) {
		err_set(err, errlen, "unable to connect to %s as %s: %s",
		    sock ? sock : be->host, be->username, mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	return my;
}

static void
heal_mysql(struct pass *p, struct bstat *b)
{
	const struct config_backend *be = b->be;
	struct nameset pend = { 0 };
	struct store_iter *it = NULL;
	struct store_zone z;
	struct batch *bt = NULL;
	struct dbcur c;
	struct digest want;
	char sql[512], err[512];
	MYSQL *my = NULL;
	int rc, cmp;

	memset(&c, 0, sizeof(c));
	if (!coredns_ident_ok(be->zones_table) ||
	    !coredns_ident_ok(be->table_name)) {
		snprintf(b->why, sizeof(b->why), "invalid table name");
		return;
	}
	if ((bt = calloc(1, sizeof(*bt))) == NULL) {
		snprintf(b->why, sizeof(b->why), "out of memory");
		return;
	}
	if (pending_set(p, be->name, &pend) < 0) {
		err_set_sys(b->why, sizeof(b->why), "unable to scan queue %s",
		    be->name);
		goto out;
	}
	if ((my = db_connect(be, b->why, sizeof(b->why))) == NULL)
		goto out;
	/* Zone names in byte order without their dot: the store's order. */
	snprintf(sql, sizeof(sql), "SELECT z.zone_name, r.hostname, r.type,"
	    " r.data, r.ttl, r.online FROM `%s` z LEFT JOIN `%s` r ON"
	    " r.zone_id = z.id ORDER BY CAST(TRIM(TRAILING '.' FROM"
	    " z.zone_name) AS BINARY)", be->zones_table, be->table_name);
	if (mysql_query(my, sql) != 0 ||
	    (c.res = mysql_use_result(my)) == NULL) {
		err_set(b->why, sizeof(b->why), "unable to read %s.%s: %s",
		    be->database, be->table_name, mysql_error(my));
		goto out;
	}
	c.row = mysql_fetch_row(c.res);
	db_next(&c);
	if ((it = store_iter_begin(p->st, NULL, PAGE, 1)) == NULL) {
		snprintf(b->why, sizeof(b->why), "unable to read the store: %s",
		    store_errmsg(p->st));
		goto out;
	}
	b->ok = 1;
	for (;;) {
		rc = heal_next(it, &pend, bt, b, &z);
		if (rc == 1) {
			struct item *x = &bt->it[bt->n - 1];

			/* The database's zones before this one are not the
			 * store's: not ours to touch. */
			while (c.have && strcmp(c.name, z.name) < 0)
				db_next(&c);
			cmp = c.have ? strcmp(c.name, z.name) : 1;
			if (x->pending)
				;
			else if (x->deleted) {
				if (cmp == 0)
					need(x, N_DELETE, "deleted zone still "
					    "in the database");
			} else if (cmp != 0)
				need(x, N_SAVE, "zone missing in the database");
			else if (digest_want(&z, &want, err, sizeof(err)) < 0)
				log_debug("zone %s not comparable: %s",
				    z.name, err);
			else if (want.n != c.d.n || want.a != c.d.a ||
			    want.b != c.d.b)
				need(x, N_SAVE, "records differ (%" PRIu64
				    " rows, want %" PRIu64 ")", c.d.n, want.n);
			if (bt->n < PAGE)
				continue;
		}
		if (bt->n > 0)
			flush(p, b, bt);
		if (rc != 1 || stop)
			break;
	}
	if (rc < 0) {
		snprintf(b->why, sizeof(b->why), "unable to read the store: %s",
		    store_errmsg(p->st));
		b->ok = 0;
	}
	/* Read what is left: the connection must be drained. */
	while (c.row != NULL)
		c.row = mysql_fetch_row(c.res);
	if (mysql_errno(my) != 0) {
		err_set(b->why, sizeof(b->why), "unable to read %s: %s",
		    be->database, mysql_error(my));
		b->ok = 0;
	}
out:
	store_iter_end(it);
	if (c.res != NULL)
		mysql_free_result(c.res);
	if (my != NULL)
		mysql_close(my);
	nameset_free(&pend);
	free(bt);
}

/* The catalog's expected members, for heal_catalog(). */
struct catwant {
	char		**v;
	size_t		 n, cap;
};

static int
catwant_add(void *arg, const char *name)
{
	struct catwant *w = arg;
	char **nv;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		if ((nv = reallocarray(w->v, w->cap, sizeof(*nv))) == NULL)
			return -1;
		w->v = nv;
	}
	return (w->v[w->n++] = strdup(name)) == NULL ? -1 : 0;
}

/*
 * The catalog zone of an nsd, bind or knot backend: its file in zones_dir must
 * list exactly the zones the backend serves (live in the store, applied
 * as saves). When it does not, a catalog job (sequence 0) goes into the
 * backend's queue: the writer writes the catalog again from the store.
 */
static void
heal_catalog(struct pass *p, struct bstat *b)
{
	const struct config_backend *be = b->be;
	char file[ZONEFILE_NAME_MAX + 1], why[640], **have = NULL;
	struct catwant w = { 0 };
	struct job job;
	const char *cwhy;
	uint32_t serial = 0;
	size_t i, n, len = 0;
	long nhave = -1;
	char *text = NULL;
	int zfd;

	if (be->catalog_zone[0] == '\0' || be->type == BACKEND_COREDNS_MYSQL)
		return;
	if (store_served_each(p->st, be->name, catwant_add, &w) < 0) {
		snprintf(b->why, sizeof(b->why), "unable to read the store: %s",
		    store_errmsg(p->st));
		goto out;
	}
	zonefile_name(be->catalog_zone, file, sizeof(file));
	if ((zfd = open(be->zones_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		if (zonefile_read(zfd, file, JOB_MAX, &text, &len) == 0)
			nhave = catalog_members(text, len, &have, &serial,
			    &cwhy);
		else
			cwhy = strerror(errno);
		close(zfd);
	} else
		cwhy = strerror(errno);
	free(text);
	b->checked++;
	if (nhave == (long)w.n) {
		for (i = 0; i < w.n && strcmp(have[i], w.v[i]) == 0; i++)
			;
		if (i == w.n)
			goto out;
		snprintf(why, sizeof(why), "catalog lists %s, not %s", have[i],
		    w.v[i]);
	} else if (nhave >= 0)
		snprintf(why, sizeof(why), "catalog lists %ld zones, the "
		    "backend serves %zu", nhave, w.n);
	else
		snprintf(why, sizeof(why), "catalog %s: %s", file, cwhy);
	p->drift = 1;
	b->healed++;
	if (p->dry) {
		printf("would-heal backend=%s zone=%s reason=\"%s\"\n",
		    be->name, be->catalog_zone, why);
		goto out;
	}
	memset(&job, 0, sizeof(job));
	job.action = JOB_SAVE;
	snprintf(job.zone, sizeof(job.zone), "%s", be->catalog_zone);
	job.pushed_us = clock_wall_us();
	job.serial = serial;
	if ((text = catalog_text(be->catalog_zone, serial, w.v, w.n,
	    &job.textlen)) == NULL) {
		snprintf(b->why, sizeof(b->why), "out of memory");
		goto out;
	}
	job.text = text;
	n = b->njobs;
	b->names[n] = malloc(320);
	b->bufs[n] = b->names[n] && job_name(&job, b->names[n], 320) == 0 ?
	    job_format(&job, &b->lens[n]) : NULL;
	free(text);
	if (b->bufs[n] == NULL) {
		free(b->names[n]);
		snprintf(b->why, sizeof(b->why), "unable to format a job for "
		    "zone %.200s", be->catalog_zone);
		goto out;
	}
	log_info("heal backend=%s zone=%s reason=\"%s\"", be->name,
	    be->catalog_zone, why);
	if (++b->njobs == JOBS_MAX)
		commit(p, b);
out:
	catalog_free(have, nhave > 0 ? (size_t)nhave : 0);
	catalog_free(w.v, w.n);
}

/* The secondaries of b's backend (nsd and bind), as seclag entries. */
static void
lag_setup(struct pass *p, struct bstat *b)
{
	const struct config_backend *be = b->be;
	size_t k;

	if (be->type != BACKEND_NSD && be->type != BACKEND_BIND)
		return;
	b->lag = &p->lag[p->nlag];
	for (k = 0; k < be->nsecondaries && p->nlag < SECLAG_N; k++) {
		seclag_init(&p->lag[p->nlag], be->name, &be->secondaries[k]);
		p->nlag++;
		b->nlag++;
	}
}

/* Send NOTIFY again through the primary for the zones in
 * names[0..n): nsd-control notify or rndc notify, one zone a command. */
static void
renotify(const struct config_backend *be, char *const names[], size_t n)
{
	struct nsdctl c;
	struct rndc_call calls[NOTIFY_MAX + 1];
	const char *argv[NOTIFY_MAX + 1][6];
	char err[512], *out;
	size_t i, a;
	int rc;

	if (be->type == BACKEND_NSD) {
		memset(&c, 0, sizeof(c));
		c.socket = be->control_socket;
		c.conf = be->nsd_conf;
		if (c.socket[0] == '\0' && be->nsd_main_conf[0] != '\0' &&
		    nsdconf_has_server(be->nsd_conf, err, sizeof(err)) == 0)
			c.conf = be->nsd_main_conf;
		c.timeout_ms = CTL_MS;
		for (i = 0; i < n && !stop; i++) {
			const char *v[] = { "notify", names[i], NULL };

			out = NULL;
			rc = nsdctl_cmd(&c, v, NULL, 0, &out, err, sizeof(err));
			if (rc < 0 || strncmp(out, "ok", 2) != 0)
				log_warn("unable to notify zone=%s backend=%s: "
				    "%s", names[i], be->name, rc < 0 ? err :
				    out);
			else
				log_info("notified zone=%s backend=%s",
				    names[i], be->name);
			free(out);
		}
		return;
	}
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < n && i <= NOTIFY_MAX; i++) {
		a = 0;
		argv[i][a++] = "rndc";
		if (be->rndc_conf[0] != '\0') {
			argv[i][a++] = "-c";
			argv[i][a++] = be->rndc_conf;
		}
		argv[i][a++] = "notify";
		argv[i][a++] = names[i];
		argv[i][a] = NULL;
		calls[i].argv = argv[i];
	}
	if (rndc_exec(calls, n, 4, CTL_MS) < 0)
		log_warn_sys("unable to run rndc notify backend=%s", be->name);
	for (i = 0; i < n; i++) {
		if (rndc_answer(&calls[i]) != RNDC_OK)
			log_warn("unable to notify zone=%s backend=%s: %s",
			    names[i], be->name, rndc_reason(&calls[i], err,
			    sizeof(err)));
		else
			log_info("notified zone=%s backend=%s", names[i],
			    be->name);
	}
	rndc_free(calls, n);
}

/* After b's zones: a line per secondary that did not answer, a summary
 * per secondary, and NOTIFY again for the zones that lag. */
static void
lag_done(struct pass *p, struct bstat *b)
{
	char *names[NOTIFY_MAX + 1];
	size_t i, n = 0;

	ask_secondaries(p, b);
	for (i = 0; i < b->nlag; i++) {
		struct seclag *s = &b->lag[i];

		if (s->state == SECLAG_DOWN) {
			p->drift = 1;
			act(p, "secondary-down backend=%s secondary=%s "
			    "reason=\"%s\"", s->backend, s->address, s->why);
		} else
			log_info("checked secondary=%s backend=%s state=%s "
			    "zones=%lld behind=%lld unchecked=%lld",
			    s->address, s->backend, seclag_state_name(s->state),
			    s->checked, s->behind, s->unchecked);
	}
	if (!p->dry && !stop) {
		if (b->notify_cat && b->be->catalog_zone[0] != '\0')
			names[n++] = (char *)b->be->catalog_zone;
		for (i = 0; i < b->nnotify; i++)
			names[n++] = b->notify[i];
		if (n > 0)
			renotify(b->be, names, n);
	}
	for (i = 0; i < b->nnotify; i++)
		free(b->notify[i]);
	b->nnotify = 0;
}

/* The secondaries' report for da-receive's /status: SECLAG_FILE in the
 * queue location, removed when no backend has secondaries. */
static void
write_lag(struct pass *p)
{
	struct buf b = { 0 };

	if (p->nlag > 0)
		seclag_json(p->lag, p->nlag, clock_wall_us(), &b);
	if (seclag_write(p->cfg->queue_location, b.p, p->nlag > 0 ?
	    b.len : 0) < 0)
		log_warn_sys("unable to write %s/%s", p->cfg->queue_location,
		    SECLAG_FILE);
	buf_free(&b);
}

static void
heal(struct pass *p)
{
	const struct config *cfg = p->cfg;
	size_t i;

	for (i = 0; i < cfg->nbackends && !stop; i++) {
		struct bstat *b;

		if (!cfg->backends[i].enabled)
			continue;
		b = &p->bs[p->nbs++];
		b->be = &cfg->backends[i];
		lag_setup(p, b);
		if (b->be->type == BACKEND_COREDNS_MYSQL)
			heal_mysql(p, b);
		else
			heal_files(p, b);
		heal_catalog(p, b);
		lag_done(p, b);
		commit(p, b);
		if (!b->ok || b->why[0] != '\0') {
			b->ok = 0;
			p->failed = 1;
			log_warn("backend %s not fully checked: %s backend=%s",
			    b->be->name, b->why, b->be->name);
		}
		log_info("checked backend=%s zones=%lld healed=%lld "
		    "removed=%lld pending=%lld unchecked=%lld", b->be->name,
		    b->checked, b->healed, b->removed, b->pending,
		    b->unchecked);
	}
}

/* ------------------------------------------------------------------ */

static void
summary(struct pass *p, long long t0, char *line, size_t size, char *json,
    size_t jsize)
{
	long long healed = 0, removed = 0, unchecked = 0, checked = 0;
	size_t i, answered = 0, failed = 0, empty = 0, o = 0;
	size_t lagging = 0, down = 0;

	for (i = 0; i < p->nsrv; i++) {
		if (p->srv[i].usable)
			answered++;
		else if (p->srv[i].ok)
			empty++;
		else if (p->cfg->reconciliation.enabled)
			failed++;
	}
	for (i = 0; i < p->nbs; i++) {
		healed += p->bs[i].healed;
		removed += p->bs[i].removed;
		unchecked += p->bs[i].unchecked;
		checked += p->bs[i].checked;
	}
	for (i = 0; i < p->nlag; i++) {
		lagging += p->lag[i].state == SECLAG_BEHIND;
		down += p->lag[i].state == SECLAG_DOWN;
	}
	snprintf(line, size, "servers=%zu answered=%zu empty=%zu failed=%zu "
	    "listed=%zu backfilled=%lld migrated=%lld orphans=%lld "
	    "confirmed=%lld deleted=%lld held=%lld backends=%zu "
	    "checked=%lld healed=%lld removed=%lld unchecked=%lld "
	    "secondaries=%zu behind=%zu down=%zu dry_run=%d status=%s ms=%lld",
	    p->cfg->reconciliation.enabled ? p->nsrv : 0, answered, empty,
	    failed, p->listed.n, p->backfilled, p->migrated, p->orphans,
	    p->confirmed, p->deleted, p->held, p->nbs, checked, healed,
	    removed, unchecked, p->nlag, lagging, down, p->dry, stop ? "interrupted" : p->failed ?
	    "incomplete" : p->drift ? (p->dry ? "drift" : "repaired") : "ok",
	    clock_ms() - t0);
	o += snprintf(json + o, jsize - o, "{\"dry_run\":%s,\"status\":\"%s\","
	    "\"servers\":[", p->dry ? "true" : "false", stop ? "interrupted" :
	    p->failed ? "incomplete" : p->drift ? (p->dry ? "drift" :
	    "repaired") : "ok");
	for (i = 0; i < p->nsrv && p->cfg->reconciliation.enabled &&
	    o < jsize; i++) {
		struct server *s = &p->srv[i];

		/* Server names are host names: no quoting needed beyond
		 * what zone_name_norm-like names carry; escape anyway. */
		o += snprintf(json + o, jsize - o, "%s{\"name\":\"", i ? "," :
		    "");
		for (const char *c = s->cfg->name; *c && o + 8 < jsize; c++)
			o += *c == '"' || *c == '\\' ? snprintf(json + o,
			    jsize - o, "\\%c", *c) : (unsigned char)*c < 0x20 ?
			    snprintf(json + o, jsize - o, "\\u%04x", *c) :
			    snprintf(json + o, jsize - o, "%c", *c);
		if (o < jsize)
			o += snprintf(json + o, jsize - o, "\",\"state\":\"%s\","
			    "\"listed\":%lu,\"zones\":%lld,\"orphans\":%zu,"
			    "\"confirmed\":%zu,\"deleted\":%zu,\"held\":%zu}",
			    s->usable ? "ok" : s->ok ? "empty" : "failed",
			    s->listed, s->owned, s->ncand, s->confirmed,
			    s->deleted, s->held);
	}
	if (o < jsize)
		o += snprintf(json + o, jsize - o, "],\"backends\":[");
	for (i = 0; i < p->nbs && o < jsize; i++) {
		struct bstat *b = &p->bs[i];

		o += snprintf(json + o, jsize - o, "%s{\"name\":\"%s\","
		    "\"ok\":%s,\"checked\":%lld,\"healed\":%lld,"
		    "\"removed\":%lld,\"pending\":%lld,\"unchecked\":%lld}",
		    i ? "," : "", b->be->name, b->ok ? "true" : "false",
		    b->checked, b->healed, b->removed, b->pending,
		    b->unchecked);
	}
	if (o < jsize)
		o += snprintf(json + o, jsize - o, "],\"backfilled\":%lld,"
		    "\"migrated\":%lld,\"ms\":%lld}", p->backfilled,
		    p->migrated, clock_ms() - t0);
	if (o >= jsize)
		snprintf(json, jsize, "{\"status\":\"%s\"}", p->failed ?
		    "incomplete" : "ok");
}

/* Outcomes of a pass, as the summary line's status= words. */
static const char *const pass_status[] = {
	"ok", "repaired", "drift", "incomplete", "interrupted"
};
#define NSTATUS	(sizeof(pass_status) / sizeof(pass_status[0]))
static unsigned long long passes[NSTATUS];	/* since start, by status */
static long long last_ok_us;	/* end of the last pass that ended 0/1 */

/* The textfile dadns-reconcile.prom in metrics_dir: the last pass (its
 * outcome, duration, servers, orphans, backends) and the passes since
 * start. rc is the pass's exit code. */
static void
write_metrics(const struct pass *p, long long t0, int rc)
{
	const char *dir = p->cfg->metrics_dir;
	const char *sn[] = { "ok", "empty", "failed" };
	char lab[PROMFILE_LABEL_MAX], l[PROMFILE_LABEL_MAX + 32];
	struct buf b = { 0 };
	size_t i, k, st, nsrv[3] = { 0, 0, 0 };
	long long now = clock_wall_us();

	if (dir[0] == '\0')
		return;
	st = stop ? 4 : rc == EXIT_TEMP || p->failed ? 3 : p->drift ?
	    (p->dry ? 2 : 1) : 0;
	passes[st]++;
	if (st < 3)
		last_ok_us = now;
	promfile_head(&b, "dadns_reconcile_passes_total", "counter",
	    "Passes since start, by outcome.");
	for (i = 0; i < NSTATUS; i++) {
		promfile_label(l, sizeof(l), "status", pass_status[i]);
		promfile_uint(&b, "dadns_reconcile_passes_total", l, passes[i]);
	}
	promfile_head(&b, "dadns_reconcile_last_status", "gauge",
	    "1 for the outcome of the last pass.");
	for (i = 0; i < NSTATUS; i++) {
		promfile_label(l, sizeof(l), "status", pass_status[i]);
		promfile_uint(&b, "dadns_reconcile_last_status", l, i == st);
	}
	promfile_head(&b, "dadns_reconcile_last_run_timestamp_seconds",
	    "gauge", "When the last pass ended.");
	promfile_num(&b, "dadns_reconcile_last_run_timestamp_seconds", "",
	    now / 1e6);
	promfile_head(&b, "dadns_reconcile_last_success_timestamp_seconds",
	    "gauge", "When the last pass that could check everything ended"
	    " (0: none known).");
	promfile_num(&b, "dadns_reconcile_last_success_timestamp_seconds", "",
	    last_ok_us / 1e6);
	promfile_head(&b, "dadns_reconcile_last_duration_seconds", "gauge",
	    "How long the last pass took.");
	promfile_num(&b, "dadns_reconcile_last_duration_seconds", "",
	    (clock_ms() - t0) / 1e3);
	for (i = 0; i < p->nsrv; i++)
		nsrv[p->srv[i].usable ? 0 : p->srv[i].ok ? 1 : 2]++;
	promfile_head(&b, "dadns_reconcile_servers", "gauge", "DirectAdmin"
	    " servers of the last pass by how their list came back.");
	for (i = 0; i < 3; i++) {
		promfile_label(l, sizeof(l), "state", sn[i]);
		promfile_uint(&b, "dadns_reconcile_servers", l, nsrv[i]);
	}
	promfile_head(&b, "dadns_reconcile_orphans", "gauge", "Orphans of the"
	    " last pass: seen, confirmed by two passes, deleted, held back.");
	{
		const char *on[] = { "found", "confirmed", "deleted", "held" };
		long long ov[] = { p->orphans, p->confirmed, p->deleted,
		    p->held };

		for (i = 0; i < 4; i++) {
			promfile_label(l, sizeof(l), "stage", on[i]);
			promfile_uint(&b, "dadns_reconcile_orphans", l,
			    (unsigned long long)ov[i]);
		}
	}
	promfile_head(&b, "dadns_reconcile_backend_zones", "gauge", "Zones of"
	    " the last pass per backend: checked, healed (re-queued),"
	    " removed, pending, unchecked.");
	for (k = 0; k < p->nbs; k++) {
		const struct bstat *bs = &p->bs[k];
		const char *rn[] = { "checked", "healed", "removed",
		    "pending", "unchecked" };
		long long rv[] = { bs->checked, bs->healed, bs->removed,
		    bs->pending, bs->unchecked };

		promfile_label(lab, sizeof(lab), "backend", bs->be->name);
		for (i = 0; i < 5; i++) {
			snprintf(l, sizeof(l), "%s,result=\"%s\"", lab, rn[i]);
			promfile_uint(&b, "dadns_reconcile_backend_zones", l,
			    (unsigned long long)rv[i]);
		}
	}
	if (promfile_write(dir, "dadns-reconcile", &b) < 0)
		log_warn_sys("unable to write the metrics file "
		    "%s/dadns-reconcile.prom", dir);
	buf_free(&b);
}

/* Take last_ok_us from the run the store recorded before this one. */
static void
last_ok(struct store *st)
{
	long long started, finished;
	char *json = NULL;
	int ok;

	if (store_recon_last_get(st, &started, &finished, &ok, &json) == 1 &&
	    ok)
		last_ok_us = finished;
	free(json);
}

/* The process's peak resident size in KiB (Linux: VmHWM), or -1. */
static long
peak_rss_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * One pass. Returns 0 (done, nothing failed; with dry, no drift), 1
 * (dry: drift) or 111 (something could not be checked or done).
 */
static int
one_pass(struct config *cfg, int dry, int force, unsigned pct, int loop)
{
	struct pass *p;
	char err[1024], line[1024], json[8192];
	long long t0 = clock_ms(), started = clock_wall_us();
	size_t i;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn_sys("unable to allocate");
		return EXIT_TEMP;
	}
	p->cfg = cfg;
	p->dry = dry;
	p->force = force;
	p->pct = pct;
	p->loop = loop;
	p->nq = config_queues(cfg, p->queues, CONFIG_BACKENDS_MAX);
	if (cfg->reconciliation.enabled) {
		p->nsrv = cfg->reconciliation.nservers;
		for (i = 0; i < p->nsrv; i++)
			p->srv[i].cfg = &cfg->reconciliation.servers[i];
	}
	rc = EXIT_TEMP;
	if (!dry && spool_init(cfg->queue_location, p->queues, p->nq) < 0) {
		log_warn_sys("unable to set up the spool %s",
		    cfg->queue_location);
		goto out;
	}
	if ((p->st = store_open(cfg->db_location, err, sizeof(err))) == NULL) {
		log_warn("%s", err);
		goto out;
	}
	if (p->nsrv > 0) {
		list_servers(p);
		if (!stop && scan_owners(p) < 0) {
			log_warn("unable to read the store: %s",
			    store_errmsg(p->st));
			goto out;
		}
		if (!stop && orphans(p) < 0) {
			log_warn("unable to record orphans in the store: %s",
			    store_errmsg(p->st));
			goto out;
		}
	} else
		log_debug("no DirectAdmin server to list (reconciliation."
		    "enabled %s, %zu servers)", cfg->reconciliation.enabled ?
		    "true" : "false", cfg->reconciliation.nservers);
	if (!stop) {
		heal(p);
		if (!stop)
			write_lag(p);
	}
	summary(p, t0, line, sizeof(line), json, sizeof(json));
	if (loop)
		log_info("%s", line);
	else
		printf("%s\n", line);
	if (last_ok_us == 0 && cfg->metrics_dir[0] != '\0')
		last_ok(p->st);
	if (store_recon_last_set(p->st, started, clock_wall_us(), !p->failed &&
	    !stop, json) < 0)
		log_warn("unable to record the run in the store: %s",
		    store_errmsg(p->st));
	rc = p->failed || stop ? EXIT_TEMP : dry && p->drift ? EXIT_NO : 0;
	log_debug("pass done peak_rss_kib=%ld", peak_rss_kib());
out:
	if (fflush(stdout) != 0)
		rc = EXIT_TEMP;
	write_metrics(p, t0, rc);
	for (i = 0; i < p->nsrv; i++) {
		size_t k;

		for (k = 0; k < p->srv[i].ncand; k++)
			free(p->srv[i].cand[k]);
		free(p->srv[i].cand);
	}
	nameset_free(&p->listed);
	store_close(p->st);
	free(p);
	return rc;
}

/* Sleep up to ms, or until a signal. */
static void
nap(long long ms)
{
	long long end = clock_ms() + ms, left;
	struct timespec ts;

	while (!stop && (left = end - clock_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct sigaction sa;
	const char *cpath = NULL;
	char err[1024], *end;
	int c, i, level = -1, dry = 0, force = 0, loop = 0, rc;
	unsigned pct = PCT_DEFAULT;
	long v;

	log_init("reconcile");
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			help();
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0)
			version_exit("reconcile");
		if (strcmp(argv[i], "--force") == 0)
			argv[i] = "-f";
	}
	while ((c = getopt(argc, argv, "Vc:fhlm:nqv")) != -1) {
		switch (c) {
		case 'c':
			cpath = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'V':
			version_exit("reconcile");
		case 'h':
			help();
			return 0;
		case 'l':
			loop = 1;
			break;
		case 'm':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    v < 0 || v > 100)
				die(EXIT_USAGE, "invalid -m %s: a percentage "
				    "0-100 expected", optarg);
			pct = (unsigned)v;
			break;
		case 'n':
			dry = 1;
			break;
		case 'q':
			level = LOG_WARN;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);

	if ((rc = appconf_load(&cfg, cpath, level, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	if (cfg->reconciliation.dry_run)
		dry = 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die(EXIT_TEMP, "unable to initialise libcurl");
	signal(SIGPIPE, SIG_IGN);
	if (loop) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}

	if (!loop) {
		rc = one_pass(cfg, dry, force, pct, 0);
	} else {
		log_info("looping interval_minutes=%u initial_delay_minutes=%u"
		    " directadmin=%s servers=%zu dry_run=%d",
		    cfg->reconciliation.interval_minutes,
		    cfg->reconciliation.initial_delay_minutes,
		    cfg->reconciliation.enabled ? "on" : "off",
		    cfg->reconciliation.nservers, dry);
		nap(cfg->reconciliation.initial_delay_minutes * 60000LL);
		while (!stop) {
			one_pass(cfg, dry, force, pct, 1);
			nap(cfg->reconciliation.interval_minutes * 60000LL);
		}
		log_info("stopped");
		rc = 0;
	}
	curl_global_cleanup();
	mysql_library_end();
	free(cfg);
	return rc;
}
