/* proxy_backend.c -- dns-proxy's backends: sockets, health checks,
 * admin states, and the pools' balancing policies */
/* SPDX-License-Identifier: ISC */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"

struct backend *
backend_pick(struct pool *p, const uint8_t *name, size_t nlen)
{
	struct backend *best = NULL, *b;
	uint64_t total = 0, r;
	size_t i, lo, hi, mid;
	uint32_t point;

	switch (p->policy) {
	case PROXYCONF_LEAST_OUTSTANDING:
		for (i = 0; i < p->nb; i++) {
			b = p->b[i];
			if (!backend_usable(b))
				continue;
			if (best == NULL ||
			    b->outstanding < best->outstanding ||
			    (b->outstanding == best->outstanding &&
			    (b->conf.order < best->conf.order ||
			    (b->conf.order == best->conf.order &&
			    b->lat_us < best->lat_us))))
				best = b;
		}
		return best;
	case PROXYCONF_FIRST_AVAILABLE:
		for (i = 0; i < p->nb; i++) {
			b = p->b[i];
			if (backend_usable(b) && (best == NULL ||
			    b->conf.order < best->conf.order))
				best = b;
		}
		return best;
	case PROXYCONF_WRANDOM:
		for (i = 0; i < p->nb; i++)
			if (backend_usable(p->b[i]))
				total += p->b[i]->conf.weight;
		if (total == 0)
			return NULL;
		r = rnd() % total;
		for (i = 0; i < p->nb; i++) {
			if (!backend_usable(p->b[i]))
				continue;
			if (r < p->b[i]->conf.weight)
				return p->b[i];
			r -= p->b[i]->conf.weight;
		}
		return NULL;
	case PROXYCONF_ROUNDROBIN:
		/* The next usable one after the last pick. */
		for (i = 0; i < p->nb; i++) {
			b = p->b[(p->rr + i) % p->nb];
			if (backend_usable(b)) {
				p->rr = (p->rr + i + 1) % p->nb;
				return b;
			}
		}
		return NULL;
	case PROXYCONF_CHASHED:
		if (p->nring == 0)
			return NULL;
		/* The case-folded name alone: type and flags do not move
		 * a name to another backend. */
		point = (uint32_t)(dnsmsg_hash(name, nlen, 0) >> 32);
		lo = 0;
		hi = p->nring;
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (p->ring[mid] < point)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* The first usable backend clockwise from the point. */
		for (i = 0; i < p->nring; i++) {
			b = p->b[p->ring_b[(lo + i) % p->nring]];
			if (backend_usable(b))
				return b;
		}
		return NULL;
	}
	return NULL;
}

static int
ring_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* chashed: 100 points per unit of weight on a 32-bit ring. */
void
ring_build(struct pool *p)
{
	uint64_t *tmp;
	size_t i, k, n = 0, w;
	char buf[PROXYCONF_NAME_MAX + 16];

	free(p->ring);
	free(p->ring_b);
	p->ring = NULL;
	p->ring_b = NULL;
	p->nring = 0;
	if (p->policy != PROXYCONF_CHASHED)
		return;
	for (i = 0; i < p->nb; i++)
		n += 100 * (size_t)(p->b[i]->conf.weight > 100 ? 100 :
		    p->b[i]->conf.weight);
	tmp = calloc(n, sizeof(*tmp));
	p->ring = calloc(n, sizeof(*p->ring));
	p->ring_b = calloc(n, sizeof(*p->ring_b));
	if (tmp == NULL || p->ring == NULL || p->ring_b == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0, k = 0; i < p->nb; i++) {
		w = 100 * (size_t)(p->b[i]->conf.weight > 100 ? 100 :
		    p->b[i]->conf.weight);
		while (w-- > 0) {
			int l = snprintf(buf, sizeof(buf), "%s#%zu",
			    p->b[i]->conf.name, w);
			uint64_t h = dnsmsg_hash((const uint8_t *)buf,
			    (size_t)l, 0);

			tmp[k++] = (h >> 32) << 32 | i;
		}
	}
	qsort(tmp, n, sizeof(*tmp), ring_cmp);
	for (i = 0; i < n; i++) {
		p->ring[i] = (uint32_t)(tmp[i] >> 32);
		p->ring_b[i] = (uint16_t)(tmp[i] & 0xffff);
	}
	p->nring = n;
	free(tmp);
}

void
backend_publish(struct backend *b)
{
	b->st->up = (uint8_t)backend_usable(b);
	b->st->admin = (uint8_t)b->admin;
	b->st->alive = 1;
	snprintf(b->st->pool, sizeof(b->st->pool), "%s",
	    b->pool ? b->pool->name : "");
	snprintf(b->st->address, sizeof(b->st->address), "%s",
	    b->conf.address);
}

static int
udp_connect(const union netaddr_sa *sa, socklen_t salen)
{
	int fd, sz = (int)px.conf->udp_buffer;

	if ((fd = socket(sa->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (sz > 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	/* connect() gives the socket a random ephemeral source port and
	 * makes the kernel drop datagrams from any other source. */
	if (connect(fd, &sa->sa, salen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct backend *
backend_new(const struct proxyconf_backend *bc)
{
	struct backend *b;
	unsigned i;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		die(EXIT_TEMP, "out of memory");
	b->conf = *bc;
	b->salen = bc->sa.sa.sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	b->nsock = bc->sockets;
	b->nslot = bc->max_outstanding;
	b->sock = calloc(b->nsock, sizeof(*b->sock));
	b->slot = calloc(b->nslot, sizeof(*b->slot));
	b->idmap = calloc(65536, sizeof(*b->idmap));
	if (b->sock == NULL || b->slot == NULL || b->idmap == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0; i < b->nsock; i++) {
		b->sock[i].ev.type = EV_BACKEND;
		b->sock[i].ev.p = &b->sock[i];
		b->sock[i].b = b;
		if ((b->sock[i].pend.fd = udp_connect(&bc->sa, b->salen)) < 0 ||
		    ep_add(b->sock[i].pend.fd, EPOLLIN, &b->sock[i].ev) < 0)
			die_sys(EXIT_TEMP, "unable to open a socket to "
			    "backend %s", bc->name);
	}
	b->cev.type = EV_CHECK;
	b->cev.p = b;
	if ((b->cfd = udp_connect(&bc->sa, b->salen)) < 0 ||
	    ep_add(b->cfd, EPOLLIN, &b->cev) < 0)
		die_sys(EXIT_TEMP, "unable to open a socket to backend %s",
		    bc->name);
	b->up = 1;
	b->cnext_ms = px.now_ms;
	b->st = named_get(NAMED_BACKEND, bc->name);
	return b;
}

void
backend_free(struct backend *b)
{
	unsigned i;

	bconn_trim(b, 1);
	for (i = 0; i < b->nsock; i++)
		close(b->sock[i].pend.fd);
	close(b->cfd);
	if (b->st != NULL)
		b->st->alive = 0;
	free(b->sock);
	free(b->slot);
	free(b->idmap);
	free(b);
}

static void
check_result(struct backend *b, int ok, const char *why)
{
	if (ok) {
		b->fails = 0;
		if (!b->up && ++b->oks >= b->conf.check.rise) {
			b->up = 1;
			log_info("backend up backend=%s address=%s",
			    b->conf.name, b->conf.address);
		}
	} else {
		b->oks = 0;
		b->st->c[N_CHECK_FAILS]++;
		if (b->up && ++b->fails >= b->conf.check.fall) {
			b->up = 0;
			log_warn("backend down backend=%s address=%s reason=%s",
			    b->conf.name, b->conf.address, why);
		}
	}
	backend_publish(b);
}

static void
check_send(struct backend *b)
{
	uint8_t q[DNSMSG_NAME_MAX + 32];
	size_t n;

	b->cid = (uint16_t)rnd();
	n = dnsmsg_query(q, sizeof(q), b->cid, b->conf.check.name,
	    b->conf.check.type, 1);
	b->csent_ms = px.now_ms;
	b->cnext_ms = px.now_ms + b->conf.check.interval_ms;
	if (n == 0 || send(b->cfd, q, n, MSG_DONTWAIT) < 0) {
		check_result(b, 0, "send");
		return;
	}
	b->cpending = 1;
}

void
check_read(struct backend *b)
{
	uint8_t buf[BUFSZ], want[DNSMSG_NAME_MAX], key[DNSMSG_KEY_MAX];
	struct dnsmsg m;
	const char *why;
	ssize_t n;
	int rcode;

	while ((n = recv(b->cfd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		if (!b->cpending ||
		    dnsmsg_parse(buf, (size_t)n, &m, &why) < 0 ||
		    m.id != b->cid || !(m.flags & DNSMSG_QR))
			continue;
		(void)dnsmsg_key(buf, &m, key);
		if (dnsmsg_name_from_text(b->conf.check.name, want) !=
		    m.qname_len || memcmp(want, key, m.qname_len) != 0)
			continue;
		b->cpending = 0;
		rcode = DNSMSG_RCODE(m.flags);
		if (rcode == DNSMSG_NOERROR ||
		    (rcode == DNSMSG_NXDOMAIN && !b->conf.check.must_resolve))
			check_result(b, 1, "");
		else
			check_result(b, 0, rcode == DNSMSG_SERVFAIL ?
			    "servfail" : rcode == DNSMSG_REFUSED ? "refused" :
			    "rcode");
	}
}

void
check_tick(struct backend *b)
{
	if (!b->conf.check.enabled) {
		if (!b->up) {
			b->up = 1;
			backend_publish(b);
		}
		return;
	}
	if (b->cpending &&
	    px.now_ms - b->csent_ms >= b->conf.check.timeout_ms) {
		b->cpending = 0;
		check_result(b, 0, "timeout");
	}
	if (!b->cpending && px.now_ms >= b->cnext_ms)
		check_send(b);
}

void
admin_sync(void)
{
	size_t i, j;

	if (px.shm->admin_gen == px.admin_seen)
		return;
	px.admin_seen = px.shm->admin_gen;
	for (i = 0; i < px.nbackends; i++) {
		px.backends[i]->admin = 0;
		for (j = 0; j < PROXYCONF_BACKENDS_MAX; j++)
			if (strcmp(px.shm->admin[j].name,
			    px.backends[i]->conf.name) == 0)
				px.backends[i]->admin = px.shm->admin[j].state;
		backend_publish(px.backends[i]);
	}
}
