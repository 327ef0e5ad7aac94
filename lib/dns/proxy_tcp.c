/* proxy_tcp.c -- dns-proxy over TCP: client connections with pipelined
 * queries, and connections to the backends kept for reuse */
/* SPDX-License-Identifier: ISC */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_guard.h"

static struct tconn *tconns;
static unsigned ntconn;
static int accept_paused;	/* out of descriptors: listeners muted */

static void	 tconn_close(struct tconn *);
static void	 tconn_pump(struct tconn *);

/* ---- TCP clients ---- */

static void
tconn_events(struct tconn *c)
{
	ep_mod(c->fd, (c->paused ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0),
	    &c->ev);
}

void
tconn_flush(struct tconn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = c->tls != NULL ? tls_write(c, c->wbuf + c->woff, c->wlen -
		    c->woff) : write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			c->closing = 2;	/* broken: close now */
			return;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if ((c->woff < c->wlen) != c->want_out) {
		c->want_out = c->woff < c->wlen;
		tconn_events(c);
	}
}

void
tconn_out(struct tconn *c, const uint8_t *hdr, size_t hlen,
    const uint8_t *msg, size_t len)
{
	size_t need = c->wlen + hlen + len, cap;
	uint8_t *p;

	if (need > TCP_WBUF_MAX) {
		c->closing = 2;
		return;
	}
	if (need > c->wcap) {
		for (cap = c->wcap ? c->wcap : 1024; cap < need; cap *= 2)
			;
		if ((p = realloc(c->wbuf, cap)) == NULL) {
			c->closing = 2;
			return;
		}
		c->wbuf = p;
		c->wcap = cap;
	}
	if (hlen > 0)
		memcpy(c->wbuf + c->wlen, hdr, hlen);
	if (len > 0)
		memcpy(c->wbuf + c->wlen + hlen, msg, len);
	c->wlen += hlen + len;
	c->last_ms = px.now_ms;
	if (!c->corked)
		tconn_flush(c);
}

/* The answer msg to the query of c on stream sid (DoH; else 0). */
static void
tconn_send(struct tconn *c, int32_t sid, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2];

	if (c->proto == PR_DOH) {
		doh_answer(c, sid, msg, len);
		return;
	}
	put16(hdr, (uint16_t)len);
	tconn_out(c, hdr, 2, msg, len);
}

/* ---- TCP to backends: one query at a time per connection, idle
 * connections kept per backend for the next query ---- */

static void
bconn_close(struct bconn *bc)
{
	close(bc->fd);
	defer_free(&bc->ev);
}

/* Drop the idle connections of b past its pool size or idle time (all
 * of them with all set). */
void
bconn_trim(struct backend *b, int all)
{
	struct bconn **pp = &b->idle, *bc;
	unsigned n = 0;

	while ((bc = *pp) != NULL) {
		if (all || n >= px.conf->tcp_backend_pool ||
		    px.now_ms - bc->idle_ms >= px.conf->tcp_backend_idle_ms) {
			*pp = bc->next;
			b->nidle--;
			bconn_close(bc);
			continue;
		}
		n++;
		pp = &bc->next;
	}
}

/* A connection to b: the newest idle one the backend has not closed,
 * unless fresh, else a new one (connecting). NULL when none can be
 * opened. */
static struct bconn *
bconn_get(struct backend *b, int fresh)
{
	struct bconn *bc;
	int one = 1;
	char byte;

	while (!fresh && (bc = b->idle) != NULL) {
		b->idle = bc->next;
		b->nidle--;
		bc->next = NULL;
		/* EOF or bytes nobody asked for: the backend is done. */
		if (recv(bc->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK)) {
			b->st->c[N_TCP_REUSED]++;
			return bc;
		}
		bconn_close(bc);
	}
	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return NULL;
	bc->ev.type = EV_TCP_BACKEND;
	bc->ev.p = bc;
	bc->b = b;
	bc->connecting = 1;
	bc->fd = socket(b->conf.sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (bc->fd < 0) {
		free(bc);
		return NULL;
	}
	(void)setsockopt(bc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((connect(bc->fd, &b->conf.sa.sa, b->salen) < 0 &&
	    errno != EINPROGRESS) || ep_add(bc->fd, EPOLLOUT, &bc->ev) < 0) {
		close(bc->fd);
		free(bc);
		return NULL;
	}
	b->st->c[N_TCP_CONNECTS]++;
	return bc;
}

/* Give bc back to its backend's pool after a complete answer; close it
 * when the pool is full or the backend is leaving. */
static void
bconn_release(struct bconn *bc)
{
	struct backend *b = bc->b;

	bc->t = NULL;
	bc->uses++;
	if (b->pool == NULL || b->nidle >= px.conf->tcp_backend_pool ||
	    ep_mod(bc->fd, EPOLLIN, &bc->ev) < 0) {
		bconn_close(bc);
		return;
	}
	bc->idle_ms = px.now_ms;
	bc->next = b->idle;
	b->idle = bc;
	b->nidle++;
}

static void
tq_free(struct tq *t)
{
	struct tq **pp;

	if (t->c != NULL) {
		for (pp = &t->c->tqs; *pp != NULL; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		t->c->inflight--;
	}
	if (t->b != NULL) {
		t->b->outstanding--;
		t->b->st->outstanding = t->b->outstanding;
	}
	/* Busy with an answer we no longer want: not reusable. */
	if (t->bc != NULL)
		bconn_close(t->bc);
	free(t->q);
	free(t->buf);
	defer_free(&t->ev);
}

/* SERVFAIL to the client of t, built from its query; then the client's
 * next queries when pump (never from inside tconn_pump). */
static void
tq_fail(struct tq *t, int pump)
{
	uint8_t out[BUFSZ];
	struct dnsmsg m;
	const char *why;
	struct tconn *c = t->c;
	size_t n;

	if (c != NULL && dnsmsg_parse(t->q + 2, t->qlen - 2, &m, &why) == 0) {
		/* RFC 8767: an expired answer rather than SERVFAIL. */
		if (t->b != NULL && guard_stale_query(t->b, t->q + 2, &m, 1,
		    out, &n))
			put16(out, t->cid);
		else {
			m.id = t->cid;
			n = proxy_reply(t->q + 2, &m, out, DNSMSG_SERVFAIL, 0);
		}
		if (guard_on)
			guard_answer(&c->peer, out, n, 1);
		tconn_send(c, t->sid, out, n);
	}
	tq_free(t);
	if (c != NULL && pump)
		tconn_pump(c);
}

/* Send t on bc: written when the socket says it can be. */
static int
tq_attach(struct tq *t, struct bconn *bc)
{
	t->bc = bc;
	bc->t = t;
	t->state = 0;
	t->off = 0;
	t->len = 0;
	if (!bc->connecting && ep_mod(bc->fd, EPOLLOUT, &bc->ev) < 0)
		return -1;
	return 0;
}

/* The connection of t failed. A reused one may have been closed by the
 * backend just before our query reached it: try once more on a new
 * connection, unless part of an answer came back. */
static void
tq_error(struct tq *t)
{
	struct bconn *bc = t->bc;

	if (bc->uses > 0 && !t->retried && t->len == 0) {
		t->retried = 1;
		t->bc = NULL;
		bconn_close(bc);
		if ((bc = bconn_get(t->b, 1)) != NULL && tq_attach(t, bc) == 0)
			return;
	}
	tq_fail(t, 1);
}

static void
tq_done(struct tq *t)
{
	uint8_t *ans = t->buf + 2;
	size_t len = t->len - 2;
	struct tconn *c = t->c;
	struct dnsmsg m;
	const char *why;

	if (dnsmsg_parse(ans, len, &m, &why) < 0 || m.id != t->id ||
	    !(m.flags & DNSMSG_QR) || m.qend > t->qlen - 2 ||
	    memcmp(ans + DNSMSG_HDR, t->q + 2 + DNSMSG_HDR,
	    (size_t)m.qend - DNSMSG_HDR) != 0) {
		px.ws->c[C_BACKEND_UNEXPECTED]++;
		tq_fail(t, 1);
		return;
	}
	t->b->st->c[N_RESPONSES]++;
	if (px.now_ms >= t->start_ms)
		lat_record((px.now_ms - t->start_ms) * 1000);
	cache_store(t->b, ans, len, &m, t->kflags);
	put16(ans, t->cid);
	if (c != NULL) {
		count_rcode(ans);
		if (guard_on)
			guard_answer(&c->peer, ans, len, 1);
		tconn_send(c, t->sid, ans, len);
	}
	bconn_release(t->bc);
	t->bc = NULL;
	tq_free(t);
	if (c != NULL)
		tconn_pump(c);
}

void
bconn_event(struct bconn *bc, uint32_t events)
{
	struct tq *t = bc->t;
	struct backend *b = bc->b;
	struct bconn **pp;
	ssize_t n;
	size_t need;
	int err = 0;
	socklen_t el = sizeof(err);
	uint8_t *p;

	if (t == NULL) {
		/* Idle: the backend closed it or sent what nobody asked. */
		for (pp = &b->idle; *pp != NULL; pp = &(*pp)->next)
			if (*pp == bc) {
				*pp = bc->next;
				b->nidle--;
				break;
			}
		bconn_close(bc);
		return;
	}
	if (t->state == 0) {
		if (bc->connecting) {
			if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				return;
			if (getsockopt(bc->fd, SOL_SOCKET, SO_ERROR, &err,
			    &el) < 0 || err != 0) {
				tq_fail(t, 1);
				return;
			}
			bc->connecting = 0;
		}
		while (t->off < t->qlen) {
			n = write(bc->fd, t->q + t->off, t->qlen - t->off);
			if (n < 0) {
				if (errno == EAGAIN)
					return;
				if (errno == EINTR)
					continue;
				tq_error(t);
				return;
			}
			t->off += (size_t)n;
		}
		t->state = 1;
		t->len = 0;
		if (ep_mod(bc->fd, EPOLLIN, &bc->ev) < 0)
			tq_fail(t, 1);
		return;
	}
	for (;;) {
		need = t->len < 2 ? 2 : 2 + (size_t)get16(t->buf);
		if (t->len >= 2 && t->len == need) {
			tq_done(t);
			return;
		}
		if (need > t->cap) {
			if ((p = realloc(t->buf, need)) == NULL) {
				tq_fail(t, 1);
				return;
			}
			t->buf = p;
			t->cap = need;
		}
		n = read(bc->fd, t->buf + t->len, need - t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tq_error(t);
			return;
		}
		t->len += (size_t)n;
	}
}

static void
tq_start(struct tconn *c, int32_t sid, const uint8_t *q, size_t len,
    struct qctx *qc)
{
	struct backend *b = qc->b;
	struct bconn *bc;
	struct tq *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->q = malloc(len + 2)) == NULL) {
		free(t);
		c->closing = 2;
		return;
	}
	t->ev.type = EV_DEAD;
	t->ev.p = t;
	t->c = c;
	t->b = b;
	t->cid = qc->m.id;
	t->sid = sid;
	t->id = (uint16_t)rnd();
	t->kflags = qc->key[qc->klen - 1];
	t->start_ms = px.now_ms;
	put16(t->q, (uint16_t)len);
	memcpy(t->q + 2, q, len);
	put16(t->q + 2, t->id);
	t->qlen = len + 2;
	t->next = c->tqs;
	c->tqs = t;
	c->inflight++;
	b->outstanding++;
	b->st->outstanding = b->outstanding;
	b->st->c[N_QUERIES]++;
	if ((bc = bconn_get(b, 0)) == NULL || tq_attach(t, bc) < 0)
		tq_fail(t, 0);
}

void
tconn_query(struct tconn *c, int32_t sid, const uint8_t *q, size_t len)
{
	uint8_t out[BUFSZ];
	struct qctx qc;
	size_t outlen;

	c->nq++;
	c->last_ms = px.now_ms;
	switch (proxy_process(q, len, &c->peer, c->proto, out, &outlen,
	    &qc)) {
	case V_DROP:
		if (c->proto == PR_DOH)
			doh_answer(c, sid, NULL, 0);
		break;
	case V_ANSWER:
		if (guard_on)
			guard_answer(&c->peer, out, outlen, 1);
		tconn_send(c, sid, out, outlen);
		break;
	case V_FORWARD:
		tq_start(c, sid, q, len, &qc);
		break;
	}
}

/* Handle the complete queries buffered on c, as far as limits allow. */
static void
tconn_pump(struct tconn *c)
{
	size_t mlen, off = 0;

	c->corked = 1;
	if (c->proto == PR_DOH) {
		if (c->doh != NULL && !c->closing)
			doh_input(c);
		if (c->doh != NULL && doh_done(c) && !c->closing)
			c->closing = 1;
	}
	while (c->proto != PR_DOH && !c->closing &&
	    c->inflight < TCP_PIPELINE && c->rlen - off >= 2) {
		mlen = get16(c->rbuf + off);
		if (c->rlen - off < 2 + mlen)
			break;
		if (mlen == 0) {
			c->closing = 2;
			break;
		}
		c->qstart_ms = 0;
		tconn_query(c, 0, c->rbuf + off + 2, mlen);
		off += 2 + mlen;
		if (px.conf->tcp_max_queries &&
		    c->nq >= px.conf->tcp_max_queries)
			c->closing = 1;
	}
	if (off > 0) {
		c->rlen -= off;
		memmove(c->rbuf, c->rbuf + off, c->rlen);
	}
	c->corked = 0;
	if (c->closing != 2)
		tconn_flush(c);
	/* A partial query has query_timeout from its first byte: trickled
	 * bytes do not hold a connection. */
	if (c->proto == PR_DOH || c->rlen == 0 || (c->rlen >= 2 &&
	    c->rlen >= 2 + (size_t)get16(c->rbuf)))
		c->qstart_ms = 0;
	else if (c->qstart_ms == 0)
		c->qstart_ms = px.now_ms;
	if (c->closing == 2 || (c->closing && c->inflight == 0 &&
	    c->woff == c->wlen)) {
		tconn_close(c);
		return;
	}
	if (c->paused && !c->closing && c->rlen < RBUF_MAX) {
		c->paused = 0;
		tconn_events(c);
	}
}

static void
tconn_read(struct tconn *c)
{
	size_t need;
	ssize_t n;
	uint8_t *p;

	for (;;) {
		if (c->rlen >= RBUF_MAX) {
			/* Enough queued: wait for answers (back-pressure). */
			c->paused = 1;
			tconn_events(c);
			break;
		}
		need = c->rlen + 4096 > RBUF_MAX ? RBUF_MAX : c->rlen + 4096;
		if (need > c->rcap) {
			if ((p = realloc(c->rbuf, need)) == NULL) {
				tconn_close(c);
				return;
			}
			c->rbuf = p;
			c->rcap = need;
		}
		n = c->tls != NULL ? tls_read(c, c->rbuf + c->rlen, c->rcap -
		    c->rlen) : read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->closing = n < 0 ? 2 : 1;
			c->paused = 1;
			tconn_events(c);
			break;
		}
		c->rlen += (size_t)n;
		if (c->rlen < c->rcap && (c->tls == NULL || !tls_pending(c)))
			break;
	}
	tconn_pump(c);
}

static void
tconn_close(struct tconn *c)
{
	struct tq *t;

	while ((t = c->tqs) != NULL) {
		c->tqs = t->next;
		t->c = NULL;
		t->next = NULL;
		tq_free(t);
	}
	if (c->doh != NULL)
		doh_free(c);
	if (c->tls != NULL)
		tls_close(c);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		tconns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ntconn--;
	px.ws->tcp_open = ntconn;
	free(c->rbuf);
	free(c->wbuf);
	defer_free(&c->ev);
}

void
tcp_accept(struct listener *l)
{
	union netaddr_sa peer;
	socklen_t plen;
	struct tconn *c, *o;
	uint64_t key;
	unsigned same;
	int fd;

	for (;;) {
		plen = sizeof(peer);
		fd = accept4(l->fd, &peer.sa, &plen, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors: stop listening until the next
			 * tick rather than spin on a readable socket. */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				ep_mod(l->fd, 0, &l->ev);
				accept_paused = 1;
				px.ws->c[C_TCP_REJ_LIMIT]++;
			}
			return;
		}
		px.ws->c[C_TCP_CONNS]++;
		if (ntconn >= px.conf->tcp_max_connections) {
			px.ws->c[C_TCP_REJ_LIMIT]++;
			close(fd);
			continue;
		}
		if (px.conf->acl_action == PROXYCONF_DROP &&
		    !netaddr_acl_match(&px.conf->acl, &peer)) {
			px.ws->c[C_DROP_ACL]++;
			close(fd);
			continue;
		}
		key = netaddr_client_key(&peer);
		same = 0;
		for (o = tconns; o != NULL; o = o->next)
			if (o->ckey == key)
				same++;
		if (px.conf->tcp_max_per_client &&
		    same >= px.conf->tcp_max_per_client) {
			px.ws->c[C_TCP_REJ_CLIENT]++;
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->ev.type = EV_TCP_CLIENT;
		c->ev.p = c;
		c->fd = fd;
		c->peer = peer;
		c->ckey = key;
		c->last_ms = c->born_ms = px.now_ms;
		c->proto = l->tls ? l->tls : PR_TCP;
		if ((l->tls && tls_accept(c) < 0) ||
		    ep_add(fd, EPOLLIN, &c->ev) < 0) {
			if (c->tls != NULL)
				tls_close(c);
			close(fd);
			free(c);
			continue;
		}
		c->next = tconns;
		if (tconns != NULL)
			tconns->prev = c;
		tconns = c;
		ntconn++;
		px.ws->tcp_open = ntconn;
	}
}

void
tcp_tick(void)
{
	struct tconn *c, *next;
	struct tq *t, *tn;
	uint64_t age;
	size_t i;

	for (i = 0; i < px.nbackends; i++)
		bconn_trim(px.backends[i], 0);
	for (c = tconns; c != NULL; c = next) {
		next = c->next;
		for (t = c->tqs; t != NULL; t = tn) {
			tn = t->next;
			if (px.now_ms - t->start_ms >=
			    px.conf->backend_timeout_ms) {
				t->b->st->c[N_TIMEOUTS]++;
				px.ws->c[C_SF_TIMEOUT]++;
				tq_fail(t, 1);
				/* tq_fail may have closed c. */
				goto nextconn;
			}
		}
		if (c->qstart_ms != 0 &&
		    px.now_ms - c->qstart_ms >= px.conf->tcp_query_timeout_ms) {
			px.ws->c[C_TCP_QUERY_TIMEOUT]++;
			tconn_close(c);
			continue;
		}
		age = px.now_ms - c->born_ms;
		if (px.conf->tcp_max_age_ms && age >= px.conf->tcp_max_age_ms) {
			/* No new query; the answers owed go out first, for
			 * at most one more query_timeout. */
			if (!c->aged) {
				px.ws->c[C_TCP_MAX_AGE]++;
				c->aged = 1;
				c->closing = 1;
				c->paused = 1;
				tconn_events(c);
			}
			if ((c->inflight == 0 && c->woff == c->wlen) ||
			    age >= (uint64_t)px.conf->tcp_max_age_ms +
			    px.conf->tcp_query_timeout_ms)
				tconn_close(c);
			continue;
		}
		if (c->inflight == 0 && c->woff == c->wlen &&
		    px.now_ms - c->last_ms >= px.conf->tcp_idle_timeout_ms) {
			px.ws->c[C_TCP_IDLE]++;
			tconn_close(c);
		}
nextconn:
		;
	}
}

void
tconn_event(struct tconn *c, uint32_t events)
{
	if (c->tls != NULL && (events = tls_event(c, events)) == 0) {
		if (c->closing)
			tconn_close(c);
		return;
	}
	if (events & EPOLLOUT)
		tconn_flush(c);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		tconn_read(c);
	else
		tconn_pump(c);
}

void
tcp_accept_resume(void)
{
	size_t i;

	if (!accept_paused)
		return;
	accept_paused = 0;
	for (i = 0; i < LMAX; i++)
		if (px.listeners[i].used && px.listeners[i].tcp)
			ep_mod(px.listeners[i].fd, EPOLLIN,
			    &px.listeners[i].ev);
}
