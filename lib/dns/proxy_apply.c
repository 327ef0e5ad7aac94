/* proxy_apply.c -- build or rebuild dns-proxy's runtime from a
 * configuration: listeners, backends, pools, rate limit, routes */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appconf.h"
#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"
#include "ratelimit.h"

/* Listeners: keep those still wanted, open the new ones. Returns 0, or
 * -1 on reload when one cannot be opened (the new ones closed again). */
static int
apply_listeners(const struct proxyconf *nc, int initial)
{
	struct listener *ls = px.listeners;
	int keep[LMAX], opened[LMAX];
	size_t i, j, k;
	int tcp, found;

	memset(keep, 0, sizeof(keep));
	memset(opened, 0, sizeof(opened));
	for (i = 0; i < nc->nlisten; i++)
		for (tcp = 0; tcp < 2; tcp++) {
			found = 0;
			for (j = 0; j < LMAX; j++)
				if (ls[j].used && ls[j].tcp == tcp &&
				    !ls[j].tls && netaddr_equal(&ls[j].sa,
				    &nc->listen_sa[i])) {
					keep[j] = 1;
					found = 1;
				}
			if (found)
				continue;
			for (j = 0; j < LMAX; j++)
				if (!ls[j].used && !opened[j])
					break;
			if (j == LMAX || listener_open(&ls[j], nc->listen[i],
			    &nc->listen_sa[i], tcp) < 0) {
				if (initial)
					die(EXIT_TEMP, "unable to listen on "
					    "%s", nc->listen[i]);
				for (k = 0; k < LMAX; k++)
					if (opened[k])
						listener_close(&ls[k]);
				return -1;
			}
			opened[j] = keep[j] = 1;
		}
	for (j = 0; j < LMAX; j++)
		if (ls[j].used && !keep[j] && !ls[j].tls) {
			log_info("stopped listening address=%s proto=%s",
			    ls[j].addr, ls[j].tcp ? "tcp" : "udp");
			listener_close(&ls[j]);
		}
	return 0;
}

/* The running backend with bc's name, address and sizes, taken out of
 * px.backends; NULL when there is none. */
static struct backend *
backend_take(const struct proxyconf_backend *bc)
{
	struct backend *b;
	size_t j;

	for (j = 0; j < px.nbackends; j++) {
		b = px.backends[j];
		if (b != NULL && strcmp(b->conf.name, bc->name) == 0 &&
		    netaddr_equal(&b->conf.sa, &bc->sa) &&
		    b->nsock == bc->sockets &&
		    b->nslot == bc->max_outstanding) {
			px.backends[j] = NULL;
			return b;
		}
	}
	return NULL;
}

/* Backends: reuse those with the same name, address and sizes (their
 * queries in flight still get answered); drain the rest. */
static void
apply_backends(const struct proxyconf *nc)
{
	struct backend **nb, *b;
	size_t i, j;

	if ((nb = calloc(nc->nbackends + 1, sizeof(*nb))) == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0; i < nc->nbackends; i++) {
		const struct proxyconf_backend *bc = &nc->backends[i];

		if ((b = backend_take(bc)) == NULL)
			b = backend_new(bc);
		else {
			/* New check settings start a fresh count. */
			if (memcmp(&b->conf.check, &bc->check,
			    sizeof(bc->check)) != 0) {
				b->cnext_ms = px.now_ms;
				b->fails = b->oks = 0;
			}
			b->conf = *bc;
		}
		nb[i] = b;
	}
	for (j = 0; j < px.nbackends; j++) {
		if ((b = px.backends[j]) == NULL)
			continue;
		b->pool = NULL;
		if (b->outstanding == 0)
			backend_free(b);
		else {
			b->next_drain = px.draining;
			px.draining = b;
		}
	}
	free(px.backends);
	px.backends = nb;
	px.nbackends = nc->nbackends;
}

/* Pool i of nc, with the cache of a running pool when that pool keeps
 * its name and size and its cache options (old: the running config). */
static void
pool_build(struct pool *p, const struct proxyconf *nc, size_t i,
    const struct proxyconf *old)
{
	const struct proxyconf_pool *pc = &nc->pools[i];
	size_t j, k;

	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	p->policy = pc->policy;
	p->st = named_get(NAMED_POOL, pc->name);
	p->st->alive = 1;
	for (j = 0; j < px.npools; j++)
		if (strcmp(px.pools[j].name, pc->name) == 0 &&
		    px.pools[j].cache != NULL && pc->cache &&
		    px.pools[j].cache_entries == pc->cache_entries &&
		    memcmp(&old->pools[j].copts, &pc->copts,
		    sizeof(pc->copts)) == 0) {
			p->cache = px.pools[j].cache;
			p->last = px.pools[j].last;
			px.pools[j].cache = NULL;
		}
	if (p->cache == NULL && pc->cache) {
		if ((p->cache = pcache_new(pc->cache_entries,
		    &pc->copts)) == NULL)
			die_sys(EXIT_TEMP, "unable to allocate the "
			    "cache of pool %s", pc->name);
		memset(&p->last, 0, sizeof(p->last));
	}
	p->cache_entries = pc->cache ? pc->cache_entries : 0;
	for (k = 0; k < nc->nbackends; k++)
		if (nc->backends[k].pool == (int)i)
			p->nb++;
	if ((p->b = calloc(p->nb, sizeof(*p->b))) == NULL)
		die(EXIT_TEMP, "out of memory");
	p->nb = 0;
	for (k = 0; k < nc->nbackends; k++)
		if (nc->backends[k].pool == (int)i) {
			p->b[p->nb++] = px.backends[k];
			px.backends[k]->pool = p;
		}
	ring_build(p);
}

/* Pools: a cache survives when its pool keeps its name and size; its
 * options follow the new configuration. */
static void
apply_pools(const struct proxyconf *nc, const struct proxyconf *old)
{
	struct pool *np;
	size_t i, j;

	if ((np = calloc(nc->npools, sizeof(*np))) == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0; i < nc->npools; i++)
		pool_build(&np[i], nc, i, old);
	for (j = 0; j < px.npools; j++) {
		pcache_free(px.pools[j].cache);
		free(px.pools[j].b);
		free(px.pools[j].ring);
		free(px.pools[j].ring_b);
		if (px.pools[j].st != NULL) {
			for (i = 0; i < nc->npools; i++)
				if (strcmp(nc->pools[i].name,
				    px.pools[j].name) == 0)
					break;
			if (i == nc->npools)
				px.pools[j].st->alive = 0;
		}
	}
	free(px.pools);
	px.pools = np;
	px.npools = nc->npools;
}

/* Rate limit table: kept unless its parameters changed. */
static void
apply_ratelimit(const struct proxyconf *nc, const struct proxyconf *old)
{
	if (old != NULL && old->qps_limit == nc->qps_limit &&
	    old->qps_burst == nc->qps_burst &&
	    old->qps_table_size == nc->qps_table_size)
		return;
	ratelimit_free(px.rl);
	px.rl = NULL;
	if (nc->qps_limit > 0 && (px.rl = ratelimit_new(nc->qps_table_size,
	    nc->qps_limit, nc->qps_burst)) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate the QPS table");
}

int
proxy_apply(struct proxyconf *nc, int initial)
{
	struct proxyconf *old = px.conf;
	size_t i;

	px.conf = nc;	/* listener_open reads buffer sizes and workers */
	if (apply_listeners(nc, initial) < 0) {
		px.conf = old;
		return -1;
	}
	tls_apply(nc, initial);
	apply_backends(nc);
	apply_pools(nc, old);
	for (i = 0; i < px.nbackends; i++)
		backend_publish(px.backends[i]);
	px.admin_seen = px.shm->admin_gen - 1;
	admin_sync();
	apply_ratelimit(nc, old);
	/* Routes point into conf: rebuild, then let the old one go. */
	routes_build();
	guard_apply();
	admin_endpoints(old);
	if (old != NULL) {
		if (old->workers != nc->workers)
			log_warn("workers changed from %u to %u: takes effect "
			    "at the next start", old->workers, nc->workers);
		proxyconf_free(old);
		free(old);
	}
	return 0;
}

void
proxy_reload(void)
{
	struct proxyconf *nc;
	char err[1024];
	unsigned w;

	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		return;
	if (proxyconf_load(px.cfg_path, nc, err, sizeof(err)) < 0) {
		log_warn("reload failed, keeping the running configuration: %s",
		    err);
		px.ws->c[C_RELOAD_FAILS]++;
		proxyconf_free(nc);
		free(nc);
		return;
	}
	appconf_warn(&nc->unknown);
	w = px.conf->workers;
	nc->workers = w;	/* fixed at start (-w or the first load) */
	if (proxy_apply(nc, 0) < 0) {
		log_warn("reload failed, keeping the running configuration: "
		    "a new address cannot be bound");
		px.ws->c[C_RELOAD_FAILS]++;
		proxyconf_free(nc);
		free(nc);
		return;
	}
	px.ws->c[C_RELOADS]++;
	log_info("reloaded config=%s pools=%zu backends=%zu routes=%zu "
	    "worker=%u", px.cfg_path, px.npools, px.nbackends, px.conf->nroutes,
	    px.worker_id);
}
