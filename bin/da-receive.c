/* da-receive.c -- DirectAdmin's "Extra DNS server" API: validate, store and
 * enqueue durably, then acknowledge */
/* SPDX-License-Identifier: ISC */
#define USAGE "da-receive [-c app.yml] [-d fd] [-v|-q]"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "appconf.h"
#include "ready.h"
#include "clock.h"
#include "auth.h"
#include "config.h"
#include "enqueue.h"
#include "form.h"
#include "hash.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "peer.h"
#include "spool.h"
#include "store.h"
#include "zone.h"

#ifndef DADNS_VERSION
#define DADNS_VERSION	"0.1.0"
#endif
#define SERVER		"dadns/" DADNS_VERSION
/* DirectAdmin replies carry CherryPy's default type, as the original. */
#define CT_DA		"text/html;charset=utf-8"
#define CT_JSON		"application/json"
#define CT_PROM		"text/plain; version=0.0.4; charset=utf-8"
#define REALM_HDR	"Basic realm=\"dadns\", charset=\"UTF-8\""
#define ROOT_TEXT	"DNS Admin API - Available endpoints: " \
	"/CMD_API_DNS_ADMIN"

#define DRAIN_MAX	(16 * 1024 * 1024)	/* dropped past max_body */
#define STACK_SIZE	(512 * 1024)	/* per connection thread */
#define MEM_LIMIT	(32 * 1024)	/* per connection: headers */
#define REPLY_MAX	2048
#define ECHO_MAX	64	/* longest user value quoted in a reply */
/* Consecutive failed passes that make a peer unhealthy, as the original. */
#define PEER_FAILURES_DEGRADED	3
#define ERRORS_KEPT	8	/* last errors shown by /status */
#define RETRY_AGE	30	/* pending longer than this = retrying */
#define CLASSIFY_MAX	20000	/* pending jobs /status reads */
#define TICK_MS		250	/* watchdog period */
#define TRIM_IDLE_MS	2000	/* quiet before memory goes back */

enum ep {
	EP_ROOT, EP_LOGIN, EP_ADMIN, EP_STATUS, EP_METRICS, EP_HEALTH,
	EP_INTERNAL, EP_OTHER, EP_N
};
static const char *const ep_name[EP_N] = {
	"root", "login_test", "dns_admin", "status", "metrics", "health",
	"internal", "other"
};

static const unsigned codes[] = {
	200, 400, 401, 403, 404, 405, 413, 429, 500, 503
};
#define NCODES	(sizeof(codes) / sizeof(codes[0]))

enum reason {
	R_AUTH, R_METHOD, R_PARAM, R_NAME, R_OWNER_FIELD, R_ZONE, R_SIZE,
	R_FORM, R_OWNER, R_ACTION, R_COMMIT, R_STORE, R_N
};
static const char *const reason_name[R_N] = {
	"auth", "method", "missing_parameter", "bad_name", "bad_owner_field",
	"bad_zone", "too_large", "bad_form", "owner_mismatch",
	"unsupported_action", "commit_failed", "store_error"
};

static const double lat_le[] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1
};
#define NLAT	(sizeof(lat_le) / sizeof(lat_le[0]))
static const unsigned batch_le[] = { 1, 2, 4, 8, 16, 32, 64, 128 };
#define NBATCH	(sizeof(batch_le) / sizeof(batch_le[0]))
static const double ack_le[] = {
	0.0001, 0.0002, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002,
	0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1
};
#define NACK	(sizeof(ack_le) / sizeof(ack_le[0]))

/* Counters for /metrics and /status, under their own mutex. */
static struct {
	pthread_mutex_t	 mu;
	unsigned long long req[EP_N][NCODES + 1];
	unsigned long long acks[2];		/* save, delete jobs */
	unsigned long long rejects[R_N];
	unsigned long long batch_bucket[NBATCH + 1];
	unsigned long long batches, batch_jobs;
	unsigned long long lat_bucket[NLAT + 1];
	double		 lat_sum;
	unsigned long long ack_bucket[NACK + 1];	/* request to ack */
	double		 ack_sum;
	unsigned long long dropped;	/* cut by the request deadline */
	struct {
		long long	 at_us;
		char		 msg[240];
	} errors[ERRORS_KEPT];
	unsigned	 nerrors;		/* total ever recorded */
	long long	 last_ms;		/* last request finished */
	int		 trim;		/* memory to give back */
} stats = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* A connection, watched for the request deadline. The list lock is held
 * while the watchdog shuts a socket down, and libmicrohttpd closes the fd
 * only after the CLOSED notification has unlinked it, so the fd is never
 * reused under the watchdog. */
struct conn {
	int		 fd;
	long long	 start_ms;	/* current request began */
	int		 busy;		/* request read, answering */
	int		 dropped;
	char		 ip[INET6_ADDRSTRLEN];
	struct conn	*prev, *next;
};
static pthread_mutex_t conn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;

/* One request. */
struct req {
	char		*uri;		/* raw target with the query */
	char		 ip[INET6_ADDRSTRLEN];
	long long	 t0_us;
	int		 started;	/* first handler call done */
	enum ep		 ep;
	char		 method[12];
	unsigned	 reject;	/* status decided from the headers */
	int		 keep;		/* keep the body */
	int		 too_big;
	char		*body;
	size_t		 len, cap, seen;
	unsigned	 status;	/* replied with, 0 when none */
	unsigned	 retry_after;	/* seconds, with a 429 */
	char		 action[16];	/* for the log line */
	char		 zone[96];
};

/* Group commit: requests ready to commit queue here; the first to find no
 * commit running becomes the leader, commits everything queued in one
 * store transaction and one round of syncs, and wakes the others. */
struct pending {
	struct job	*jobs;
	size_t		 n;
	int		 done, rc;
	char		 err[256];
	struct pending	*next;
};
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct pending	*head, **tail;
	int		 busy;
	struct store	*st;		/* used by the leader only */
} gc = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
    &gc.head, 0, NULL };

/* The read handle (sqlite handles are single-threaded): exists lookups,
 * owner checks and counts are short, one lock is enough. */
static pthread_mutex_t rd_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store *rd;

/* What the running server needs of app.yml: the whole struct config
 * (200 KiB, all of it touched) is freed once the server is up. */
static struct {
	int		 check_subdomain_owner, health_auth;
	int		 allow_owner_change;
	size_t		 max_body;
	unsigned	 request_timeout;
	char		 spool[CONFIG_PATH_MAX];
	int		 rec_enabled, rec_dry_run, peer_enabled;
	unsigned	 rec_interval, peer_interval;
	char		 peer_url[CONFIG_PEERS_MAX][CONFIG_STR_MAX];
	size_t		 npeers;
	char		 queue[CONFIG_BACKENDS_MAX][SPOOL_QUEUE_MAX];
} set;
static char *queues[CONFIG_BACKENDS_MAX];	/* into set.queue */
static size_t nq;
static long long started_us;

/* A growing string for JSON and metrics. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

static void
help(void)
{
	printf("usage: %s\n"
	    "  -c FILE  app.yml to read (default: $DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -d FD    write a newline to FD when listening (s6 readiness)\n"
	    "  -v       log debug messages\n"
	    "  -q       log warnings and errors only\n"
	    "Serves DirectAdmin's CMD_API_LOGIN_TEST and CMD_API_DNS_ADMIN,"
	    " /health, /status, /metrics.\n", USAGE);
}

static void
sb_add(struct sbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *n;
	int k;

	if (sb->oom)
		return;
	va_start(ap, fmt);
	k = vsnprintf(sb->s ? sb->s + sb->len : NULL,
	    sb->s ? sb->cap - sb->len : 0, fmt, ap);
	va_end(ap);
	if (k < 0) {
		sb->oom = 1;
		return;
	}
	if (sb->s != NULL && sb->len + k < sb->cap) {
		sb->len += k;
		return;
	}
	need = sb->len + k + 1;
	if (need < 2 * sb->cap)
		need = 2 * sb->cap;
	if (need < 1024)
		need = 1024;
	if ((n = realloc(sb->s, need)) == NULL) {
		sb->oom = 1;
		return;
	}
	sb->s = n;
	sb->cap = need;
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += k;
}

/* Append s as a JSON string (quoted, escaped); NULL as null. */
static void
sb_json(struct sbuf *sb, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		sb_add(sb, "null");
		return;
	}
	sb_add(sb, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_add(sb, "\\%c", *p);
		else if (*p == '\n')
			sb_add(sb, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			sb_add(sb, "\\u%04x", *p);
		else
			sb_add(sb, "%c", *p);
	}
	sb_add(sb, "\"");
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

static void
note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log an error and keep it for /status. */
static void
note_error(const char *fmt, ...)
{
	char msg[240];
	va_list ap;
	unsigned i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s", msg);
	pthread_mutex_lock(&stats.mu);
	i = stats.nerrors++ % ERRORS_KEPT;
	stats.errors[i].at_us = clock_wall_us();
	memcpy(stats.errors[i].msg, msg, sizeof(msg));
	pthread_mutex_unlock(&stats.mu);
}

static void
count_reject(enum reason why)
{
	pthread_mutex_lock(&stats.mu);
	stats.rejects[why]++;
	pthread_mutex_unlock(&stats.mu);
}

/* Copy at most size-1 bytes of s into dst, replacing anything that is
 * not printable ASCII with '?', for log lines. */
static void
log_copy(char *dst, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < size; i++)
		dst[i] = (s[i] > ' ' && s[i] <= '~') ? s[i] : '?';
	dst[i] = '\0';
}

/*
 * Authentication: the configured credentials kept only as digests under a
 * key drawn at start, and failed logins limited per source address.
 */

#define AUTH_USER_LOG	64	/* longest user name logged */

static struct {
	pthread_mutex_t	 mu;		/* the limiter and the counters */
	struct auth_key	 key;
	struct auth_cred da, peer;
	struct authlimit *lim;		/* NULL: no limit */
	unsigned	 window, lockout;	/* seconds */
	unsigned long long failures, lockouts, refused;
} au = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* The headers of a refused login: the realm with a 401, the wait with a
 * 429, and the connection closed after either, so that every guess costs
 * a new connection. */
static void
auth_headers(const struct req *r, struct MHD_Response *resp, unsigned status)
{
	char secs[16];

	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, REALM_HDR);
	else if (status != MHD_HTTP_TOO_MANY_REQUESTS)
		return;
	if (r->retry_after > 0) {
		snprintf(secs, sizeof(secs), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    secs);
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* The request's Basic credentials against want, unless its source is
 * locked out. Returns 0 when they match, else the status to answer: 401,
 * or 429 with r->retry_after set. A request without an Authorization
 * header guesses nothing: it gets 401 but counts as no failure. */
static unsigned
auth_check(struct req *r, struct MHD_Connection *mc,
    const struct auth_cred *want)
{
	const union MHD_ConnectionInfo *ci;
	unsigned char src[AUTH_ADDR_LEN];
	char who[AUTH_USER_LOG + 1], *u, *p = NULL;
	unsigned left = 0, n = 0;
	int ok, limited, locked = 0;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	limited = au.lim != NULL && ci != NULL &&
	    authlimit_key(ci->client_addr, src) == 0;
	if (limited) {
		pthread_mutex_lock(&au.mu);
		if ((left = authlimit_locked(au.lim, src, clock_ms())) > 0)
			au.refused++;
		pthread_mutex_unlock(&au.mu);
		if (left > 0) {
			r->retry_after = left;
			return MHD_HTTP_TOO_MANY_REQUESTS;
		}
	}
	u = MHD_basic_auth_get_username_password(mc, &p);
	ok = auth_cred_match(want, &au.key, u, p);
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		MHD_free(p);
	}
	log_copy(who, sizeof(who), u != NULL && *u != '\0' ? u : "-");
	if (u != NULL)
		MHD_free(u);
	if (ok)
		return 0;
	if (MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION) == NULL)
		return MHD_HTTP_UNAUTHORIZED;
	pthread_mutex_lock(&au.mu);
	au.failures++;
	if (limited && authlimit_fail(au.lim, src, clock_ms(), &n)) {
		au.lockouts++;
		locked = 1;
	}
	pthread_mutex_unlock(&au.mu);
	log_warn("authentication failed ip=%s user=%s endpoint=%s "
	    "failures=%u", r->ip, who, ep_name[r->ep], n);
	if (locked)
		log_warn("locking out ip=%s for %u s after %u failed logins "
		    "within %u s", r->ip, au.lockout, n, au.window);
	return MHD_HTTP_UNAUTHORIZED;
}

/*
 * Replies.
 */

static enum MHD_Result
reply(struct req *r, struct MHD_Connection *mc, unsigned status,
    const char *ctype, const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t i;

	resp = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, SERVER);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	auth_headers(r, resp, status);
	ret = MHD_queue_response(mc, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	for (i = 0; i < NCODES; i++)
		if (codes[i] == status)
			break;
	pthread_mutex_lock(&stats.mu);
	stats.req[r->ep][i]++;
	pthread_mutex_unlock(&stats.mu);
	return ret;
}

static enum MHD_Result
reply_str(struct req *r, struct MHD_Connection *mc, unsigned status,
    const char *body)
{
	return reply(r, mc, status, CT_DA, body, strlen(body));
}

static enum MHD_Result
reply_json(struct req *r, struct MHD_Connection *mc, unsigned status,
    const char *body)
{
	return reply(r, mc, status, CT_JSON, body, strlen(body));
}

static enum MHD_Result
reply_err(struct req *r, struct MHD_Connection *mc, unsigned status,
    enum reason why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A DirectAdmin error: error=1&text=<message>. */
static enum MHD_Result
reply_err(struct req *r, struct MHD_Connection *mc, unsigned status,
    enum reason why, const char *fmt, ...)
{
	char text[REPLY_MAX / 3 - 32], buf[REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	count_reject(why);
	if (form_reply(buf, sizeof(buf), "error", "1", "text", text,
	    (char *)NULL) < 0)
		strcpy(buf, "error=1");
	return reply_str(r, mc, status, buf);
}

/*
 * The store.
 */

/* Look zone up on the read handle. Returns 1 live, 0 absent or
 * tombstoned, -1 error. */
static int
lookup(const char *zone, struct store_zone *z)
{
	int rc;

	pthread_mutex_lock(&rd_mu);
	rc = store_get(rd, zone, z, 0);
	pthread_mutex_unlock(&rd_mu);
	if (rc < 0)
		return -1;
	return rc == 1 && z->deleted_us == 0;
}

/* Count value v in the histogram of n upper bounds le[] (seconds):
 * bucket[n] is the overflow. Called under stats.mu. */
static void
hist_observe(const double *le, size_t n, unsigned long long *bucket,
    double *sum, double v)
{
	size_t i;

	for (i = 0; i < n && v > le[i]; i++)
		;
	bucket[i]++;
	*sum += v;
}

static void
observe_commit(size_t njobs, long long us)
{
	double sec = us / 1e6;
	size_t i;

	pthread_mutex_lock(&stats.mu);
	for (i = 0; i < NBATCH && njobs > batch_le[i]; i++)
		;
	stats.batch_bucket[i]++;
	stats.batches++;
	stats.batch_jobs += njobs;
	hist_observe(lat_le, NLAT, stats.lat_bucket, &stats.lat_sum, sec);
	pthread_mutex_unlock(&stats.mu);
}

/* A request acknowledged: the time from its request line to now, when
 * its jobs are durable and the reply is about to go. */
static void
observe_ack(const struct req *r)
{
	double sec = (clock_wall_us() - r->t0_us) / 1e6;

	pthread_mutex_lock(&stats.mu);
	hist_observe(ack_le, NACK, stats.ack_bucket, &stats.ack_sum, sec);
	pthread_mutex_unlock(&stats.mu);
}

/* Commit the queued requests of list: all in one go, and when that fails
 * and there were several, each alone so one bad request cannot fail the
 * others. */
static void
commit_list(struct pending *list)
{
	struct pending *p;
	struct job *all = NULL;
	size_t total = 0, nreq = 0, o = 0;
	char err[256];
	long long t0;
	int rc;

	for (p = list; p != NULL; p = p->next) {
		total += p->n;
		nreq++;
	}
	if (nreq > 1 && (all = malloc(total * sizeof(*all))) != NULL) {
		for (p = list; p != NULL; p = p->next) {
			memcpy(all + o, p->jobs, p->n * sizeof(*all));
			o += p->n;
		}
		t0 = clock_wall_us();
		rc = enqueue_commit(gc.st, set.spool, queues, nq,
		    all, total, err, sizeof(err));
		observe_commit(total, clock_wall_us() - t0);
		free(all);
		if (rc == 0) {
			for (p = list; p != NULL; p = p->next)
				p->rc = 0;
			return;
		}
		log_warn("batch of %zu jobs failed, committing one by one: %s",
		    total, err);
	}
	for (p = list; p != NULL; p = p->next) {
		t0 = clock_wall_us();
		p->rc = enqueue_commit(gc.st, set.spool, queues, nq,
		    p->jobs, p->n, p->err, sizeof(p->err));
		observe_commit(p->n, clock_wall_us() - t0);
	}
}

/* Commit jobs[0..n) durably, sharing the work with concurrent requests.
 * Returns 0, or -1 with a message in err. */
static int
commit_jobs(struct job *jobs, size_t n, char *err, size_t errlen)
{
	struct pending me, *list, *p, *next;

	memset(&me, 0, sizeof(me));
	me.jobs = jobs;
	me.n = n;
	me.rc = -1;
	pthread_mutex_lock(&gc.mu);
	*gc.tail = &me;
	gc.tail = &me.next;
	while (!me.done) {
		if (gc.busy) {
			pthread_cond_wait(&gc.cv, &gc.mu);
			continue;
		}
		list = gc.head;
		gc.head = NULL;
		gc.tail = &gc.head;
		gc.busy = 1;
		pthread_mutex_unlock(&gc.mu);
		commit_list(list);
		pthread_mutex_lock(&gc.mu);
		/* The owners read their entries only after this lock is
		 * released, so walking the list here is safe. */
		for (p = list; p != NULL; p = next) {
			next = p->next;
			p->done = 1;
		}
		gc.busy = 0;
		pthread_cond_broadcast(&gc.cv);
	}
	pthread_mutex_unlock(&gc.mu);
	if (me.rc < 0)
		snprintf(err, errlen, "%s", me.err);
	return me.rc;
}

/*
 * DirectAdmin's CMD_API_DNS_ADMIN.
 */

/* Parameters of one request: query string and, when it is a form, the
 * body; where both have a key, the one that carried the action wins. */
struct params {
	struct form	 q, b;
	int		 body_is_form;
	int		 body_is_text;
	int		 query_action;	/* action came in the query */
};

static const char *
param(const struct params *pp, const char *key)
{
	const char *v;

	/* The side that carried the action wins. */
	if (pp->query_action && (v = form_get(&pp->q, key)) != NULL)
		return v;
	if (pp->body_is_form && (v = form_get(&pp->b, key)) != NULL)
		return v;
	return form_get(&pp->q, key);
}

/* Copy a DA owner field (hostname or username): printable ASCII without
 * spaces, at most JOB_NAME_MAX; hostnames are lower-cased. Returns 0 or
 * -1. */
static int
owner_copy(char *dst, const char *src, int lower)
{
	size_t i, n;

	if (src == NULL)
		src = "";
	if ((n = strlen(src)) > JOB_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (src[i] <= ' ' || src[i] > '~')
			return -1;
		dst[i] = lower && src[i] >= 'A' && src[i] <= 'Z' ?
		    src[i] - 'A' + 'a' : src[i];
	}
	dst[n] = '\0';
	return 0;
}

static void
note_zone(struct req *r, const char *zone, size_t more)
{
	if (more > 0)
		snprintf(r->zone, sizeof(r->zone), "%.60s+%zu", zone, more);
	else
		snprintf(r->zone, sizeof(r->zone), "%.90s", zone);
}

static enum MHD_Result
do_exists(struct req *r, struct MHD_Connection *mc, const struct params *pp)
{
	char name[ZONE_NAME_MAX + 1], buf[REPLY_MAX], details[300];
	const char *d, *parent, *why;
	struct store_zone z;
	int rc;

	d = param(pp, "domain");
	if (d == NULL || *d == '\0')
		return reply_err(r, mc, 400, R_PARAM,
		    "Missing 'domain' parameter");
	if (zone_name_norm(d, name, &why) < 0)
		return reply_err(r, mc, 400, R_NAME, "Invalid domain name: %s",
		    why);
	note_zone(r, name, 0);
	if ((rc = lookup(name, &z)) < 0)
		goto fail;
	if (rc == 1) {
		snprintf(details, sizeof(details), "Domain exists on %s",
		    z.hostname);
		form_reply(buf, sizeof(buf), "error", "0", "exists", "1",
		    "details", details, (char *)NULL);
		return reply_str(r, mc, 200, buf);
	}
	d = param(pp, "check_for_parent_domain");
	if (d != NULL && *d != '\0') {
		/* Any ancestor, nearest first (the original looked at the
		 * immediate parent only). */
		for (parent = zone_parent(name); parent != NULL;
		    parent = zone_parent(parent)) {
			if ((rc = lookup(parent, &z)) < 0)
				goto fail;
			if (rc == 0)
				continue;
			if (set.check_subdomain_owner)
				form_reply(buf, sizeof(buf), "error", "0",
				    "exists", "3", "hostname", z.hostname,
				    "username", z.username, (char *)NULL);
			else {
				snprintf(details, sizeof(details),
				    "Parent Domain exists on %s", z.hostname);
				form_reply(buf, sizeof(buf), "error", "0",
				    "exists", "2", "details", details,
				    (char *)NULL);
			}
			return reply_str(r, mc, 200, buf);
		}
	}
	return reply_str(r, mc, 200, "error=0&exists=0");
fail:
	note_error("unable to look up zone %s: store error", name);
	return reply_err(r, mc, 500, R_STORE, "Store error");
}

/*
 * Owner changes: a save naming another DirectAdmin server than the live
 * zone's owner moves the zone (app.allow_owner_change, the default, as
 * DirectAdmin multi-server setups expect), logged and counted; else it is
 * refused and nothing changes.
 */

/* Would the save job move its live zone to another server? Returns 1
 * with the owner now in old, 0 no, -1 store error. */
static int
owner_change(const struct job *job, char old[JOB_NAME_MAX + 1])
{
	struct store_zone z;
	int rc;

	old[0] = '\0';
	if (job->hostname[0] == '\0')
		return 0;	/* an unnamed server keeps the owner */
	if ((rc = lookup(job->zone, &z)) <= 0)
		return rc;
	if (z.hostname[0] == '\0' || strcasecmp(z.hostname,
	    job->hostname) == 0)
		return 0;
	memcpy(old, z.hostname, JOB_NAME_MAX + 1);
	pthread_mutex_lock(&rd_mu);
	if (!set.allow_owner_change && store_owner_count(rd, "directadmin",
	    1) < 0)
		log_warn("unable to count an owner change: %s",
		    store_errmsg(rd));
	pthread_mutex_unlock(&rd_mu);
	if (!set.allow_owner_change)
		log_warn("save refused zone=%s owner=%s requester=%s"
		    " (app.allow_owner_change is false)", job->zone, old,
		    job->hostname);
	return 1;
}

/* Log and count the owner change the committed save job made. */
static void
owner_changed(const struct job *job, const char *old)
{
	log_warn("owner change zone=%s owner=%s new_owner=%s user=%s",
	    job->zone, old, job->hostname, job->username[0] ?
	    job->username : "-");
	pthread_mutex_lock(&rd_mu);
	if (store_owner_count(rd, "directadmin", 0) < 0)
		log_warn("unable to count an owner change: %s",
		    store_errmsg(rd));
	pthread_mutex_unlock(&rd_mu);
}

static enum MHD_Result
do_rawsave(struct req *r, struct MHD_Connection *mc, const struct params *pp)
{
	char name[ZONE_NAME_MAX + 1], err[512];
	char oldhost[JOB_NAME_MAX + 1];
	const struct form_pair *zf = NULL;
	const char *d, *why, *text;
	struct zone_info info;
	struct job *job;
	char *out = NULL;
	size_t textlen, outlen;
	enum MHD_Result ret;
	int owner;

	d = param(pp, "domain");
	if (d == NULL || *d == '\0')
		return reply_err(r, mc, 400, R_PARAM,
		    "Missing 'domain' parameter");
	if (zone_name_norm(d, name, &why) < 0)
		return reply_err(r, mc, 400, R_NAME, "Invalid domain name: %s",
		    why);
	note_zone(r, name, 0);
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return reply_err(r, mc, 500, R_COMMIT, "Out of memory");
	if (owner_copy(job->hostname, param(pp, "hostname"), 1) < 0) {
		ret = reply_err(r, mc, 400, R_OWNER_FIELD, "Invalid hostname");
		goto out;
	}
	if (owner_copy(job->username, param(pp, "username"), 0) < 0) {
		ret = reply_err(r, mc, 400, R_OWNER_FIELD, "Invalid username");
		goto out;
	}
	/* The zone: a text/plain body, else a zone_file field, else the
	 * raw body when it did not carry the parameters (DirectAdmin's
	 * rawsave: action in the query, no Content-Type). */
	if (pp->body_is_text) {
		text = r->body;
		textlen = r->len;
	} else if ((pp->body_is_form &&
	    (zf = form_find(&pp->b, "zone_file")) != NULL) ||
	    (zf = form_find(&pp->q, "zone_file")) != NULL) {
		text = zf->val;
		textlen = zf->vallen;
	} else if (pp->query_action) {
		text = r->body;
		textlen = r->len;
	} else {
		text = NULL;
		textlen = 0;
	}
	if (textlen == 0) {
		ret = reply_err(r, mc, 400, R_PARAM,
		    "Missing zone file content");
		goto out;
	}
	if (textlen > ZONE_TEXT_MAX) {
		ret = reply_err(r, mc, 413, R_SIZE,
		    "Zone text larger than %d bytes", ZONE_TEXT_MAX);
		goto out;
	}
	if (memchr(text, '\0', textlen) != NULL) {
		ret = reply_err(r, mc, 400, R_ZONE,
		    "Invalid zone data: NUL byte in the zone text");
		goto out;
	}
	if (zone_prepare(name, text, textlen, &out, &outlen, &info, err,
	    sizeof(err)) < 0) {
		ret = reply_err(r, mc, 400, R_ZONE, "Invalid zone data: %s",
		    err);
		goto out;
	}
	job->action = JOB_SAVE;
	strcpy(job->zone, name);
	job->pushed_us = clock_wall_us();
	job->serial = info.serial;
	job->text = out;
	job->textlen = outlen;
	if ((owner = owner_change(job, oldhost)) < 0) {
		note_error("unable to look up zone %s: store error", name);
		ret = reply_err(r, mc, 500, R_STORE, "Store error");
		goto out;
	}
	if (owner == 1 && !set.allow_owner_change) {
		ret = reply_err(r, mc, 403, R_OWNER, "Save of %s refused: it"
		    " belongs to %s, not %s, and owner changes are refused"
		    " here", name, oldhost, job->hostname);
		goto out;
	}
	if (commit_jobs(job, 1, err, sizeof(err)) < 0) {
		note_error("unable to queue zone %s: %s", name, err);
		/* The log has the detail; DirectAdmin learns no path. */
		ret = reply_err(r, mc, 500, R_COMMIT, "Unable to queue zone "
		    "%s: not stored, see the server's log", name);
		goto out;
	}
	if (owner == 1)
		owner_changed(job, oldhost);
	observe_ack(r);
	pthread_mutex_lock(&stats.mu);
	stats.acks[0]++;
	pthread_mutex_unlock(&stats.mu);
	ret = reply_str(r, mc, 200, "error=0");
out:
	free(out);
	free(job);
	return ret;
}

/* Is key "select" followed by digits only? */
static int
is_select(const char *key)
{
	const char *p;

	if (strncmp(key, "select", 6) != 0 || key[6] == '\0')
		return 0;
	for (p = key + 6; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static enum MHD_Result
do_delete(struct req *r, struct MHD_Connection *mc, const struct params *pp)
{
	char host[JOB_NAME_MAX + 1], user[JOB_NAME_MAX + 1], err[512];
	const struct form *src = &pp->q;
	const char *d, *why;
	struct store_zone z;
	struct job *jobs = NULL;
	size_t i, k, n = 0, max;
	enum MHD_Result ret;
	long long now = clock_wall_us();
	int rc;

	if (owner_copy(host, param(pp, "hostname"), 1) < 0)
		return reply_err(r, mc, 400, R_OWNER_FIELD, "Invalid hostname");
	if (owner_copy(user, param(pp, "username"), 0) < 0)
		return reply_err(r, mc, 400, R_OWNER_FIELD, "Invalid username");
	/* DirectAdmin names the zones select0..selectN (in the body); the
	 * original's domain= is the fallback. */
	if (pp->body_is_form)
		for (i = 0; i < pp->b.n; i++)
			if (is_select(pp->b.pairs[i].key))
				src = &pp->b;
	max = src->n + 1;
	if ((jobs = calloc(max, sizeof(*jobs))) == NULL)
		return reply_err(r, mc, 500, R_COMMIT, "Out of memory");
	for (i = 0; i <= src->n && n < max; i++) {
		if (i < src->n) {
			if (!is_select(src->pairs[i].key))
				continue;
			d = src->pairs[i].val;
		} else {
			if (n > 0)
				break;
			if ((d = param(pp, "domain")) == NULL || *d == '\0')
				break;
		}
		if (*d == '\0')
			continue;
		if (zone_name_norm(d, jobs[n].zone, &why) < 0) {
			ret = reply_err(r, mc, 400, R_NAME,
			    "Invalid domain name: %s", why);
			goto out;
		}
		for (k = 0; k < n; k++)
			if (strcmp(jobs[k].zone, jobs[n].zone) == 0)
				break;
		if (k < n)
			continue;
		n++;
	}
	if (n == 0) {
		ret = reply_err(r, mc, 400, R_PARAM,
		    "Missing 'domain' parameter");
		goto out;
	}
	note_zone(r, jobs[0].zone, n - 1);
	/* Ownership guard: a zone another DirectAdmin server pushed last is
	 * not deleted on this one's word (the zone moved and the old server
	 * removed it without "Keep DNS"). All or nothing. */
	for (i = 0; i < n; i++) {
		if ((rc = lookup(jobs[i].zone, &z)) < 0) {
			note_error("unable to look up zone %s: store error",
			    jobs[i].zone);
			ret = reply_err(r, mc, 500, R_STORE, "Store error");
			goto out;
		}
		if (rc == 1 && z.hostname[0] != '\0' &&
		    strcasecmp(z.hostname, host) != 0) {
			log_warn("delete refused zone=%s owner=%s requester=%s",
			    jobs[i].zone, z.hostname, host[0] ? host : "-");
			ret = reply_err(r, mc, 403, R_OWNER,
			    "Delete of %s refused: it belongs to %s, not %s",
			    jobs[i].zone, z.hostname, host[0] ? host :
			    "an unnamed server");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		jobs[i].action = JOB_DELETE;
		strcpy(jobs[i].hostname, host);
		strcpy(jobs[i].username, user);
		jobs[i].pushed_us = now;
	}
	if (commit_jobs(jobs, n, err, sizeof(err)) < 0) {
		note_error("unable to queue the delete of %s: %s", jobs[0].zone,
		    err);
		ret = reply_err(r, mc, 500, R_COMMIT, "Unable to queue the "
		    "delete of %s: not deleted, see the server's log",
		    jobs[0].zone);
		goto out;
	}
	observe_ack(r);
	pthread_mutex_lock(&stats.mu);
	stats.acks[1] += n;
	pthread_mutex_unlock(&stats.mu);
	ret = reply_str(r, mc, 200, "error=0");
out:
	free(jobs);
	return ret;
}

static enum MHD_Result
do_admin(struct req *r, struct MHD_Connection *mc)
{
	struct params pp;
	const char *q, *ctype, *action, *why;
	enum MHD_Result ret;
	int get;

	get = strcmp(r->method, "GET") == 0;
	if (!get && strcmp(r->method, "POST") != 0)
		return reply_err(r, mc, 405, R_METHOD, "Method not allowed");
	memset(&pp, 0, sizeof(pp));
	q = strchr(r->uri, '?');
	q = q ? q + 1 : "";
	if (form_parse(&pp.q, q, strlen(q), FORM_PAIRS_MAX, &why) < 0)
		return reply_err(r, mc, 400, R_FORM,
		    "Invalid query string: %s", why);
	ctype = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	pp.body_is_text = ctype != NULL && strcasestr(ctype, "text/plain");
	pp.query_action = form_get(&pp.q, "action") != NULL;
	/*
	 * DirectAdmin's delete has its parameters in a body without a
	 * Content-Type: with no action in the query, a body must be a form.
	 * With one (rawsave), the body is zone text; it is read as a form
	 * only when the client says so and it parses, for a zone_file field.
	 */
	if (!pp.body_is_text && !pp.query_action && r->len > 0) {
		if (form_parse(&pp.b, r->body, r->len, FORM_PAIRS_MAX,
		    &why) < 0) {
			ret = reply_err(r, mc, 400, R_FORM,
			    "Invalid form data: %s", why);
			goto out;
		}
		pp.body_is_form = 1;
	} else if (ctype != NULL && r->len > 0 &&
	    strcasestr(ctype, "application/x-www-form-urlencoded") &&
	    form_parse(&pp.b, r->body, r->len, FORM_PAIRS_MAX, &why) == 0)
		pp.body_is_form = 1;
	action = param(&pp, "action");
	log_copy(r->action, sizeof(r->action), action);
	if (get) {
		if (action == NULL || strcmp(action, "exists") != 0)
			ret = reply_err(r, mc, 400, R_ACTION,
			    "Unsupported GET action: %.*s", ECHO_MAX,
			    action ? action : "None");
		else
			ret = do_exists(r, mc, &pp);
	} else if (action == NULL || *action == '\0')
		ret = reply_str(r, mc, 200, "error=0&text=OK");
	else if (strcmp(action, "exists") == 0)
		ret = do_exists(r, mc, &pp);
	else if (strcmp(action, "rawsave") == 0)
		ret = do_rawsave(r, mc, &pp);
	else if (strcmp(action, "delete") == 0)
		ret = do_delete(r, mc, &pp);
	else
		ret = reply_err(r, mc, 400, R_ACTION,
		    "Unsupported action: %.*s", ECHO_MAX, action);
out:
	form_free(&pp.q);
	form_free(&pp.b);
	return ret;
}

/*
 * /status and /metrics.
 */

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

	if (io_fmt(p, sizeof(p), "%s/%s/trigger", set.spool,
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

	if (io_fmt(dir, sizeof(dir), "%s/%s/fail", set.spool,
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
	for (q = 0; q < nq; q++) {
		if ((c = spool_scan(set.spool, queues[q], &e)) <= 0)
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
			all[i].zone = queues[q];
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
		if (io_fmt(p, sizeof(p), "%s/%s/new/%s", set.spool,
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
peer_refused_json(struct sbuf *sb, const struct store_peer *p)
{
	char t[32];

	sb_add(sb, ",\"refused\":%llu,\"last_refused\":", p->refused);
	if (p->refused_us == 0) {
		sb_add(sb, "null");
		return;
	}
	sb_add(sb, "{\"zone\":");
	sb_json(sb, p->refused_zone);
	iso_time(p->refused_dated_us, t, sizeof(t));
	sb_add(sb, ",\"dated\":\"%s\"", t);
	iso_time(p->refused_us, t, sizeof(t));
	sb_add(sb, ",\"at\":\"%s\"}", t);
}

static void
status_json(struct sbuf *sb)
{
	struct qstate qs[CONFIG_BACKENDS_MAX];
	long long live = -1, tomb = -1;
	long save, del, retry, dead = 0;
	char t[32];
	int runners_ok = 1, rc;
	struct store_peer peers[CONFIG_PEERS_MAX];
	long long rec_start = 0, rec_end = 0;
	char *rec_json = NULL;
	size_t peers_degraded = 0;
	int rec_ok = 0;
	unsigned i, k, n;
	size_t q;

	memset(qs, 0, sizeof(qs));
	for (q = 0; q < nq; q++) {
		qs[q].n_new = spool_count(set.spool, queues[q],
		    "new");
		qs[q].n_fail = spool_count(set.spool, queues[q],
		    "fail");
		qs[q].runner = runner_alive(queues[q]);
		if (!qs[q].runner)
			runners_ok = 0;
		if (qs[q].n_fail > 0) {
			dead += qs[q].n_fail;
			last_failure(queues[q], &qs[q]);
		}
	}
	classify(&save, &del, &retry);
	pthread_mutex_lock(&rd_mu);
	rc = store_count(rd, &live, &tomb);
	/* reconcile and peer-pull are other processes: their liveness is
	 * unknown here (null), their last runs are in the store. */
	if (store_recon_last_get(rd, &rec_start, &rec_end, &rec_ok,
	    &rec_json) != 1) {
		free(rec_json);
		rec_json = NULL;
	}
	for (q = 0; q < set.npeers; q++) {
		if (store_peer_get(rd, set.peer_url[q], &peers[q]) < 0)
			memset(&peers[q], 0, sizeof(peers[q]));
		if (peers[q].failures >= PEER_FAILURES_DEGRADED)
			peers_degraded++;
	}
	pthread_mutex_unlock(&rd_mu);

	sb_add(sb, "{\"status\":\"%s\",",
	    !runners_ok || rc < 0 ? "error" :
	    retry > 0 || dead > 0 || peers_degraded > 0 ? "degraded" : "ok");
	sb_add(sb, "\"version\":\"%s\",\"uptime_seconds\":%lld,",
	    DADNS_VERSION, (clock_wall_us() - started_us) / 1000000);
	sb_add(sb, "\"queues\":{\"save\":%ld,\"delete\":%ld,\"retry\":%ld,"
	    "\"dead_letters\":%ld,\"backends\":{", save, del, retry, dead);
	for (q = 0; q < nq; q++) {
		sb_add(sb, "%s", q ? "," : "");
		sb_json(sb, queues[q]);
		sb_add(sb, ":{\"new\":%ld,\"fail\":%ld,\"runner\":%s,"
		    "\"last_error\":", qs[q].n_new, qs[q].n_fail,
		    qs[q].runner ? "true" : "false");
		if (qs[q].last_error_us == 0)
			sb_add(sb, "null}");
		else {
			iso_time(qs[q].last_error_us, t, sizeof(t));
			sb_add(sb, "{\"at\":\"%s\",\"job\":", t);
			sb_json(sb, qs[q].last_job);
			sb_add(sb, ",\"reason\":");
			sb_json(sb, qs[q].last_error);
			sb_add(sb, "}}");
		}
	}
	sb_add(sb, "}},");
	sb_add(sb, "\"workers\":{\"save\":%s,\"delete\":%s,"
	    "\"retry_drain\":%s},", runners_ok ? "true" : "false",
	    runners_ok ? "true" : "false", runners_ok ? "true" : "false");
	sb_add(sb, "\"reconciler\":{\"enabled\":%s,\"alive\":null,"
	    "\"dry_run\":%s,\"interval_minutes\":%u,\"last_run\":%s},",
	    set.rec_enabled ? "true" : "false",
	    set.rec_dry_run ? "true" : "false",
	    set.rec_interval,
	    rec_json != NULL && rec_json[0] == '{' ? rec_json : "{}");
	free(rec_json);
	sb_add(sb, "\"peer_sync\":{\"enabled\":%s,\"alive\":null,"
	    "\"interval_minutes\":%u,\"peers\":[",
	    set.peer_enabled ? "true" : "false",
	    set.peer_interval);
	for (q = 0; q < set.npeers; q++) {
		sb_add(sb, "%s{\"url\":", q ? "," : "");
		sb_json(sb, set.peer_url[q]);
		sb_add(sb, ",\"healthy\":%s,\"consecutive_failures\":%u,"
		    "\"last_seen\":", peers[q].failures <
		    PEER_FAILURES_DEGRADED ? "true" : "false",
		    peers[q].failures);
		if (peers[q].ok_us == 0)
			sb_add(sb, "null");
		else {
			iso_time(peers[q].ok_us, t, sizeof(t));
			sb_json(sb, t);
		}
		sb_add(sb, ",\"last_error\":");
		sb_json(sb, peers[q].error[0] ? peers[q].error : NULL);
		peer_refused_json(sb, &peers[q]);
		sb_add(sb, "}");
	}
	sb_add(sb, "],\"total\":%zu,\"healthy\":%zu,\"degraded\":%zu},",
	    set.npeers, set.npeers - peers_degraded, peers_degraded);
	sb_add(sb, "\"zones\":{\"total\":%lld,\"tombstones\":%lld},",
	    live < 0 ? 0 : live, tomb < 0 ? 0 : tomb);
	pthread_mutex_lock(&stats.mu);
	sb_add(sb, "\"receiver\":{\"acks\":{\"save\":%llu,\"delete\":%llu},"
	    "\"connections_dropped\":%llu},\"last_errors\":[",
	    stats.acks[0], stats.acks[1], stats.dropped);
	n = stats.nerrors < ERRORS_KEPT ? stats.nerrors : ERRORS_KEPT;
	for (k = 0; k < n; k++) {
		/* newest first */
		i = (stats.nerrors - 1 - k) % ERRORS_KEPT;
		iso_time(stats.errors[i].at_us, t, sizeof(t));
		sb_add(sb, "%s{\"at\":\"%s\",\"message\":", k ? "," : "", t);
		sb_json(sb, stats.errors[i].msg);
		sb_add(sb, "}");
	}
	pthread_mutex_unlock(&stats.mu);
	sb_add(sb, "]}");
}

/* Failed logins and lockouts. */
static void
metrics_auth(struct sbuf *sb)
{
	unsigned long long failures, lockouts, refused;
	size_t tracked = 0, locked = 0;

	pthread_mutex_lock(&au.mu);
	if (au.lim != NULL)
		authlimit_stats(au.lim, clock_ms(), &tracked, &locked);
	failures = au.failures;
	lockouts = au.lockouts;
	refused = au.refused;
	pthread_mutex_unlock(&au.mu);
	sb_add(sb, "# HELP dadns_auth_failures_total Requests with wrong"
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
owner_metrics(struct sbuf *sb)
{
	static const char *const src[] = { "directadmin", "peer" };
	unsigned long long changed[2], refused[2];
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&rd_mu);
	for (i = 0; i < 2 && rc == 0; i++)
		rc = store_owner_counts(rd, src[i], &changed[i], &refused[i]);
	pthread_mutex_unlock(&rd_mu);
	if (rc < 0)
		return;
	sb_add(sb, "# HELP dadns_owner_changes_total Saves that moved a zone"
	    " to another DirectAdmin server, by source.\n"
	    "# TYPE dadns_owner_changes_total counter\n");
	for (i = 0; i < 2; i++)
		sb_add(sb, "dadns_owner_changes_total{source=\"%s\"} %llu\n",
		    src[i], changed[i]);
	sb_add(sb, "# HELP dadns_owner_changes_refused_total Owner changes"
	    " refused (app.allow_owner_change false), by source.\n"
	    "# TYPE dadns_owner_changes_refused_total counter\n");
	for (i = 0; i < 2; i++)
		sb_add(sb, "dadns_owner_changes_refused_total{source=\"%s\"}"
		    " %llu\n", src[i], refused[i]);
}

/* The Prometheus text of a seconds histogram kept by hist_observe(). */
static void
hist_text(struct sbuf *sb, const char *name, const char *help,
    const double *le, size_t n, const unsigned long long *bucket, double sum)
{
	unsigned long long cum = 0;
	size_t i;

	sb_add(sb, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < n; i++) {
		cum += bucket[i];
		sb_add(sb, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], cum);
	}
	cum += bucket[n];
	sb_add(sb, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
	    "%s_count %llu\n", name, cum, name, sum, name, cum);
}

static void
metrics_text(struct sbuf *sb)
{
	unsigned long long cum;
	long long live = -1, tomb = -1;
	long c;
	size_t e, i, q;
	int rc;

	pthread_mutex_lock(&stats.mu);
	sb_add(sb, "# HELP dadns_http_requests_total HTTP requests answered,"
	    " by endpoint and status code.\n"
	    "# TYPE dadns_http_requests_total counter\n");
	for (e = 0; e < EP_N; e++)
		for (i = 0; i <= NCODES; i++) {
			if (stats.req[e][i] == 0)
				continue;
			if (i < NCODES)
				sb_add(sb, "dadns_http_requests_total{endpoint="
				    "\"%s\",code=\"%u\"} %llu\n", ep_name[e],
				    codes[i], stats.req[e][i]);
			else
				sb_add(sb, "dadns_http_requests_total{endpoint="
				    "\"%s\",code=\"other\"} %llu\n",
				    ep_name[e], stats.req[e][i]);
		}
	sb_add(sb, "# HELP dadns_acks_total Jobs acknowledged to DirectAdmin"
	    " after they were durable.\n# TYPE dadns_acks_total counter\n"
	    "dadns_acks_total{action=\"save\"} %llu\n"
	    "dadns_acks_total{action=\"delete\"} %llu\n",
	    stats.acks[0], stats.acks[1]);
	sb_add(sb, "# HELP dadns_rejects_total Requests refused, by reason.\n"
	    "# TYPE dadns_rejects_total counter\n");
	for (i = 0; i < R_N; i++)
		sb_add(sb, "dadns_rejects_total{reason=\"%s\"} %llu\n",
		    reason_name[i], stats.rejects[i]);
	sb_add(sb, "# HELP dadns_connections_dropped_total Connections cut"
	    " because the request did not arrive within app.request_timeout."
	    "\n# TYPE dadns_connections_dropped_total counter\n"
	    "dadns_connections_dropped_total %llu\n", stats.dropped);
	metrics_auth(sb);
	sb_add(sb, "# HELP dadns_commit_batch_jobs Jobs per group commit.\n"
	    "# TYPE dadns_commit_batch_jobs histogram\n");
	for (i = 0, cum = 0; i < NBATCH; i++) {
		cum += stats.batch_bucket[i];
		sb_add(sb, "dadns_commit_batch_jobs_bucket{le=\"%u\"} %llu\n",
		    batch_le[i], cum);
	}
	sb_add(sb, "dadns_commit_batch_jobs_bucket{le=\"+Inf\"} %llu\n"
	    "dadns_commit_batch_jobs_sum %llu\n"
	    "dadns_commit_batch_jobs_count %llu\n", stats.batches,
	    stats.batch_jobs, stats.batches);
	hist_text(sb, "dadns_commit_seconds", "Time to make a batch durable"
	    " (store transaction, job files, syncs).", lat_le, NLAT,
	    stats.lat_bucket, stats.lat_sum);
	hist_text(sb, "dadns_ack_seconds", "Time from a request's first line"
	    " to its durable ack (store row and job files synced).", ack_le,
	    NACK, stats.ack_bucket, stats.ack_sum);
	pthread_mutex_unlock(&stats.mu);

	sb_add(sb, "# HELP dadns_queue_depth Jobs waiting in a backend's"
	    " queue (new/).\n# TYPE dadns_queue_depth gauge\n");
	for (q = 0; q < nq; q++)
		if ((c = spool_count(set.spool, queues[q], "new")) >=
		    0)
			sb_add(sb, "dadns_queue_depth{backend=\"%s\"} %ld\n",
			    queues[q], c);
	sb_add(sb, "# HELP dadns_dead_letters Jobs a backend gave up on"
	    " (fail/).\n# TYPE dadns_dead_letters gauge\n");
	for (q = 0; q < nq; q++)
		if ((c = spool_count(set.spool, queues[q], "fail")) >=
		    0)
			sb_add(sb, "dadns_dead_letters{backend=\"%s\"} %ld\n",
			    queues[q], c);
	sb_add(sb, "# HELP dadns_runner_up Whether a runner listens on the"
	    " backend's queue trigger.\n# TYPE dadns_runner_up gauge\n");
	for (q = 0; q < nq; q++)
		sb_add(sb, "dadns_runner_up{backend=\"%s\"} %d\n", queues[q],
		    runner_alive(queues[q]));
	owner_metrics(sb);
	pthread_mutex_lock(&rd_mu);
	rc = store_count(rd, &live, &tomb);
	pthread_mutex_unlock(&rd_mu);
	if (rc == 0)
		sb_add(sb, "# HELP dadns_zones Zones in the store.\n"
		    "# TYPE dadns_zones gauge\n"
		    "dadns_zones{state=\"live\"} %lld\n"
		    "dadns_zones{state=\"tombstone\"} %lld\n", live, tomb);
	sb_add(sb, "# HELP dadns_start_time_seconds When da-receive started."
	    "\n# TYPE dadns_start_time_seconds gauge\n"
	    "dadns_start_time_seconds %lld\n", started_us / 1000000);
}

static enum MHD_Result
do_report(struct req *r, struct MHD_Connection *mc)
{
	struct sbuf sb = { NULL, 0, 0, 0 };
	enum MHD_Result ret;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		count_reject(R_METHOD);
		return reply_json(r, mc, 405,
		    "{\"error\":\"method not allowed\"}");
	}
	if (r->ep == EP_STATUS)
		status_json(&sb);
	else
		metrics_text(&sb);
	if (sb.oom) {
		free(sb.s);
		return reply_json(r, mc, 500, "{\"error\":\"out of memory\"}");
	}
	ret = reply(r, mc, 200, r->ep == EP_STATUS ? CT_JSON : CT_PROM,
	    sb.s, sb.len);
	free(sb.s);
	return ret;
}

/*
 * The peer API (/internal), peer credentials only: the original's
 * /internal/zones, /internal/zones?domain= and /internal/peers, plus the
 * incremental form /internal/zones?since=SEQ[&limit=N][&data=1] that
 * peer-pull reads (tombstones included, in change order, with this
 * store's instance id so a node can recognise itself).
 */

static char instance_id[STORE_ID_LEN + 1];

/* Collects store_changes() rows into a JSON array. */
struct chg {
	struct peer_buf	*b;
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
		peer_buf_add(c->b, ",", 1);
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
	struct peer_buf b = { NULL, 0, 0, 0 };
	char name[ZONE_NAME_MAX + 1];
	struct store_zone z;
	enum MHD_Result ret;
	const char *why;
	int rc;

	if (zone_name_norm(domain, name, &why) < 0)
		return reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	log_copy(r->zone, sizeof(r->zone), name);
	pthread_mutex_lock(&rd_mu);
	rc = store_get(rd, name, &z, 1);
	pthread_mutex_unlock(&rd_mu);
	if (rc < 0) {
		note_error("unable to read zone %s from the store", name);
		return reply_json(r, mc, 500,
		    "{\"error\": \"internal server error\"}");
	}
	if (rc == 0 || z.deleted_us != 0 || z.text == NULL) {
		store_zone_free(&z);
		return reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	}
	peer_json_zone(&b, &z);
	store_zone_free(&z);
	if (b.oom) {
		free(b.s);
		return reply_json(r, mc, 500, "{\"error\":\"out of memory\"}");
	}
	ret = reply(r, mc, 200, CT_JSON, b.s, b.len);
	free(b.s);
	return ret;
}

static enum MHD_Result
internal_zones(struct req *r, struct MHD_Connection *mc, const struct form *f)
{
	struct peer_buf b = { NULL, 0, 0, 0 };
	struct chg c;
	enum MHD_Result ret;
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
		return reply_json(r, mc, 400,
		    "{\"error\": \"invalid since, limit or data\"}");
	memset(&c, 0, sizeof(c));
	c.b = &b;
	c.last = since;
	if (incremental) {
		c.limit = limit;
		snprintf(head, sizeof(head), "{\"instance\":\"%s\","
		    "\"since\":%" PRIu64 ",\"zones\":[", instance_id, since);
	} else {
		/* The original's list: every live zone, no texts. */
		c.live_only = 1;
		data = 0;
		snprintf(head, sizeof(head), "[");
	}
	peer_buf_add(&b, head, strlen(head));
	pthread_mutex_lock(&rd_mu);
	n = store_changes(rd, since, incremental ? limit + 1 : 0, (int)data,
	    chg_add, &c);
	pthread_mutex_unlock(&rd_mu);
	if (n < 0) {
		free(b.s);
		note_error("unable to list the store's zones");
		return reply_json(r, mc, 500,
		    "{\"error\": \"internal server error\"}");
	}
	if (incremental) {
		snprintf(head, sizeof(head), "],\"seq\":%" PRIu64
		    ",\"more\":%s}", c.last, c.more ? "true" : "false");
		peer_buf_add(&b, head, strlen(head));
	} else
		peer_buf_add(&b, "]", 1);
	if (b.oom) {
		free(b.s);
		return reply_json(r, mc, 500, "{\"error\":\"out of memory\"}");
	}
	ret = reply(r, mc, 200, CT_JSON, b.s, b.len);
	free(b.s);
	return ret;
}

static enum MHD_Result
do_internal(struct req *r, struct MHD_Connection *mc)
{
	struct peer_buf b = { NULL, 0, 0, 0 };
	struct form f;
	enum MHD_Result ret;
	const char *q, *why;
	size_t plen, i;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		count_reject(R_METHOD);
		return reply_json(r, mc, 405,
		    "{\"error\":\"method not allowed\"}");
	}
	q = strchr(r->uri, '?');
	plen = q ? (size_t)(q - r->uri) : strlen(r->uri);
	q = q ? q + 1 : "";
	if (form_parse(&f, q, strlen(q), FORM_PAIRS_MAX, &why) < 0) {
		count_reject(R_FORM);
		return reply_json(r, mc, 400,
		    "{\"error\": \"invalid query string\"}");
	}
	if (plen == 15 && strncmp(r->uri, "/internal/zones", plen) == 0)
		ret = internal_zones(r, mc, &f);
	else if (plen == 15 && strncmp(r->uri, "/internal/peers", plen) == 0) {
		/* The configured peers' URLs, never their credentials. */
		peer_buf_add(&b, "[", 1);
		for (i = 0; i < set.npeers; i++) {
			if (i > 0)
				peer_buf_add(&b, ",", 1);
			peer_buf_str(&b, set.peer_url[i],
			    strlen(set.peer_url[i]));
		}
		peer_buf_add(&b, "]", 1);
		ret = b.oom ? reply_json(r, mc, 500,
		    "{\"error\":\"out of memory\"}") :
		    reply(r, mc, 200, CT_JSON, b.s, b.len);
		free(b.s);
	} else
		ret = reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	form_free(&f);
	return ret;
}

/*
 * libmicrohttpd callbacks.
 */

static enum ep
route(const char *url)
{
	if (strcmp(url, "/") == 0)
		return EP_ROOT;
	if (strcmp(url, "/CMD_API_LOGIN_TEST") == 0)
		return EP_LOGIN;
	if (strcmp(url, "/CMD_API_DNS_ADMIN") == 0)
		return EP_ADMIN;
	if (strcmp(url, "/status") == 0 || strcmp(url, "/status/") == 0)
		return EP_STATUS;
	if (strcmp(url, "/metrics") == 0)
		return EP_METRICS;
	if (strcmp(url, "/health") == 0)
		return EP_HEALTH;
	if (strcmp(url, "/internal") == 0 ||
	    strncmp(url, "/internal/", 10) == 0)
		return EP_INTERNAL;
	return EP_OTHER;
}

/* A locked-out source's answer, as DirectAdmin shows it. */
static enum MHD_Result
reply_locked(struct req *r, struct MHD_Connection *mc)
{
	char buf[REPLY_MAX];

	if (form_reply(buf, sizeof(buf), "error", "1", "text",
	    "Too many failed logins from this address, retry later",
	    (char *)NULL) < 0)
		strcpy(buf, "error=1");
	return reply_str(r, mc, MHD_HTTP_TOO_MANY_REQUESTS, buf);
}

static struct conn *
conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The first call for a request: route, authenticate, size check. */
static void
req_start(struct req *r, struct MHD_Connection *mc, const char *url,
    const char *method)
{
	const char *cl;
	char *end;
	unsigned long long len;

	snprintf(r->method, sizeof(r->method), "%s", method);
	r->ep = route(url);
	if (r->ep == EP_INTERNAL) {
		/* The peer API is served by peer credentials only, never
		 * the DirectAdmin ones. */
		r->reject = auth_check(r, mc, &au.peer);
	} else if (r->ep != EP_HEALTH || set.health_auth)
		r->reject = auth_check(r, mc, &au.da);
	cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		errno = 0;
		len = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || len > set.max_body)
			r->too_big = 1;
	}
	r->keep = r->ep == EP_ADMIN && r->reject == 0 && !r->too_big;
}

/* Take a piece of the body. Returns 0, or -1 to close the connection. */
static int
req_body(struct req *r, const char *data, size_t n)
{
	size_t cap;
	char *nb;

	r->seen += n;
	if (r->seen > set.max_body + DRAIN_MAX)
		return -1;
	if (r->seen > set.max_body) {
		r->too_big = 1;
		r->keep = 0;
	}
	if (!r->keep) {
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		if ((nb = realloc(r->body, cap)) == NULL)
			return -1;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static enum MHD_Result
req_finish(struct req *r, struct MHD_Connection *mc)
{
	struct conn *c;

	pthread_mutex_lock(&conn_mu);
	if ((c = conn_of(mc)) != NULL)
		c->busy = 1;
	pthread_mutex_unlock(&conn_mu);
	if (r->reject == 401)
		return reply_err(r, mc, 401, R_AUTH, "Unauthorized");
	if (r->reject == 429)
		return reply_locked(r, mc);
	if (r->reject == 404)
		return reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	if (r->too_big)
		return reply_err(r, mc, 413, R_SIZE,
		    "Request body larger than %zu bytes", set.max_body);
	switch (r->ep) {
	case EP_ROOT:
		return reply_str(r, mc, 200, ROOT_TEXT);
	case EP_LOGIN:
		/* Any method, any parameters: DirectAdmin shows the text. */
		return reply_str(r, mc, 200, "error=0&text=Login+OK");
	case EP_ADMIN:
		return do_admin(r, mc);
	case EP_STATUS:
	case EP_METRICS:
		return do_report(r, mc);
	case EP_HEALTH:
		return reply(r, mc, 200, "text/plain", "ok", 2);
	case EP_INTERNAL:
		return do_internal(r, mc);
	default:
		return reply_err(r, mc, 404, R_PARAM, "Not found");
	}
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upsize, void **req_cls)
{
	struct req *r = *req_cls;

	(void)cls;
	(void)version;
	if (r == NULL)
		return MHD_NO;	/* no context: out of memory */
	if (!r->started) {
		r->started = 1;
		req_start(r, mc, url, method);
		return MHD_YES;
	}
	if (*upsize > 0) {
		if (req_body(r, upload, *upsize) < 0)
			return MHD_NO;
		*upsize = 0;
		return MHD_YES;
	}
	if (r->status != 0)
		return MHD_YES;
	return req_finish(r, mc);
}


/* The request line arrived: make the request's context, keeping the raw
 * target for our own query parser. */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct conn *c;
	struct req *r;

	(void)cls;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->uri = strdup(uri)) == NULL) {
		free(r);
		return NULL;
	}
	r->t0_us = clock_wall_us();
	pthread_mutex_lock(&conn_mu);
	c = conn_of(mc);
	snprintf(r->ip, sizeof(r->ip), "%s", c ? c->ip : "-");
	pthread_mutex_unlock(&conn_mu);
	return r;
}

static void
completed_cb(void *cls, struct MHD_Connection *mc, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *req_cls;
	char path[72], status[16], *q;
	struct conn *c;

	(void)cls;
	if (r == NULL)
		return;
	*req_cls = NULL;
	/* The path only: the query may hold a zone_file. */
	if ((q = strchr(r->uri, '?')) != NULL)
		*q = '\0';
	log_copy(path, sizeof(path), r->uri);
	if (r->status != 0)
		snprintf(status, sizeof(status), "%u", r->status);
	else
		snprintf(status, sizeof(status), "none");
	if (r->status == 0 || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_info("%s %s status=%s action=%s zone=%s ms=%.1f ip=%s "
		    "end=%s", r->method[0] ? r->method : "-", path, status,
		    r->action[0] ? r->action : "-",
		    r->zone[0] ? r->zone : "-",
		    (clock_wall_us() - r->t0_us) / 1000.0,
		    r->ip,
		    toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout" :
		    toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "aborted" :
		    toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown" :
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" :
		    "error");
	else
		log_info("%s %s status=%s action=%s zone=%s ms=%.1f ip=%s",
		    r->method, path, status, r->action[0] ? r->action : "-",
		    r->zone[0] ? r->zone : "-",
		    (clock_wall_us() - r->t0_us) / 1000.0,
		    r->ip);
	/* The connection may be gone already (closed before the request
	 * was reported complete): look it up, never keep a pointer. */
	pthread_mutex_lock(&conn_mu);
	if ((c = conn_of(mc)) != NULL) {
		c->busy = 0;
		c->start_ms = clock_ms();	/* the next request's */
	}
	pthread_mutex_unlock(&conn_mu);
	pthread_mutex_lock(&stats.mu);
	stats.last_ms = clock_ms();
	stats.trim = 1;
	pthread_mutex_unlock(&stats.mu);
	free(r->uri);
	free(r->body);
	free(r);
}

static void
conn_cb(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	struct conn *c;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			*socket_context = NULL;
			return;
		}
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci ? ci->connect_fd : -1;
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		sa = ci ? ci->client_addr : NULL;
		if (sa != NULL && sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)sa)->sin_addr, c->ip, sizeof(c->ip));
		else if (sa != NULL && sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)sa)->sin6_addr, c->ip,
			    sizeof(c->ip));
		else
			strcpy(c->ip, "-");
		c->start_ms = clock_ms();
		pthread_mutex_lock(&conn_mu);
		c->next = conns;
		if (conns != NULL)
			conns->prev = c;
		conns = c;
		pthread_mutex_unlock(&conn_mu);
		*socket_context = c;
		return;
	}
	if ((c = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&conn_mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&conn_mu);
	*socket_context = NULL;
	free(c);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* Cut connections whose request has not fully arrived within
 * app.request_timeout: the idle timeout alone lets a client trickle one
 * byte a second forever. */
static void
watchdog(void)
{
	long long now = clock_ms(), limit;
	struct conn *c;

	limit = (long long)set.request_timeout * 1000;
	if (limit <= 0)
		return;
	pthread_mutex_lock(&conn_mu);
	for (c = conns; c != NULL; c = c->next) {
		if (c->busy || c->dropped || c->fd < 0 ||
		    now - c->start_ms <= limit)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->dropped = 1;
		log_info("dropped a slow client ip=%s after %lld ms", c->ip,
		    now - c->start_ms);
		pthread_mutex_lock(&stats.mu);
		stats.dropped++;
		pthread_mutex_unlock(&stats.mu);
	}
	pthread_mutex_unlock(&conn_mu);
}

/* After a quiet spell, hand freed memory back to the system. */
static void
idle_trim(void)
{
	int trim = 0;

	pthread_mutex_lock(&stats.mu);
	if (stats.trim && clock_ms() - stats.last_ms > TRIM_IDLE_MS) {
		stats.trim = 0;
		trim = 1;
	}
	pthread_mutex_unlock(&stats.mu);
	if (trim)
		malloc_trim(0);
}

/*
 * Start-up.
 */

static int
listen_on(const char *addr, unsigned port, int *family)
{
	struct addrinfo hints, *res;
	char ports[16];
	int fd, one = 1, zero = 0, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ports, sizeof(ports), "%u", port);
	if ((e = getaddrinfo(addr[0] ? addr : NULL, ports, &hints, &res)) !=
	    0)
		die(EXIT_USAGE, "invalid app.listen_addr %s: %s", addr,
		    gai_strerror(e));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_sys(EXIT_TEMP, "unable to create a socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
		die_sys(EXIT_TEMP, "unable to bind to %s port %u",
		    addr[0] ? addr : "*", port);
	if (listen(fd, 256) < 0)
		die_sys(EXIT_TEMP, "unable to listen on %s port %u",
		    addr[0] ? addr : "*", port);
	*family = res->ai_family;
	freeaddrinfo(res);
	return fd;
}

static char *
read_pem(const char *path, const char *key)
{
	char *buf;
	size_t len;

	if (path[0] == '\0')
		die(EXIT_USAGE, "app.ssl_enable is set but %s is empty", key);
	if (io_read_file(AT_FDCWD, path, 1024 * 1024, &buf, &len) < 0)
		die_sys(EXIT_USAGE, "unable to read %s %s", key, path);
	return buf;
}


/* Draw the key, keep the credentials as its digests only, and set up the
 * failed-login table. */
static void
auth_setup(const struct config *cfg)
{
	unsigned char key[AUTH_KEY_LEN];
	uint64_t seed;

	if (getrandom(key, sizeof(key), 0) != sizeof(key) ||
	    getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		die_sys(EXIT_TEMP, "unable to draw a random key");
	auth_key_init(&au.key, key);
	explicit_bzero(key, sizeof(key));
	auth_cred_init(&au.da, &au.key, cfg->app.auth_username,
	    cfg->app.auth_password);
	auth_cred_init(&au.peer, &au.key, cfg->peer_sync.auth_username,
	    cfg->peer_sync.auth_password);
	au.window = cfg->app.auth_failure_window;
	au.lockout = cfg->app.auth_lockout;
	if (cfg->app.auth_max_failures > 0 && (au.lim = authlimit_new(
	    cfg->app.auth_tracked_sources, cfg->app.auth_max_failures,
	    au.window, au.lockout, seed)) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate the failed-login table");
}

/* One warning when fd listens beyond loopback without TLS: passwords and
 * zones would cross the network in clear text. */
static void
warn_cleartext(int fd, int tls)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *in = (const void *)&ss;
	const struct sockaddr_in6 *in6 = (const void *)&ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	unsigned port;
	int loopback;

	if (tls || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		loopback = ntohl(in->sin_addr.s_addr) >> 24 == 127;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		    in6->sin6_addr.s6_addr[12] == 127);
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	} else
		return;
	if (!loopback)
		log_warn("listening on %s port %u without TLS: passwords and"
		    " zones cross the network in clear text; set"
		    " app.ssl_enable or listen on 127.0.0.1", host, port);
}

/* Copy what the server needs at run time out of cfg. */
static void
keep_settings(const struct config *cfg)
{
	size_t i;

	set.check_subdomain_owner = cfg->app.check_subdomain_owner;
	set.allow_owner_change = cfg->app.allow_owner_change;
	set.health_auth = cfg->app.health_auth;
	set.max_body = cfg->app.max_body;
	set.request_timeout = cfg->app.request_timeout;
	snprintf(set.spool, sizeof(set.spool), "%s", cfg->queue_location);
	set.rec_enabled = cfg->reconciliation.enabled;
	set.rec_dry_run = cfg->reconciliation.dry_run;
	set.rec_interval = cfg->reconciliation.interval_minutes;
	set.peer_enabled = cfg->peer_sync.enabled;
	set.peer_interval = cfg->peer_sync.interval_minutes;
	for (i = 0; i < cfg->peer_sync.npeers && i < CONFIG_PEERS_MAX; i++)
		snprintf(set.peer_url[i], sizeof(set.peer_url[i]), "%s",
		    cfg->peer_sync.peers[i].url);
	set.npeers = i;
	for (i = 0; i < nq; i++) {
		snprintf(set.queue[i], sizeof(set.queue[i]), "%s", queues[i]);
		queues[i] = set.queue[i];
	}
}

int
main(int argc, char *argv[])
{
	struct MHD_OptionItem ops[20];
	struct MHD_Daemon *d;
	struct config *cfg;
	const char *cpath = NULL;
	char err[1024], *cert = NULL, *key = NULL, *chain, *full, *slash;
	char dbdir[CONFIG_PATH_MAX];
	unsigned flags;
	size_t no = 0;
	sigset_t sigs;
	struct timespec tick;
	int c, level = -1, notify = -1, lfd, family, sig;

	log_init("da-receive");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	opterr = 0;
	while ((c = getopt(argc, argv, "c:d:hqv")) != -1) {
		switch (c) {
		case 'c':
			cpath = optarg;
			break;
		case 'd':
			if ((notify = ready_fd_parse(optarg, err,
			    sizeof(err))) < 0)
				die(EXIT_USAGE, "%s", err);
			break;
		case 'h':
			help();
			return 0;
		case 'q':
			level = LOG_WARN;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	/* Few malloc arenas: every connection has its own thread. */
	mallopt(M_ARENA_MAX, 2);

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	if (config_load(cfg, cpath, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	log_set_level(level >= 0 ? level : cfg->log_level);
	appconf_warn(&cfg->unknown);
	if (cfg->app.auth_password[0] == '\0')
		die(EXIT_USAGE, "no password configured: set app.auth_password"
		    " in app.yml or DADNS_APP_AUTH_PASSWORD");
	if (cfg->app.auth_username[0] == '\0')
		die(EXIT_USAGE, "no user configured: set app.auth_username"
		    " in app.yml or DADNS_APP_AUTH_USERNAME");
	nq = config_queues(cfg, queues, CONFIG_BACKENDS_MAX);
	keep_settings(cfg);
	auth_setup(cfg);
	if (nq == 0)
		log_warn("no backend enabled: zones are stored, not written"
		    " anywhere");
	if (spool_init(cfg->queue_location, queues, nq) < 0)
		die_sys(EXIT_TEMP, "unable to set up the spool %s",
		    cfg->queue_location);
	if ((slash = strrchr(cfg->db_location, '/')) != NULL &&
	    slash != cfg->db_location) {
		snprintf(dbdir, sizeof(dbdir), "%.*s",
		    (int)(slash - cfg->db_location), cfg->db_location);
		if (io_mkdir_p(dbdir, 0750) < 0)
			die_sys(EXIT_TEMP, "unable to create %s", dbdir);
	}
	if ((gc.st = store_open(cfg->db_location, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	if ((rd = store_open(cfg->db_location, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	if (store_instance_id(gc.st, instance_id) < 0)
		die(EXIT_TEMP, "unable to read the instance id from %s: %s",
		    cfg->db_location, store_errmsg(gc.st));

	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
	    | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (cfg->app.ssl_enable) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			die(EXIT_USAGE, "app.ssl_enable is set but this"
			    " libmicrohttpd has no TLS");
		cert = read_pem(cfg->app.ssl_cert, "app.ssl_cert");
		key = read_pem(cfg->app.ssl_key, "app.ssl_key");
		if (cfg->app.ssl_bundle[0] != '\0') {
			/* The chain follows the certificate in one PEM. */
			chain = read_pem(cfg->app.ssl_bundle, "app.ssl_bundle");
			if (asprintf(&full, "%s\n%s", cert, chain) < 0)
				die_sys(EXIT_TEMP, "unable to allocate");
			free(cert);
			free(chain);
			cert = full;
		}
		flags |= MHD_USE_TLS;
		ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
		    0, cert };
		ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY,
		    0, key };
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* Blocked before any thread starts, so only sigtimedwait() below
	 * sees them. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = listen_on(cfg->app.listen_addr, cfg->app.listen_port, &family);
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, lfd,
	    NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    cfg->app.max_connections, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    cfg->app.max_connections_per_ip, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    cfg->app.request_timeout, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    MEM_LIMIT, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_STACK_SIZE,
	    STACK_SIZE, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
	    (intptr_t)uri_cb, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)completed_cb, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)conn_cb, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)mhd_log, NULL };
	ops[no++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	started_us = clock_wall_us();
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (d == NULL) {
		if (cfg->app.ssl_enable)
			die(EXIT_USAGE, "unable to start the HTTPS server:"
			    " check app.ssl_cert %s and app.ssl_key %s",
			    cfg->app.ssl_cert, cfg->app.ssl_key);
		die(EXIT_TEMP, "unable to start the HTTP server");
	}
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	log_info("listening on %s port %u%s, %zu queue(s), store %s",
	    cfg->app.listen_addr[0] ? cfg->app.listen_addr : "*",
	    cfg->app.listen_port, cfg->app.ssl_enable ? " with TLS" : "", nq,
	    cfg->db_location);
	warn_cleartext(lfd, cfg->app.ssl_enable);
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	/* What start-up parsed and freed goes back after the first quiet
	 * spell. */
	stats.trim = 1;
	if (ready_notify(notify) == -1)
		log_warn_sys("unable to notify readiness on fd %d", notify);

	tick.tv_sec = 0;
	tick.tv_nsec = TICK_MS * 1000000L;
	for (;;) {
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			log_info("SIGHUP ignored: restart to reload app.yml");
		watchdog();
		idle_trim();
	}
	log_info("stopping on signal %d", sig);
	MHD_stop_daemon(d);
	store_close(gc.st);
	store_close(rd);
	authlimit_free(au.lim);
	free(cert);
	free(key);
	return 0;
}
