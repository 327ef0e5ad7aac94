/* proxy_metrics.c -- dns-proxy's counters and their Prometheus text */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "proxy.h"
#include "proxy_guard.h"

static const double lat_le[NLAT] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0
};

/* A counter slot in this worker's shared stats, by kind and name. */
struct named *
named_get(int kind, const char *name)
{
	size_t i;
	struct named *free_slot = NULL;

	for (i = 0; i < NAMED_MAX; i++) {
		if (px.ws->n[i].kind == kind &&
		    strcmp(px.ws->n[i].name, name) == 0)
			return &px.ws->n[i];
		if (px.ws->n[i].kind == NAMED_FREE && free_slot == NULL)
			free_slot = &px.ws->n[i];
	}
	if (free_slot == NULL) {
		/* Reuse a slot of an object that no longer exists. */
		for (i = 0; i < NAMED_MAX; i++)
			if (!px.ws->n[i].alive) {
				free_slot = &px.ws->n[i];
				break;
			}
		if (free_slot == NULL)
			free_slot = &px.ws->n[NAMED_MAX - 1];
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->kind = (uint8_t)kind;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	return free_slot;
}

void
lat_record(uint64_t us)
{
	double s = us / 1e6;
	int i;

	for (i = 0; i < NLAT && s > lat_le[i]; i++)
		;
	px.ws->lat[i]++;
	px.ws->lat_sum_us += us;
}

/* Sum of one named object over every worker. */
void
named_sum(int kind, const char *name, struct named *out)
{
	unsigned w;
	size_t i, k;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < px.shm->nworkers; w++)
		for (i = 0; i < NAMED_MAX; i++) {
			struct named *n = &px.shm->w[w].n[i];

			if (n->kind != kind || strcmp(n->name, name) != 0)
				continue;
			if (n->alive) {
				out->up |= n->up;
				out->alive = 1;
				out->admin = n->admin;
				if (w == 0 || out->pool[0] == '\0') {
					memcpy(out->pool, n->pool,
					    sizeof(out->pool));
					memcpy(out->address, n->address,
					    sizeof(out->address));
				}
				out->outstanding += n->outstanding;
				out->entries += n->entries;
				out->capacity += n->capacity;
				if (n->latency_us > out->latency_us)
					out->latency_us = n->latency_us;
			}
			for (k = 0; k < NN; k++)
				out->c[k] += n->c[k];
		}
	snprintf(out->name, sizeof(out->name), "%s", name);
}

static uint64_t
gsum(int c)
{
	uint64_t s = 0;
	unsigned w;

	for (w = 0; w < px.shm->nworkers; w++)
		s += px.shm->w[w].c[c];
	return s;
}

static void
metric_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP dns_proxy_%s %s\n# TYPE dns_proxy_%s %s\n", name,
	    help, name, type);
}

/* A counter summed over the workers, with its HELP and TYPE lines. */
static void
metric_counter(struct buf *b, const char *name, int c, const char *help)
{
	metric_head(b, name, "counter", help);
	buf_printf(b, "dns_proxy_%s %llu\n", name,
	    (unsigned long long)gsum(c));
}

/* One counter per label value, summed over the workers. */
struct labelled {
	int		 c;
	const char	*label;
};

static const struct labelled ans[] = {
	{ C_A_NOERROR, "noerror" }, { C_A_NXDOMAIN, "nxdomain" },
	{ C_A_SERVFAIL, "servfail" }, { C_A_REFUSED, "refused" },
	{ C_A_FORMERR, "formerr" }, { C_A_NOTIMP, "notimp" },
	{ C_A_OTHER, "other" },
}, drops[] = {
	{ C_DROP_ACL, "acl" }, { C_DROP_ANY, "any" },
	{ C_DROP_CHAOS, "chaos" }, { C_DROP_QPS, "qps" },
	{ C_DROP_MALFORMED, "malformed" },
}, refs[] = {
	{ C_REF_ACL, "acl" }, { C_REF_ANY, "any" },
	{ C_REF_CHAOS, "chaos" }, { C_REF_QPS, "qps" },
	{ C_REF_NOROUTE, "no_route" },
}, tcs[] = {
	{ C_TC_ANY, "any" }, { C_TC_QPS, "qps" }, { C_TC_SIZE, "size" },
	{ C_TC_BACKEND, "backend" },
}, sfs[] = {
	{ C_SF_NOBACKEND, "no_backend" }, { C_SF_TIMEOUT, "timeout" },
	{ C_SF_OVERLOAD, "overload" },
}, tcprej[] = {
	{ C_TCP_REJ_LIMIT, "limit" }, { C_TCP_REJ_CLIENT, "per_client" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
metric_labelled(struct buf *b, const char *name, const char *help,
    const char *lname, const struct labelled *arr, size_t n)
{
	size_t i;

	metric_head(b, name, "counter", help);
	for (i = 0; i < n; i++)
		buf_printf(b, "dns_proxy_%s{%s=\"%s\"} %llu\n", name, lname,
		    arr[i].label, (unsigned long long)gsum(arr[i].c));
}

/* Queries, answers and what the rules did to them. */
static void
metrics_traffic(struct buf *b)
{
	metric_head(b, "queries_total", "counter", "Queries received.");
	buf_printf(b, "dns_proxy_queries_total{proto=\"udp\"} %llu\n"
	    "dns_proxy_queries_total{proto=\"tcp\"} %llu\n"
	    "dns_proxy_queries_total{proto=\"dot\"} %llu\n"
	    "dns_proxy_queries_total{proto=\"doh\"} %llu\n",
	    (unsigned long long)gsum(C_Q_UDP),
	    (unsigned long long)gsum(C_Q_TCP),
	    (unsigned long long)gsum(C_Q_DOT),
	    (unsigned long long)gsum(C_Q_DOH));
	metric_labelled(b, "answers_total", "Answers sent, by rcode.",
	    "rcode", ans, NELEM(ans));
	metric_labelled(b, "drops_total", "Queries dropped, by reason.",
	    "reason", drops, NELEM(drops));
	metric_labelled(b, "refused_total",
	    "Queries refused by a rule, by reason.", "reason", refs,
	    NELEM(refs));
	metric_labelled(b, "truncated_total", "Answers with TC=1, by reason.",
	    "reason", tcs, NELEM(tcs));
	metric_labelled(b, "servfail_total",
	    "SERVFAIL answers made here, by reason.", "reason", sfs,
	    NELEM(sfs));
	metric_counter(b, "backend_unexpected_total", C_BACKEND_UNEXPECTED,
	    "Backend datagrams matching no query (ID, name, type).");
	metric_counter(b, "send_errors_total", C_SEND_ERRORS, "Datagrams the"
	    " kernel refused to send.");
	metric_counter(b, "tcp_connections_total", C_TCP_CONNS, "TCP"
	    " connections accepted.");
	metric_labelled(b, "tcp_rejected_total",
	    "TCP connections closed at once, by limit.", "reason", tcprej,
	    NELEM(tcprej));
	metric_counter(b, "tcp_idle_closed_total", C_TCP_IDLE, "TCP"
	    " connections closed after the idle timeout.");
	metric_counter(b, "tcp_query_timeouts_total", C_TCP_QUERY_TIMEOUT,
	    "TCP connections closed with a query unread by its deadline.");
	metric_counter(b, "tcp_max_age_closed_total", C_TCP_MAX_AGE, "TCP"
	    " connections closed at their maximum age.");
	metric_counter(b, "tls_handshakes_total", C_TLS_HANDSHAKES, "TLS"
	    " handshakes done (DoT and DoH).");
	metric_counter(b, "tls_resumed_total", C_TLS_RESUMED, "TLS"
	    " handshakes that resumed a session (ticket).");
	metric_counter(b, "tls_failures_total", C_TLS_FAILS, "TLS"
	    " connections closed by a handshake or record error.");
	metric_counter(b, "doh_bad_requests_total", C_DOH_BAD, "DoH"
	    " requests answered with an HTTP error (4xx).");
}

/* Gauges, reloads and the latency histogram. */
static void
metrics_process(struct buf *b)
{
	uint64_t cum, lsum, open, rlc;
	unsigned w;
	size_t i;

	for (w = 0, open = 0, rlc = 0; w < px.shm->nworkers; w++) {
		open += px.shm->w[w].tcp_open;
		rlc += px.shm->w[w].rl_clients;
	}
	metric_head(b, "tcp_connections", "gauge", "TCP connections open.");
	buf_printf(b, "dns_proxy_tcp_connections %llu\n",
	    (unsigned long long)open);
	metric_head(b, "ratelimit_clients", "gauge",
	    "Clients in the QPS limit table.");
	buf_printf(b, "dns_proxy_ratelimit_clients %llu\n",
	    (unsigned long long)rlc);
	metric_head(b, "reloads_total", "counter",
	    "Configuration reloads, by result.");
	buf_printf(b, "dns_proxy_reloads_total{result=\"ok\"} %llu\n"
	    "dns_proxy_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)px.shm->w[0].c[C_RELOADS],
	    (unsigned long long)px.shm->w[0].c[C_RELOAD_FAILS]);
	metric_head(b, "workers", "gauge", "Worker processes.");
	buf_printf(b, "dns_proxy_workers %u\n", px.shm->nworkers);
	metric_head(b, "latency_seconds", "histogram",
	    "Time from a query to its backend's answer.");
	for (i = 0, cum = 0, lsum = 0; i <= NLAT; i++) {
		for (w = 0; w < px.shm->nworkers; w++)
			cum += px.shm->w[w].lat[i];
		if (i < NLAT)
			buf_printf(b, "dns_proxy_latency_seconds_bucket"
			    "{le=\"%g\"} %llu\n", lat_le[i],
			    (unsigned long long)cum);
		else
			buf_printf(b, "dns_proxy_latency_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	for (w = 0; w < px.shm->nworkers; w++)
		lsum += px.shm->w[w].lat_sum_us;
	buf_printf(b, "dns_proxy_latency_seconds_sum %.6f\n"
	    "dns_proxy_latency_seconds_count %llu\n", lsum / 1e6,
	    (unsigned long long)cum);
}

/* A value of a named object: one of its counters (N_*) or these. */
enum { NV_OUTSTANDING = NN, NV_UP, NV_ENTRIES };

/* One line per pool or per backend, summed over the workers. */
static const struct {
	const char	*name, *type, *help;
	int		 which;
} pool_metrics[] = {
	{ "cache_hits_total", "counter", "Packet cache hits.", N_HITS },
	{ "cache_misses_total", "counter", "Packet cache misses.", N_MISSES },
	{ "cache_inserts_total", "counter",
	    "Answers stored in the packet cache.", N_INSERTS },
	{ "cache_evictions_total", "counter",
	    "Cache entries evicted to make room.", N_EVICTIONS },
	{ "cache_entries", "gauge", "Answers in the cache.", NV_ENTRIES },
}, backend_metrics[] = {
	{ "backend_queries_total", "counter", "Queries sent to a backend.",
	    N_QUERIES },
	{ "backend_responses_total", "counter",
	    "Answers received from a backend.", N_RESPONSES },
	{ "backend_timeouts_total", "counter",
	    "Queries a backend did not answer in time.", N_TIMEOUTS },
	{ "backend_check_failures_total", "counter", "Failed health checks.",
	    N_CHECK_FAILS },
	{ "backend_tcp_connects_total", "counter",
	    "TCP connections opened to a backend.", N_TCP_CONNECTS },
	{ "backend_tcp_reused_total", "counter",
	    "Queries sent on an idle TCP connection to a backend.",
	    N_TCP_REUSED },
	{ "backend_outstanding", "gauge", "Queries in flight to a backend.",
	    NV_OUTSTANDING },
	{ "backend_up", "gauge", "1 when the backend takes traffic.", NV_UP },
};

static uint64_t
named_value(const struct named *n, int which)
{
	switch (which) {
	case NV_OUTSTANDING:
		return n->outstanding;
	case NV_UP:
		return n->up;
	case NV_ENTRIES:
		return n->entries;
	default:
		return n->c[which];
	}
}

static void
metrics_pools(struct buf *b)
{
	struct named n;
	size_t i, k;

	for (i = 0; i < NELEM(pool_metrics); i++) {
		metric_head(b, pool_metrics[i].name, pool_metrics[i].type,
		    pool_metrics[i].help);
		for (k = 0; k < px.npools; k++) {
			named_sum(NAMED_POOL, px.pools[k].name, &n);
			buf_printf(b, "dns_proxy_%s{pool=\"%s\"} %llu\n",
			    pool_metrics[i].name, n.name, (unsigned long long)
			    named_value(&n, pool_metrics[i].which));
		}
	}
}

static void
metrics_backends(struct buf *b)
{
	struct backend *be;
	struct named n;
	size_t i, k;

	for (i = 0; i < NELEM(backend_metrics); i++) {
		metric_head(b, backend_metrics[i].name,
		    backend_metrics[i].type, backend_metrics[i].help);
		for (k = 0; k < px.nbackends; k++) {
			be = px.backends[k];
			named_sum(NAMED_BACKEND, be->conf.name, &n);
			buf_printf(b, "dns_proxy_%s{backend=\"%s\","
			    "pool=\"%s\"} %llu\n", backend_metrics[i].name,
			    n.name, be->pool ? be->pool->name : "",
			    (unsigned long long)named_value(&n,
			    backend_metrics[i].which));
		}
	}
	metric_head(b, "backend_latency_seconds", "gauge",
	    "Moving average of a backend's answer time.");
	for (k = 0; k < px.nbackends; k++) {
		be = px.backends[k];
		named_sum(NAMED_BACKEND, be->conf.name, &n);
		buf_printf(b, "dns_proxy_backend_latency_seconds"
		    "{backend=\"%s\",pool=\"%s\"} %.6f\n", n.name,
		    be->pool ? be->pool->name : "", n.latency_us / 1e6);
	}
}

void
metrics_text(struct buf *b)
{
	metrics_traffic(b);
	metrics_process(b);
	metrics_pools(b);
	metrics_backends(b);
	guard_metrics(b);
}

void
metrics_http(const char *req, struct buf *out)
{
	struct buf body = { NULL, 0, 0, 0 };
	int status = 200;

	if (strncmp(req, "GET /metrics", 12) == 0 &&
	    (req[12] == ' ' || req[12] == '?'))
		metrics_text(&body);
	else if (strncmp(req, "GET /health ", 12) == 0)
		buf_printf(&body, "ok\n");
	else {
		status = 404;
		buf_printf(&body, "not found\n");
	}
	buf_printf(out, "HTTP/1.0 %d %s\r\nContent-Type: text/plain; "
	    "version=0.0.4\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status,
	    status == 200 ? "OK" : "Not Found", body.len);
	buf_add(out, body.p ? body.p : "", body.len);
	buf_free(&body);
}
