/* receive_da.c -- da-receive's DirectAdmin API: exists, rawsave, delete */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "clock.h"
#include "form.h"
#include "job.h"
#include "log.h"
#include "receive.h"
#include "store.h"
#include "zone.h"

#define ECHO_MAX	64	/* longest user value quoted in a reply */

/* Look zone up on the read handle. Returns 1 live, 0 absent or
 * tombstoned, -1 error. */
static int
lookup(const char *zone, struct store_zone *z)
{
	int rc;

	pthread_mutex_lock(&rx.rd_mu);
	rc = store_get(rx.rd, zone, z, 0);
	pthread_mutex_unlock(&rx.rd_mu);
	if (rc < 0)
		return -1;
	return rc == 1 && z->deleted_us == 0;
}

/* Parameters of one request: query string and, when it is a form, the
 * body; where both have a key, the one that carried the action wins. */
struct params {
	struct form	 q, b;
	int		 body_is_form;
	int		 body_is_text;
	int		 query_action;	/* action came in the query */
};

static const char *
param(const struct params *pp, const char *key)
{
	const char *v;

	/* The side that carried the action wins. */
	if (pp->query_action && (v = form_get(&pp->q, key)) != NULL)
		return v;
	if (pp->body_is_form && (v = form_get(&pp->b, key)) != NULL)
		return v;
	return form_get(&pp->q, key);
}

/* Copy a DA owner field (hostname or username): printable ASCII without
 * spaces, at most JOB_NAME_MAX; hostnames are lower-cased. Returns 0 or
 * -1. */
static int
owner_copy(char *dst, const char *src, int lower)
{
	size_t i, n;

	if (src == NULL)
		src = "";
	if ((n = strlen(src)) > JOB_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (src[i] <= ' ' || src[i] > '~')
			return -1;
		dst[i] = lower && src[i] >= 'A' && src[i] <= 'Z' ?
		    src[i] - 'A' + 'a' : src[i];
	}
	dst[n] = '\0';
	return 0;
}

static void
note_zone(struct req *r, const char *zone, size_t more)
{
	if (more > 0)
		snprintf(r->zone, sizeof(r->zone), "%.60s+%zu", zone, more);
	else
		snprintf(r->zone, sizeof(r->zone), "%.90s", zone);
}

/* The request's domain parameter, normalised into name. Returns 0, or
 * -1 with *ret the error answered. */
static int
domain_param(struct req *r, struct MHD_Connection *mc,
    const struct params *pp, char name[ZONE_NAME_MAX + 1],
    enum MHD_Result *ret)
{
	const char *d, *why;

	d = param(pp, "domain");
	if (d == NULL || *d == '\0') {
		*ret = rx_reply_err(r, mc, 400, R_PARAM,
		    "Missing 'domain' parameter");
		return -1;
	}
	if (zone_name_norm(d, name, &why) < 0) {
		*ret = rx_reply_err(r, mc, 400, R_NAME,
		    "Invalid domain name: %s", why);
		return -1;
	}
	note_zone(r, name, 0);
	return 0;
}

static enum MHD_Result
do_exists(struct req *r, struct MHD_Connection *mc, const struct params *pp)
{
	char name[ZONE_NAME_MAX + 1], buf[REPLY_MAX], details[300];
	const char *d, *parent;
	struct store_zone z;
	enum MHD_Result ret;
	int rc;

	if (domain_param(r, mc, pp, name, &ret) < 0)
		return ret;
	if ((rc = lookup(name, &z)) < 0)
		goto fail;
	if (rc == 1) {
		snprintf(details, sizeof(details), "Domain exists on %s",
		    z.hostname);
		form_reply(buf, sizeof(buf), "error", "0", "exists", "1",
		    "details", details, (char *)NULL);
		return rx_reply_str(r, mc, 200, buf);
	}
	d = param(pp, "check_for_parent_domain");
	if (d != NULL && *d != '\0') {
		/* Any ancestor, nearest first (the original looked at the
		 * immediate parent only). */
		for (parent = zone_parent(name); parent != NULL;
		    parent = zone_parent(parent)) {
			if ((rc = lookup(parent, &z)) < 0)
				goto fail;
			if (rc == 0)
				continue;
			if (rx.set.check_subdomain_owner)
				form_reply(buf, sizeof(buf), "error", "0",
				    "exists", "3", "hostname", z.hostname,
				    "username", z.username, (char *)NULL);
			else {
				snprintf(details, sizeof(details),
				    "Parent Domain exists on %s", z.hostname);
				form_reply(buf, sizeof(buf), "error", "0",
				    "exists", "2", "details", details,
				    (char *)NULL);
			}
			return rx_reply_str(r, mc, 200, buf);
		}
	}
	return rx_reply_str(r, mc, 200, "error=0&exists=0");
fail:
	rx_note_error("unable to look up zone %s: store error", name);
	return rx_reply_err(r, mc, 500, R_STORE, "Store error");
}

/*
 * Owner changes: a save naming another DirectAdmin server than the live
 * zone's owner moves the zone (app.allow_owner_change, the default, as
 * DirectAdmin multi-server setups expect), logged and counted; else it is
 * refused and nothing changes.
 */

/* Would the save job move its live zone to another server? Returns 1
 * with the owner now in old, 0 no, -1 store error. */
static int
owner_change(const struct job *job, char old[JOB_NAME_MAX + 1])
{
	struct store_zone z;
	int rc;

	old[0] = '\0';
	if (job->hostname[0] == '\0')
		return 0;	/* an unnamed server keeps the owner */
	if ((rc = lookup(job->zone, &z)) <= 0)
		return rc;
	if (z.hostname[0] == '\0' || strcasecmp(z.hostname,
	    job->hostname) == 0)
		return 0;
	memcpy(old, z.hostname, JOB_NAME_MAX + 1);
	pthread_mutex_lock(&rx.rd_mu);
	if (!rx.set.allow_owner_change &&
	    store_owner_count(rx.rd, "directadmin", 1) < 0)
		log_warn("unable to count an owner change: %s",
		    store_errmsg(rx.rd));
	pthread_mutex_unlock(&rx.rd_mu);
	if (!rx.set.allow_owner_change)
		log_warn("save refused zone=%s owner=%s requester=%s"
		    " (app.allow_owner_change is false)", job->zone, old,
		    job->hostname);
	return 1;
}

/* Log and count the owner change the committed save job made. */
static void
owner_changed(const struct job *job, const char *old)
{
	log_warn("owner change zone=%s owner=%s new_owner=%s user=%s",
	    job->zone, old, job->hostname, job->username[0] ?
	    job->username : "-");
	pthread_mutex_lock(&rx.rd_mu);
	if (store_owner_count(rx.rd, "directadmin", 0) < 0)
		log_warn("unable to count an owner change: %s",
		    store_errmsg(rx.rd));
	pthread_mutex_unlock(&rx.rd_mu);
}

static enum MHD_Result
do_rawsave(struct req *r, struct MHD_Connection *mc, const struct params *pp)
{
	char name[ZONE_NAME_MAX + 1], err[512];
	char oldhost[JOB_NAME_MAX + 1];
	const struct form_pair *zf = NULL;
	const char *text;
	struct zone_info info;
	struct job *job;
	char *out = NULL;
	size_t textlen, outlen;
	enum MHD_Result ret;
	int owner;

	if (domain_param(r, mc, pp, name, &ret) < 0)
		return ret;
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return rx_reply_err(r, mc, 500, R_COMMIT, "Out of memory");
	if (owner_copy(job->hostname, param(pp, "hostname"), 1) < 0) {
		ret = rx_reply_err(r, mc, 400, R_OWNER_FIELD,
		    "Invalid hostname");
		goto out;
	}
	if (owner_copy(job->username, param(pp, "username"), 0) < 0) {
		ret = rx_reply_err(r, mc, 400, R_OWNER_FIELD,
		    "Invalid username");
		goto out;
	}
	/* The zone: a text/plain body, else a zone_file field, else the
	 * raw body when it did not carry the parameters (DirectAdmin's
	 * rawsave: action in the query, no Content-Type). */
	if (pp->body_is_text) {
		text = r->body.p;
		textlen = r->body.len;
	} else if ((pp->body_is_form &&
	    (zf = form_find(&pp->b, "zone_file")) != NULL) ||
	    (zf = form_find(&pp->q, "zone_file")) != NULL) {
		text = zf->val;
		textlen = zf->vallen;
	} else if (pp->query_action) {
		text = r->body.p;
		textlen = r->body.len;
	} else {
		text = NULL;
		textlen = 0;
	}
	if (textlen == 0) {
		ret = rx_reply_err(r, mc, 400, R_PARAM,
		    "Missing zone file content");
		goto out;
	}
	if (textlen > ZONE_TEXT_MAX) {
		ret = rx_reply_err(r, mc, 413, R_SIZE,
		    "Zone text larger than %d bytes", ZONE_TEXT_MAX);
		goto out;
	}
	if (memchr(text, '\0', textlen) != NULL) {
		ret = rx_reply_err(r, mc, 400, R_ZONE,
		    "Invalid zone data: NUL byte in the zone text");
		goto out;
	}
	if (zone_prepare(name, text, textlen, &out, &outlen, &info, err,
	    sizeof(err)) < 0) {
		ret = rx_reply_err(r, mc, 400, R_ZONE, "Invalid zone data: %s",
		    err);
		goto out;
	}
	job->action = JOB_SAVE;
	strcpy(job->zone, name);
	job->pushed_us = clock_wall_us();
	job->serial = info.serial;
	job->text = out;
	job->textlen = outlen;
	if ((owner = owner_change(job, oldhost)) < 0) {
		rx_note_error("unable to look up zone %s: store error", name);
		ret = rx_reply_err(r, mc, 500, R_STORE, "Store error");
		goto out;
	}
	if (owner == 1 && !rx.set.allow_owner_change) {
		ret = rx_reply_err(r, mc, 403, R_OWNER, "Save of %s refused: it"
		    " belongs to %s, not %s, and owner changes are refused"
		    " here", name, oldhost, job->hostname);
		goto out;
	}
	if (rx_commit_jobs(job, 1, err, sizeof(err)) < 0) {
		rx_note_error("unable to queue zone %s: %s", name, err);
		/* The log has the detail; DirectAdmin learns no path. */
		ret = rx_reply_err(r, mc, 500, R_COMMIT, "Unable to queue zone "
		    "%s: not stored, see the server's log", name);
		goto out;
	}
	if (owner == 1)
		owner_changed(job, oldhost);
	rx_observe_ack(r);
	pthread_mutex_lock(&rx.stats.mu);
	rx.stats.acks[0]++;
	pthread_mutex_unlock(&rx.stats.mu);
	ret = rx_reply_str(r, mc, 200, "error=0");
out:
	free(out);
	free(job);
	return ret;
}

/* Is key "select" followed by digits only? */
static int
is_select(const char *key)
{
	const char *p;

	if (strncmp(key, "select", 6) != 0 || key[6] == '\0')
		return 0;
	for (p = key + 6; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static enum MHD_Result
do_delete(struct req *r, struct MHD_Connection *mc, const struct params *pp)
{
	char host[JOB_NAME_MAX + 1], user[JOB_NAME_MAX + 1], err[512];
	const struct form *src = &pp->q;
	const char *d, *why;
	struct store_zone z;
	struct job *jobs = NULL;
	size_t i, k, n = 0, max;
	enum MHD_Result ret;
	long long now = clock_wall_us();
	int rc;

	if (owner_copy(host, param(pp, "hostname"), 1) < 0)
		return rx_reply_err(r, mc, 400, R_OWNER_FIELD,
		    "Invalid hostname");
	if (owner_copy(user, param(pp, "username"), 0) < 0)
		return rx_reply_err(r, mc, 400, R_OWNER_FIELD,
		    "Invalid username");
	/* DirectAdmin names the zones select0..selectN (in the body); the
	 * original's domain= is the fallback. */
	if (pp->body_is_form)
		for (i = 0; i < pp->b.n; i++)
			if (is_select(pp->b.pairs[i].key))
				src = &pp->b;
	max = src->n + 1;
	if ((jobs = calloc(max, sizeof(*jobs))) == NULL)
		return rx_reply_err(r, mc, 500, R_COMMIT, "Out of memory");
	for (i = 0; i <= src->n && n < max; i++) {
		if (i < src->n) {
			if (!is_select(src->pairs[i].key))
				continue;
			d = src->pairs[i].val;
		} else {
			if (n > 0)
				break;
			if ((d = param(pp, "domain")) == NULL || *d == '\0')
				break;
		}
		if (*d == '\0')
			continue;
		if (zone_name_norm(d, jobs[n].zone, &why) < 0) {
			ret = rx_reply_err(r, mc, 400, R_NAME,
			    "Invalid domain name: %s", why);
			goto out;
		}
		for (k = 0; k < n; k++)
			if (strcmp(jobs[k].zone, jobs[n].zone) == 0)
				break;
		if (k < n)
			continue;
		n++;
	}
	if (n == 0) {
		ret = rx_reply_err(r, mc, 400, R_PARAM,
		    "Missing 'domain' parameter");
		goto out;
	}
	note_zone(r, jobs[0].zone, n - 1);
	/* Ownership guard: a zone another DirectAdmin server pushed last is
	 * not deleted on this one's word (the zone moved and the old server
	 * removed it without "Keep DNS"). All or nothing. */
	for (i = 0; i < n; i++) {
		if ((rc = lookup(jobs[i].zone, &z)) < 0) {
			rx_note_error("unable to look up zone %s: store error",
			    jobs[i].zone);
			ret = rx_reply_err(r, mc, 500, R_STORE, "Store error");
			goto out;
		}
		if (rc == 1 && z.hostname[0] != '\0' &&
		    strcasecmp(z.hostname, host) != 0) {
			log_warn("delete refused zone=%s owner=%s requester=%s",
			    jobs[i].zone, z.hostname, host[0] ? host : "-");
			ret = rx_reply_err(r, mc, 403, R_OWNER,
			    "Delete of %s refused: it belongs to %s, not %s",
			    jobs[i].zone, z.hostname, host[0] ? host :
			    "an unnamed server");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		jobs[i].action = JOB_DELETE;
		strcpy(jobs[i].hostname, host);
		strcpy(jobs[i].username, user);
		jobs[i].pushed_us = now;
	}
	if (rx_commit_jobs(jobs, n, err, sizeof(err)) < 0) {
		rx_note_error("unable to queue the delete of %s: %s",
		    jobs[0].zone, err);
		ret = rx_reply_err(r, mc, 500, R_COMMIT, "Unable to queue the "
		    "delete of %s: not deleted, see the server's log",
		    jobs[0].zone);
		goto out;
	}
	rx_observe_ack(r);
	pthread_mutex_lock(&rx.stats.mu);
	rx.stats.acks[1] += n;
	pthread_mutex_unlock(&rx.stats.mu);
	ret = rx_reply_str(r, mc, 200, "error=0");
out:
	free(jobs);
	return ret;
}

enum MHD_Result
rx_admin(struct req *r, struct MHD_Connection *mc)
{
	struct params pp;
	const char *q, *ctype, *action, *why;
	enum MHD_Result ret;
	int get;

	get = strcmp(r->method, "GET") == 0;
	if (!get && strcmp(r->method, "POST") != 0)
		return rx_reply_err(r, mc, 405, R_METHOD, "Method not allowed");
	memset(&pp, 0, sizeof(pp));
	q = strchr(r->uri, '?');
	q = q ? q + 1 : "";
	if (form_parse(&pp.q, q, strlen(q), FORM_PAIRS_MAX, &why) < 0)
		return rx_reply_err(r, mc, 400, R_FORM,
		    "Invalid query string: %s", why);
	ctype = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	pp.body_is_text = ctype != NULL && strcasestr(ctype, "text/plain");
	pp.query_action = form_get(&pp.q, "action") != NULL;
	/*
	 * DirectAdmin's delete has its parameters in a body without a
	 * Content-Type: with no action in the query, a body must be a form.
	 * With one (rawsave), the body is zone text; it is read as a form
	 * only when the client says so and it parses, for a zone_file field.
	 */
	if (!pp.body_is_text && !pp.query_action && r->body.len > 0) {
		if (form_parse(&pp.b, r->body.p, r->body.len, FORM_PAIRS_MAX,
		    &why) < 0) {
			ret = rx_reply_err(r, mc, 400, R_FORM,
			    "Invalid form data: %s", why);
			goto out;
		}
		pp.body_is_form = 1;
	} else if (ctype != NULL && r->body.len > 0 &&
	    strcasestr(ctype, "application/x-www-form-urlencoded") &&
	    form_parse(&pp.b, r->body.p, r->body.len, FORM_PAIRS_MAX,
	    &why) == 0)
		pp.body_is_form = 1;
	action = param(&pp, "action");
	rx_log_copy(r->action, sizeof(r->action), action);
	if (get) {
		if (action == NULL || strcmp(action, "exists") != 0)
			ret = rx_reply_err(r, mc, 400, R_ACTION,
			    "Unsupported GET action: %.*s", ECHO_MAX,
			    action ? action : "None");
		else
			ret = do_exists(r, mc, &pp);
	} else if (action == NULL || *action == '\0')
		ret = rx_reply_str(r, mc, 200, "error=0&text=OK");
	else if (strcmp(action, "exists") == 0)
		ret = do_exists(r, mc, &pp);
	else if (strcmp(action, "rawsave") == 0)
		ret = do_rawsave(r, mc, &pp);
	else if (strcmp(action, "delete") == 0)
		ret = do_delete(r, mc, &pp);
	else
		ret = rx_reply_err(r, mc, 400, R_ACTION,
		    "Unsupported action: %.*s", ECHO_MAX, action);
out:
	form_free(&pp.q);
	form_free(&pp.b);
	return ret;
}
