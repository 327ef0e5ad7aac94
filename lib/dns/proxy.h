/* proxy.h -- dns-proxy's runtime objects and the state its parts share */
/* SPDX-License-Identifier: ISC */
#ifndef PROXY_H
#define PROXY_H

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dnsmsg.h"
#include "netaddr.h"
#include "pcache.h"
#include "proxyconf.h"

#define BATCH		64	/* recvmmsg/sendmmsg vector */
#define BUFSZ		4096	/* largest UDP message handled */
#define CTLSZ		64	/* room for one IP(V6)_PKTINFO */
#define LMAX		(2 * PROXYCONF_LISTEN_MAX + 2 * PROXYCONF_TLS_MAX)
#define NAMED_MAX	(PROXYCONF_BACKENDS_MAX + PROXYCONF_POOLS_MAX + 16)
#define TCP_PIPELINE	32	/* queries in flight per TCP connection */
#define TCP_WBUF_MAX	(256 * 1024)
#define RBUF_MAX	(2 + 65535 + 1024)
#define HTTP_MAX	4096
#define TICK_MS		100
#define NLAT		10
#define WORKERS_MAX	64

/* ---- counters (per worker, in shared memory) ---- */

enum {
	C_Q_UDP, C_Q_TCP, C_Q_DOT, C_Q_DOH,	/* in the order of PR_* */
	C_A_NOERROR, C_A_NXDOMAIN, C_A_SERVFAIL, C_A_REFUSED, C_A_FORMERR,
	C_A_NOTIMP, C_A_OTHER,
	C_DROP_ACL, C_DROP_ANY, C_DROP_CHAOS, C_DROP_QPS, C_DROP_MALFORMED,
	C_REF_ACL, C_REF_ANY, C_REF_CHAOS, C_REF_QPS, C_REF_NOROUTE,
	C_TC_ANY, C_TC_QPS, C_TC_SIZE, C_TC_BACKEND,
	C_SF_NOBACKEND, C_SF_TIMEOUT, C_SF_OVERLOAD,
	C_BACKEND_UNEXPECTED,
	C_TCP_CONNS, C_TCP_REJ_LIMIT, C_TCP_REJ_CLIENT, C_TCP_IDLE,
	C_TCP_QUERY_TIMEOUT, C_TCP_MAX_AGE,
	C_RELOADS, C_RELOAD_FAILS, C_SEND_ERRORS,
	C_TLS_HANDSHAKES, C_TLS_RESUMED, C_TLS_FAILS, C_DOH_BAD,
	NC
};

enum { N_QUERIES, N_RESPONSES, N_TIMEOUTS, N_CHECK_FAILS, N_HITS,
	N_MISSES, N_INSERTS, N_EVICTIONS, N_TCP_CONNECTS, N_TCP_REUSED, NN };

/* Kinds of named counter slots. */
enum { NAMED_FREE, NAMED_BACKEND, NAMED_POOL };

struct named {
	char		 name[PROXYCONF_NAME_MAX];
	char		 pool[PROXYCONF_NAME_MAX];
	char		 address[128];
	uint8_t		 kind;		/* NAMED_* */
	uint8_t		 up, admin, alive;
	uint32_t	 outstanding;
	uint32_t	 latency_us;	/* moving average */
	uint64_t	 entries, capacity;
	uint64_t	 c[NN];
};

struct wstats {
	uint64_t	 c[NC];
	uint64_t	 lat[NLAT + 1];	/* histogram of forwarded queries */
	uint64_t	 lat_sum_us;
	uint64_t	 tcp_open, rl_clients;
	struct named	 n[NAMED_MAX];
};

struct shm {
	unsigned	 nworkers;
	struct {
		char	 name[PROXYCONF_NAME_MAX];
		int	 state;		/* 0 auto, 1 up, 2 down */
	} admin[PROXYCONF_BACKENDS_MAX];
	uint32_t	 admin_gen;
	struct wstats	 w[];
};

/* ---- runtime objects ---- */

enum evtype {
	EV_UDP, EV_TCP_LISTEN, EV_BACKEND, EV_CHECK, EV_TCP_CLIENT,
	EV_TCP_BACKEND, EV_HTTP_LISTEN, EV_HTTP, EV_CTL_LISTEN, EV_CTL,
	EV_SIGNAL, EV_DEAD
};

/* What a client speaks: proxy_process()'s tcp argument and tconn.proto. */
enum { PR_UDP, PR_TCP, PR_DOT, PR_DOH };

/* Every object the event loop hears about starts with its struct ev. */
struct ev {
	enum evtype	 type;
	void		*p;
};

/* Datagrams waiting to go out on one socket in one sendmmsg(). */
struct pend {
	int		 fd;
	int		 listed;
	int		 pktinfo;
	unsigned	 n;
	struct mmsghdr	 m[BATCH];
	struct iovec	 iov[BATCH];
	union netaddr_sa addr[BATCH];
	uint8_t		 (*ctl)[CTLSZ];
};

struct listener {
	struct ev	 ev;
	int		 fd, tcp, pktinfo, used;
	int		 tls;		/* 0, PR_DOT or PR_DOH */
	uint16_t	 gen;
	char		 addr[128];
	union netaddr_sa sa;
	struct pend	*pend;
};

/* One query in flight to a backend over UDP. */
struct slot {
	union netaddr_sa client;
	struct in6_pktinfo dst;		/* local address, wildcard listeners */
	uint64_t	 sent_us;
	uint16_t	 cid, id;
	uint16_t	 listener, lgen;
	uint16_t	 next_free;
	uint16_t	 qlen;		/* question bytes (name, type, class) */
	uint16_t	 qflags;	/* the client's header flags */
	uint8_t		 used, pktinfo, kflags, edns, do_bit;
	uint8_t		 q[DNSMSG_NAME_MAX + 4];
};

struct bsock {
	struct ev	 ev;
	struct backend	*b;
	struct pend	 pend;
};

struct bconn;

struct backend {
	struct proxyconf_backend conf;
	struct pool	*pool;		/* NULL while draining */
	struct named	*st;
	socklen_t	 salen;
	unsigned	 nsock, next_sock;
	struct bsock	*sock;
	struct slot	*slot;
	uint16_t	*idmap;		/* backend ID -> slot + 1 */
	unsigned	 nslot, hw, nfree;
	uint16_t	 free_head;	/* slot + 1 */
	unsigned	 outstanding;
	double		 lat_us;
	/* health */
	int		 up, admin;	/* admin: 0 auto, 1 up, 2 down */
	unsigned	 fails, oks;
	struct ev	 cev;
	int		 cfd;
	uint16_t	 cid;
	int		 cpending;
	uint64_t	 csent_ms, cnext_ms;
	struct backend	*next_drain;
	/* TCP connections waiting for their next query, newest first */
	struct bconn	*idle;
	unsigned	 nidle;
};

struct pool {
	char		 name[PROXYCONF_NAME_MAX];
	enum proxyconf_policy policy;
	struct pcache	*cache;
	size_t		 cache_entries;
	struct backend	**b;
	size_t		 nb;
	size_t		 rr;		/* roundrobin: the next to try */
	uint32_t	*ring;		/* chashed: sorted points */
	uint16_t	*ring_b;
	size_t		 nring;
	struct named	*st;
	struct pcache_stats last;
};

struct tq;
struct tlsconn;
struct doh;

struct tconn {
	struct ev	 ev;
	int		 fd;
	union netaddr_sa peer;
	uint64_t	 ckey;
	uint8_t		*rbuf;
	size_t		 rlen, rcap;
	uint8_t		*wbuf;
	size_t		 wlen, woff, wcap;
	unsigned	 inflight, nq;
	uint64_t	 last_ms;	/* last complete query or answer */
	uint64_t	 born_ms;
	uint64_t	 qstart_ms;	/* a partial query's 1st byte, or 0 */
	int		 closing, want_out, paused, aged;
	int		 proto;		/* PR_TCP, PR_DOT, PR_DOH */
	int		 corked;	/* answers wait for one flush */
	struct tlsconn	*tls;		/* DoT and DoH */
	struct doh	*doh;		/* DoH, after the handshake */
	struct tq	*tqs;
	struct tconn	*prev, *next;
};

/* A TCP connection to a backend: busy with one query at a time, or idle
 * in its backend's pool. */
struct bconn {
	struct ev	 ev;
	int		 fd, connecting;
	struct backend	*b;
	struct tq	*t;		/* NULL while idle */
	uint64_t	 idle_ms;	/* when it went idle */
	unsigned	 uses;		/* answers read on it */
	struct bconn	*next;		/* in b->idle */
};

/* One query forwarded over TCP. */
struct tq {
	struct ev	 ev;
	int		 state;		/* 0 connecting/writing, 1 reading */
	int		 retried;	/* once, after a reused one died */
	struct bconn	*bc;
	struct tconn	*c;
	struct backend	*b;
	uint16_t	 cid, id;
	int32_t		 sid;		/* the DoH stream, or 0 */
	uint8_t		 kflags;
	uint8_t		*q;		/* length-prefixed query, our ID */
	size_t		 qlen;
	uint8_t		*buf;		/* the answer being read */
	size_t		 len, off, cap;
	uint64_t	 start_ms;
	struct tq	*next;
};

/* The verdict of the query pipeline. */
enum { V_DROP, V_ANSWER, V_FORWARD };

struct qctx {
	struct dnsmsg	 m;
	uint8_t		 key[DNSMSG_KEY_MAX];
	size_t		 klen;
	uint64_t	 hash;
	struct pool	*pool;
	struct backend	*b;
};

/* ---- process state ---- */

/* What a worker process runs on; each part keeps its own objects
 * (connections, batches) private. */
struct proxy {
	struct proxyconf *conf;
	const char	*cfg_path;
	struct shm	*shm;
	struct wstats	*ws;		/* this worker's counters in shm */
	unsigned	 worker_id;
	pid_t		 children[WORKERS_MAX];	/* worker 0 only */
	int		 epfd, sigfd;
	int		 stopping;	/* 1 asked to stop, 2 a worker died */
	struct listener	 listeners[LMAX];
	struct backend	**backends;
	size_t		 nbackends;
	struct backend	*draining;	/* left the config, queries in flight */
	struct pool	*pools;
	size_t		 npools;
	struct ratelimit *rl;
	uint32_t	 admin_seen;	/* shm->admin_gen last applied */
	uint64_t	 now_ms, now_us;
	uint32_t	 now_s;
	uint64_t	 rng[4];
	uint64_t	 hash_seed;
};

extern struct proxy px;

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256**, seeded from getrandom() and reseeded by the tick. */
static inline uint64_t
rnd(void)
{
	uint64_t r = rotl(px.rng[1] * 5, 7) * 9, t = px.rng[1] << 17;

	px.rng[2] ^= px.rng[0];
	px.rng[3] ^= px.rng[1];
	px.rng[1] ^= px.rng[2];
	px.rng[0] ^= px.rng[3];
	px.rng[2] ^= t;
	px.rng[3] = rotl(px.rng[3], 45);
	return r;
}

/* Count the answer ans by its rcode. */
static inline void
count_rcode(const uint8_t *ans)
{
	switch (ans[3] & 0xf) {
	case DNSMSG_NOERROR:
		px.ws->c[C_A_NOERROR]++;
		break;
	case DNSMSG_NXDOMAIN:
		px.ws->c[C_A_NXDOMAIN]++;
		break;
	case DNSMSG_SERVFAIL:
		px.ws->c[C_A_SERVFAIL]++;
		break;
	case DNSMSG_REFUSED:
		px.ws->c[C_A_REFUSED]++;
		break;
	case DNSMSG_FORMERR:
		px.ws->c[C_A_FORMERR]++;
		break;
	case DNSMSG_NOTIMP:
		px.ws->c[C_A_NOTIMP]++;
		break;
	default:
		px.ws->c[C_A_OTHER]++;
	}
}

/* 1 when b takes traffic: forced up, or automatic and healthy. */
static inline int
backend_usable(const struct backend *b)
{
	return b->admin == 1 || (b->admin == 0 && b->up);
}

/* ---- proxy_loop.c: the event loop ---- */

/* Read the monotonic clock into px.now_us, now_ms and now_s. */
void clock_update(void);

/* Register or change fd's events in the epoll set, reported as ev.
 * Return 0, or -1 with errno set. */
int ep_add(int fd, uint32_t events, struct ev *ev);
int ep_mod(int fd, uint32_t events, struct ev *ev);

/* Free the object starting with e after the current epoll batch. */
void defer_free(struct ev *e);

/* Run the worker until asked to stop (px.stopping). */
void proxy_loop(void);

/* ---- proxy_apply.c: build or rebuild the runtime ---- */

/* Switch to nc (initial: the first time, failures are fatal). Returns 0,
 * or -1 on reload when a new listening socket cannot be opened (nothing
 * changed then). */
int proxy_apply(struct proxyconf *nc, int initial);

/* Read px.cfg_path again and apply it, or keep the running one. */
void proxy_reload(void);

/* ---- proxy_listen.c: the DNS listeners ---- */

/* Open l on sa (text as configured) over TCP or UDP. Returns 0, or -1
 * after a warning. */
int listener_open(struct listener *l, const char *text,
    const union netaddr_sa *sa, int tcp);

/* Close l; answers in flight for it are dropped. */
void listener_close(struct listener *l);

/* ---- proxy_query.c: the query pipeline shared by UDP and TCP ---- */

/* Rebuild the suffix routing table from px.conf. */
void routes_build(void);

/* Write to out (BUFSZ bytes) the answer with rcode (and TC when tc) to
 * the parsed query pkt, and count it. Returns its length. */
size_t proxy_reply(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *out,
    int rcode, int tc);

/* Run the rules on the query pkt from client. Returns V_DROP, V_ANSWER
 * with the answer in out (*outlen bytes), or V_FORWARD with qc filled. */
int proxy_process(const uint8_t *pkt, size_t len,
    const union netaddr_sa *client, int tcp, uint8_t *out, size_t *outlen,
    struct qctx *qc);

/* ---- proxy_cache.c: the pools' packet caches ---- */

/* Answer the query of qc from its pool's cache into out (BUFSZ bytes):
 * returns 1 with *outlen set, or 0 on a miss. */
int cache_answer(const uint8_t *pkt, int tcp, uint8_t *out, size_t *outlen,
    struct qctx *qc);

/* Store the answer ans (parsed as m) of b to a query with the key flags
 * kflags in the cache of b's pool, when it has one. */
void cache_store(struct backend *b, const uint8_t *ans, size_t len,
    const struct dnsmsg *m, uint8_t kflags);

/* Publish the cache counters of p into its shared stats. */
void pool_stats(struct pool *p);

/* ---- proxy_udp.c: UDP clients and backends ---- */

/* Send every batched datagram. */
void flush_all(void);

/* Handle the datagrams waiting on a client listener, or on a backend
 * socket. */
void udp_read(struct listener *l);
void backend_read(struct bsock *bs);

/* Answer SERVFAIL for queries b did not answer in time. */
void backend_timeouts(struct backend *b);

/* ---- proxy_backend.c: backends, health checks and balancing ---- */

/* A backend for bc with its sockets open (fatal on failure). */
struct backend *backend_new(const struct proxyconf_backend *bc);

/* Close b's sockets and free it. */
void backend_free(struct backend *b);

/* Publish b's state into its shared stats. */
void backend_publish(struct backend *b);

/* The backend of pool p for the case-folded name (nlen bytes), by the
 * pool's policy; NULL when none is usable. */
struct backend *backend_pick(struct pool *p, const uint8_t *name,
    size_t nlen);

/* Build the chashed ring of p (nothing for other policies). */
void ring_build(struct pool *p);

/* Read health check answers, or send and time out checks. */
void check_read(struct backend *b);
void check_tick(struct backend *b);

/* Apply the admin states set through the control socket, when changed. */
void admin_sync(void);

/* ---- proxy_tcp.c: TCP clients and TCP to backends ---- */

/* Accept the connections waiting on l. */
void tcp_accept(struct listener *l);

/* Listen again after running out of descriptors. */
void tcp_accept_resume(void);

/* Handle events of a client connection, or of a backend connection. */
void tconn_event(struct tconn *c, uint32_t events);
void bconn_event(struct bconn *bc, uint32_t events);

/* Close the idle connections of b past its pool size or idle time (all
 * of them with all set). */
void bconn_trim(struct backend *b, int all);

/* Time out queries and connections. */
void tcp_tick(void);

/* Append hlen bytes of hdr then len bytes of msg to what c sends, and
 * send what the socket takes unless c is corked. */
void tconn_out(struct tconn *c, const uint8_t *hdr, size_t hlen,
    const uint8_t *msg, size_t len);

/* Send what c has buffered (as far as the socket takes it). */
void tconn_flush(struct tconn *c);

/* Run the query q (len bytes) from c through the pipeline; its answer
 * goes back on the DoH stream sid (0 for TCP and DoT). */
void tconn_query(struct tconn *c, int32_t sid, const uint8_t *q,
    size_t len);

/* ---- proxy_tls.c: DNS over TLS (RFC 7858), and TLS for DoH ---- */

/* The session ticket key, shared by the workers (before they start). */
void tls_init(void);

/* Open, keep or close the DoT and DoH listeners of nc and load its
 * certificate and key (on reload, a failure keeps the running ones, with
 * a warning; at start it is fatal). */
void tls_apply(const struct proxyconf *nc, int initial);

/* Start a TLS session as server on the new connection c. Returns 0, or
 * -1 when none can be made. */
int tls_accept(struct tconn *c);

/* Drive c's handshake on events; returns the events left for the DNS or
 * HTTP layer (0 while handshaking, or with c->closing set on failure). */
uint32_t tls_event(struct tconn *c, uint32_t events);

/* read() and write() through c's session: -1 with errno EAGAIN when the
 * socket is not ready, another errno on failure; 0 read at close. */
ssize_t tls_read(struct tconn *c, void *p, size_t n);
ssize_t tls_write(struct tconn *c, const void *p, size_t n);

/* 1 when c's session holds decrypted bytes not read yet. */
int tls_pending(struct tconn *c);

/* End c's session (the socket is the caller's). */
void tls_close(struct tconn *c);

/* ---- proxy_doh.c: DNS over HTTPS (RFC 8484) on HTTP/2 ---- */

/* Start the HTTP/2 server session of c (after its handshake). Returns 0,
 * or -1. */
int doh_start(struct tconn *c);

/* Feed what c read (c->rbuf) to its HTTP/2 session; complete requests
 * become queries. */
void doh_input(struct tconn *c);

/* Answer the stream sid of c with the DNS message msg (len bytes), or
 * reset it when msg is NULL. A stream gone by now is skipped. */
void doh_answer(struct tconn *c, int32_t sid, const uint8_t *msg,
    size_t len);

/* 1 when c's HTTP/2 session has ended (GOAWAY sent and received). */
int doh_done(struct tconn *c);

/* Free c's HTTP/2 session. */
void doh_free(struct tconn *c);

/* ---- proxy_metrics.c: counters and their text ---- */

/* A counter slot of kind (NAMED_*) in this worker's shared stats. */
struct named *named_get(int kind, const char *name);

/* The sum of one named object over every worker, into out. */
void named_sum(int kind, const char *name, struct named *out);

/* Count the time a forwarded query took (us microseconds). */
void lat_record(uint64_t us);

/* Append the Prometheus text of every counter to b. */
void metrics_text(struct buf *b);

/* Append to out the HTTP answer to the request req (/metrics, /health). */
void metrics_http(const char *req, struct buf *out);

/* ---- proxy_control.c: the control socket, server side ---- */

/* Run the control command line and append its answer to b. */
void ctl_command(char *line, struct buf *b);

/* ---- proxy_admin.c: the metrics and control endpoints ---- */

/* Open, move or close the endpoints of px.conf (old: the previous
 * configuration, NULL at start, when failures are fatal). */
void admin_endpoints(const struct proxyconf *old);

/* Accept connections on the metrics (ctl 0) or control (ctl 1)
 * endpoint. */
void admin_accept(int ctl);

/* Handle an event on an endpoint connection. */
void admin_event(void *conn);

/* Close endpoint connections older than 5 seconds. */
void admin_tick(void);

/* Remove the control socket (at exit). */
void admin_close(void);

#endif
