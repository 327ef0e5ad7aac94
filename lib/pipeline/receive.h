/* receive.h -- da-receive's parts and the one state they share */
/* SPDX-License-Identifier: ISC */
#ifndef RECEIVE_H
#define RECEIVE_H

#include <netinet/in.h>

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "spool.h"
#include "store.h"

#ifndef DADNS_VERSION
#define DADNS_VERSION	"0.1.0"
#endif
/* DirectAdmin replies carry CherryPy's default type, as the original. */
#define CT_DA		"text/html;charset=utf-8"
#define CT_JSON		"application/json"
#define CT_PROM		"text/plain; version=0.0.4; charset=utf-8"
#define REPLY_MAX	2048
#define ERRORS_KEPT	8	/* last errors shown by /status */
#define NCODES		10	/* status codes counted apart */
#define NLAT		10	/* commit seconds buckets */
#define NBATCH		8	/* jobs per commit buckets */
#define NACK		20	/* ack seconds buckets */

struct job;

enum ep {
	EP_ROOT, EP_LOGIN, EP_ADMIN, EP_STATUS, EP_METRICS, EP_HEALTH,
	EP_INTERNAL, EP_OTHER, EP_N
};

enum reason {
	R_AUTH, R_METHOD, R_PARAM, R_NAME, R_OWNER_FIELD, R_ZONE, R_SIZE,
	R_FORM, R_OWNER, R_ACTION, R_COMMIT, R_STORE, R_N
};

extern const char *const rx_ep_name[EP_N];
extern const unsigned rx_codes[NCODES];
extern const double rx_lat_le[NLAT];
extern const unsigned rx_batch_le[NBATCH];
extern const double rx_ack_le[NACK];

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
	struct buf	 body;
	size_t		 seen;
	unsigned	 status;	/* replied with, 0 when none */
	unsigned	 retry_after;	/* seconds, with a 429 */
	char		 action[16];	/* for the log line */
	char		 zone[96];
};

/* What the running server needs of app.yml: the whole struct config
 * (200 KiB, all of it touched) is freed once the server is up. */
struct rx_settings {
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
};

/* Counters for /metrics and /status, under their own mutex. */
struct rx_stats {
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
};

/* Who may read /metrics: its own credentials (app.metrics_password set),
 * anyone (unset, listening on loopback only), or DirectAdmin's (unset,
 * listening elsewhere). */
enum rx_metrics_auth { RXM_DA, RXM_OWN, RXM_OPEN };

/* The configured credentials kept only as digests under a key drawn at
 * start, and failed logins limited per source address. */
struct rx_auth {
	pthread_mutex_t	 mu;		/* the limiter and the counters */
	struct auth_key	 key;
	struct auth_cred da, peer;
	struct auth_cred metrics;	/* app.metrics_username/_password */
	enum rx_metrics_auth metrics_auth;
	struct authlimit *lim;		/* NULL: no limit */
	unsigned	 window, lockout;	/* seconds */
	unsigned long long failures, lockouts, refused;
};

/* The server's state. The read handle (sqlite handles are
 * single-threaded) serves exists lookups, owner checks and counts, short
 * enough for one lock; the write handle is the group commit leader's. */
struct receiver {
	struct rx_settings set;
	char		*queues[CONFIG_BACKENDS_MAX];	/* into set.queue */
	size_t		 nq;
	long long	 started_us;
	char		 instance_id[STORE_ID_LEN + 1];
	pthread_mutex_t	 rd_mu;
	struct store	*rd;
	struct store	*wr;
	struct rx_stats	 stats;
	struct rx_auth	 au;
};

extern struct receiver rx;

/* Answer r with status and body[0..len) of type ctype, and count it. */
enum MHD_Result rx_reply(struct req *r, struct MHD_Connection *mc,
    unsigned status, const char *ctype, const char *body, size_t len);

/* Answer r with the string body as DirectAdmin's text/html. */
enum MHD_Result rx_reply_str(struct req *r, struct MHD_Connection *mc,
    unsigned status, const char *body);

/* Answer r with the JSON string body. */
enum MHD_Result rx_reply_json(struct req *r, struct MHD_Connection *mc,
    unsigned status, const char *body);

/* Answer r with 200 and the contents of b of type ctype, or with a JSON
 * 500 when b ran out of memory; b is freed either way. */
enum MHD_Result rx_reply_buf(struct req *r, struct MHD_Connection *mc,
    const char *ctype, struct buf *b);

/* Answer r with a DirectAdmin error (error=1&text=<message>) and count
 * the reject under why. */
enum MHD_Result rx_reply_err(struct req *r, struct MHD_Connection *mc,
    unsigned status, enum reason why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Log an error and keep it for /status. */
void rx_note_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Count a request refused for why. */
void rx_count_reject(enum reason why);

/* Copy at most size-1 bytes of s into dst, replacing anything that is
 * not printable ASCII with '?', for log lines. */
void rx_log_copy(char *dst, size_t size, const char *s);

/* Add the headers of a refused login to resp: the realm with a 401, the
 * wait with a 429, and the connection closed after either. */
void rx_auth_headers(const struct req *r, struct MHD_Response *resp,
    unsigned status);

/* The request's Basic credentials against want, unless its source is
 * locked out. Returns 0 when they match, else the status to answer: 401,
 * or 429 with r->retry_after set. */
unsigned rx_auth_check(struct req *r, struct MHD_Connection *mc,
    const struct auth_cred *want);

/* Check a /metrics request as rx.au.metrics_auth says: no credentials,
 * /metrics's own, or DirectAdmin's. Returns 0 or the status to answer, as
 * rx_auth_check(). */
unsigned rx_auth_metrics(struct req *r, struct MHD_Connection *mc);

/* Set rx.au.metrics_auth from cfg (app.metrics_password, and whether
 * app.listen_addr is a loopback address) and log the rule in force: a
 * warning when /metrics takes DirectAdmin's credentials. */
void rx_auth_metrics_setup(const struct config *cfg);

/* Commit jobs[0..n) durably, sharing the work with concurrent requests.
 * Returns 0, or -1 with a message in err. */
int rx_commit_jobs(struct job *jobs, size_t n, char *err, size_t errlen);

/* Count r acknowledged: its jobs are durable, the reply is about to go. */
void rx_observe_ack(const struct req *r);

/* Serve /CMD_API_DNS_ADMIN: exists, rawsave, delete. */
enum MHD_Result rx_admin(struct req *r, struct MHD_Connection *mc);

/* Serve /status (JSON) or /metrics (Prometheus text), by r->ep. */
enum MHD_Result rx_report(struct req *r, struct MHD_Connection *mc);

/* Serve the peer API under /internal. */
enum MHD_Result rx_internal(struct req *r, struct MHD_Connection *mc);

#endif
