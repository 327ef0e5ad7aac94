/* receive_peer.c -- da-receive's peer API: /internal/zones and /peers */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "buf.h"
#include "form.h"
#include "peer.h"
#include "receive.h"
#include "store.h"
#include "zone.h"

/*
 * Peer credentials only: the original's /internal/zones,
 * /internal/zones?domain= and /internal/peers, plus the incremental form
 * /internal/zones?since=SEQ[&limit=N][&data=1] that peer-pull reads
 * (tombstones included, in change order, with this store's instance id so
 * a node can recognise itself).
 */

/* Collects store_changes() rows into a JSON array. */
struct chg {
	struct buf	*b;
	size_t		 n, limit, text;
	uint64_t	 last;
	int		 live_only, more;
};

static int
chg_add(void *arg, const struct store_zone *z)
{
	struct chg *c = arg;

	/* One row past the limit, or past the text budget (never the
	 * first row: a page always moves on): more to come. */
	if ((c->limit > 0 && c->n == c->limit) ||
	    (c->n > 0 && c->text + z->textlen > PEER_PAGE_TEXT_MAX)) {
		c->more = 1;
		return 1;
	}
	if (c->live_only && z->deleted_us != 0)
		return 0;
	if (c->n > 0)
		buf_add(c->b, ",", 1);
	peer_json_zone(c->b, z);
	c->text += z->textlen;
	c->n++;
	c->last = z->seq;
	return 0;
}

/* A query parameter as an unsigned number within max. Returns 0 (absent:
 * *out = dflt), or -1. */
static int
query_uint(const struct form *f, const char *key, uint64_t dflt,
    uint64_t max, uint64_t *out)
{
	const char *v = form_get(f, key);
	char *end;

	*out = dflt;
	if (v == NULL)
		return 0;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

static enum MHD_Result
internal_zone(struct req *r, struct MHD_Connection *mc, const char *domain)
{
	struct buf b = { NULL, 0, 0, 0 };
	char name[ZONE_NAME_MAX + 1];
	struct store_zone z;
	const char *why;
	int rc;

	if (zone_name_norm(domain, name, &why) < 0)
		return rx_reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	rx_log_copy(r->zone, sizeof(r->zone), name);
	pthread_mutex_lock(&rx.rd_mu);
	rc = store_get(rx.rd, name, &z, 1);
	pthread_mutex_unlock(&rx.rd_mu);
	if (rc < 0) {
		rx_note_error("unable to read zone %s from the store", name);
		return rx_reply_json(r, mc, 500,
		    "{\"error\": \"internal server error\"}");
	}
	if (rc == 0 || z.deleted_us != 0 || z.text == NULL) {
		store_zone_free(&z);
		return rx_reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	}
	peer_json_zone(&b, &z);
	store_zone_free(&z);
	return rx_reply_buf(r, mc, CT_JSON, &b);
}

static enum MHD_Result
internal_zones(struct req *r, struct MHD_Connection *mc, const struct form *f)
{
	struct buf b = { NULL, 0, 0, 0 };
	struct chg c;
	uint64_t since, limit, data;
	const char *v;
	char head[160];
	long n;
	int incremental;

	if ((v = form_get(f, "domain")) != NULL)
		return internal_zone(r, mc, v);
	incremental = form_get(f, "since") != NULL;
	if (query_uint(f, "since", 0, INT64_MAX, &since) < 0 ||
	    query_uint(f, "limit", PEER_PAGE_DEFAULT, PEER_PAGE_MAX,
	    &limit) < 0 || limit == 0 ||
	    query_uint(f, "data", 0, 1, &data) < 0)
		return rx_reply_json(r, mc, 400,
		    "{\"error\": \"invalid since, limit or data\"}");
	memset(&c, 0, sizeof(c));
	c.b = &b;
	c.last = since;
	if (incremental) {
		c.limit = limit;
		snprintf(head, sizeof(head), "{\"instance\":\"%s\","
		    "\"since\":%" PRIu64 ",\"zones\":[", rx.instance_id, since);
	} else {
		/* The original's list: every live zone, no texts. */
		c.live_only = 1;
		data = 0;
		snprintf(head, sizeof(head), "[");
	}
	buf_add(&b, head, strlen(head));
	pthread_mutex_lock(&rx.rd_mu);
	n = store_changes(rx.rd, since, incremental ? limit + 1 : 0, (int)data,
	    chg_add, &c);
	pthread_mutex_unlock(&rx.rd_mu);
	if (n < 0) {
		buf_free(&b);
		rx_note_error("unable to list the store's zones");
		return rx_reply_json(r, mc, 500,
		    "{\"error\": \"internal server error\"}");
	}
	if (incremental) {
		snprintf(head, sizeof(head), "],\"seq\":%" PRIu64
		    ",\"more\":%s}", c.last, c.more ? "true" : "false");
		buf_add(&b, head, strlen(head));
	} else
		buf_add(&b, "]", 1);
	return rx_reply_buf(r, mc, CT_JSON, &b);
}

enum MHD_Result
rx_internal(struct req *r, struct MHD_Connection *mc)
{
	struct buf b = { NULL, 0, 0, 0 };
	struct form f;
	enum MHD_Result ret;
	const char *q, *why;
	size_t plen, i;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		rx_count_reject(R_METHOD);
		return rx_reply_json(r, mc, 405,
		    "{\"error\":\"method not allowed\"}");
	}
	q = strchr(r->uri, '?');
	plen = q ? (size_t)(q - r->uri) : strlen(r->uri);
	q = q ? q + 1 : "";
	if (form_parse(&f, q, strlen(q), FORM_PAIRS_MAX, &why) < 0) {
		rx_count_reject(R_FORM);
		return rx_reply_json(r, mc, 400,
		    "{\"error\": \"invalid query string\"}");
	}
	if (plen == 15 && strncmp(r->uri, "/internal/zones", plen) == 0)
		ret = internal_zones(r, mc, &f);
	else if (plen == 15 && strncmp(r->uri, "/internal/peers", plen) == 0) {
		/* The configured peers' URLs, never their credentials. */
		buf_add(&b, "[", 1);
		for (i = 0; i < rx.set.npeers; i++) {
			if (i > 0)
				buf_add(&b, ",", 1);
			peer_json_str(&b, rx.set.peer_url[i],
			    strlen(rx.set.peer_url[i]));
		}
		buf_add(&b, "]", 1);
		ret = rx_reply_buf(r, mc, CT_JSON, &b);
	} else
		ret = rx_reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	form_free(&f);
	return ret;
}
