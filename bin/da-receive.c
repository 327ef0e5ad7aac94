/* da-receive.c -- DirectAdmin's "Extra DNS server" API: validate, store and
 * enqueue durably, then acknowledge */
/* SPDX-License-Identifier: ISC */
#define USAGE "da-receive [-V] [-c app.yml] [-d fd] [-v|-q]"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "appconf.h"
#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "form.h"
#include "io.h"
#include "log.h"
#include "ready.h"
#include "receive.h"
#include "spool.h"
#include "store.h"
#include "version.h"

#define ROOT_TEXT	"DNS Admin API - Available endpoints: " \
	"/CMD_API_DNS_ADMIN"
#define DRAIN_MAX	(16 * 1024 * 1024)	/* dropped past max_body */
#define STACK_SIZE	(512 * 1024)	/* per connection thread */
#define MEM_LIMIT	(32 * 1024)	/* per connection: headers */
#define TICK_MS		250	/* watchdog period */
#define TRIM_IDLE_MS	2000	/* quiet before memory goes back */
#define STOP_WAIT_MS	8000	/* at stop, for requests in flight */

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

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V       print the version and exit\n"
	    "  -c FILE  app.yml to read (default: $DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -d FD    write a newline to FD when listening (s6 readiness)\n"
	    "  -v       log debug messages\n"
	    "  -q       log warnings and errors only\n"
	    "Serves DirectAdmin's CMD_API_LOGIN_TEST and CMD_API_DNS_ADMIN,"
	    " /health, /status, /metrics.\n", USAGE);
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
	return rx_reply_str(r, mc, MHD_HTTP_TOO_MANY_REQUESTS, buf);
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
		r->reject = rx_auth_check(r, mc, &rx.au.peer);
	} else if (r->ep == EP_METRICS)
		r->reject = rx_auth_metrics(r, mc);
	else if (r->ep != EP_HEALTH || rx.set.health_auth)
		r->reject = rx_auth_check(r, mc, &rx.au.da);
	cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		errno = 0;
		len = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || len > rx.set.max_body)
			r->too_big = 1;
	}
	r->keep = r->ep == EP_ADMIN && r->reject == 0 && !r->too_big;
}

/* Take a piece of the body. Returns 0, or -1 to close the connection. */
static int
req_body(struct req *r, const char *data, size_t n)
{
	r->seen += n;
	if (r->seen > rx.set.max_body + DRAIN_MAX)
		return -1;
	if (r->seen > rx.set.max_body) {
		r->too_big = 1;
		r->keep = 0;
	}
	if (!r->keep) {
		buf_free(&r->body);
		return 0;
	}
	return buf_add(&r->body, data, n);
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
		return rx_reply_err(r, mc, 401, R_AUTH, "Unauthorized");
	if (r->reject == 429)
		return reply_locked(r, mc);
	if (r->reject == 404)
		return rx_reply_json(r, mc, 404, "{\"error\": \"not found\"}");
	if (r->too_big)
		return rx_reply_err(r, mc, 413, R_SIZE,
		    "Request body larger than %zu bytes", rx.set.max_body);
	switch (r->ep) {
	case EP_ROOT:
		return rx_reply_str(r, mc, 200, ROOT_TEXT);
	case EP_LOGIN:
		/* Any method, any parameters: DirectAdmin shows the text. */
		return rx_reply_str(r, mc, 200, "error=0&text=Login+OK");
	case EP_ADMIN:
		return rx_admin(r, mc);
	case EP_STATUS:
	case EP_METRICS:
		return rx_report(r, mc);
	case EP_HEALTH:
		return rx_reply(r, mc, 200, "text/plain", "ok", 2);
	case EP_INTERNAL:
		return rx_internal(r, mc);
	default:
		return rx_reply_err(r, mc, 404, R_PARAM, "Not found");
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
	rx_log_copy(path, sizeof(path), r->uri);
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
	pthread_mutex_lock(&rx.stats.mu);
	rx.stats.last_ms = clock_ms();
	rx.stats.trim = 1;
	pthread_mutex_unlock(&rx.stats.mu);
	free(r->uri);
	buf_free(&r->body);
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

	limit = (long long)rx.set.request_timeout * 1000;
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
		pthread_mutex_lock(&rx.stats.mu);
		rx.stats.dropped++;
		pthread_mutex_unlock(&rx.stats.mu);
	}
	pthread_mutex_unlock(&conn_mu);
}

/* After a quiet spell, hand freed memory back to the system. */
static void
idle_trim(void)
{
	int trim = 0;

	pthread_mutex_lock(&rx.stats.mu);
	if (rx.stats.trim && clock_ms() - rx.stats.last_ms > TRIM_IDLE_MS) {
		rx.stats.trim = 0;
		trim = 1;
	}
	pthread_mutex_unlock(&rx.stats.mu);
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
	auth_key_init(&rx.au.key, key);
	explicit_bzero(key, sizeof(key));
	auth_cred_init(&rx.au.da, &rx.au.key, cfg->app.auth_username,
	    cfg->app.auth_password);
	auth_cred_init(&rx.au.peer, &rx.au.key, cfg->peer_sync.auth_username,
	    cfg->peer_sync.auth_password);
	auth_cred_init(&rx.au.metrics, &rx.au.key, cfg->app.metrics_username,
	    cfg->app.metrics_password);
	rx_auth_metrics_setup(cfg);
	rx.au.window = cfg->app.auth_failure_window;
	rx.au.lockout = cfg->app.auth_lockout;
	if (cfg->app.auth_max_failures > 0 && (rx.au.lim = authlimit_new(
	    cfg->app.auth_tracked_sources, cfg->app.auth_max_failures,
	    rx.au.window, rx.au.lockout, seed)) == NULL)
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

	rx.set.check_subdomain_owner = cfg->app.check_subdomain_owner;
	rx.set.allow_owner_change = cfg->app.allow_owner_change;
	rx.set.health_auth = cfg->app.health_auth;
	rx.set.max_body = cfg->app.max_body;
	rx.set.request_timeout = cfg->app.request_timeout;
	snprintf(rx.set.spool, sizeof(rx.set.spool), "%s", cfg->queue_location);
	rx.set.rec_enabled = cfg->reconciliation.enabled;
	rx.set.rec_dry_run = cfg->reconciliation.dry_run;
	rx.set.rec_interval = cfg->reconciliation.interval_minutes;
	rx.set.peer_enabled = cfg->peer_sync.enabled;
	rx.set.peer_interval = cfg->peer_sync.interval_minutes;
	for (i = 0; i < cfg->peer_sync.npeers && i < CONFIG_PEERS_MAX; i++)
		snprintf(rx.set.peer_url[i], sizeof(rx.set.peer_url[i]), "%s",
		    cfg->peer_sync.peers[i].url);
	rx.set.npeers = i;
	for (i = 0; i < rx.nq; i++) {
		snprintf(rx.set.queue[i], sizeof(rx.set.queue[i]), "%s",
		    rx.queues[i]);
		rx.queues[i] = rx.set.queue[i];
	}
}

/* Load app.yml and keep what the server needs; refuses to run without
 * credentials. Returns the configuration, freed once the server is up. */
static struct config *
load_config(const char *cpath, int level)
{
	struct config *cfg;
	char err[1024];

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
	if (cfg->app.metrics_password[0] != '\0' &&
	    cfg->app.metrics_username[0] == '\0')
		die(EXIT_USAGE, "app.metrics_password is set but "
		    "app.metrics_username is empty");
	rx.nq = config_queues(cfg, rx.queues, CONFIG_BACKENDS_MAX);
	keep_settings(cfg);
	auth_setup(cfg);
	if (rx.nq == 0)
		log_warn("no backend enabled: zones are stored, not written"
		    " anywhere");
	return cfg;
}

/* Set up the spool, and open the store twice: the group commit's write
 * handle and the requests' read handle. */
static void
open_store(const struct config *cfg)
{
	char err[1024], dbdir[CONFIG_PATH_MAX], *slash;

	if (spool_init(cfg->queue_location, rx.queues, rx.nq) < 0)
		die_sys(EXIT_TEMP, "unable to set up the spool %s",
		    cfg->queue_location);
	if ((slash = strrchr(cfg->db_location, '/')) != NULL &&
	    slash != cfg->db_location) {
		snprintf(dbdir, sizeof(dbdir), "%.*s",
		    (int)(slash - cfg->db_location), cfg->db_location);
		if (io_mkdir_p(dbdir, 0750) < 0)
			die_sys(EXIT_TEMP, "unable to create %s", dbdir);
	}
	if ((rx.wr = store_open(cfg->db_location, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	if ((rx.rd = store_open(cfg->db_location, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	if (store_instance_id(rx.wr, rx.instance_id) < 0)
		die(EXIT_TEMP, "unable to read the instance id from %s: %s",
		    cfg->db_location, store_errmsg(rx.wr));
}

/* With app.ssl_enable, read the certificate (with its chain) and the key
 * into *cert and *key and add them to ops. Returns the flags to add. */
static unsigned
tls_options(const struct config *cfg, struct MHD_OptionItem *ops,
    size_t *no, char **cert, char **key)
{
	char *chain, *full;

	if (!cfg->app.ssl_enable)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		die(EXIT_USAGE, "app.ssl_enable is set but this"
		    " libmicrohttpd has no TLS");
	*cert = read_pem(cfg->app.ssl_cert, "app.ssl_cert");
	*key = read_pem(cfg->app.ssl_key, "app.ssl_key");
	if (cfg->app.ssl_bundle[0] != '\0') {
		/* The chain follows the certificate in one PEM. */
		chain = read_pem(cfg->app.ssl_bundle, "app.ssl_bundle");
		if (asprintf(&full, "%s\n%s", *cert, chain) < 0)
			die_sys(EXIT_TEMP, "unable to allocate");
		free(*cert);
		free(chain);
		*cert = full;
	}
	ops[(*no)++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
	    0, *cert };
	ops[(*no)++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY,
	    0, *key };
	return MHD_USE_TLS;
}

/* The listening socket, limits and callbacks, after ops[0..*no); ends
 * the list. */
static void
server_options(const struct config *cfg, int lfd, struct MHD_OptionItem *ops,
    size_t *no)
{
	size_t n = *no;

	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, lfd,
	    NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    cfg->app.max_connections, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    cfg->app.max_connections_per_ip, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    cfg->app.request_timeout, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    MEM_LIMIT, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_STACK_SIZE,
	    STACK_SIZE, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
	    (intptr_t)uri_cb, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)completed_cb, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)conn_cb, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)mhd_log, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	*no = n;
}

/* Tick the watchdog and the memory trim until SIGTERM or SIGINT. Returns
 * the signal. */
static int
serve(const sigset_t *sigs)
{
	struct timespec tick;
	int sig;

	tick.tv_sec = 0;
	tick.tv_nsec = TICK_MS * 1000000L;
	for (;;) {
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
		if (sig == SIGHUP)
			log_info("SIGHUP ignored: restart to reload app.yml");
		watchdog();
		idle_trim();
	}
}

/* Stop taking connections, then give the requests in flight up to
 * STOP_WAIT_MS to finish (an acknowledgement half written is worse than a
 * refused connection DirectAdmin retries), then stop the daemon. */
static void
stop(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info;
	long long until = clock_ms() + STOP_WAIT_MS;
	MHD_socket lfd;

	if ((lfd = MHD_quiesce_daemon(d)) != MHD_INVALID_SOCKET)
		close(lfd);
	while (clock_ms() < until) {
		info = MHD_get_daemon_info(d,
		    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (info == NULL || info->num_connections == 0)
			break;
		usleep(20 * 1000);
	}
	MHD_stop_daemon(d);
}

int
main(int argc, char *argv[])
{
	struct MHD_OptionItem ops[20];
	struct MHD_Daemon *d;
	struct config *cfg;
	const char *cpath = NULL;
	char err[1024], *cert = NULL, *key = NULL;
	unsigned flags;
	size_t no = 0;
	sigset_t sigs;
	int c, level = -1, notify = -1, lfd, family, sig;

	log_init("da-receive");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("da-receive");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	opterr = 0;
	while ((c = getopt(argc, argv, "Vc:d:hqv")) != -1) {
		switch (c) {
		case 'c':
			cpath = optarg;
			break;
		case 'd':
			if ((notify = ready_fd_parse(optarg, err,
			    sizeof(err))) < 0)
				die(EXIT_USAGE, "%s", err);
			break;
		case 'V':
			version_exit("da-receive");
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

	cfg = load_config(cpath, level);
	open_store(cfg);
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
	    | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	flags |= tls_options(cfg, ops, &no, &cert, &key);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* Blocked before any thread starts, so only sigtimedwait() in
	 * serve() sees them. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = listen_on(cfg->app.listen_addr, cfg->app.listen_port, &family);
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	server_options(cfg, lfd, ops, &no);
	rx.started_us = clock_wall_us();
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
	    cfg->app.listen_port, cfg->app.ssl_enable ? " with TLS" : "",
	    rx.nq, cfg->db_location);
	warn_cleartext(lfd, cfg->app.ssl_enable);
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	/* What start-up parsed and freed goes back after the first quiet
	 * spell. */
	rx.stats.trim = 1;
	if (ready_notify(notify) == -1)
		log_warn_sys("unable to notify readiness on fd %d", notify);

	sig = serve(&sigs);
	log_info("stopping on signal %d", sig);
	stop(d);
	store_close(rx.wr);
	store_close(rx.rd);
	authlimit_free(rx.au.lim);
	free(cert);
	free(key);
	return 0;
}
