/* proxy_control.c -- dns-proxy's control commands, server side (show
 * servers, pools, cache, stats; set backend; reload) */
/* SPDX-License-Identifier: ISC */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"

static const char *const admin_word[] = { "auto", "up", "down" };

static void
show_servers(struct buf *b)
{
	struct backend *be;
	struct named n;
	size_t k;

	buf_printf(b, "%-16s %-10s %-24s %-5s %-5s %10s %10s %8s %6s %9s\n",
	    "name", "pool", "address", "state", "admin", "queries",
	    "responses", "timeouts", "outst", "latency");
	for (k = 0; k < px.nbackends; k++) {
		be = px.backends[k];
		named_sum(NAMED_BACKEND, be->conf.name, &n);
		buf_printf(b, "%-16s %-10s %-24s %-5s %-5s %10llu %10llu %8llu "
		    "%6u %7.2fms\n", n.name, be->pool ? be->pool->name : "-",
		    be->conf.address, n.up ? "up" : "down",
		    admin_word[be->admin],
		    (unsigned long long)n.c[N_QUERIES],
		    (unsigned long long)n.c[N_RESPONSES],
		    (unsigned long long)n.c[N_TIMEOUTS],
		    n.outstanding, n.latency_us / 1e3);
	}
}

static void
show_pools(struct buf *b)
{
	struct pool *p;
	size_t i, k;

	buf_printf(b, "%-10s %-17s %-8s %s\n", "name", "policy", "cache",
	    "backends");
	for (k = 0; k < px.npools; k++) {
		p = &px.pools[k];
		buf_printf(b, "%-10s %-17s %-8zu", p->name,
		    proxyconf_policy_name(p->policy),
		    p->cache ? p->cache_entries : 0);
		for (i = 0; i < p->nb; i++)
			buf_printf(b, " %s", p->b[i]->conf.name);
		buf_printf(b, "%s\n", (int)k == px.conf->default_pool ?
		    " (default)" : "");
	}
}

static void
show_cache(struct buf *b)
{
	struct named n;
	size_t k;

	buf_printf(b, "%-10s %10s %10s %12s %12s %10s %10s\n", "pool",
	    "entries", "capacity", "hits", "misses", "inserts", "evictions");
	for (k = 0; k < px.npools; k++) {
		named_sum(NAMED_POOL, px.pools[k].name, &n);
		buf_printf(b, "%-10s %10llu %10llu %12llu %12llu %10llu "
		    "%10llu\n", n.name,
		    (unsigned long long)n.entries,
		    (unsigned long long)n.capacity,
		    (unsigned long long)n.c[N_HITS],
		    (unsigned long long)n.c[N_MISSES],
		    (unsigned long long)n.c[N_INSERTS],
		    (unsigned long long)n.c[N_EVICTIONS]);
	}
}

/* set backend NAME STATE: an override shared by every worker. */
static void
set_backend(const char *name, const char *state, struct buf *b)
{
	size_t i, k;
	int st;

	if (strcmp(state, "auto") == 0)
		st = 0;
	else if (strcmp(state, "up") == 0)
		st = 1;
	else if (strcmp(state, "down") == 0)
		st = 2;
	else {
		buf_printf(b, "error: state must be up, down or auto\n");
		return;
	}
	for (k = 0; k < px.nbackends; k++)
		if (strcmp(px.backends[k]->conf.name, name) == 0)
			break;
	if (k == px.nbackends) {
		buf_printf(b, "error: no backend %s\n", name);
		return;
	}
	for (i = 0; i < PROXYCONF_BACKENDS_MAX; i++)
		if (strcmp(px.shm->admin[i].name, name) == 0)
			break;
	if (i == PROXYCONF_BACKENDS_MAX)
		for (i = 0; i < PROXYCONF_BACKENDS_MAX; i++)
			if (px.shm->admin[i].name[0] == '\0' ||
			    px.shm->admin[i].state == 0)
				break;
	if (i == PROXYCONF_BACKENDS_MAX) {
		buf_printf(b, "error: too many overrides\n");
		return;
	}
	snprintf(px.shm->admin[i].name, sizeof(px.shm->admin[i].name), "%s",
	    name);
	px.shm->admin[i].state = st;
	__atomic_add_fetch(&px.shm->admin_gen, 1, __ATOMIC_SEQ_CST);
	admin_sync();
	log_info("backend admin state set backend=%s state=%s", name,
	    admin_word[st]);
	buf_printf(b, "ok: backend %s %s\n", name, admin_word[st]);
}

void
ctl_command(char *line, struct buf *b)
{
	char *w[8], *save = NULL, *p;
	size_t nw = 0;

	for (p = line; nw < 8 && (w[nw] = strtok_r(p, " \t\r\n", &save)) !=
	    NULL; p = NULL)
		nw++;
	if (nw == 0 || strcmp(w[0], "help") == 0)
		buf_printf(b, "commands: show servers | show pools | "
		    "show cache | show stats | show blocks | set backend NAME "
		    "up|down|auto | block PREFIX [SECONDS] | clear blocks "
		    "[PREFIX] | reload\n");
	else if (guard_ctl(w, nw, b))
		;
	else if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "servers") == 0)
		show_servers(b);
	else if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "pools") == 0)
		show_pools(b);
	else if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "cache") == 0)
		show_cache(b);
	else if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "stats") == 0)
		metrics_text(b);
	else if (nw == 4 && strcmp(w[0], "set") == 0 &&
	    strcmp(w[1], "backend") == 0)
		set_backend(w[2], w[3], b);
	else if (nw == 1 && strcmp(w[0], "reload") == 0) {
		kill(getpid(), SIGHUP);
		buf_printf(b, "ok: reloading\n");
	} else
		buf_printf(b, "error: unknown command (try help)\n");
}
