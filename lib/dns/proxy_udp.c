/* proxy_udp.c -- dns-proxy over UDP: client datagrams in batches,
 * queries in flight to the backends, their answers and timeouts */
/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>

#include "proxy.h"
#include "proxy_guard.h"

/* Output batches with datagrams waiting, sent by flush_all(). */
static struct pend *dirty[LMAX + PROXYCONF_BACKENDS_MAX * 64];
static size_t ndirty;

/* One receive batch, shared by every UDP socket (handled one at a time). */
static struct {
	struct mmsghdr	 m[BATCH];
	struct iovec	 iov[BATCH];
	union netaddr_sa addr[BATCH];
	uint8_t		 ctl[BATCH][CTLSZ];
	uint8_t		 buf[BATCH][BUFSZ];
	uint8_t		 ans[BATCH][BUFSZ];
} rb;

/* ---- output batches ---- */

static void
pend_flush(struct pend *p)
{
	unsigned s = 0;
	int r, retried = 0;

	while (s < p->n) {
		r = sendmmsg(p->fd, p->m + s, p->n - s, MSG_DONTWAIT);
		if (r < 0) {
			/* A connected socket reports an earlier ICMP error
			 * once; the send itself may still work. */
			if (errno == EINTR || (errno == ECONNREFUSED &&
			    retried++ == 0))
				continue;
			/* Full socket buffer or a dead peer: drop the rest
			 * (the client retries, as after any UDP loss). */
			px.ws->c[C_SEND_ERRORS] += p->n - s;
			break;
		}
		s += (unsigned)r;
	}
	p->n = 0;
	p->listed = 0;
}

void
flush_all(void)
{
	size_t i;

	for (i = 0; i < ndirty; i++)
		pend_flush(dirty[i]);
	ndirty = 0;
}

/* Queue buf for sending on p's socket (to to, when not connected). The
 * buffer must stay valid until flush_all(). */
static void
pend_add(struct pend *p, uint8_t *buf, size_t len, const union netaddr_sa *to,
    const struct in6_pktinfo *dst, int dst_family)
{
	struct msghdr *h;
	struct cmsghdr *cm;
	unsigned i;

	if (p->n == BATCH)
		pend_flush(p);
	i = p->n++;
	h = &p->m[i].msg_hdr;
	memset(h, 0, sizeof(*h));
	p->iov[i].iov_base = buf;
	p->iov[i].iov_len = len;
	h->msg_iov = &p->iov[i];
	h->msg_iovlen = 1;
	if (to != NULL) {
		p->addr[i] = *to;
		h->msg_name = &p->addr[i];
		h->msg_namelen = to->sa.sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	}
	if (p->pktinfo && dst != NULL && dst_family != 0 && p->ctl != NULL) {
		memset(p->ctl[i], 0, CTLSZ);
		h->msg_control = p->ctl[i];
		cm = (struct cmsghdr *)p->ctl[i];
		if (dst_family == AF_INET) {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, &dst->ipi6_addr, 4);
			h->msg_controllen = CMSG_SPACE(sizeof(pi));
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi6 = *dst;

			pi6.ipi6_ifindex = 0;
			h->msg_controllen = CMSG_SPACE(sizeof(pi6));
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi6));
			memcpy(CMSG_DATA(cm), &pi6, sizeof(pi6));
		}
	}
	if (!p->listed) {
		p->listed = 1;
		dirty[ndirty++] = p;
	}
}

/* The local address a datagram was sent to, from its PKTINFO. */
static int
get_dst(struct msghdr *h, struct in6_pktinfo *dst)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(dst, 0, sizeof(*dst));
			memcpy(&dst->ipi6_addr, &pi.ipi_addr, 4);
			return AF_INET;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(dst, CMSG_DATA(cm), sizeof(*dst));
			return AF_INET6;
		}
	}
	return 0;
}

/* ---- UDP: clients and backends ---- */

static void
slot_free(struct backend *b, struct slot *s)
{
	unsigned idx = (unsigned)(s - b->slot);

	b->idmap[s->id] = 0;
	s->used = 0;
	s->next_free = b->free_head;
	b->free_head = (uint16_t)(idx + 1);
	b->nfree++;
	b->outstanding--;
	b->st->outstanding = b->outstanding;
}

static struct slot *
slot_alloc(struct backend *b)
{
	struct slot *s;
	unsigned idx;
	uint16_t id;

	if (b->free_head != 0) {
		idx = b->free_head - 1u;
		b->free_head = b->slot[idx].next_free;
		b->nfree--;
	} else if (b->hw < b->nslot)
		idx = b->hw++;
	else
		return NULL;
	s = &b->slot[idx];
	do
		id = (uint16_t)rnd();
	while (b->idmap[id] != 0);
	b->idmap[id] = (uint16_t)(idx + 1);
	s->id = id;
	s->used = 1;
	b->outstanding++;
	b->st->outstanding = b->outstanding;
	return s;
}

static void
forward_udp(struct listener *l, uint8_t *pkt, size_t len,
    const union netaddr_sa *client, const struct in6_pktinfo *dst,
    int dst_family, struct qctx *qc)
{
	struct backend *b = qc->b;
	struct bsock *bs;
	struct slot *s;

	if ((s = slot_alloc(b)) == NULL) {
		uint8_t *out = pkt;	/* answer in place */
		size_t n;

		px.ws->c[C_SF_OVERLOAD]++;
		n = proxy_reply(pkt, &qc->m, out, DNSMSG_SERVFAIL, 0);
		pend_add(l->pend, out, n, client, dst, dst_family);
		return;
	}
	s->client = *client;
	s->qlen = (uint16_t)(qc->m.qend - DNSMSG_HDR);
	memcpy(s->q, pkt + DNSMSG_HDR, s->qlen);
	s->qflags = qc->m.flags;
	s->kflags = qc->key[qc->klen - 1];
	s->edns = qc->m.edns;
	s->do_bit = qc->m.do_bit;
	s->cid = qc->m.id;
	s->listener = (uint16_t)(l - px.listeners);
	s->lgen = l->gen;
	s->sent_us = px.now_us;
	s->pktinfo = (uint8_t)dst_family;
	if (dst_family)
		s->dst = *dst;
	put16(pkt, s->id);
	bs = &b->sock[b->next_sock];
	if (++b->next_sock == b->nsock)
		b->next_sock = 0;
	b->st->c[N_QUERIES]++;
	pend_add(&bs->pend, pkt, len, NULL, NULL, 0);
}

static void
prep_recv(int names, int ctl)
{
	int i;

	for (i = 0; i < BATCH; i++) {
		struct msghdr *h = &rb.m[i].msg_hdr;

		rb.iov[i].iov_base = rb.buf[i];
		rb.iov[i].iov_len = BUFSZ;
		h->msg_iov = &rb.iov[i];
		h->msg_iovlen = 1;
		h->msg_name = names ? &rb.addr[i] : NULL;
		h->msg_namelen = names ? sizeof(rb.addr[i]) : 0;
		h->msg_control = ctl ? rb.ctl[i] : NULL;
		h->msg_controllen = ctl ? CTLSZ : 0;
		h->msg_flags = 0;
	}
}

void
udp_read(struct listener *l)
{
	struct in6_pktinfo dst;
	struct qctx qc;
	size_t outlen;
	int n, i, round, fam;

	for (round = 0; round < 16; round++) {
		prep_recv(1, l->pktinfo);
		n = recvmmsg(l->fd, rb.m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		clock_update();
		for (i = 0; i < n; i++) {
			struct msghdr *h = &rb.m[i].msg_hdr;
			size_t len = rb.m[i].msg_len;

			fam = l->pktinfo ? get_dst(h, &dst) : 0;
			if (h->msg_flags & MSG_TRUNC) {
				/* Larger than any query we accept. */
				px.ws->c[C_Q_UDP]++;
				px.ws->c[C_DROP_MALFORMED]++;
				continue;
			}
			switch (proxy_process(rb.buf[i], len, &rb.addr[i], 0,
			    rb.ans[i], &outlen, &qc)) {
			case V_DROP:
				break;
			case V_ANSWER:
				if (guard_on)
					guard_answer(&rb.addr[i], rb.ans[i],
					    outlen, 0);
				pend_add(l->pend, rb.ans[i], outlen,
				    &rb.addr[i], &dst, fam);
				break;
			case V_FORWARD:
				forward_udp(l, rb.buf[i], len, &rb.addr[i],
				    &dst, fam, &qc);
				break;
			}
		}
		flush_all();
		if (n < BATCH)
			break;
	}
}

static void
backend_answer(struct backend *b, uint8_t *pkt, size_t len)
{
	struct dnsmsg m;
	struct slot *s;
	struct listener *l;
	const char *why;
	uint64_t us;
	uint16_t idx;

	if (len < DNSMSG_HDR || (idx = b->idmap[get16(pkt)]) == 0) {
		px.ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	s = &b->slot[idx - 1];
	/* The answer must carry the question exactly as we sent it (name
	 * spelling included): ID, source and question must all match. */
	if (dnsmsg_parse(pkt, len, &m, &why) < 0 || !(m.flags & DNSMSG_QR) ||
	    (size_t)m.qend - DNSMSG_HDR != s->qlen ||
	    memcmp(pkt + DNSMSG_HDR, s->q, s->qlen) != 0) {
		px.ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	if (px.now_us > s->sent_us) {
		us = px.now_us - s->sent_us;
		lat_record(us);
		b->lat_us = b->lat_us == 0 ? (double)us :
		    b->lat_us * 0.9 + (double)us * 0.1;
		b->st->latency_us = (uint32_t)b->lat_us;
	}
	b->st->c[N_RESPONSES]++;
	cache_store(b, pkt, len, &m, s->kflags);
	if (m.flags & DNSMSG_TC)
		px.ws->c[C_TC_BACKEND]++;
	put16(pkt, s->cid);
	l = &px.listeners[s->listener];
	if (l->used && l->gen == s->lgen && !l->tcp) {
		count_rcode(pkt);
		if (guard_on)
			guard_answer(&s->client, pkt, len, 0);
		pend_add(l->pend, pkt, len, &s->client, &s->dst, s->pktinfo);
	}
	slot_free(b, s);
}

/* An answer larger than our buffers: tell the client to use TCP. */
static void
backend_oversized(struct backend *b, uint8_t *pkt, size_t len)
{
	struct listener *l;
	struct slot *s;
	uint16_t idx;
	size_t n;

	if (len < DNSMSG_HDR || (idx = b->idmap[get16(pkt)]) == 0) {
		px.ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	s = &b->slot[idx - 1];
	if (len < DNSMSG_HDR + (size_t)s->qlen ||
	    memcmp(pkt + DNSMSG_HDR, s->q, s->qlen) != 0) {
		px.ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	b->st->c[N_RESPONSES]++;
	px.ws->c[C_TC_SIZE]++;
	l = &px.listeners[s->listener];
	if (l->used && l->gen == s->lgen && !l->tcp) {
		put16(pkt, s->cid);
		pkt[2] |= (DNSMSG_TC >> 8);
		put16(pkt + 6, 0);
		put16(pkt + 8, 0);
		put16(pkt + 10, 0);
		n = DNSMSG_HDR + s->qlen;
		count_rcode(pkt);
		pend_add(l->pend, pkt, n, &s->client, &s->dst, s->pktinfo);
	}
	slot_free(b, s);
}

void
backend_read(struct bsock *bs)
{
	int n, i, round;

	for (round = 0; round < 16; round++) {
		prep_recv(0, 0);
		n = recvmmsg(bs->pend.fd, rb.m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		clock_update();
		for (i = 0; i < n; i++)
			if (rb.m[i].msg_hdr.msg_flags & MSG_TRUNC)
				backend_oversized(bs->b, rb.buf[i],
				    rb.m[i].msg_len);
			else
				backend_answer(bs->b, rb.buf[i],
				    rb.m[i].msg_len);
		flush_all();
		if (n < BATCH)
			break;
	}
}

/* Answer SERVFAIL for queries a backend did not answer in time. */
void
backend_timeouts(struct backend *b)
{
	uint64_t limit = (uint64_t)px.conf->backend_timeout_ms * 1000;
	struct listener *l;
	struct slot *s;
	uint8_t *out = rb.ans[0];
	size_t n;
	unsigned i;

	if (b->outstanding == 0)
		return;
	for (i = 0; i < b->hw; i++) {
		s = &b->slot[i];
		if (!s->used || px.now_us - s->sent_us < limit)
			continue;
		b->st->c[N_TIMEOUTS]++;
		px.ws->c[C_SF_TIMEOUT]++;
		l = &px.listeners[s->listener];
		if (l->used && l->gen == s->lgen && !l->tcp &&
		    (n = guard_stale_slot(b, s, out)) != 0) {
			guard_answer(&s->client, out, n, 0);
			pend_add(l->pend, out, n, &s->client, &s->dst,
			    s->pktinfo);
			flush_all();
		} else if (l->used && l->gen == s->lgen && !l->tcp) {
			put16(out, s->cid);
			put16(out + 2, DNSMSG_QR | (s->qflags &
			    (0x7800 | DNSMSG_RD | DNSMSG_CD)) |
			    DNSMSG_SERVFAIL);
			put16(out + 4, 1);
			put16(out + 6, 0);
			put16(out + 8, 0);
			put16(out + 10, s->edns);
			memcpy(out + DNSMSG_HDR, s->q, s->qlen);
			n = DNSMSG_HDR + s->qlen;
			if (s->edns) {
				memset(out + n, 0, 11);
				put16(out + n + 1, DNSMSG_T_OPT);
				put16(out + n + 3, 1232);
				out[n + 7] = s->do_bit ? 0x80 : 0;
				n += 11;
			}
			count_rcode(out);
			if (guard_on)
				guard_answer(&s->client, out, n, 0);
			pend_add(l->pend, out, n, &s->client, &s->dst,
			    s->pktinfo);
			flush_all();
		}
		slot_free(b, s);
	}
}
