/* peer.c -- peer sync: the /internal JSON, which copy of a zone wins, and
 * committing what a peer (or an imported database) holds */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "enqueue.h"
#include "err.h"
#include "hash.h"
#include "job.h"
#include "json.h"
#include "peer.h"
#include "spool.h"
#include "store.h"
#include "zone.h"

void
peer_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, run;

	if (s == NULL) {
		buf_add(b, "null", 4);
		return;
	}
	buf_add(b, "\"", 1);
	/* Copy runs of plain bytes at once: zone texts are long. */
	for (i = 0, run = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		if (c == '"')
			buf_add(b, "\\\"", 2);
		else if (c == '\\')
			buf_add(b, "\\\\", 2);
		else if (c == '\n')
			buf_add(b, "\\n", 2);
		else if (c == '\t')
			buf_add(b, "\\t", 2);
		else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_add(b, esc, 6);
		}
	}
	buf_add(b, s + run, n - run);
	buf_add(b, "\"", 1);
}

void
peer_time_iso(long long us, char *buf, size_t size)
{
	time_t t = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;
	char base[32];

	if (frac < 0) {
		frac += 1000000;
		t--;
	}
	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0)
		snprintf(buf, size, "%s.%06ld", base, frac);
	else
		snprintf(buf, size, "%s", base);
}

void
peer_json_zone(struct buf *b, const struct store_zone *z)
{
	char t[48];

	buf_add(b, "{\"domain\":", 10);
	peer_json_str(b, z->name, strlen(z->name));
	buf_add(b, ",\"zone_updated_at\":", 19);
	if (z->updated_us > 0) {
		peer_time_iso(z->updated_us, t, sizeof(t));
		buf_printf(b, "\"%s\"", t);
	} else
		buf_add(b, "null", 4);
	buf_add(b, ",\"hostname\":", 12);
	peer_json_str(b, z->hostname, strlen(z->hostname));
	buf_add(b, ",\"username\":", 12);
	peer_json_str(b, z->username, strlen(z->username));
	buf_printf(b, ",\"serial\":%" PRIu32 ",\"hash\":\"%s\",\"seq\":%" PRIu64
	    ",\"updated_us\":%lld,\"deleted_us\":%lld", z->serial, z->hash,
	    z->seq, z->updated_us, z->deleted_us);
	if (z->text != NULL) {
		buf_add(b, ",\"zone_data\":", 13);
		peer_json_str(b, z->text, z->textlen);
	}
	buf_add(b, "}", 1);
}

/*
 * Reading.
 */

static int
get_uint(const struct json *o, const char *key, int need, uint64_t max,
    uint64_t *out, char *err, size_t errlen)
{
	const struct json *v = json_get(o, key);
	long long n;

	*out = 0;
	if (v == NULL || v->type == JSON_NULL) {
		if (!need)
			return 0;
		err_set(err, errlen, "no %s", key);
		return -1;
	}
	/* A number, not a string of one: this is our own format. */
	if (v->type != JSON_NUMBER || json_int(v, &n) < 0 || n < 0 ||
	    (uint64_t)n > max) {
		err_set(err, errlen, "invalid %s", key);
		return -1;
	}
	*out = (uint64_t)n;
	return 0;
}

static int
get_owner(const struct json *o, const char *key, char *dst, char *err,
    size_t errlen)
{
	const struct json *v = json_get(o, key);
	size_t i;

	dst[0] = '\0';
	if (v == NULL || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_STRING || v->len > JOB_NAME_MAX)
		goto bad;
	for (i = 0; i < v->len; i++)
		if (v->str[i] <= ' ' || v->str[i] > '~')
			goto bad;
	memcpy(dst, v->str, v->len + 1);
	return 0;
bad:
	err_set(err, errlen, "invalid %s", key);
	return -1;
}

static int
hash_ok(const char *s, size_t len)
{
	size_t i;

	if (len != HASH_HEX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
peer_zone_from_json(const struct json *o, struct store_zone *z, char *err,
    size_t errlen)
{
	char name[ZONE_NAME_MAX + 1], e2[128];
	const struct json *v;
	const char *why;
	uint64_t n;

	memset(z, 0, sizeof(*z));
	if (o == NULL || o->type != JSON_OBJECT) {
		err_set(err, errlen, "a zone is not an object");
		return -1;
	}
	v = json_get(o, "domain");
	if (v == NULL || v->type != JSON_STRING ||
	    strlen(v->str) != v->len ||
	    zone_name_norm(v->str, name, &why) < 0) {
		err_set(err, errlen, "invalid domain");
		return -1;
	}
	memcpy(z->name, name, sizeof(name));
	if (get_owner(o, "hostname", z->hostname, e2, sizeof(e2)) < 0 ||
	    get_owner(o, "username", z->username, e2, sizeof(e2)) < 0)
		goto bad;
	if (get_uint(o, "serial", 1, UINT32_MAX, &n, e2, sizeof(e2)) < 0)
		goto bad;
	z->serial = (uint32_t)n;
	if (get_uint(o, "updated_us", 1, INT64_MAX, &n, e2, sizeof(e2)) < 0)
		goto bad;
	z->updated_us = (long long)n;
	if (get_uint(o, "deleted_us", 0, INT64_MAX, &n, e2, sizeof(e2)) < 0)
		goto bad;
	z->deleted_us = (long long)n;
	if (get_uint(o, "seq", 0, INT64_MAX, &n, e2, sizeof(e2)) < 0)
		goto bad;
	z->seq = n;
	v = json_get(o, "hash");
	if (z->deleted_us == 0) {
		if (v == NULL || v->type != JSON_STRING ||
		    !hash_ok(v->str, v->len)) {
			snprintf(e2, sizeof(e2), "invalid hash");
			goto bad;
		}
		memcpy(z->hash, v->str, HASH_HEX_LEN + 1);
		if (z->updated_us == 0) {
			snprintf(e2, sizeof(e2), "no push time");
			goto bad;
		}
	}
	v = json_get(o, "zone_data");
	if (v != NULL && v->type != JSON_NULL) {
		if (v->type != JSON_STRING || z->deleted_us != 0 ||
		    v->len > ZONE_TEXT_MAX) {
			snprintf(e2, sizeof(e2), "invalid zone_data");
			goto bad;
		}
		z->text = v->str;
		z->textlen = v->len;
	}
	return 0;
bad:
	err_set(err, errlen, "zone %s: %s", z->name, e2);
	return -1;
}

int
peer_zone_parse(const char *buf, size_t len, struct store_zone *z,
    struct json **tree, char *err, size_t errlen)
{
	const char *why;

	if ((*tree = json_parse(buf, len, &why)) == NULL) {
		err_set(err, errlen, "invalid JSON: %s", why);
		return -1;
	}
	if (peer_zone_from_json(*tree, z, err, errlen) < 0) {
		json_free(*tree);
		*tree = NULL;
		return -1;
	}
	return 0;
}

void
peer_page_free(struct peer_page *pg)
{
	json_free(pg->tree);
	free(pg->zones);
	memset(pg, 0, sizeof(*pg));
}

int
peer_page_parse(const char *buf, size_t len, struct peer_page *pg, char *err,
    size_t errlen)
{
	const struct json *v, *zs;
	const char *why;
	uint64_t n, prev;
	size_t i;

	memset(pg, 0, sizeof(*pg));
	if ((pg->tree = json_parse(buf, len, &why)) == NULL) {
		err_set(err, errlen, "invalid JSON: %s", why);
		return -1;
	}
	if (pg->tree->type != JSON_OBJECT) {
		err_set(err, errlen, "the answer is not an object");
		goto fail;
	}
	v = json_get(pg->tree, "instance");
	if (v == NULL || v->type != JSON_STRING || v->len != STORE_ID_LEN) {
		err_set(err, errlen, "invalid instance");
		goto fail;
	}
	for (i = 0; i < STORE_ID_LEN; i++)
		if (!((v->str[i] >= '0' && v->str[i] <= '9') ||
		    (v->str[i] >= 'a' && v->str[i] <= 'f'))) {
			err_set(err, errlen, "invalid instance");
			goto fail;
		}
	memcpy(pg->instance, v->str, STORE_ID_LEN + 1);
	if (get_uint(pg->tree, "since", 1, INT64_MAX, &pg->since, err,
	    errlen) < 0 ||
	    get_uint(pg->tree, "seq", 1, INT64_MAX, &pg->seq, err,
	    errlen) < 0)
		goto fail;
	v = json_get(pg->tree, "more");
	if (v == NULL || (v->type != JSON_TRUE && v->type != JSON_FALSE)) {
		err_set(err, errlen, "invalid more");
		goto fail;
	}
	pg->more = v->type == JSON_TRUE;
	if (pg->seq < pg->since || (pg->more && pg->seq == pg->since)) {
		err_set(err, errlen, "seq %" PRIu64 " does not follow since %"
		    PRIu64, pg->seq, pg->since);
		goto fail;
	}
	zs = json_get(pg->tree, "zones");
	if (zs == NULL || zs->type != JSON_ARRAY) {
		err_set(err, errlen, "no zones array");
		goto fail;
	}
	if (zs->nkids > 0 &&
	    (pg->zones = calloc(zs->nkids, sizeof(*pg->zones))) == NULL) {
		err_set(err, errlen, "out of memory");
		goto fail;
	}
	prev = pg->since;
	for (i = 0; i < zs->nkids; i++) {
		if (peer_zone_from_json(&zs->kids[i], &pg->zones[i], err,
		    errlen) < 0)
			goto fail;
		n = pg->zones[i].seq;
		if (n <= prev || n > pg->seq) {
			err_set(err, errlen, "zone %s: seq %" PRIu64
			    " out of order", pg->zones[i].name, n);
			goto fail;
		}
		prev = n;
	}
	pg->n = zs->nkids;
	return 0;
fail:
	peer_page_free(pg);
	return -1;
}

/*
 * Deciding and committing.
 */

int
peer_wins(const struct store_zone *r, const struct store_zone *l)
{
	int c;

	if (l == NULL)
		return 1;
	if (r->deleted_us != 0) {
		if (l->deleted_us != 0)
			return 0;
		return r->deleted_us > l->updated_us;
	}
	if (l->deleted_us != 0)
		return r->updated_us > l->deleted_us;
	if ((c = zone_serial_cmp(r->serial, l->serial)) != 0)
		return c > 0;
	/* The same text pushed to each instance at its own time: nothing
	 * to take. */
	if (strcmp(r->hash, l->hash) == 0)
		return 0;
	if (r->updated_us != l->updated_us)
		return r->updated_us > l->updated_us;
	return strcmp(r->hash, l->hash) > 0;
}

int
peer_job(const struct store_zone *z, struct job *job, char **prepared,
    char *err, size_t errlen)
{
	char zerr[256], hash[HASH_HEX_LEN + 1];
	struct zone_info info;
	size_t plen;

	*prepared = NULL;
	memset(job, 0, sizeof(*job));
	snprintf(job->zone, sizeof(job->zone), "%s", z->name);
	memcpy(job->hostname, z->hostname, sizeof(job->hostname));
	memcpy(job->username, z->username, sizeof(job->username));
	if (z->deleted_us != 0) {
		job->action = JOB_DELETE;
		job->pushed_us = z->deleted_us;
		return 0;
	}
	if (z->text == NULL) {
		err_set(err, errlen, "zone %s: no zone_data", z->name);
		return -1;
	}
	if (zone_prepare(z->name, z->text, z->textlen, prepared, &plen, &info,
	    zerr, sizeof(zerr)) < 0) {
		err_set(err, errlen, "zone %s: invalid zone_data: %s",
		    z->name, zerr);
		return -1;
	}
	hash_hex(*prepared, plen, hash);
	if (info.serial != z->serial || strcmp(hash, z->hash) != 0) {
		err_set(err, errlen, "zone %s: zone_data does not match its"
		    " %s", z->name, info.serial != z->serial ? "serial" :
		    "hash");
		free(*prepared);
		*prepared = NULL;
		return -1;
	}
	job->action = JOB_SAVE;
	job->pushed_us = z->updated_us;
	job->serial = info.serial;
	job->text = *prepared;
	job->textlen = plen;
	return 0;
}

/* The copy of a zone job carries, for peer_wins(). */
static void
job_zone(const struct job *job, struct store_zone *z)
{
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", job->zone);
	z->serial = job->serial;
	z->updated_us = job->pushed_us;
	if (job->action == JOB_DELETE)
		z->deleted_us = job->pushed_us;
	else
		hash_hex(job->text, job->textlen, z->hash);
}

long
peer_commit(struct store *st, const char *spool_path, char *const queues[],
    size_t nq, struct job *jobs, size_t n, const char *url,
    const struct store_peer *state, char *won, char *err, size_t errlen)
{
	struct enqueue_files f;
	struct store_zone r, l;
	size_t i;
	long rc = -1;
	int found, wins;

	if (won != NULL)
		memset(won, 0, n);
	if (store_begin(st) < 0) {
		err_set(err, errlen, "unable to begin a store transaction: %s",
		    store_errmsg(st));
		return -1;
	}
	if (enqueue_files_init(&f, n) < 0) {
		err_set(err, errlen, "out of memory");
		store_rollback(st);
		return -1;
	}
	for (i = 0; i < n; i++) {
		job_zone(&jobs[i], &r);
		if ((found = store_get(st, jobs[i].zone, &l, 0)) >= 0 &&
		    !(wins = peer_wins(&r, found ? &l : NULL)))
			continue;
		if (found < 0 || store_apply_job(st, &jobs[i]) < 0) {
			err_set(err, errlen, "unable to store zone %s: %s",
			    jobs[i].zone, store_errmsg(st));
			store_rollback(st);
			goto out;
		}
		if (won != NULL)
			won[i] = 1;
		if (enqueue_files_add(&f, &jobs[i], err, errlen) < 0) {
			store_rollback(st);
			goto out;
		}
	}
	if (url != NULL && store_peer_set(st, url, state) < 0) {
		err_set(err, errlen, "unable to record peer %s: %s", url,
		    store_errmsg(st));
		store_rollback(st);
		goto out;
	}
	/* The page's job files are durable before its rows and the peer's
	 * sync mark commit: when they cannot be written, nothing moves. */
	if (enqueue_finish(st, spool_path, queues, nq, &f, err, errlen) == 0)
		rc = (long)f.n;
out:
	enqueue_files_free(&f);
	return rc;
}
