/* proxy_guard.c -- dns-proxy under attack: dynamic blocks, serve stale,
 * query log and dnstap, metrics authentication */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <linux/filter.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "dnstap.h"
#include "dynblock.h"
#include "httpauth.h"
#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"

enum {
	G_BLOCKED,				/* + action (drop, refuse, tc) */
	G_ADDED = G_BLOCKED + 4,		/* + DYNBLOCK_* reason */
	G_MANUAL = G_ADDED + DYNBLOCK_N,	/* added by the control socket */
	G_FULL, G_STALE, G_LOGGED, G_TAP_FRAMES, G_TAP_DROPPED, G_AUTH_FAIL,
	G_N
};

/* Shared by the workers: the blocks and the counters of each. */
struct gshm {
	struct dynblock_tab tab;
	uint64_t	 c[WORKERS_MAX][G_N];
};

int guard_on;

static struct gshm *gs;
static uint64_t *gc;			/* this worker's counters */
static struct dynblock_rate *rates;
static int blocks_on, answers_on;
static unsigned sample_left;
static struct dnstap tap;
static int tap_on;
static uint64_t tap_retry_ms;
static struct auth_key akey;
static struct auth_cred tok_cred, basic_cred;
static uint64_t filt_gen;		/* gs->tab.gen the filters show */
static uint32_t filt_expiry;		/* when one of their blocks ends */
static int filt_on;

#define FILT_MAX	1000		/* instructions per program */

void
guard_setup(void)
{
	gs = mmap(NULL, sizeof(*gs), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (gs == MAP_FAILED)
		die_sys(EXIT_TEMP, "unable to map shared memory");
}

static void
tap_apply(const struct guardconf *g)
{
	if (tap_on && strcmp(tap.path, g->dnstap_socket) == 0 &&
	    strcmp(tap.identity, g->dnstap_identity) == 0)
		return;
	if (tap_on)
		dnstap_close(&tap);
	tap_on = 0;
	if (g->dnstap_socket[0] == '\0')
		return;
	if (dnstap_init(&tap, g->dnstap_socket, g->dnstap_identity) < 0)
		die_sys(EXIT_TEMP, "unable to set up dnstap");
	tap_on = 1;
	if (dnstap_connect(&tap) < 0)
		log_warn_sys("dnstap: unable to connect to %s (retrying)",
		    tap.path);
	tap_retry_ms = px.now_ms + 1000;
}

void
guard_apply(void)
{
	const struct guardconf *g = &px.conf->guard;
	unsigned char secret[AUTH_KEY_LEN];
	static size_t rate_size;

	gc = gs->c[px.worker_id];
	blocks_on = guardconf_blocks(g);
	answers_on = g->rate[DYNBLOCK_NXDOMAIN] != 0 ||
	    g->rate[DYNBLOCK_SERVFAIL] != 0 || g->rate[DYNBLOCK_BYTES] != 0;
	if (blocks_on && (rates == NULL || rate_size != g->table_size)) {
		dynblock_rate_free(rates);
		if ((rates = dynblock_rate_new(g->table_size)) == NULL)
			die(EXIT_TEMP, "out of memory");
		rate_size = g->table_size;
	}
	sample_left = g->sample;
	tap_apply(g);
	filt_gen = (uint64_t)-1;	/* listeners may be new: filter again */
	/* Blocks added through the control socket hold without rules. */
	guard_on = 1;
	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret))
		die_sys(EXIT_TEMP, "unable to read random bytes");
	auth_key_init(&akey, secret);
	explicit_bzero(secret, sizeof(secret));
	auth_cred_init(&tok_cred, &akey, "bearer", g->metrics_token);
	auth_cred_init(&basic_cred, &akey, g->metrics_user,
	    g->metrics_user[0] != '\0' ? g->metrics_password : "");
}

static void
tap_send(int type, const union netaddr_sa *client, const uint8_t *dns,
    size_t len, int tcp)
{
	struct dnstap_msg m;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	m.type = type;
	m.tcp = tcp;
	m.client = client;
	m.sec = (uint64_t)ts.tv_sec;
	m.nsec = (uint32_t)ts.tv_nsec;
	m.dns = dns;
	m.len = len;
	dnstap_add(&tap, &m);
	if (tap.len > DNSTAP_BUF / 4)
		dnstap_flush(&tap);
}

/* Block the prefix k (hash h) for reason at rate, once, logged. */
static void
block(const struct dynblock_key *k, uint64_t h, int reason, uint64_t rate)
{
	const struct guardconf *g = &px.conf->guard;
	char t[64];
	int r;

	r = dynblock_insert(&gs->tab, k, h, reason, g->action, px.now_s,
	    g->duration_s);
	if (r < 0) {
		gc[G_FULL]++;
		return;
	}
	if (r == 0)
		return;
	gc[G_ADDED + reason]++;
	log_warn("dynamic block added prefix=%s reason=%s rate=%llu/s "
	    "limit=%llu/s action=%s duration=%us",
	    dynblock_key_text(k, t, sizeof(t)), dynblock_reason(reason),
	    (unsigned long long)rate, (unsigned long long)g->rate[reason],
	    proxyconf_action_name(g->action), g->duration_s);
}

static void
log_query(const struct dnsmsg *m, const uint8_t *pkt,
    const union netaddr_sa *client, int tcp)
{
	char a[INET6_ADDRSTRLEN + 8], name[DNSMSG_NAME_MAX * 4 + 1];

	dnsmsg_name_to_text(pkt + DNSMSG_HDR, name, sizeof(name));
	gc[G_LOGGED]++;
	log_info("query client=%s proto=%s name=%s type=%u class=%u id=%u",
	    netaddr_format(client, a, sizeof(a)), tcp ? "tcp" : "udp", name,
	    m->qtype, m->qclass, m->id);
}

int
guard_block(const union netaddr_sa *client, int tcp)
{
	const struct guardconf *g = &px.conf->guard;
	struct dynblock_key k;
	uint64_t h;
	int a;

	if (__atomic_load_n(&gs->tab.latest, __ATOMIC_RELAXED) <= px.now_s)
		return PROXYCONF_ALLOW;
	h = dynblock_key(client, g->v4_prefix, g->v6_prefix, &k);
	if ((a = dynblock_lookup(&gs->tab, &k, h, px.now_s)) == 0)
		return PROXYCONF_ALLOW;
	a--;
	/* Truncation sends real clients to TCP: let TCP pass. */
	if (a == PROXYCONF_TC && tcp)
		return PROXYCONF_ALLOW;
	gc[G_BLOCKED + a]++;
	return a;
}

void
guard_query(const uint8_t *pkt, size_t len, const struct dnsmsg *m,
    const union netaddr_sa *client, int tcp)
{
	const struct guardconf *g = &px.conf->guard;
	struct dynblock_key k;
	uint64_t h, r;

	if (tap_on)
		tap_send(DNSTAP_CLIENT_QUERY, client, pkt, len, tcp);
	if (g->sample != 0 && --sample_left == 0) {
		sample_left = g->sample;
		log_query(m, pkt, client, tcp);
	}
	if (g->rate[DYNBLOCK_QUERIES] == 0)
		return;
	h = dynblock_key(client, g->v4_prefix, g->v6_prefix, &k);
	if ((r = dynblock_rate_add(rates, &k, h, DYNBLOCK_QUERIES, 1,
	    px.now_ms, g->window_ms)) > g->rate[DYNBLOCK_QUERIES])
		block(&k, h, DYNBLOCK_QUERIES, r);
}

void
guard_answer(const union netaddr_sa *client, const uint8_t *ans,
    size_t len, int tcp)
{
	const struct guardconf *g = &px.conf->guard;
	struct dynblock_key k;
	uint64_t h, r;
	int rc;

	if (tap_on)
		tap_send(DNSTAP_CLIENT_RESPONSE, client, ans, len, tcp);
	if (!answers_on || len < DNSMSG_HDR)
		return;
	h = dynblock_key(client, g->v4_prefix, g->v6_prefix, &k);
	rc = ans[3] & 0xf;
	if (rc == DNSMSG_NXDOMAIN && g->rate[DYNBLOCK_NXDOMAIN] != 0 &&
	    (r = dynblock_rate_add(rates, &k, h, DYNBLOCK_NXDOMAIN, 1,
	    px.now_ms, g->window_ms)) > g->rate[DYNBLOCK_NXDOMAIN])
		block(&k, h, DYNBLOCK_NXDOMAIN, r);
	if (rc == DNSMSG_SERVFAIL && g->rate[DYNBLOCK_SERVFAIL] != 0 &&
	    (r = dynblock_rate_add(rates, &k, h, DYNBLOCK_SERVFAIL, 1,
	    px.now_ms, g->window_ms)) > g->rate[DYNBLOCK_SERVFAIL])
		block(&k, h, DYNBLOCK_SERVFAIL, r);
	if (g->rate[DYNBLOCK_BYTES] != 0 &&
	    (r = dynblock_rate_add(rates, &k, h, DYNBLOCK_BYTES,
	    (uint32_t)len, px.now_ms, g->window_ms)) > g->rate[DYNBLOCK_BYTES])
		block(&k, h, DYNBLOCK_BYTES, r);
}

/* ---- serve stale (RFC 8767) ---- */

static const struct proxyconf_pool *
pool_conf(const struct pool *p)
{
	size_t i;

	for (i = 0; i < px.conf->npools; i++)
		if (strcmp(px.conf->pools[i].name, p->name) == 0)
			return &px.conf->pools[i];
	return NULL;
}

int
guard_stale(const uint8_t *pkt, int tcp, uint8_t *out, size_t *outlen,
    struct qctx *qc)
{
	const struct proxyconf_pool *pc;
	const struct dnsmsg *m = &qc->m;
	size_t max;
	int r;

	if (qc->pool->cache == NULL || (pc = pool_conf(qc->pool)) == NULL ||
	    !pc->serve_stale)
		return 0;
	r = pcache_get_stale(qc->pool->cache, qc->hash, qc->key, qc->klen,
	    px.now_s, pc->stale_ttl, out, BUFSZ);
	max = tcp ? 65535 : m->edns_size;
	if (r <= 0 || (size_t)r > max)
		return 0;
	memcpy(out, pkt, 2);
	memcpy(out + DNSMSG_HDR, pkt + DNSMSG_HDR, m->qname_len);
	count_rcode(out);
	gc[G_STALE]++;
	*outlen = (size_t)r;
	return 1;
}

int
guard_stale_query(const struct backend *b, const uint8_t *pkt,
    const struct dnsmsg *m, int tcp, uint8_t *out, size_t *outlen)
{
	struct qctx qc;

	if (b->pool == NULL || b->pool->cache == NULL)
		return 0;
	qc.m = *m;
	qc.pool = b->pool;
	qc.klen = dnsmsg_key(pkt, m, qc.key);
	qc.hash = dnsmsg_hash(qc.key, qc.klen, px.hash_seed);
	return guard_stale(pkt, tcp, out, outlen, &qc);
}

size_t
guard_stale_slot(const struct backend *b, const struct slot *s, uint8_t *out)
{
	const struct proxyconf_pool *pc;
	uint8_t key[DNSMSG_KEY_MAX];
	size_t i, nlen, klen;
	int r;

	if (b->pool == NULL || b->pool->cache == NULL || s->qlen < 5 ||
	    (pc = pool_conf(b->pool)) == NULL || !pc->serve_stale)
		return 0;
	nlen = s->qlen - 4u;
	for (i = 0; i < nlen; i++)
		key[i] = (uint8_t)tolower(s->q[i]);
	memcpy(key + nlen, s->q + nlen, 4);
	key[nlen + 4] = s->kflags;
	klen = nlen + 5;
	r = pcache_get_stale(b->pool->cache, dnsmsg_hash(key, klen,
	    px.hash_seed), key, klen, px.now_s, pc->stale_ttl, out, BUFSZ);
	if (r <= 0 || (size_t)r > (s->edns ? 1232u : 512u))
		return 0;
	put16(out, s->cid);
	memcpy(out + DNSMSG_HDR, s->q, nlen);
	count_rcode(out);
	gc[G_STALE]++;
	return (size_t)r;
}

/* ---- metrics endpoint ---- */

int
guard_http_auth(const char *req, struct buf *out)
{
	char user[HTTPAUTH_MAX], pass[HTTPAUTH_MAX];
	int kind, ok = 0;

	if (!tok_cred.set && !basic_cred.set)
		return 1;
	kind = httpauth_parse(req, user, pass);
	if (kind == HTTPAUTH_BEARER)
		ok = auth_cred_match(&tok_cred, &akey, "bearer", pass);
	else if (kind == HTTPAUTH_BASIC)
		ok = auth_cred_match(&basic_cred, &akey, user, pass);
	explicit_bzero(pass, sizeof(pass));
	if (ok)
		return 1;
	gc[G_AUTH_FAIL]++;
	buf_printf(out, "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: "
	    "%s realm=\"dns-proxy\"\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 13\r\nConnection: close\r\n\r\nunauthorized\n",
	    basic_cred.set ? "Basic" : "Bearer");
	return 0;
}

/* ---- control ---- */

static void
show_blocks(struct buf *b)
{
	const struct dynblock_ent *e;
	char t[64];
	size_t i;

	buf_printf(b, "%-44s %-9s %-8s %8s %12s\n", "prefix", "reason",
	    "action", "seconds", "blocked");
	for (i = 0; i < DYNBLOCK_TAB; i++) {
		e = &gs->tab.e[i];
		if (e->until_s <= px.now_s)
			continue;
		buf_printf(b, "%-44s %-9s %-8s %8u %12llu\n",
		    dynblock_key_text(&e->k, t, sizeof(t)),
		    e->reason == 0xff ? "manual" : dynblock_reason(e->reason),
		    proxyconf_action_name(e->action), e->until_s - px.now_s,
		    (unsigned long long)e->hits);
	}
}

int
guard_ctl(char **w, size_t nw, struct buf *b)
{
	const struct guardconf *g = &px.conf->guard;
	struct dynblock_key k;
	unsigned long secs;
	uint64_t h = 0;
	char t[64];
	char *end;
	size_t n;

	if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "blocks") == 0) {
		show_blocks(b);
		return 1;
	}
	if (nw >= 2 && nw <= 3 && strcmp(w[0], "clear") == 0 &&
	    strcmp(w[1], "blocks") == 0) {
		if (nw == 3 && (h = dynblock_key_parse(w[2], g->v4_prefix,
		    g->v6_prefix, &k)) == 0) {
			buf_printf(b, "error: not an address or prefix: %s\n",
			    w[2]);
			return 1;
		}
		n = dynblock_clear(&gs->tab, nw == 3 ? &k : NULL);
		log_info("dynamic blocks cleared prefix=%s count=%zu",
		    nw == 3 ? w[2] : "all", n);
		buf_printf(b, "ok: %zu block%s cleared\n", n, n == 1 ? "" :
		    "s");
		return 1;
	}
	if (nw >= 2 && nw <= 3 && strcmp(w[0], "block") == 0) {
		secs = g->duration_s;
		if ((h = dynblock_key_parse(w[1], g->v4_prefix,
		    g->v6_prefix, &k)) == 0) {
			buf_printf(b, "error: not an address or prefix: %s\n",
			    w[1]);
			return 1;
		}
		/* Lookups cut client addresses to the configured length. */
		if (k.plen != (k.fam == 4 ? g->v4_prefix : g->v6_prefix)) {
			buf_printf(b, "error: blocks are /%u prefixes "
			    "(dynamic_blocks.ipv%c_prefix)\n", k.fam == 4 ?
			    g->v4_prefix : g->v6_prefix, k.fam == 4 ? '4' : '6');
			return 1;
		}
		if (nw == 3 && ((secs = strtoul(w[2], &end, 10)) == 0 ||
		    *end != '\0' || secs > 86400 * 7)) {
			buf_printf(b, "error: seconds must be 1..604800: %s\n",
			    w[2]);
			return 1;
		}
		if (dynblock_insert(&gs->tab, &k, h, 0xff, g->action,
		    px.now_s, (uint32_t)secs) < 0) {
			buf_printf(b, "error: the block table is full\n");
			return 1;
		}
		gc[G_MANUAL]++;
		dynblock_key_text(&k, t, sizeof(t));
		log_warn("dynamic block added prefix=%s reason=manual "
		    "action=%s duration=%lus", t,
		    proxyconf_action_name(g->action), secs);
		buf_printf(b, "ok: %s blocked for %lus\n", t, secs);
		return 1;
	}
	return 0;
}

/* ---- metrics ---- */

static uint64_t
gsum(int c)
{
	uint64_t s = 0;
	unsigned w;

	for (w = 0; w < px.shm->nworkers; w++)
		s += gs->c[w][c];
	return s;
}

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP dns_proxy_%s %s\n# TYPE dns_proxy_%s %s\n", name,
	    help, name, type);
}

void
guard_metrics(struct buf *b)
{
	static const int acts[] = { PROXYCONF_DROP, PROXYCONF_REFUSE,
		PROXYCONF_TC };
	size_t i, active = 0;
	int r;

	head(b, "dynblock_blocked_total", "counter",
	    "Queries stopped by a dynamic block, by action.");
	for (i = 0; i < 3; i++)
		buf_printf(b, "dns_proxy_dynblock_blocked_total{action=\"%s\"} "
		    "%llu\n", proxyconf_action_name(acts[i]),
		    (unsigned long long)gsum(G_BLOCKED + acts[i]));
	head(b, "dynblock_added_total", "counter",
	    "Dynamic blocks added, by the rate that was exceeded.");
	for (r = 0; r < DYNBLOCK_N; r++)
		buf_printf(b, "dns_proxy_dynblock_added_total{reason=\"%s\"} "
		    "%llu\n", dynblock_reason(r),
		    (unsigned long long)gsum(G_ADDED + r));
	buf_printf(b, "dns_proxy_dynblock_added_total{reason=\"manual\"} "
	    "%llu\n", (unsigned long long)gsum(G_MANUAL));
	head(b, "dynblock_table_full_total", "counter",
	    "Dynamic blocks not added: no free slot in the table.");
	buf_printf(b, "dns_proxy_dynblock_table_full_total %llu\n",
	    (unsigned long long)gsum(G_FULL));
	for (i = 0; i < DYNBLOCK_TAB; i++)
		if (gs->tab.e[i].until_s > px.now_s)
			active++;
	head(b, "dynblock_active", "gauge", "Dynamic blocks in force.");
	buf_printf(b, "dns_proxy_dynblock_active %zu\n", active);
	head(b, "stale_answers_total", "counter",
	    "Expired cached answers served with every backend down or "
	    "timed out (RFC 8767).");
	buf_printf(b, "dns_proxy_stale_answers_total %llu\n",
	    (unsigned long long)gsum(G_STALE));
	head(b, "query_log_lines_total", "counter", "Sampled queries logged.");
	buf_printf(b, "dns_proxy_query_log_lines_total %llu\n",
	    (unsigned long long)gsum(G_LOGGED));
	head(b, "dnstap_frames_total", "counter", "dnstap messages queued.");
	buf_printf(b, "dns_proxy_dnstap_frames_total %llu\n",
	    (unsigned long long)gsum(G_TAP_FRAMES));
	head(b, "dnstap_dropped_total", "counter",
	    "dnstap messages dropped: socket down or too slow.");
	buf_printf(b, "dns_proxy_dnstap_dropped_total %llu\n",
	    (unsigned long long)gsum(G_TAP_DROPPED));
	head(b, "metrics_auth_failures_total", "counter",
	    "Metrics requests refused for missing or wrong credentials.");
	buf_printf(b, "dns_proxy_metrics_auth_failures_total %llu\n",
	    (unsigned long long)gsum(G_AUTH_FAIL));
}

/* ---- blocked sources dropped in the kernel (dynamic_blocks.kernel_filter) ---- */

/* Append to p (n instructions so far) a test of the entry e against the
 * source address of family fam (4 or 6): drop when it matches. Returns the
 * new count, or n when it does not fit. */
static size_t
filt_entry(struct sock_filter *p, size_t n, const struct dynblock_ent *e)
{
	struct sock_filter f[4 * 4 + 1];
	unsigned words = e->k.fam == 4 ? 1 : 4, off = e->k.fam == 4 ? 12 : 8;
	unsigned i, bits = e->k.plen, m = 0, w;
	uint32_t v, mask;

	for (i = 0; i < words && bits > 0; i++) {
		w = bits >= 32 ? 32 : bits;
		bits -= w;
		mask = w == 32 ? 0xffffffffu : ~(0xffffffffu >> w);
		v = (uint32_t)e->k.a[4 * i] << 24 | (uint32_t)e->k.a[4 * i + 1]
		    << 16 | (uint32_t)e->k.a[4 * i + 2] << 8 | e->k.a[4 * i + 3];
		f[m++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    (uint32_t)SKF_NET_OFF + off + 4 * i);
		if (w < 32)
			f[m++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND |
			    BPF_K, mask);
		/* Jump offsets are patched below: to the entry's end. */
		f[m++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    v & mask, 0, 0);
	}
	f[m++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	if (n + m + 1 > FILT_MAX)
		return n;
	for (i = 0; i < m; i++)
		if (BPF_CLASS(f[i].code) == BPF_JMP)
			f[i].jf = (uint8_t)(m - 1 - i);	/* past the ret 0 */
	memcpy(p + n, f, m * sizeof(*f));
	return n + m;
}

/* Put the blocks with action drop into a socket filter on every UDP
 * listener, when they changed or one of them ended. */
static void
filter_sync(void)
{
	static struct sock_filter p4[FILT_MAX], p6[FILT_MAX];
	const struct guardconf *g = &px.conf->guard;
	const struct dynblock_ent *e;
	struct sock_fprog prog;
	struct listener *l;
	uint64_t gen = __atomic_load_n(&gs->tab.gen, __ATOMIC_ACQUIRE);
	size_t i, n4 = 0, n6 = 0;
	int want = g->kernel_filter && g->action == PROXYCONF_DROP, zero = 0;

	if (!want && !filt_on)
		return;
	if (want && gen == filt_gen && px.now_s < filt_expiry)
		return;
	filt_gen = gen;
	filt_expiry = UINT32_MAX;
	for (i = 0; want && i < DYNBLOCK_TAB; i++) {
		e = &gs->tab.e[i];
		if (e->until_s <= px.now_s || e->action != PROXYCONF_DROP)
			continue;
		if (e->until_s < filt_expiry)
			filt_expiry = e->until_s;
		if (e->k.fam == 4)
			n4 = filt_entry(p4, n4, e);
		else
			n6 = filt_entry(p6, n6, e);
	}
	p4[n4] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
	p6[n6] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffff);
	filt_on = 0;
	for (i = 0; i < LMAX; i++) {
		l = &px.listeners[i];
		if (!l->used || l->tcp)
			continue;
		if (l->sa.sa.sa_family == AF_INET ? n4 == 0 : n6 == 0) {
			/* The kernel wants an int, unused. */
			(void)setsockopt(l->fd, SOL_SOCKET, SO_DETACH_FILTER,
			    &zero, sizeof(zero));
			continue;
		}
		prog.filter = l->sa.sa.sa_family == AF_INET ? p4 : p6;
		prog.len = (unsigned short)((l->sa.sa.sa_family == AF_INET ?
		    n4 : n6) + 1);
		if (setsockopt(l->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		    sizeof(prog)) < 0)
			log_warn_sys("unable to filter %s", l->addr);
		else
			filt_on = 1;
	}
}

void
guard_tick(void)
{
	filter_sync();
	if (!tap_on)
		return;
	if (tap.fd < 0 && px.now_ms >= tap_retry_ms) {
		tap_retry_ms = px.now_ms + 1000;
		if (dnstap_connect(&tap) == 0)
			log_info("dnstap: connected to %s", tap.path);
	}
	dnstap_flush(&tap);
	gc[G_TAP_FRAMES] = tap.frames;
	gc[G_TAP_DROPPED] = tap.dropped;
}

void
guard_stop(void)
{
	if (tap_on)
		dnstap_close(&tap);
	tap_on = 0;
}
