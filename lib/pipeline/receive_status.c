/* receive_status.c -- da-receive's /status (JSON) and /metrics */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "clock.h"
#include "io.h"
#include "receive.h"
#include "seclag.h"
#include "spool.h"
#include "store.h"

/* Consecutive failed passes that make a peer unhealthy, as the original. */
#define PEER_FAILURES_DEGRADED	3
#define RETRY_AGE	30	/* pending longer than this = retrying */
#define CLASSIFY_MAX	20000	/* pending jobs /status reads */

static const char *const reason_name[R_N] = {
	"auth", "method", "missing_parameter", "bad_name", "bad_owner_field",
	"bad_zone", "too_large", "bad_form", "owner_mismatch",
	"unsupported_action", "commit_failed", "store_error"
};

/* Append s as a JSON string (quoted, escaped); NULL as null. */
static void
json_str(struct buf *sb, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		buf_printf(sb, "null");
		return;
	}
	buf_printf(sb, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(sb, "\\%c", *p);
		else if (*p == '\n')
			buf_printf(sb, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(sb, "\\u%04x", *p);
		else
			buf_printf(sb, "%c", *p);
	}
	buf_printf(sb, "\"");
}

/* ISO-8601 UTC of a time in microseconds, as the original prints it. */
static void
iso_time(long long us, char *buf, size_t size)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct qstate {
	long		 n_new, n_fail;
	int		 runner;	/* a runner holds the trigger open */
	char		 last_error[256];
	long long	 last_error_us;
	char		 last_job[320];
};

/* Does a runner listen on the queue's trigger FIFO? Opening the write end
 * without blocking fails with ENXIO when no reader has it open. */
static int
runner_alive(const char *queue)
{
	char p[PATH_MAX];
	int fd;

	if (io_fmt(p, sizeof(p), "%s/%s/trigger", rx.set.spool,
	    queue) < 0)
		return 0;
	if ((fd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return 0;
	close(fd);
	return 1;
}

/* The newest dead letter's reason in <queue>/fail/. */
static void
last_failure(const char *queue, struct qstate *qs)
{
	char dir[PATH_MAX], best[320] = "", *text;
	struct dirent *de;
	struct stat sb;
	long long best_us = 0, us;
	size_t len, tl;
	DIR *d;

	if (io_fmt(dir, sizeof(dir), "%s/%s/fail", rx.set.spool,
	    queue) < 0 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 8 || len >= sizeof(best) ||
		    strcmp(de->d_name + len - 7, ".reason") != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, 0) < 0)
			continue;
		us = (long long)sb.st_mtim.tv_sec * 1000000 +
		    sb.st_mtim.tv_nsec / 1000;
		if (us >= best_us) {
			best_us = us;
			memcpy(best, de->d_name, len + 1);
		}
	}
	if (best[0] != '\0' && io_read_file(dirfd(d), best, 4096, &text,
	    &tl) == 0) {
		while (tl > 0 && (text[tl - 1] == '\n' || text[tl - 1] == ' '))
			text[--tl] = '\0';
		snprintf(qs->last_error, sizeof(qs->last_error), "%s", text);
		snprintf(qs->last_job, sizeof(qs->last_job), "%.*s",
		    (int)(strlen(best) - 7), best);
		qs->last_error_us = best_us;
		free(text);
	}
	closedir(d);
}

static int
entcmp(const void *a, const void *b)
{
	const struct spool_entry *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Pending jobs over all queues, each job counted once even when it waits
 * in several: saves and deletes younger than RETRY_AGE, and older ones
 * (retrying or stuck) apart, as the original's save/delete/retry queues.
 */
static void
classify(long *save, long *del, long *retry)
{
	struct spool_entry *all = NULL, *e, *n;
	size_t total = 0, i, q;
	char p[PATH_MAX], head[64];
	struct stat sb;
	time_t now = time(NULL);
	ssize_t k;
	long c;
	int fd;

	*save = *del = *retry = 0;
	for (q = 0; q < rx.nq; q++) {
		if ((c = spool_scan(rx.set.spool, rx.queues[q], &e)) <= 0)
			continue;
		if ((n = realloc(all, (total + c) * sizeof(*all))) == NULL) {
			free(e);
			break;
		}
		all = n;
		memcpy(all + total, e, c * sizeof(*all));
		/* zone pointed into the freed array: keep the queue's
		 * name there instead. */
		for (i = total; i < total + c; i++)
			all[i].zone = rx.queues[q];
		total += c;
		free(e);
	}
	if (total == 0) {
		free(all);
		return;
	}
	qsort(all, total, sizeof(*all), entcmp);
	for (i = 0; i < total; i++) {
		if (i > 0 && strcmp(all[i].name, all[i - 1].name) == 0)
			continue;
		if (i >= CLASSIFY_MAX) {
			(*save)++;
			continue;
		}
		if (io_fmt(p, sizeof(p), "%s/%s/new/%s", rx.set.spool,
		    all[i].zone, all[i].name) < 0 ||
		    (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		k = read(fd, head, sizeof(head) - 1);
		if (fstat(fd, &sb) == 0 && now - sb.st_mtime > RETRY_AGE)
			(*retry)++;
		else if (k > 0 && (head[k] = '\0', strstr(head,
		    "\na delete\n") != NULL))
			(*del)++;
		else
			(*save)++;
		close(fd);
	}
	free(all);
}

/* A peer's changes refused as dated too far ahead (peer-pull's guard):
 * how many, and the last one's zone, the time it claimed, when. */
static void
peer_refused_json(struct buf *sb, const struct store_peer *p)
{
	char t[32];

	buf_printf(sb, ",\"refused\":%llu,\"last_refused\":", p->refused);
	if (p->refused_us == 0) {
		buf_printf(sb, "null");
		return;
	}
	buf_printf(sb, "{\"zone\":");
	json_str(sb, p->refused_zone);
	iso_time(p->refused_dated_us, t, sizeof(t));
	buf_printf(sb, ",\"dated\":\"%s\"", t);
	iso_time(p->refused_us, t, sizeof(t));
	buf_printf(sb, ",\"at\":\"%s\"}", t);
}

/* The backends' queues, each as "name":{new, fail, runner, last_error}. */
static void
status_backends(struct buf *sb, const struct qstate *qs)
{
	char t[32];
	size_t q;

	for (q = 0; q < rx.nq; q++) {
		buf_printf(sb, "%s", q ? "," : "");
		json_str(sb, rx.queues[q]);
		buf_printf(sb, ":{\"new\":%ld,\"fail\":%ld,\"runner\":%s,"
		    "\"last_error\":", qs[q].n_new, qs[q].n_fail,
		    qs[q].runner ? "true" : "false");
		if (qs[q].last_error_us == 0)
			buf_printf(sb, "null}");
		else {
			iso_time(qs[q].last_error_us, t, sizeof(t));
			buf_printf(sb, "{\"at\":\"%s\",\"job\":", t);
			json_str(sb, qs[q].last_job);
			buf_printf(sb, ",\"reason\":");
			json_str(sb, qs[q].last_error);
			buf_printf(sb, "}}");
		}
	}
}

/* The configured peers as peer-pull last left them in the store. */
static void
status_peers(struct buf *sb, const struct store_peer *peers)
{
	char t[32];
	size_t q;

	for (q = 0; q < rx.set.npeers; q++) {
		buf_printf(sb, "%s{\"url\":", q ? "," : "");
		json_str(sb, rx.set.peer_url[q]);
		buf_printf(sb, ",\"healthy\":%s,\"consecutive_failures\":%u,"
		    "\"last_seen\":", peers[q].failures <
		    PEER_FAILURES_DEGRADED ? "true" : "false",
		    peers[q].failures);
		if (peers[q].ok_us == 0)
			buf_printf(sb, "null");
		else {
			iso_time(peers[q].ok_us, t, sizeof(t));
			json_str(sb, t);
		}
		buf_printf(sb, ",\"last_error\":");
		json_str(sb, peers[q].error[0] ? peers[q].error : NULL);
		peer_refused_json(sb, &peers[q]);
		buf_printf(sb, "}");
	}
}

/* The receiver's acks and dropped connections, and the errors kept,
 * newest first. */
static void
status_receiver(struct buf *sb)
{
	const struct rx_stats *st = &rx.stats;
	char t[32];
	unsigned i, k, n;

	pthread_mutex_lock(&rx.stats.mu);
	buf_printf(sb, "\"receiver\":{\"acks\":{\"save\":%llu,"
	    "\"delete\":%llu},\"connections_dropped\":%llu},"
	    "\"last_errors\":[", st->acks[0], st->acks[1], st->dropped);
	n = st->nerrors < ERRORS_KEPT ? st->nerrors : ERRORS_KEPT;
	for (k = 0; k < n; k++) {
		i = (st->nerrors - 1 - k) % ERRORS_KEPT;
		iso_time(st->errors[i].at_us, t, sizeof(t));
		buf_printf(sb, "%s{\"at\":\"%s\",\"message\":", k ? "," : "",
		    t);
		json_str(sb, st->errors[i].msg);
		buf_printf(sb, "}");
	}
	pthread_mutex_unlock(&rx.stats.mu);
}

static void
status_json(struct buf *sb)
{
	struct qstate qs[CONFIG_BACKENDS_MAX];
	struct store_peer peers[CONFIG_PEERS_MAX];
	long long live = -1, tomb = -1, rec_start = 0, rec_end = 0;
	long save, del, retry, dead = 0;
	char *rec_json = NULL, *lag;
	size_t q, peers_degraded = 0;
	int runners_ok = 1, rc, rec_ok = 0;

	memset(qs, 0, sizeof(qs));
	for (q = 0; q < rx.nq; q++) {
		qs[q].n_new = spool_count(rx.set.spool, rx.queues[q], "new");
		qs[q].n_fail = spool_count(rx.set.spool, rx.queues[q], "fail");
		qs[q].runner = runner_alive(rx.queues[q]);
		if (!qs[q].runner)
			runners_ok = 0;
		if (qs[q].n_fail > 0) {
			dead += qs[q].n_fail;
			last_failure(rx.queues[q], &qs[q]);
		}
	}
	classify(&save, &del, &retry);
	pthread_mutex_lock(&rx.rd_mu);
	rc = store_count(rx.rd, &live, &tomb);
	/* reconcile and peer-pull are other processes: their liveness is
	 * unknown here (null), their last runs are in the store. */
	if (store_recon_last_get(rx.rd, &rec_start, &rec_end, &rec_ok,
	    &rec_json) != 1) {
		free(rec_json);
		rec_json = NULL;
	}
	for (q = 0; q < rx.set.npeers; q++) {
		if (store_peer_get(rx.rd, rx.set.peer_url[q], &peers[q]) < 0)
			memset(&peers[q], 0, sizeof(peers[q]));
		if (peers[q].failures >= PEER_FAILURES_DEGRADED)
			peers_degraded++;
	}
	pthread_mutex_unlock(&rx.rd_mu);

	buf_printf(sb, "{\"status\":\"%s\",",
	    !runners_ok || rc < 0 ? "error" :
	    retry > 0 || dead > 0 || peers_degraded > 0 ? "degraded" : "ok");
	buf_printf(sb, "\"version\":\"%s\",\"uptime_seconds\":%lld,",
	    DADNS_VERSION, (clock_wall_us() - rx.started_us) / 1000000);
	buf_printf(sb, "\"queues\":{\"save\":%ld,\"delete\":%ld,\"retry\":%ld,"
	    "\"dead_letters\":%ld,\"backends\":{", save, del, retry, dead);
	status_backends(sb, qs);
	buf_printf(sb, "}},");
	buf_printf(sb, "\"workers\":{\"save\":%s,\"delete\":%s,"
	    "\"retry_drain\":%s},", runners_ok ? "true" : "false",
	    runners_ok ? "true" : "false", runners_ok ? "true" : "false");
	buf_printf(sb, "\"reconciler\":{\"enabled\":%s,\"alive\":null,"
	    "\"dry_run\":%s,\"interval_minutes\":%u,\"last_run\":%s},",
	    rx.set.rec_enabled ? "true" : "false",
	    rx.set.rec_dry_run ? "true" : "false",
	    rx.set.rec_interval,
	    rec_json != NULL && rec_json[0] == '{' ? rec_json : "{}");
	free(rec_json);
	buf_printf(sb, "\"peer_sync\":{\"enabled\":%s,\"alive\":null,"
	    "\"interval_minutes\":%u,\"peers\":[",
	    rx.set.peer_enabled ? "true" : "false",
	    rx.set.peer_interval);
	status_peers(sb, peers);
	buf_printf(sb, "],\"total\":%zu,\"healthy\":%zu,\"degraded\":%zu},",
	    rx.set.npeers, rx.set.npeers - peers_degraded, peers_degraded);
	buf_printf(sb, "\"zones\":{\"total\":%lld,\"tombstones\":%lld},",
	    live < 0 ? 0 : live, tomb < 0 ? 0 : tomb);
	/* reconcile's last look at the primaries' secondaries (seclag.h) */
	lag = seclag_read(rx.set.spool);
	buf_printf(sb, "\"secondaries\":%s,", lag != NULL ? lag : "null");
	free(lag);
	status_receiver(sb);
	buf_printf(sb, "]}");
}

/* Failed logins and lockouts. */
static void
metrics_auth(struct buf *sb)
{
	unsigned long long failures, lockouts, refused;
	size_t tracked = 0, locked = 0;

	pthread_mutex_lock(&rx.au.mu);
	if (rx.au.lim != NULL)
		authlimit_stats(rx.au.lim, clock_ms(), &tracked, &locked);
	failures = rx.au.failures;
	lockouts = rx.au.lockouts;
	refused = rx.au.refused;
	pthread_mutex_unlock(&rx.au.mu);
	buf_printf(sb, "# HELP dadns_auth_failures_total Requests with wrong"
	    " credentials.\n# TYPE dadns_auth_failures_total counter\n"
	    "dadns_auth_failures_total %llu\n"
	    "# HELP dadns_auth_lockouts_total Source addresses locked out"
	    " after app.auth_max_failures failed logins.\n"
	    "# TYPE dadns_auth_lockouts_total counter\n"
	    "dadns_auth_lockouts_total %llu\n"
	    "# HELP dadns_auth_refused_total Requests refused with 429 from a"
	    " locked-out source.\n# TYPE dadns_auth_refused_total counter\n"
	    "dadns_auth_refused_total %llu\n"
	    "# HELP dadns_auth_sources Source addresses remembered for their"
	    " failed logins, and those locked out now.\n"
	    "# TYPE dadns_auth_sources gauge\n"
	    "dadns_auth_sources{state=\"tracked\"} %zu\n"
	    "dadns_auth_sources{state=\"locked\"} %zu\n",
	    failures, lockouts, refused, tracked, locked);
}

/* Owner changes made and refused, DirectAdmin's saves and peer-pull's,
 * from the store (peer-pull is another process). */
static void
owner_metrics(struct buf *sb)
{
	static const char *const src[] = { "directadmin", "peer" };
	unsigned long long changed[2], refused[2];
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&rx.rd_mu);
	for (i = 0; i < 2 && rc == 0; i++)
		rc = store_owner_counts(rx.rd, src[i], &changed[i],
		    &refused[i]);
	pthread_mutex_unlock(&rx.rd_mu);
	if (rc < 0)
		return;
	buf_printf(sb, "# HELP dadns_owner_changes_total Saves that moved a"
	    " zone to another DirectAdmin server, by source.\n"
	    "# TYPE dadns_owner_changes_total counter\n");
	for (i = 0; i < 2; i++)
		buf_printf(sb, "dadns_owner_changes_total{source=\"%s\"}"
		    " %llu\n", src[i], changed[i]);
	buf_printf(sb, "# HELP dadns_owner_changes_refused_total Owner"
	    " changes refused (app.allow_owner_change false), by source.\n"
	    "# TYPE dadns_owner_changes_refused_total counter\n");
	for (i = 0; i < 2; i++)
		buf_printf(sb, "dadns_owner_changes_refused_total{source="
		    "\"%s\"} %llu\n", src[i], refused[i]);
}

/* The Prometheus text of a seconds histogram kept by hist_observe(). */
static void
hist_text(struct buf *sb, const char *name, const char *help,
    const double *le, size_t n, const unsigned long long *bucket, double sum)
{
	unsigned long long cum = 0;
	size_t i;

	buf_printf(sb, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
	    name);
	for (i = 0; i < n; i++) {
		cum += bucket[i];
		buf_printf(sb, "%s_bucket{le=\"%g\"} %llu\n", name, le[i],
		    cum);
	}
	cum += bucket[n];
	buf_printf(sb, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
	    "%s_count %llu\n", name, cum, name, sum, name, cum);
}

/* The receiver's own counters and histograms. */
static void
metrics_counters(struct buf *sb)
{
	const struct rx_stats *st = &rx.stats;
	unsigned long long cum;
	size_t e, i;

	pthread_mutex_lock(&rx.stats.mu);
	buf_printf(sb, "# HELP dadns_http_requests_total HTTP requests"
	    " answered, by endpoint and status code.\n"
	    "# TYPE dadns_http_requests_total counter\n");
	for (e = 0; e < EP_N; e++)
		for (i = 0; i <= NCODES; i++) {
			if (st->req[e][i] == 0)
				continue;
			if (i < NCODES)
				buf_printf(sb, "dadns_http_requests_total"
				    "{endpoint=\"%s\",code=\"%u\"} %llu\n",
				    rx_ep_name[e], rx_codes[i], st->req[e][i]);
			else
				buf_printf(sb, "dadns_http_requests_total"
				    "{endpoint=\"%s\",code=\"other\"} %llu\n",
				    rx_ep_name[e], st->req[e][i]);
		}
	buf_printf(sb, "# HELP dadns_acks_total Jobs acknowledged to"
	    " DirectAdmin after they were durable.\n"
	    "# TYPE dadns_acks_total counter\n"
	    "dadns_acks_total{action=\"save\"} %llu\n"
	    "dadns_acks_total{action=\"delete\"} %llu\n",
	    st->acks[0], st->acks[1]);
	buf_printf(sb, "# HELP dadns_rejects_total Requests refused, by"
	    " reason.\n# TYPE dadns_rejects_total counter\n");
	for (i = 0; i < R_N; i++)
		buf_printf(sb, "dadns_rejects_total{reason=\"%s\"} %llu\n",
		    reason_name[i], st->rejects[i]);
	buf_printf(sb, "# HELP dadns_connections_dropped_total Connections cut"
	    " because the request did not arrive within app.request_timeout."
	    "\n# TYPE dadns_connections_dropped_total counter\n"
	    "dadns_connections_dropped_total %llu\n", st->dropped);
	metrics_auth(sb);
	buf_printf(sb, "# HELP dadns_commit_batch_jobs Jobs per group"
	    " commit.\n# TYPE dadns_commit_batch_jobs histogram\n");
	for (i = 0, cum = 0; i < NBATCH; i++) {
		cum += st->batch_bucket[i];
		buf_printf(sb, "dadns_commit_batch_jobs_bucket{le=\"%u\"}"
		    " %llu\n", rx_batch_le[i], cum);
	}
	buf_printf(sb, "dadns_commit_batch_jobs_bucket{le=\"+Inf\"} %llu\n"
	    "dadns_commit_batch_jobs_sum %llu\n"
	    "dadns_commit_batch_jobs_count %llu\n", st->batches,
	    st->batch_jobs, st->batches);
	hist_text(sb, "dadns_commit_seconds", "Time to make a batch durable"
	    " (store transaction, job files, syncs).", rx_lat_le, NLAT,
	    st->lat_bucket, st->lat_sum);
	hist_text(sb, "dadns_ack_seconds", "Time from a request's first line"
	    " to its durable ack (store row and job files synced).", rx_ack_le,
	    NACK, st->ack_bucket, st->ack_sum);
	pthread_mutex_unlock(&rx.stats.mu);
}

/* The backends' queues: depth, dead letters, runner. */
static void
metrics_queues(struct buf *sb)
{
	long c;
	size_t q;

	buf_printf(sb, "# HELP dadns_queue_depth Jobs waiting in a backend's"
	    " queue (new/).\n# TYPE dadns_queue_depth gauge\n");
	for (q = 0; q < rx.nq; q++)
		if ((c = spool_count(rx.set.spool, rx.queues[q], "new")) >= 0)
			buf_printf(sb, "dadns_queue_depth{backend=\"%s\"}"
			    " %ld\n", rx.queues[q], c);
	buf_printf(sb, "# HELP dadns_dead_letters Jobs a backend gave up on"
	    " (fail/).\n# TYPE dadns_dead_letters gauge\n");
	for (q = 0; q < rx.nq; q++)
		if ((c = spool_count(rx.set.spool, rx.queues[q], "fail")) >= 0)
			buf_printf(sb, "dadns_dead_letters{backend=\"%s\"}"
			    " %ld\n", rx.queues[q], c);
	buf_printf(sb, "# HELP dadns_runner_up Whether a runner listens on the"
	    " backend's queue trigger.\n# TYPE dadns_runner_up gauge\n");
	for (q = 0; q < rx.nq; q++)
		buf_printf(sb, "dadns_runner_up{backend=\"%s\"} %d\n",
		    rx.queues[q], runner_alive(rx.queues[q]));
}

static void
metrics_text(struct buf *sb)
{
	long long live = -1, tomb = -1;
	char *lag;
	int rc;

	metrics_counters(sb);
	metrics_queues(sb);
	owner_metrics(sb);
	pthread_mutex_lock(&rx.rd_mu);
	rc = store_count(rx.rd, &live, &tomb);
	pthread_mutex_unlock(&rx.rd_mu);
	if (rc == 0)
		buf_printf(sb, "# HELP dadns_zones Zones in the store.\n"
		    "# TYPE dadns_zones gauge\n"
		    "dadns_zones{state=\"live\"} %lld\n"
		    "dadns_zones{state=\"tombstone\"} %lld\n", live, tomb);
	/* reconcile's last look at the secondaries, as /status shows it */
	if ((lag = seclag_read(rx.set.spool)) != NULL &&
	    seclag_metrics(lag, strlen(lag), sb) < 0)
		buf_printf(sb, "# " SECLAG_FILE ": not a report of "
		    "reconcile's, left out\n");
	free(lag);
	buf_printf(sb, "# HELP dadns_start_time_seconds When da-receive"
	    " started.\n# TYPE dadns_start_time_seconds gauge\n"
	    "dadns_start_time_seconds %lld\n", rx.started_us / 1000000);
}

enum MHD_Result
rx_report(struct req *r, struct MHD_Connection *mc)
{
	struct buf sb = { NULL, 0, 0, 0 };

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		rx_count_reject(R_METHOD);
		return rx_reply_json(r, mc, 405,
		    "{\"error\":\"method not allowed\"}");
	}
	if (r->ep == EP_STATUS)
		status_json(&sb);
	else
		metrics_text(&sb);
	return rx_reply_buf(r, mc, r->ep == EP_STATUS ? CT_JSON : CT_PROM,
	    &sb);
}
