/* peer-pull.c -- one pass of peer sync: pull newer zones and tombstones
 * from every peer's /internal API and commit them like queue-push */
/* SPDX-License-Identifier: ISC */
#define USAGE "peer-pull [-V] [-c app.yml] [-n] [-w] [-p url]... [-v|-q]"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "appconf.h"
#include "clock.h"
#include "buf.h"
#include "config.h"
#include "io.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "peer.h"
#include "promfile.h"
#include "spool.h"
#include "store.h"
#include "version.h"
#include "zone.h"

#define BODY_MAX	(64 * 1024 * 1024)	/* one answer */
#define BULK_MIN	16	/* this many texts wanted: fetch the page's */
#define PAGES_MAX	1000000	/* pages followed in one pass at most */
#define TIMEOUT_MS	120000L	/* one request */
#define CONNECT_MS	10000L

/* What the pass needs, for every peer. */
static struct config *cfg;
static struct store *st;
static char self[STORE_ID_LEN + 1];
static char *queues[CONFIG_BACKENDS_MAX];
static size_t nq;
static int dry_run;
/* Deletes of live zones this pass may still take without a second
 * pass's word, and the share they come from (for messages). */
static long long budget, budget0, live0;

/* One peer's pass. */
struct pull {
	const struct config_peer *peer;
	char		 base[CONFIG_STR_MAX];	/* url without trailing '/' */
	CURL		*h;
	struct store_peer state;
	unsigned long	 saved, deleted, current, invalid, planned;
	unsigned long	 refused, held, confirmed;
	uint64_t	 seen0;		/* read up to by earlier passes */
	uint64_t	 hold;		/* the mark stays here: a delete after
					 * it is held (UINT64_MAX: none) */
	char		 err[512];
};

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V       print the version and exit\n"
	    "  -c FILE  app.yml to read (default: $DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -n       dry run: print what would change on stdout, change"
	    " nothing;\n"
	    "           exit 1 when something would\n"
	    "  -w       after the pass, wait peer_sync.interval_minutes"
	    " (s6 service)\n"
	    "  -p URL   only the configured peer with this URL (repeatable;"
	    " runs\n"
	    "           even when peer_sync.enabled is false)\n"
	    "  -v       log debug messages\n"
	    "  -q       log warnings and errors only\n"
	    "Pulls zones and tombstones newer than this store's from each"
	    " peer's /internal\nAPI and queues them for every enabled"
	    " backend. Changes dated more than\n"
	    "peer_sync.max_skew_seconds ahead are refused; deletes of live"
	    " zones past\npeer_sync.max_deletes (or max_delete_percent of"
	    " them) in one pass wait for\nthe next pass to ask again; a save"
	    " moving a zone to another owner is refused\nwhen"
	    " app.allow_owner_change is false.\n", USAGE);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > BODY_MAX)
		return 0;	/* too large: the transfer fails */
	buf_add(b, data, size * n);
	return b->oom ? 0 : size * n;
}

/*
 * GET path (with its query) from the peer. Returns the HTTP status with
 * the body in *b (the caller frees b->p), or -1 with p->err set when
 * nothing usable came back.
 */
static long
get(struct pull *p, const char *path, struct buf *b)
{
	char url[CONFIG_STR_MAX + 512], cerr[CURL_ERROR_SIZE];
	long status = 0;
	CURLcode rc;

	memset(b, 0, sizeof(*b));
	snprintf(url, sizeof(url), "%s%s", p->base, path);
	cerr[0] = '\0';
	curl_easy_setopt(p->h, CURLOPT_URL, url);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(p->h);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		snprintf(p->err, sizeof(p->err), "unable to GET %s: %s", path,
		    b->oom ? "out of memory" : b->len + 1 > BODY_MAX ?
		    "answer too large" : cerr[0] ? cerr :
		    curl_easy_strerror(rc));
		buf_free(b);
		return -1;
	}
	curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
	if (b->p == NULL)
		buf_add(b, "", 0);
	return status;
}

/* A status that is not 200 (or an allowed 404) fails the peer. */
static void
bad_status(struct pull *p, const char *path, long status)
{
	if (status == 401 || status == 403)
		snprintf(p->err, sizeof(p->err), "the peer refused our"
		    " credentials (HTTP %ld) for %s: check its"
		    " peer_sync.auth_* and our peer's username/password",
		    status, path);
	else
		snprintf(p->err, sizeof(p->err), "HTTP %ld for %s", status,
		    path);
}

/* Fetch a page of changes after since. Returns 0 or -1 (p->err). */
static int
get_page(struct pull *p, uint64_t since, int data, struct peer_page *pg)
{
	struct buf b;
	char path[128], perr[256];
	long status;
	int rc;

	snprintf(path, sizeof(path), "/internal/zones?since=%" PRIu64
	    "&limit=%d%s", since, PEER_PAGE_DEFAULT, data ? "&data=1" : "");
	if ((status = get(p, path, &b)) < 0)
		return -1;
	if (status != 200) {
		bad_status(p, path, status);
		buf_free(&b);
		return -1;
	}
	rc = peer_page_parse(b.p, b.len, pg, perr, sizeof(perr));
	buf_free(&b);
	if (rc < 0) {
		snprintf(p->err, sizeof(p->err), "invalid answer to %s: %s",
		    path, perr);
		return -1;
	}
	if (pg->since != since) {
		snprintf(p->err, sizeof(p->err), "answer to %s is for since=%"
		    PRIu64, path, pg->since);
		peer_page_free(pg);
		return -1;
	}
	return 0;
}

/* Does the peer's copy z win over ours? Returns 1, 0, or -1 (p->err). */
static int
wins(struct pull *p, const struct store_zone *z)
{
	struct store_zone l;
	int rc;

	if ((rc = store_get(st, z->name, &l, 0)) < 0) {
		snprintf(p->err, sizeof(p->err), "unable to read zone %s: %s",
		    z->name, store_errmsg(st));
		return -1;
	}
	return peer_wins(z, rc ? &l : NULL);
}

/* Note a refused change, once however often the peer is read again. */
static void
refuse(struct pull *p, const struct store_zone *z, long long t,
    long long now)
{
	char when[48];

	p->refused++;
	if (dry_run)
		printf("refuse %s %s\n", z->name, p->base);
	if (z->seq != 0 && z->seq <= p->seen0)
		return;
	p->state.refused++;
	snprintf(p->state.refused_zone, sizeof(p->state.refused_zone), "%s",
	    z->name);
	p->state.refused_dated_us = t;
	p->state.refused_us = now;
	peer_time_iso(t, when, sizeof(when));
	log_warn("peer %s: refused %s zone=%s dated=%s: %llds ahead of this"
	    " clock, more than peer_sync.max_skew_seconds=%u", p->base,
	    z->deleted_us != 0 ? "delete" : "save", z->name, when,
	    (t - now) / 1000000, cfg->peer_sync.max_skew_seconds);
}

/*
 * The guards on a copy z that wins: a change dated more than
 * peer_sync.max_skew_seconds ahead of this clock is refused; a save
 * naming another owner than the live zone's is refused unless
 * app.allow_owner_change; a delete of a live zone past the pass's share
 * is held (the mark stays before it) until the peer's next pass asks
 * for it again. Returns 1 to take z, 0 to leave it, -1 (p->err).
 */
static int
admit(struct pull *p, const struct store_zone *z)
{
	struct store_zone l;
	long long now = clock_wall_us(), t;
	int rc, live;

	t = z->deleted_us != 0 ? z->deleted_us : z->updated_us;
	if (t > now + (long long)cfg->peer_sync.max_skew_seconds * 1000000) {
		refuse(p, z, t, now);
		return 0;
	}
	if ((rc = store_get(st, z->name, &l, 0)) < 0) {
		snprintf(p->err, sizeof(p->err), "unable to read zone %s: %s",
		    z->name, store_errmsg(st));
		return -1;
	}
	live = rc == 1 && l.deleted_us == 0;
	if (z->deleted_us == 0 && live && !cfg->app.allow_owner_change &&
	    z->hostname[0] != '\0' && l.hostname[0] != '\0' &&
	    strcasecmp(z->hostname, l.hostname) != 0) {
		if (dry_run)
			printf("refuse-owner %s %s\n", z->name, p->base);
		else if (z->seq == 0 || z->seq > p->seen0) {
			log_warn("peer %s: refused owner change zone=%s"
			    " owner=%s new_owner=%s (app.allow_owner_change"
			    " is false)", p->base, z->name, l.hostname,
			    z->hostname);
			if (store_owner_count(st, "peer", 1) < 0)
				log_warn("unable to count an owner change: %s",
				    store_errmsg(st));
		}
		return 0;
	}
	if (z->deleted_us == 0 || !live)
		return 1;
	if ((rc = store_peer_held(st, p->base, z->name, p->state.pass,
	    0)) < 0) {
		snprintf(p->err, sizeof(p->err), "unable to read the held"
		    " deletes: %s", store_errmsg(st));
		return -1;
	}
	if (rc == 1) {
		p->confirmed++;
		log_info("peer %s: delete of zone=%s held by the last pass,"
		    " asked again: taken", p->base, z->name);
		return 1;
	}
	if (budget > 0) {
		budget--;
		return 1;
	}
	if (!dry_run && store_peer_held(st, p->base, z->name, p->state.pass,
	    1) < 0) {
		snprintf(p->err, sizeof(p->err), "unable to record a held"
		    " delete: %s", store_errmsg(st));
		return -1;
	}
	if (dry_run)
		printf("hold %s %s\n", z->name, p->base);
	p->held++;
	if (z->seq > 0 && z->seq - 1 < p->hold)
		p->hold = z->seq - 1;
	log_debug("held delete zone=%s peer=%s", z->name, p->base);
	return 0;
}

/* Jobs of one page, their texts owned here. */
struct batch {
	struct job	*jobs;
	char		**texts;
	size_t		 n;
};

static void
batch_free(struct batch *bt)
{
	size_t i;

	for (i = 0; i < bt->n; i++)
		free(bt->texts[i]);
	free(bt->jobs);
	free(bt->texts);
	memset(bt, 0, sizeof(*bt));
}

/* Add the peer's copy z to the batch, or skip it (logged, counted) when
 * it is invalid. */
static void
batch_add(struct pull *p, struct batch *bt, const struct store_zone *z)
{
	char jerr[512];

	if (peer_job(z, &bt->jobs[bt->n], &bt->texts[bt->n], jerr,
	    sizeof(jerr)) < 0) {
		log_warn("peer %s: skipped %s", p->base, jerr);
		p->invalid++;
		return;
	}
	bt->n++;
}

/* Save the owners of the live zones the batch's saves would move to
 * another server, into old[i] ("" for the others). */
static void
owners_before(const struct batch *bt, char (*old)[JOB_NAME_MAX + 1])
{
	struct store_zone l;
	size_t i;

	for (i = 0; i < bt->n; i++) {
		old[i][0] = '\0';
		if (bt->jobs[i].action != JOB_SAVE ||
		    bt->jobs[i].hostname[0] == '\0' ||
		    store_get(st, bt->jobs[i].zone, &l, 0) != 1 ||
		    l.deleted_us != 0 || l.hostname[0] == '\0' ||
		    strcasecmp(l.hostname, bt->jobs[i].hostname) == 0)
			continue;
		memcpy(old[i], l.hostname, sizeof(old[i]));
	}
}

/* Log and count the owner changes the batch made. */
static void
owners_after(struct pull *p, const struct batch *bt, const char *won,
    char (*old)[JOB_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; i < bt->n; i++) {
		if (!won[i] || old[i][0] == '\0')
			continue;
		log_warn("owner change zone=%s owner=%s new_owner=%s peer=%s",
		    bt->jobs[i].zone, old[i], bt->jobs[i].hostname, p->base);
		if (store_owner_count(st, "peer", 0) < 0)
			log_warn("unable to count an owner change: %s",
			    store_errmsg(st));
	}
}

/* Commit the batch and the peer's new mark. Returns 0 or -1 (p->err). */
static int
batch_commit(struct pull *p, struct batch *bt, uint64_t seq)
{
	char *won = NULL, cerr[512];
	char (*old)[JOB_NAME_MAX + 1] = NULL;
	long k;
	size_t i;

	if (seq > p->state.seen)
		p->state.seen = seq;
	p->state.since = seq > p->hold ? p->hold : seq;
	if (bt->n > 0 && ((won = malloc(bt->n)) == NULL ||
	    (old = calloc(bt->n, sizeof(*old))) == NULL)) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		free(won);
		return -1;
	}
	owners_before(bt, old);
	k = peer_commit(st, cfg->queue_location, queues, nq, bt->jobs, bt->n,
	    p->base, &p->state, won, cerr, sizeof(cerr));
	if (k < 0) {
		snprintf(p->err, sizeof(p->err), "%s", cerr);
		free(won);
		free(old);
		return -1;
	}
	owners_after(p, bt, won, old);
	free(old);
	for (i = 0; i < bt->n; i++) {
		if (!won[i]) {
			p->current++;
			continue;
		}
		if (bt->jobs[i].action == JOB_SAVE)
			p->saved++;
		else
			p->deleted++;
		log_debug("pulled %s zone=%s serial=%" PRIu32 " peer=%s",
		    bt->jobs[i].action == JOB_SAVE ? "save" : "delete",
		    bt->jobs[i].zone, bt->jobs[i].serial, p->base);
	}
	free(won);
	return 0;
}

/*
 * Which copies of the page win (decided again inside the commit), and how
 * many of them carry a text into *texts; unless the texts are many, the
 * guards too, once per copy: wanted[i] set and *want counted for those
 * that pass (printed in a dry run). Returns 0 or -1 (p->err).
 */
static int
choose(struct pull *p, const struct peer_page *pg, char *wanted,
    size_t *want, size_t *texts)
{
	const struct store_zone *z;
	size_t i;
	int w;

	for (i = 0; i < pg->n; i++) {
		if ((w = wins(p, &pg->zones[i])) < 0)
			return -1;
		if (!w) {
			p->current++;
			continue;
		}
		if (pg->zones[i].deleted_us == 0)
			(*texts)++;
	}
	for (i = 0; i < pg->n && (dry_run || *texts < BULK_MIN); i++) {
		z = &pg->zones[i];
		if ((w = wins(p, z)) <= 0 || (w = admit(p, z)) <= 0) {
			if (w < 0)
				return -1;
			continue;
		}
		wanted[i] = 1;
		(*want)++;
		if (dry_run) {
			if (z->deleted_us != 0)
				printf("delete %s %s\n", z->name, p->base);
			else
				printf("save %s %" PRIu32 " %s\n", z->name,
				    z->serial, p->base);
			p->planned++;
		}
	}
	return 0;
}

/*
 * Many texts: the page again with them, decided there. It may reach
 * further than the first (changes since): it is the page now, in *full,
 * decided again from p->current == current0, and *next and *more follow
 * it. Returns 0 or -1 (p->err).
 */
static int
pull_bulk(struct pull *p, uint64_t since, const struct peer_page *pg,
    struct peer_page *full, struct batch *bt, unsigned long current0,
    uint64_t *next, int *more)
{
	size_t i;
	int w;

	if (get_page(p, since, 1, full) < 0)
		return -1;
	if (strcmp(full->instance, pg->instance) != 0) {
		snprintf(p->err, sizeof(p->err), "the instance"
		    " changed during the pass");
		return -1;
	}
	free(bt->jobs);
	free(bt->texts);
	p->current = current0;
	bt->jobs = calloc(full->n + 1, sizeof(*bt->jobs));
	bt->texts = calloc(full->n + 1, sizeof(*bt->texts));
	if (bt->jobs == NULL || bt->texts == NULL) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		return -1;
	}
	for (i = 0; i < full->n; i++) {
		if ((w = wins(p, &full->zones[i])) < 0)
			return -1;
		if (w == 0)
			p->current++;
		else if ((w = admit(p, &full->zones[i])) < 0)
			return -1;
		else if (w)
			batch_add(p, bt, &full->zones[i]);
	}
	*next = full->seq;
	*more = full->more;
	return batch_commit(p, bt, full->seq);
}

/* Fetch the text of each wanted live zone of the page and add the copies
 * that still win to bt; tombstones go in as they are. Returns 0 or -1
 * (p->err). */
static int
pull_each(struct pull *p, const struct peer_page *pg, const char *wanted,
    struct batch *bt)
{
	char path[ZONE_NAME_MAX + 64], perr[256];
	struct store_zone z;
	struct json *tree;
	struct buf b;
	long status;
	size_t i;
	int w;

	for (i = 0; i < pg->n; i++) {
		if (!wanted[i])
			continue;
		if (pg->zones[i].deleted_us != 0) {
			batch_add(p, bt, &pg->zones[i]);
			continue;
		}
		snprintf(path, sizeof(path), "/internal/zones?domain=%s",
		    pg->zones[i].name);
		if ((status = get(p, path, &b)) < 0)
			return -1;
		if (status == 404) {
			/* Deleted since the list: its tombstone follows. */
			buf_free(&b);
			continue;
		}
		if (status != 200) {
			bad_status(p, path, status);
			buf_free(&b);
			return -1;
		}
		if (peer_zone_parse(b.p, b.len, &z, &tree, perr,
		    sizeof(perr)) < 0 || strcmp(z.name, pg->zones[i].name)) {
			log_warn("peer %s: skipped zone %s: invalid answer: %s",
			    p->base, pg->zones[i].name, tree ? "another zone" :
			    perr);
			json_free(tree);
			buf_free(&b);
			p->invalid++;
			continue;
		}
		/* The zone as it is now (maybe changed since the list). */
		if ((w = wins(p, &z)) == 0)
			p->current++;
		else if (w == 1 && (w = admit(p, &z)) == 1)
			batch_add(p, bt, &z);
		json_free(tree);
		buf_free(&b);
		if (w < 0)
			return -1;
	}
	return 0;
}

/*
 * One page: decide which of the peer's copies win, fetch their texts
 * (the whole page's with data=1 when many are wanted, else one by one),
 * commit. *next and *more say where the next page starts. Returns 0,
 * 1 when the peer is this instance itself, or -1 (p->err).
 */
static int
pull_page(struct pull *p, uint64_t since, uint64_t *next, int *more)
{
	struct peer_page pg, full;
	struct batch bt;
	char *wanted = NULL;
	size_t want = 0, texts = 0;
	unsigned long current0 = p->current;
	int rc = -1;

	memset(&bt, 0, sizeof(bt));
	memset(&full, 0, sizeof(full));
	if (get_page(p, since, 0, &pg) < 0)
		return -1;
	if (strcmp(pg.instance, self) == 0) {
		peer_page_free(&pg);
		return 1;
	}
	if (p->state.instance[0] != '\0' &&
	    strcmp(p->state.instance, pg.instance) != 0 && since != 0) {
		/* Another store answers at this URL now: its sequence
		 * numbers mean nothing here, start over. */
		log_info("peer %s has a new store (instance %s, was %s):"
		    " pulling everything", p->base, pg.instance,
		    p->state.instance);
		memcpy(p->state.instance, pg.instance, sizeof(pg.instance));
		peer_page_free(&pg);
		*next = 0;
		*more = 1;
		return 0;
	}
	memcpy(p->state.instance, pg.instance, sizeof(pg.instance));
	*next = pg.seq;
	*more = pg.more;
	if ((bt.jobs = calloc(pg.n + 1, sizeof(*bt.jobs))) == NULL ||
	    (bt.texts = calloc(pg.n + 1, sizeof(*bt.texts))) == NULL ||
	    (wanted = calloc(pg.n + 1, 1)) == NULL) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		goto out;
	}
	if (choose(p, &pg, wanted, &want, &texts) < 0)
		goto out;
	if (dry_run || (want == 0 && texts < BULK_MIN)) {
		if (!dry_run && pg.seq != p->state.since &&
		    batch_commit(p, &bt, pg.seq) < 0)
			goto out;
		rc = 0;
	} else if (texts >= BULK_MIN)
		rc = pull_bulk(p, since, &pg, &full, &bt, current0, next,
		    more);
	else if (pull_each(p, &pg, wanted, &bt) == 0)
		rc = batch_commit(p, &bt, pg.seq);
out:
	free(wanted);
	batch_free(&bt);
	peer_page_free(&pg);
	peer_page_free(&full);
	return rc;
}

/* One peer's pass. Returns 0, 1 when it is this instance, -1 failed. */
static int
pull_peer(struct pull *p)
{
	const struct config_peer *pe = p->peer;
	uint64_t since, next;
	size_t n;
	int more = 1, rc = 0, pages;

	snprintf(p->base, sizeof(p->base), "%s", pe->url);
	n = strlen(p->base);
	while (n > 0 && p->base[n - 1] == '/')
		p->base[--n] = '\0';
	if (store_peer_get(st, p->base, &p->state) < 0) {
		snprintf(p->err, sizeof(p->err), "unable to read the state"
		    " of peer %s: %s", p->base, store_errmsg(st));
		return -1;
	}
	p->seen0 = p->state.seen;
	p->hold = UINT64_MAX;
	p->state.pass++;
	if ((p->h = curl_easy_init()) == NULL) {
		snprintf(p->err, sizeof(p->err), "unable to set up libcurl");
		return -1;
	}
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	/* A redirect would carry this peer's credentials elsewhere. */
	curl_easy_setopt(p->h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(p->h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(p->h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
	curl_easy_setopt(p->h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	curl_easy_setopt(p->h, CURLOPT_USERAGENT, "dadns-peer-pull");
	curl_easy_setopt(p->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, collect);
	/* This peer's own credentials, on this peer's handle only. */
	if (pe->username[0] != '\0') {
		curl_easy_setopt(p->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(p->h, CURLOPT_USERNAME, pe->username);
		curl_easy_setopt(p->h, CURLOPT_PASSWORD, pe->password);
	}
	since = p->state.since;
	for (pages = 0; more && pages < PAGES_MAX; pages++) {
		if ((rc = pull_page(p, since, &next, &more)) != 0)
			break;
		since = next;
	}
	curl_easy_cleanup(p->h);
	p->h = NULL;
	/* Held deletes this pass did not see again are forgotten. */
	if (rc == 0 && !dry_run &&
	    store_peer_held_prune(st, p->base, p->state.pass) < 0) {
		snprintf(p->err, sizeof(p->err), "unable to prune the held"
		    " deletes: %s", store_errmsg(st));
		return -1;
	}
	return rc;
}

/* Record the end of a peer's pass (its mark is already committed). */
static void
record(struct pull *p, int ok)
{
	struct store_peer now;

	if (dry_run || store_peer_get(st, p->base, &now) < 0)
		return;
	now.pass = p->state.pass;
	if (ok) {
		now.ok_us = clock_wall_us();
		now.failures = 0;
		now.error[0] = '\0';
	} else {
		now.fail_us = clock_wall_us();
		now.failures++;
		snprintf(now.error, sizeof(now.error), "%.*s",
		    (int)sizeof(now.error) - 1, p->err);
	}
	if (store_peer_set(st, p->base, &now) < 0)
		log_warn("unable to record the state of peer %s: %s", p->base,
		    store_errmsg(st));
}

/* Refuse -p URLs no configured peer has, and peer URLs that are not
 * http:// or https://. */
static void
check_peers(const char *const *only, size_t nonly)
{
	size_t i, j;

	for (i = 0; i < nonly; i++) {
		for (j = 0; j < cfg->peer_sync.npeers; j++)
			if (strcmp(only[i], cfg->peer_sync.peers[j].url) == 0)
				break;
		if (j == cfg->peer_sync.npeers)
			die(EXIT_USAGE, "no configured peer has the URL %s",
			    only[i]);
	}
	for (j = 0; j < cfg->peer_sync.npeers; j++)
		if (strncmp(cfg->peer_sync.peers[j].url, "http://", 7) != 0 &&
		    strncmp(cfg->peer_sync.peers[j].url, "https://", 8) != 0)
			die(EXIT_USAGE, "invalid peer_sync.peers[%zu].url %s:"
			    " not http:// or https://", j,
			    cfg->peer_sync.peers[j].url);
}

/* Set up the spool, the store, libcurl and the pass's delete budget. */
static void
open_pass(void)
{
	char err[1024];
	long long tomb;

	nq = config_queues(cfg, queues, CONFIG_BACKENDS_MAX);
	if (spool_init(cfg->queue_location, queues, nq) < 0)
		die_sys(EXIT_TEMP, "unable to set up the spool %s",
		    cfg->queue_location);
	if ((st = store_open(cfg->db_location, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	if (store_instance_id(st, self) < 0)
		die(EXIT_TEMP, "unable to read the instance id from %s: %s",
		    cfg->db_location, store_errmsg(st));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die(EXIT_TEMP, "unable to initialise libcurl");
	/* Deletes of live zones the whole pass may take at once. */
	if (store_count(st, &live0, &tomb) < 0)
		die(EXIT_TEMP, "unable to count the zones in %s: %s",
		    cfg->db_location, store_errmsg(st));
	budget = cfg->peer_sync.max_deletes > 0 ?
	    (long long)cfg->peer_sync.max_deletes :
	    (live0 * cfg->peer_sync.max_delete_percent + 99) / 100;
	budget0 = budget;
}

/* Log what a peer's successful pass did or would do. */
static void
report(const struct pull *p)
{
	if (p->held > 0)
		log_warn("peer %s: %lu deletes of live zones held: more"
		    " than %lld in one pass (%s); taken when the"
		    " peer's next pass asks for them again", p->base,
		    p->held, budget0, cfg->peer_sync.max_deletes > 0 ?
		    "peer_sync.max_deletes" :
		    "peer_sync.max_delete_percent of the live zones");
	if (dry_run)
		log_info("peer %s: would pull %lu zone(s), %lu"
		    " current, %lu invalid", p->base, p->planned,
		    p->current, p->invalid);
	else
		log_info("peer %s: saved %lu deleted %lu current %lu"
		    " invalid %lu refused %lu held %lu seq=%" PRIu64,
		    p->base, p->saved, p->deleted, p->current, p->invalid,
		    p->refused, p->held, p->state.since);
}

/* What the textfile shows of one peer's pass. */
struct pmetric {
	char		 url[CONFIG_STR_MAX];	/* without user:password@ */
	int		 state;		/* 0 ok, 1 failed, 2 this instance */
	unsigned long	 n[6];		/* saved deleted current invalid
					 * refused held */
	struct store_peer sp;		/* as recorded after the pass */
};

/* url without credentials (user:password@) into out. */
static void
url_shown(const char *url, char *out, size_t size)
{
	const char *host = strstr(url, "://"), *at, *end;

	host = host != NULL ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at == NULL)
		snprintf(out, size, "%s", url);
	else
		snprintf(out, size, "%.*s%s", (int)(host - url), url, at + 1);
}

/* The textfile dadns-peer-pull.prom in metrics_dir: this pass (when it
 * ended, how long it took) and each peer's outcome, zones and recorded
 * state. */
static void
write_metrics(const struct pmetric *pm, size_t n, long long t0)
{
	const char *an[] = { "saved", "deleted", "current", "invalid",
	    "refused", "held" };
	const char *sn[] = { "ok", "failed", "self" };
	char lab[PROMFILE_LABEL_MAX], l[PROMFILE_LABEL_MAX + 32];
	struct buf b = { 0 };
	size_t i, k, ns[3] = { 0, 0, 0 };

	promfile_head(&b, "dadns_peer_pull_last_run_timestamp_seconds",
	    "gauge", "When the last pass ended.");
	promfile_num(&b, "dadns_peer_pull_last_run_timestamp_seconds", "",
	    clock_wall_us() / 1e6);
	promfile_head(&b, "dadns_peer_pull_last_duration_seconds", "gauge",
	    "How long the last pass took.");
	promfile_num(&b, "dadns_peer_pull_last_duration_seconds", "",
	    (clock_ms() - t0) / 1e3);
	for (i = 0; i < n; i++)
		ns[pm[i].state]++;
	promfile_head(&b, "dadns_peer_pull_peers", "gauge", "Peers of the"
	    " last pass by outcome (self: this instance's own URL).");
	for (i = 0; i < 3; i++) {
		promfile_label(l, sizeof(l), "state", sn[i]);
		promfile_uint(&b, "dadns_peer_pull_peers", l, ns[i]);
	}
#define PEERS(name, type, help, v) do { \
	promfile_head(&b, name, type, help); \
	for (i = 0; i < n; i++) \
		if (pm[i].state != 2) \
			promfile_uint(&b, name, promfile_label(lab, \
			    sizeof(lab), "peer", pm[i].url), \
			    (unsigned long long)(v)); \
} while (0)
	PEERS("dadns_peer_pull_peer_up", "gauge", "1 when the peer's last"
	    " pass succeeded.", pm[i].state == 0);
	PEERS("dadns_peer_pull_peer_failures", "gauge", "Failed passes in a"
	    " row.", pm[i].sp.failures);
	PEERS("dadns_peer_pull_peer_passes_total", "counter", "Passes over"
	    " the peer, recorded in the store.", pm[i].sp.pass);
	PEERS("dadns_peer_pull_peer_seq", "gauge", "The peer's change"
	    " sequence pulled up to.", pm[i].sp.since);
#undef PEERS
	promfile_head(&b, "dadns_peer_pull_peer_last_success_timestamp_seconds",
	    "gauge", "When a pass over the peer last succeeded (0: never).");
	for (i = 0; i < n; i++)
		if (pm[i].state != 2)
			promfile_num(&b, "dadns_peer_pull_peer_last_success_"
			    "timestamp_seconds", promfile_label(lab,
			    sizeof(lab), "peer", pm[i].url),
			    pm[i].sp.ok_us / 1e6);
	promfile_head(&b, "dadns_peer_pull_zones", "gauge", "Zones of the"
	    " last pass per peer, by what was done with them.");
	for (i = 0; i < n; i++) {
		if (pm[i].state == 2)
			continue;
		promfile_label(lab, sizeof(lab), "peer", pm[i].url);
		for (k = 0; k < 6; k++) {
			snprintf(l, sizeof(l), "%s,action=\"%s\"", lab, an[k]);
			promfile_uint(&b, "dadns_peer_pull_zones", l,
			    pm[i].n[k]);
		}
	}
	if (promfile_write(cfg->metrics_dir, "dadns-peer-pull", &b) < 0)
		log_warn_sys("unable to write the metrics file "
		    "%s/dadns-peer-pull.prom", cfg->metrics_dir);
	buf_free(&b);
}

/* Keep what the textfile shows of p's pass (rc as pull_peer()'s) in m. */
static void
keep_metrics(struct pmetric *m, const struct pull *p, int rc)
{
	memset(m, 0, sizeof(*m));
	url_shown(p->base, m->url, sizeof(m->url));
	m->state = rc == 1 ? 2 : rc < 0 ? 1 : 0;
	m->n[0] = p->saved;
	m->n[1] = p->deleted;
	m->n[2] = p->current;
	m->n[3] = p->invalid;
	m->n[4] = p->refused;
	m->n[5] = p->held;
	if (store_peer_get(st, p->base, &m->sp) < 0)
		memset(&m->sp, 0, sizeof(m->sp));
}

/* Pull every configured peer (those named in only[] when nonly > 0).
 * Returns the exit code: 111 when a peer failed, 1 when a dry run found
 * changes, else 0. */
static int
pull_all(const char *const *only, size_t nonly)
{
	struct pmetric pm[CONFIG_PEERS_MAX];
	struct pull p;
	size_t i, j, failed = 0, npm = 0;
	unsigned long planned = 0;
	long long t0 = clock_ms();
	int rc;

	for (j = 0; j < cfg->peer_sync.npeers; j++) {
		for (i = 0; i < nonly; i++)
			if (strcmp(only[i], cfg->peer_sync.peers[j].url) == 0)
				break;
		if (nonly > 0 && i == nonly)
			continue;
		memset(&p, 0, sizeof(p));
		p.peer = &cfg->peer_sync.peers[j];
		rc = pull_peer(&p);
		if (rc == 1) {
			log_info("peer %s is this instance itself (instance"
			    " %s): skipped", p.base, self);
			keep_metrics(&pm[npm++], &p, rc);
			continue;
		}
		record(&p, rc == 0);
		keep_metrics(&pm[npm++], &p, rc);
		if (rc < 0) {
			failed++;
			log_warn("peer %s failed: %s (not trusted this pass;"
			    " %lu saved, %lu deleted before)", p.base, p.err,
			    p.saved, p.deleted);
			continue;
		}
		planned += p.planned;
		report(&p);
	}
	if (cfg->metrics_dir[0] != '\0')
		write_metrics(pm, npm, t0);
	return failed > 0 ? EXIT_TEMP : dry_run && planned > 0 ? EXIT_NO : 0;
}

int
main(int argc, char *argv[])
{
	const char *cpath = NULL, *only[CONFIG_PEERS_MAX];
	char err[1024];
	size_t nonly = 0;
	struct timespec ts;
	int c, level = -1, wait = 0, rc;

	log_init("peer-pull");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("peer-pull");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	opterr = 0;
	while ((c = getopt(argc, argv, "Vc:hnp:qvw")) != -1) {
		switch (c) {
		case 'c':
			cpath = optarg;
			break;
		case 'V':
			version_exit("peer-pull");
		case 'h':
			help();
			return 0;
		case 'n':
			dry_run = 1;
			break;
		case 'p':
			if (nonly == CONFIG_PEERS_MAX)
				die(EXIT_USAGE, "too many -p options");
			only[nonly++] = optarg;
			break;
		case 'q':
			level = LOG_WARN;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		case 'w':
			wait = 1;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	if (config_load(cfg, cpath, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	log_set_level(level >= 0 ? level : cfg->log_level);
	appconf_warn(&cfg->unknown);
	check_peers(only, nonly);
	rc = 0;
	if (nonly == 0 && !cfg->peer_sync.enabled)
		log_info("peer sync is disabled (peer_sync.enabled)");
	else if (cfg->peer_sync.npeers == 0)
		log_info("no peers configured (peer_sync.peers)");
	else {
		open_pass();
		rc = pull_all(only, nonly);
		curl_global_cleanup();
		store_close(st);
		if (fflush(stdout) != 0)
			die_sys(EXIT_TEMP, "unable to write to stdout");
	}
	if (wait) {
		ts.tv_sec = (time_t)cfg->peer_sync.interval_minutes * 60;
		ts.tv_nsec = 0;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	free(cfg);
	return rc;
}
