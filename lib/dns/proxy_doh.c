/* proxy_doh.c -- dns-proxy over HTTPS (RFC 8484): an HTTP/2 server
 * session per connection (libnghttp2), each request a query of the
 * shared pipeline, its answer the response of its stream */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "doh.h"
#include "log.h"
#include "proxy.h"

#define CTYPE_MAX	128	/* longest content-type kept */
#define CLEN_MAX	24	/* longest content-length kept */
#define HDRS_MAX	8192	/* header list size we announce */

/* One request and then its response. */
struct dstream {
	int32_t		 id;
	int		 err;		/* an HTTP status found early */
	int		 answered;
	char		 method[8];
	char		 ctype[CTYPE_MAX];
	char		 clen[CLEN_MAX];
	char		*path;
	uint8_t		*body;
	size_t		 blen;
	uint8_t		*out;		/* the response body */
	size_t		 olen, ooff;
	char		 lenbuf[8], agebuf[32];
	struct dstream	*prev, *next;	/* in doh.streams */
};

struct doh {
	nghttp2_session	*s;
	struct tconn	*c;
	int		 in_recv;	/* output waits for the end of input */
	int		 goaway;	/* max_queries_per_connection reached */
	struct dstream	*streams;	/* freed with the session */
};

static nghttp2_session_callbacks *cbs;

/* Copy the header value v (n bytes) into dst (size bytes), or record
 * status err on the stream when it does not fit. */
static void
hdr_copy(struct dstream *st, char *dst, size_t size, const uint8_t *v,
    size_t n, int err)
{
	if (n >= size) {
		if (st->err == 0)
			st->err = err;
		return;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct dstream *st;
	struct doh *d = arg;

	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st->id = f->hd.stream_id;
	st->next = d->streams;
	if (d->streams != NULL)
		d->streams->prev = st;
	d->streams = st;
	nghttp2_session_set_stream_user_data(s, st->id, st);
	return 0;
}

static int
on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
    size_t nlen, const uint8_t *v, size_t vlen, uint8_t flags, void *arg)
{
	struct dstream *st;

	(void)flags;
	(void)arg;
	if (f->hd.type != NGHTTP2_HEADERS || (st =
	    nghttp2_session_get_stream_user_data(s, f->hd.stream_id)) == NULL)
		return 0;
	if (nlen == 7 && memcmp(name, ":method", 7) == 0)
		hdr_copy(st, st->method, sizeof(st->method), v, vlen, 405);
	else if (nlen == 5 && memcmp(name, ":path", 5) == 0) {
		if (st->path != NULL || vlen > DOH_PATH_MAX) {
			if (st->err == 0)
				st->err = st->path != NULL ? 400 : 414;
			return 0;
		}
		if ((st->path = malloc(vlen + 1)) == NULL)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		memcpy(st->path, v, vlen);
		st->path[vlen] = '\0';
	} else if (nlen == 12 && memcmp(name, "content-type", 12) == 0)
		hdr_copy(st, st->ctype, sizeof(st->ctype), v, vlen, 415);
	else if (nlen == 14 && memcmp(name, "content-length", 14) == 0)
		hdr_copy(st, st->clen, sizeof(st->clen), v, vlen, 413);
	return 0;
}

static int
on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
    size_t len, void *arg)
{
	struct dstream *st;
	uint8_t *p;

	(void)flags;
	(void)arg;
	if ((st = nghttp2_session_get_stream_user_data(s, id)) == NULL ||
	    st->err != 0)
		return 0;
	if (st->blen + len > DOH_MSG_MAX) {
		st->err = 413;
		return 0;
	}
	if ((p = realloc(st->body, st->blen + len)) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	memcpy(p + st->blen, data, len);
	st->body = p;
	st->blen += len;
	return 0;
}

static ssize_t
read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct dstream *st = src->ptr;
	size_t n = st->olen - st->ooff;

	(void)s;
	(void)id;
	(void)arg;
	if (n > len)
		n = len;
	memcpy(buf, st->out + st->ooff, n);
	st->ooff += n;
	if (st->ooff == st->olen)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
	strlen(v), NGHTTP2_NV_FLAG_NO_COPY_NAME }

/* Respond on st with status, content type and body (len bytes). */
static void
respond(struct doh *d, struct dstream *st, const char *status,
    const char *ctype, const uint8_t *body, size_t len, uint32_t maxage)
{
	nghttp2_data_provider dp;
	nghttp2_nv nv[] = {
		NV(":status", status),
		NV("content-type", ctype),
		NV("content-length", st->lenbuf),
		NV("cache-control", st->agebuf),
	};

	st->answered = 1;
	if ((st->out = malloc(len > 0 ? len : 1)) == NULL) {
		(void)nghttp2_submit_rst_stream(d->s, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_INTERNAL_ERROR);
		return;
	}
	memcpy(st->out, body, len);
	st->olen = len;
	snprintf(st->lenbuf, sizeof(st->lenbuf), "%zu", len);
	snprintf(st->agebuf, sizeof(st->agebuf), "max-age=%u", maxage);
	nv[2].valuelen = strlen(st->lenbuf);
	nv[3].valuelen = strlen(st->agebuf);
	dp.source.ptr = st;
	dp.read_callback = read_body;
	if (nghttp2_submit_response(d->s, st->id, nv, maxage ? 4 : 3,
	    &dp) != 0)
		(void)nghttp2_submit_rst_stream(d->s, NGHTTP2_FLAG_NONE, st->id,
		    NGHTTP2_INTERNAL_ERROR);
}

/* An HTTP error with its reason as the body. */
static void
respond_error(struct doh *d, struct dstream *st, int status, const char *why)
{
	char code[8], text[128];
	int n;

	px.ws->c[C_DOH_BAD]++;
	snprintf(code, sizeof(code), "%d", status);
	n = snprintf(text, sizeof(text), "%s\n", why);
	respond(d, st, code, "text/plain", (const uint8_t *)text, (size_t)n, 0);
}

/* The request of st is complete: a query, or an HTTP error. */
static void
request(struct doh *d, struct dstream *st)
{
	static uint8_t msg[DOH_MSG_MAX];
	struct doh_req r;
	const char *why = "header too large";
	size_t mlen = 0;
	int status = st->err;

	if (status == 413)
		why = "body or header too large";
	else if (status == 400)
		why = "more than one :path";
	if (status == 0) {
		memset(&r, 0, sizeof(r));
		r.method = st->method[0] != '\0' ? st->method : NULL;
		r.path = st->path;
		r.ctype = st->ctype[0] != '\0' ? st->ctype : NULL;
		r.clen = st->clen[0] != '\0' ? st->clen : NULL;
		r.body = st->body;
		r.blen = st->blen;
		status = doh_parse(&r, px.conf->doh_path, msg, &mlen, &why);
	}
	if (status != 200) {
		respond_error(d, st, status, why);
		return;
	}
	tconn_query(d->c, st->id, msg, mlen);
	/* The query limit of a connection: no new streams, the open ones
	 * are answered. */
	if (px.conf->tcp_max_queries && d->c->nq >= px.conf->tcp_max_queries &&
	    !d->goaway) {
		d->goaway = 1;
		(void)nghttp2_submit_goaway(d->s, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(d->s),
		    NGHTTP2_NO_ERROR, NULL, 0);
	}
}

static int
on_frame(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct doh *d = arg;
	struct dstream *st;

	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    (st = nghttp2_session_get_stream_user_data(s,
	    f->hd.stream_id)) != NULL && !st->answered)
		request(d, st);
	return 0;
}

static void
dstream_free(struct doh *d, struct dstream *st)
{
	if (st->prev != NULL)
		st->prev->next = st->next;
	else
		d->streams = st->next;
	if (st->next != NULL)
		st->next->prev = st->prev;
	free(st->path);
	free(st->body);
	free(st->out);
	free(st);
}

static int
on_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	struct dstream *st;

	(void)code;
	if ((st = nghttp2_session_get_stream_user_data(s, id)) == NULL)
		return 0;
	nghttp2_session_set_stream_user_data(s, id, NULL);
	dstream_free(arg, st);
	return 0;
}

/* Send what the session has to say. */
static void
doh_output(struct tconn *c)
{
	const uint8_t *data;
	ssize_t n;
	int corked = c->corked;

	c->corked = 1;
	while ((n = nghttp2_session_mem_send(c->doh->s, &data)) > 0)
		tconn_out(c, NULL, 0, data, (size_t)n);
	if (n < 0)
		c->closing = 2;
	c->corked = corked;
	if (!corked && c->closing != 2)
		tconn_flush(c);
}

int
doh_start(struct tconn *c)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
		    px.conf->doh_max_streams },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HDRS_MAX },
	};
	struct doh *d;

	if (cbs == NULL) {
		if (nghttp2_session_callbacks_new(&cbs) != 0)
			return -1;
		nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
		    on_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback(cbs,
		    on_header);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
		    on_data);
		nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
		    on_frame);
		nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
		    on_close);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	d->c = c;
	if (nghttp2_session_server_new(&d->s, cbs, d) != 0) {
		free(d);
		return -1;
	}
	c->doh = d;
	if (nghttp2_submit_settings(d->s, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0])) != 0)
		return -1;
	doh_output(c);
	return 0;
}

void
doh_input(struct tconn *c)
{
	struct doh *d = c->doh;
	ssize_t n;

	d->in_recv = 1;
	n = nghttp2_session_mem_recv(d->s, c->rbuf, c->rlen);
	d->in_recv = 0;
	if (n < 0) {
		log_debug("HTTP/2 session failed: %s",
		    nghttp2_strerror((int)n));
		c->closing = 2;
		return;
	}
	c->rlen = 0;
	doh_output(c);
}

/* The freshness of the answer msg for cache-control (RFC 8484 5.1): its
 * lowest TTL, or the negative TTL of its SOA; 0 when none. */
static uint32_t
max_age(const uint8_t *msg, size_t len)
{
	struct dnsmsg m;
	struct dnsmsg_ttls t;
	const char *why;

	if (dnsmsg_parse(msg, len, &m, &why) < 0 ||
	    dnsmsg_scan(msg, len, &m, &t, &why) < 0)
		return 0;
	if (t.records)
		return t.min_ttl;
	return t.has_soa ? t.soa_min : 0;
}

void
doh_answer(struct tconn *c, int32_t sid, const uint8_t *msg, size_t len)
{
	struct doh *d = c->doh;
	struct dstream *st;

	if (d == NULL || (st = nghttp2_session_get_stream_user_data(d->s,
	    sid)) == NULL || st->answered)
		return;
	if (msg == NULL) {
		st->answered = 1;
		(void)nghttp2_submit_rst_stream(d->s, NGHTTP2_FLAG_NONE, sid,
		    NGHTTP2_REFUSED_STREAM);
	} else
		respond(d, st, "200", DOH_CTYPE, msg, len, max_age(msg, len));
	if (!d->in_recv)
		doh_output(c);
}

int
doh_done(struct tconn *c)
{
	return !nghttp2_session_want_read(c->doh->s) &&
	    !nghttp2_session_want_write(c->doh->s);
}

void
doh_free(struct tconn *c)
{
	nghttp2_session_del(c->doh->s);
	while (c->doh->streams != NULL)
		dstream_free(c->doh, c->doh->streams);
	free(c->doh);
	c->doh = NULL;
}
