/* dns-proxy.c -- ISP DNS frontend: ACL, rules, routing, cache, balancing */
/* SPDX-License-Identifier: ISC */
#define USAGE "dns-proxy [-v | -q] [-c app.yml] [-w workers] [-d fd] [-n] " \
	"| dns-proxy ctl [-c app.yml] [-s socket] command..."

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appconf.h"
#include "clock.h"
#include "ready.h"
#include "dnsmsg.h"
#include "log.h"
#include "netaddr.h"
#include "pcache.h"
#include "proxyconf.h"
#include "ratelimit.h"

#define BATCH		64	/* recvmmsg/sendmmsg vector */
#define BUFSZ		4096	/* largest UDP message handled */
#define CTLSZ		64	/* room for one IP(V6)_PKTINFO */
#define LMAX		(2 * PROXYCONF_LISTEN_MAX)
#define NAMED_MAX	(PROXYCONF_BACKENDS_MAX + PROXYCONF_POOLS_MAX + 16)
#define TCP_PIPELINE	32	/* queries in flight per TCP connection */
#define TCP_WBUF_MAX	(256 * 1024)
#define RBUF_MAX	(2 + 65535 + 1024)
#define HTTP_MAX	4096
#define TICK_MS		100
#define NLAT		10

/* ---- counters (per worker, in shared memory) ---- */

enum {
	C_Q_UDP, C_Q_TCP,
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
	NC
};

enum { N_QUERIES, N_RESPONSES, N_TIMEOUTS, N_CHECK_FAILS, N_HITS,
	N_MISSES, N_INSERTS, N_EVICTIONS, N_TCP_CONNECTS, N_TCP_REUSED, NN };

struct named {
	char		 name[PROXYCONF_NAME_MAX];
	char		 pool[PROXYCONF_NAME_MAX];
	char		 address[128];
	uint8_t		 kind;		/* 0 free, 1 backend, 2 pool */
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

static const double lat_le[NLAT] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0
};

/* ---- runtime objects ---- */

enum evtype {
	EV_UDP, EV_TCP_LISTEN, EV_BACKEND, EV_CHECK, EV_TCP_CLIENT,
	EV_TCP_BACKEND, EV_HTTP_LISTEN, EV_HTTP, EV_CTL_LISTEN, EV_CTL,
	EV_SIGNAL, EV_DEAD
};

struct ev {
	enum evtype	 type;
	void		*p;
};

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
	uint32_t	*ring;		/* chashed: sorted points */
	uint16_t	*ring_b;
	size_t		 nring;
	struct named	*st;
	struct pcache_stats last;
};

struct route_ent {
	uint64_t	 hash;
	const struct proxyconf_route *r;
};

struct tq;

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
	int		 retried;	/* once, after a reused connection died */
	struct bconn	*bc;
	struct tconn	*c;
	struct backend	*b;
	uint16_t	 cid, id;
	uint8_t		 kflags;
	uint8_t		*q;		/* length-prefixed query, our ID */
	size_t		 qlen;
	uint8_t		*buf;		/* the answer being read */
	size_t		 len, off, cap;
	uint64_t	 start_ms;
	struct tq	*next;
};

struct hconn {
	struct ev	 ev;
	int		 fd, ctl;
	char		*buf;
	size_t		 len, off, cap;
	int		 writing;
	uint64_t	 start_ms;
	struct hconn	*prev, *next;
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

static struct proxyconf *conf;
static struct shm *shm;
static struct wstats *ws;
static unsigned worker_id;
static int epfd = -1, sigfd = -1;
static struct listener listeners[LMAX];
static struct backend **backends;
static size_t nbackends;
static struct backend *draining;
static struct pool *pools;
static size_t npools;
static struct route_ent *rtab;
static size_t rmask;
static struct ratelimit *rl;
static struct tconn *tconns;
static unsigned ntconn;
static struct hconn *hconns;
static int http_fd = -1, ctl_fd = -1;
static struct ev http_ev = { EV_HTTP_LISTEN, NULL };
static struct ev ctl_ev = { EV_CTL_LISTEN, NULL };
static struct ev sig_ev = { EV_SIGNAL, NULL };
static char ctl_path[1024];
static uint64_t now_ms, now_us, next_tick;
static uint32_t now_s;
static uint64_t rng[4];
static uint64_t hash_seed;
static uint32_t admin_seen;
static int stopping;
static const char *cfg_path;
static pid_t children[64];
static struct pend *dirty[LMAX + PROXYCONF_BACKENDS_MAX * 64];
static size_t ndirty;
static int accept_paused;

/* One receive batch, shared by every UDP socket (handled one at a time). */
static struct {
	struct mmsghdr	 m[BATCH];
	struct iovec	 iov[BATCH];
	union netaddr_sa addr[BATCH];
	uint8_t		 ctl[BATCH][CTLSZ];
	uint8_t		 buf[BATCH][BUFSZ];
	uint8_t		 ans[BATCH][BUFSZ];
} rb;

static void	 tconn_close(struct tconn *);
static void	 defer_free(struct ev *);
static void	 tconn_pump(struct tconn *);
static void	 bconn_trim(struct backend *, int);

/* ---- small helpers ---- */

static void
clock_update(void)
{
	now_us = (uint64_t)clock_us();
	now_ms = now_us / 1000;
	now_s = (uint32_t)(now_us / 1000000);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256**, seeded from getrandom() and reseeded by the tick. */
static uint64_t
rnd(void)
{
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;

	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return r;
}

static void
reseed(void)
{
	uint64_t s[4];
	int i;

	if (getrandom(s, sizeof(s), GRND_NONBLOCK) == sizeof(s))
		for (i = 0; i < 4; i++)
			rng[i] ^= s[i];
	if ((rng[0] | rng[1] | rng[2] | rng[3]) == 0)
		rng[0] = (uint64_t)now_us | 1;
}

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

static int
ep_add(int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e;

	e.events = events;
	e.data.ptr = ev;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static int
ep_mod(int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e;

	e.events = events;
	e.data.ptr = ev;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e);
}

static void
count_rcode(const uint8_t *ans)
{
	switch (ans[3] & 0xf) {
	case DNSMSG_NOERROR:
		ws->c[C_A_NOERROR]++;
		break;
	case DNSMSG_NXDOMAIN:
		ws->c[C_A_NXDOMAIN]++;
		break;
	case DNSMSG_SERVFAIL:
		ws->c[C_A_SERVFAIL]++;
		break;
	case DNSMSG_REFUSED:
		ws->c[C_A_REFUSED]++;
		break;
	case DNSMSG_FORMERR:
		ws->c[C_A_FORMERR]++;
		break;
	case DNSMSG_NOTIMP:
		ws->c[C_A_NOTIMP]++;
		break;
	default:
		ws->c[C_A_OTHER]++;
	}
}

/* A counter slot in this worker's shared stats, by kind and name. */
static struct named *
named_get(int kind, const char *name)
{
	size_t i;
	struct named *free_slot = NULL;

	for (i = 0; i < NAMED_MAX; i++) {
		if (ws->n[i].kind == kind &&
		    strcmp(ws->n[i].name, name) == 0)
			return &ws->n[i];
		if (ws->n[i].kind == 0 && free_slot == NULL)
			free_slot = &ws->n[i];
	}
	if (free_slot == NULL) {
		/* Reuse a slot of an object that no longer exists. */
		for (i = 0; i < NAMED_MAX; i++)
			if (!ws->n[i].alive) {
				free_slot = &ws->n[i];
				break;
			}
		if (free_slot == NULL)
			free_slot = &ws->n[NAMED_MAX - 1];
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->kind = (uint8_t)kind;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	return free_slot;
}

/* ---- output batches ---- */

static void
pend_flush(struct pend *p)
{
	unsigned s = 0;
	int r, retried = 0;

	while (s < p->n) {
		r = sendmmsg(p->fd, p->m + s, p->n - s, MSG_DONTWAIT);
		if (r < 0) {
			/* A connected socket reports an earlier ICMP error
			 * once; the send itself may still work. */
			if (errno == EINTR || (errno == ECONNREFUSED &&
			    retried++ == 0))
				continue;
			/* Full socket buffer or a dead peer: drop the rest
			 * (the client retries, as after any UDP loss). */
			ws->c[C_SEND_ERRORS] += p->n - s;
			break;
		}
		s += (unsigned)r;
	}
	p->n = 0;
	p->listed = 0;
}

static void
flush_all(void)
{
	size_t i;

	for (i = 0; i < ndirty; i++)
		pend_flush(dirty[i]);
	ndirty = 0;
}

/* Queue buf for sending on p's socket (to to, when not connected). The
 * buffer must stay valid until flush_all(). */
static void
pend_add(struct pend *p, uint8_t *buf, size_t len, const union netaddr_sa *to,
    const struct in6_pktinfo *dst, int dst_family)
{
	struct msghdr *h;
	struct cmsghdr *cm;
	unsigned i;

	if (p->n == BATCH)
		pend_flush(p);
	i = p->n++;
	h = &p->m[i].msg_hdr;
	memset(h, 0, sizeof(*h));
	p->iov[i].iov_base = buf;
	p->iov[i].iov_len = len;
	h->msg_iov = &p->iov[i];
	h->msg_iovlen = 1;
	if (to != NULL) {
		p->addr[i] = *to;
		h->msg_name = &p->addr[i];
		h->msg_namelen = to->sa.sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	}
	if (p->pktinfo && dst != NULL && dst_family != 0 && p->ctl != NULL) {
		memset(p->ctl[i], 0, CTLSZ);
		h->msg_control = p->ctl[i];
		cm = (struct cmsghdr *)p->ctl[i];
		if (dst_family == AF_INET) {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, &dst->ipi6_addr, 4);
			h->msg_controllen = CMSG_SPACE(sizeof(pi));
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi6 = *dst;

			pi6.ipi6_ifindex = 0;
			h->msg_controllen = CMSG_SPACE(sizeof(pi6));
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi6));
			memcpy(CMSG_DATA(cm), &pi6, sizeof(pi6));
		}
	}
	if (!p->listed) {
		p->listed = 1;
		dirty[ndirty++] = p;
	}
}

/* The local address a datagram was sent to, from its PKTINFO. */
static int
get_dst(struct msghdr *h, struct in6_pktinfo *dst)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(dst, 0, sizeof(*dst));
			memcpy(&dst->ipi6_addr, &pi.ipi_addr, 4);
			return AF_INET;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(dst, CMSG_DATA(cm), sizeof(*dst));
			return AF_INET6;
		}
	}
	return 0;
}

/* ---- routing ---- */

static void
routes_build(void)
{
	size_t i, n, j;

	free(rtab);
	rtab = NULL;
	for (n = 16; n < conf->nroutes * 2; n <<= 1)
		;
	if ((rtab = calloc(n, sizeof(*rtab))) == NULL)
		die(EXIT_TEMP, "out of memory");
	rmask = n - 1;
	for (i = 0; i < conf->nroutes; i++) {
		uint64_t h = dnsmsg_hash(conf->routes[i].suffix,
		    conf->routes[i].len, 0);

		for (j = h & rmask; rtab[j].r != NULL; j = (j + 1) & rmask)
			;
		rtab[j].hash = h;
		rtab[j].r = &conf->routes[i];
	}
}

/* The pool of the longest route suffix of the case-folded name key. */
static int
route(const uint8_t *key, size_t nlen)
{
	size_t off = 0, j;
	uint64_t h;

	if (conf->nroutes == 0)
		return conf->default_pool;
	for (;;) {
		h = dnsmsg_hash(key + off, nlen - off, 0);
		for (j = h & rmask; rtab[j].r != NULL; j = (j + 1) & rmask)
			if (rtab[j].hash == h && rtab[j].r->len == nlen - off &&
			    memcmp(rtab[j].r->suffix, key + off,
			    nlen - off) == 0)
				return rtab[j].r->pool;
		if (key[off] == 0)
			break;
		off += key[off] + 1;
	}
	return conf->default_pool;
}

/* ---- backend selection ---- */

static inline int
backend_usable(const struct backend *b)
{
	return b->admin == 1 || (b->admin == 0 && b->up);
}

static struct backend *
pick(struct pool *p, const uint8_t *name, size_t nlen)
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
			if (best == NULL || b->outstanding < best->outstanding ||
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
static void
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

/* ---- the query pipeline, shared by UDP and TCP ---- */

static size_t
reply(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *out, int rcode,
    int tc)
{
	/* RA stays clear: the frontend itself recurses for nobody. */
	size_t n = dnsmsg_reply(pkt, m, out, BUFSZ, rcode, tc, 0);

	count_rcode(out);
	return n;
}

/* Run the rules on the query pkt from client. Returns V_DROP, V_ANSWER
 * with the answer in out (*outlen bytes), or V_FORWARD with qc filled. */
static int
process(const uint8_t *pkt, size_t len, const union netaddr_sa *client,
    int tcp, uint8_t *out, size_t *outlen, struct qctx *qc)
{
	struct dnsmsg *m = &qc->m;
	const char *why;
	enum proxyconf_action a;
	int pool, r;
	size_t max;

	ws->c[tcp ? C_Q_TCP : C_Q_UDP]++;
	/* The ACL first: outsiders get nothing but REFUSED, if that. */
	if (!netaddr_acl_match(&conf->acl, client)) {
		if (conf->acl_action == PROXYCONF_DROP ||
		    dnsmsg_parse(pkt, len, m, &why) < 0 ||
		    (m->flags & DNSMSG_QR)) {
			ws->c[C_DROP_ACL]++;
			return V_DROP;
		}
		ws->c[C_REF_ACL]++;
		*outlen = reply(pkt, m, out, DNSMSG_REFUSED, 0);
		return V_ANSWER;
	}
	if (dnsmsg_parse(pkt, len, m, &why) < 0) {
		/* Answer FORMERR (header only, never larger than the query)
		 * to what looks like a query; never answer responses or
		 * scraps. */
		if (len < DNSMSG_HDR || (pkt[2] & 0x80)) {
			ws->c[C_DROP_MALFORMED]++;
			return V_DROP;
		}
		memcpy(out, pkt, 4);
		out[2] = (pkt[2] & 0x79) | 0x80;
		out[3] = DNSMSG_FORMERR;
		memset(out + 4, 0, 8);
		*outlen = DNSMSG_HDR;
		ws->c[C_A_FORMERR]++;
		return V_ANSWER;
	}
	if (m->flags & DNSMSG_QR) {
		ws->c[C_DROP_MALFORMED]++;
		return V_DROP;
	}
	if (DNSMSG_OPCODE(m->flags) != 0) {
		*outlen = reply(pkt, m, out, DNSMSG_NOTIMP, 0);
		return V_ANSWER;
	}
	a = PROXYCONF_ALLOW;
	if (m->qclass == DNSMSG_C_CH && conf->chaos_action != PROXYCONF_ALLOW) {
		a = conf->chaos_action;
		ws->c[a == PROXYCONF_DROP ? C_DROP_CHAOS : C_REF_CHAOS]++;
	} else if (m->qtype == DNSMSG_T_ANY &&
	    conf->any_action != PROXYCONF_ALLOW) {
		a = conf->any_action;
		/* Over TCP a truncated answer means nothing: let it pass. */
		if (a == PROXYCONF_TC && tcp)
			a = PROXYCONF_ALLOW;
		else
			ws->c[a == PROXYCONF_DROP ? C_DROP_ANY :
			    a == PROXYCONF_TC ? C_TC_ANY : C_REF_ANY]++;
	}
	if (a == PROXYCONF_ALLOW && rl != NULL &&
	    !ratelimit_take(rl, netaddr_client_key(client), now_ms)) {
		a = conf->qps_action;
		if (a == PROXYCONF_TC && tcp)
			a = PROXYCONF_DROP;
		ws->c[a == PROXYCONF_DROP ? C_DROP_QPS :
		    a == PROXYCONF_TC ? C_TC_QPS : C_REF_QPS]++;
	}
	switch (a) {
	case PROXYCONF_ALLOW:
		break;
	case PROXYCONF_DROP:
		return V_DROP;
	case PROXYCONF_REFUSE:
		*outlen = reply(pkt, m, out, DNSMSG_REFUSED, 0);
		return V_ANSWER;
	case PROXYCONF_TC:
		*outlen = reply(pkt, m, out, DNSMSG_NOERROR, 1);
		return V_ANSWER;
	}
	qc->klen = dnsmsg_key(pkt, m, qc->key);
	if ((pool = route(qc->key, m->qname_len)) < 0) {
		ws->c[C_REF_NOROUTE]++;
		*outlen = reply(pkt, m, out, DNSMSG_REFUSED, 0);
		return V_ANSWER;
	}
	qc->pool = &pools[pool];
	qc->hash = dnsmsg_hash(qc->key, qc->klen, hash_seed);
	if (qc->pool->cache != NULL) {
		r = pcache_get(qc->pool->cache, qc->hash, qc->key, qc->klen,
		    now_s, out, BUFSZ);
		if (r > 0) {
			qc->pool->st->c[N_HITS]++;
			max = tcp ? 65535 : m->edns_size;
			if ((size_t)r > max) {
				ws->c[C_TC_SIZE]++;
				*outlen = reply(pkt, m, out, DNSMSG_NOERROR, 1);
				return V_ANSWER;
			}
			/* The client's ID and name spelling (0x20). */
			memcpy(out, pkt, 2);
			memcpy(out + DNSMSG_HDR, pkt + DNSMSG_HDR,
			    m->qname_len);
			count_rcode(out);
			*outlen = (size_t)r;
			return V_ANSWER;
		}
		qc->pool->st->c[N_MISSES]++;
	}
	if ((qc->b = pick(qc->pool, qc->key, m->qname_len)) == NULL) {
		ws->c[C_SF_NOBACKEND]++;
		*outlen = reply(pkt, m, out, DNSMSG_SERVFAIL, 0);
		return V_ANSWER;
	}
	return V_FORWARD;
}

/* ---- UDP: clients and backends ---- */

static void
slot_free(struct backend *b, struct slot *s)
{
	unsigned idx = (unsigned)(s - b->slot);

	b->idmap[s->id] = 0;
	s->used = 0;
	s->next_free = b->free_head;
	b->free_head = (uint16_t)(idx + 1);
	b->nfree++;
	b->outstanding--;
	b->st->outstanding = b->outstanding;
}

static struct slot *
slot_alloc(struct backend *b)
{
	struct slot *s;
	unsigned idx;
	uint16_t id;

	if (b->free_head != 0) {
		idx = b->free_head - 1u;
		b->free_head = b->slot[idx].next_free;
		b->nfree--;
	} else if (b->hw < b->nslot)
		idx = b->hw++;
	else
		return NULL;
	s = &b->slot[idx];
	do
		id = (uint16_t)rnd();
	while (b->idmap[id] != 0);
	b->idmap[id] = (uint16_t)(idx + 1);
	s->id = id;
	s->used = 1;
	b->outstanding++;
	b->st->outstanding = b->outstanding;
	return s;
}

static void
forward_udp(struct listener *l, uint8_t *pkt, size_t len,
    const union netaddr_sa *client, const struct in6_pktinfo *dst,
    int dst_family, struct qctx *qc)
{
	struct backend *b = qc->b;
	struct bsock *bs;
	struct slot *s;

	if ((s = slot_alloc(b)) == NULL) {
		uint8_t *out = pkt;	/* answer in place */
		size_t n;

		ws->c[C_SF_OVERLOAD]++;
		n = reply(pkt, &qc->m, out, DNSMSG_SERVFAIL, 0);
		pend_add(l->pend, out, n, client, dst, dst_family);
		return;
	}
	s->client = *client;
	s->qlen = (uint16_t)(qc->m.qend - DNSMSG_HDR);
	memcpy(s->q, pkt + DNSMSG_HDR, s->qlen);
	s->qflags = qc->m.flags;
	s->kflags = qc->key[qc->klen - 1];
	s->edns = qc->m.edns;
	s->do_bit = qc->m.do_bit;
	s->cid = qc->m.id;
	s->listener = (uint16_t)(l - listeners);
	s->lgen = l->gen;
	s->sent_us = now_us;
	s->pktinfo = (uint8_t)dst_family;
	if (dst_family)
		s->dst = *dst;
	put16(pkt, s->id);
	bs = &b->sock[b->next_sock];
	if (++b->next_sock == b->nsock)
		b->next_sock = 0;
	b->st->c[N_QUERIES]++;
	pend_add(&bs->pend, pkt, len, NULL, NULL, 0);
}

static void
prep_recv(int names, int ctl)
{
	int i;

	for (i = 0; i < BATCH; i++) {
		struct msghdr *h = &rb.m[i].msg_hdr;

		rb.iov[i].iov_base = rb.buf[i];
		rb.iov[i].iov_len = BUFSZ;
		h->msg_iov = &rb.iov[i];
		h->msg_iovlen = 1;
		h->msg_name = names ? &rb.addr[i] : NULL;
		h->msg_namelen = names ? sizeof(rb.addr[i]) : 0;
		h->msg_control = ctl ? rb.ctl[i] : NULL;
		h->msg_controllen = ctl ? CTLSZ : 0;
		h->msg_flags = 0;
	}
}

static void
udp_read(struct listener *l)
{
	struct in6_pktinfo dst;
	struct qctx qc;
	size_t outlen;
	int n, i, round, fam;

	for (round = 0; round < 16; round++) {
		prep_recv(1, l->pktinfo);
		n = recvmmsg(l->fd, rb.m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		clock_update();
		for (i = 0; i < n; i++) {
			struct msghdr *h = &rb.m[i].msg_hdr;
			size_t len = rb.m[i].msg_len;

			fam = l->pktinfo ? get_dst(h, &dst) : 0;
			if (h->msg_flags & MSG_TRUNC) {
				/* Larger than any query we accept. */
				ws->c[C_Q_UDP]++;
				ws->c[C_DROP_MALFORMED]++;
				continue;
			}
			switch (process(rb.buf[i], len, &rb.addr[i], 0,
			    rb.ans[i], &outlen, &qc)) {
			case V_DROP:
				break;
			case V_ANSWER:
				pend_add(l->pend, rb.ans[i], outlen,
				    &rb.addr[i], &dst, fam);
				break;
			case V_FORWARD:
				forward_udp(l, rb.buf[i], len, &rb.addr[i],
				    &dst, fam, &qc);
				break;
			}
		}
		flush_all();
		if (n < BATCH)
			break;
	}
}

static void
lat_record(uint64_t us)
{
	double s = us / 1e6;
	int i;

	for (i = 0; i < NLAT && s > lat_le[i]; i++)
		;
	ws->lat[i]++;
	ws->lat_sum_us += us;
}

static void
backend_answer(struct backend *b, uint8_t *pkt, size_t len)
{
	struct dnsmsg m;
	struct slot *s;
	struct listener *l;
	uint8_t key[DNSMSG_KEY_MAX];
	const char *why;
	uint64_t h, us;
	uint16_t idx;
	size_t klen;

	if (len < DNSMSG_HDR || (idx = b->idmap[get16(pkt)]) == 0) {
		ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	s = &b->slot[idx - 1];
	/* The answer must carry the question exactly as we sent it (name
	 * spelling included): ID, source and question must all match. */
	if (dnsmsg_parse(pkt, len, &m, &why) < 0 || !(m.flags & DNSMSG_QR) ||
	    (size_t)m.qend - DNSMSG_HDR != s->qlen ||
	    memcmp(pkt + DNSMSG_HDR, s->q, s->qlen) != 0) {
		ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	if (now_us > s->sent_us) {
		us = now_us - s->sent_us;
		lat_record(us);
		b->lat_us = b->lat_us == 0 ? (double)us :
		    b->lat_us * 0.9 + (double)us * 0.1;
		b->st->latency_us = (uint32_t)b->lat_us;
	}
	b->st->c[N_RESPONSES]++;
	if (b->pool != NULL && b->pool->cache != NULL) {
		klen = dnsmsg_key(pkt, &m, key);
		key[klen - 1] = s->kflags;
		h = dnsmsg_hash(key, klen, hash_seed);
		pcache_put(b->pool->cache, h, key, klen, pkt, len, &m, now_s);
	}
	if (m.flags & DNSMSG_TC)
		ws->c[C_TC_BACKEND]++;
	put16(pkt, s->cid);
	l = &listeners[s->listener];
	if (l->used && l->gen == s->lgen && !l->tcp) {
		count_rcode(pkt);
		pend_add(l->pend, pkt, len, &s->client, &s->dst, s->pktinfo);
	}
	slot_free(b, s);
}

/* An answer larger than our buffers: tell the client to use TCP. */
static void
backend_oversized(struct backend *b, uint8_t *pkt, size_t len)
{
	struct listener *l;
	struct slot *s;
	uint16_t idx;
	size_t n;

	if (len < DNSMSG_HDR || (idx = b->idmap[get16(pkt)]) == 0) {
		ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	s = &b->slot[idx - 1];
	if (len < DNSMSG_HDR + (size_t)s->qlen ||
	    memcmp(pkt + DNSMSG_HDR, s->q, s->qlen) != 0) {
		ws->c[C_BACKEND_UNEXPECTED]++;
		return;
	}
	b->st->c[N_RESPONSES]++;
	ws->c[C_TC_SIZE]++;
	l = &listeners[s->listener];
	if (l->used && l->gen == s->lgen && !l->tcp) {
		put16(pkt, s->cid);
		pkt[2] |= (DNSMSG_TC >> 8);
		put16(pkt + 6, 0);
		put16(pkt + 8, 0);
		put16(pkt + 10, 0);
		n = DNSMSG_HDR + s->qlen;
		count_rcode(pkt);
		pend_add(l->pend, pkt, n, &s->client, &s->dst, s->pktinfo);
	}
	slot_free(b, s);
}

static void
backend_read(struct bsock *bs)
{
	int n, i, round;

	for (round = 0; round < 16; round++) {
		prep_recv(0, 0);
		n = recvmmsg(bs->pend.fd, rb.m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		clock_update();
		for (i = 0; i < n; i++)
			if (rb.m[i].msg_hdr.msg_flags & MSG_TRUNC)
				backend_oversized(bs->b, rb.buf[i],
				    rb.m[i].msg_len);
			else
				backend_answer(bs->b, rb.buf[i],
				    rb.m[i].msg_len);
		flush_all();
		if (n < BATCH)
			break;
	}
}

/* Answer SERVFAIL for queries a backend did not answer in time. */
static void
backend_timeouts(struct backend *b)
{
	uint64_t limit = (uint64_t)conf->backend_timeout_ms * 1000;
	struct listener *l;
	struct slot *s;
	uint8_t *out = rb.ans[0];
	size_t n;
	unsigned i;

	if (b->outstanding == 0)
		return;
	for (i = 0; i < b->hw; i++) {
		s = &b->slot[i];
		if (!s->used || now_us - s->sent_us < limit)
			continue;
		b->st->c[N_TIMEOUTS]++;
		ws->c[C_SF_TIMEOUT]++;
		l = &listeners[s->listener];
		if (l->used && l->gen == s->lgen && !l->tcp) {
			put16(out, s->cid);
			put16(out + 2, DNSMSG_QR | (s->qflags &
			    (0x7800 | DNSMSG_RD | DNSMSG_CD)) |
			    DNSMSG_SERVFAIL);
			put16(out + 4, 1);
			put16(out + 6, 0);
			put16(out + 8, 0);
			put16(out + 10, s->edns);
			memcpy(out + DNSMSG_HDR, s->q, s->qlen);
			n = DNSMSG_HDR + s->qlen;
			if (s->edns) {
				memset(out + n, 0, 11);
				put16(out + n + 1, DNSMSG_T_OPT);
				put16(out + n + 3, 1232);
				out[n + 7] = s->do_bit ? 0x80 : 0;
				n += 11;
			}
			count_rcode(out);
			pend_add(l->pend, out, n, &s->client, &s->dst,
			    s->pktinfo);
			flush_all();
		}
		slot_free(b, s);
	}
}

/* ---- backends and health checks ---- */

static void
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
	int fd, sz = (int)conf->udp_buffer;

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

static struct backend *
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
	b->cnext_ms = now_ms;
	b->st = named_get(1, bc->name);
	return b;
}

static void
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
	b->csent_ms = now_ms;
	b->cnext_ms = now_ms + b->conf.check.interval_ms;
	if (n == 0 || send(b->cfd, q, n, MSG_DONTWAIT) < 0) {
		check_result(b, 0, "send");
		return;
	}
	b->cpending = 1;
}

static void
check_read(struct backend *b)
{
	uint8_t buf[BUFSZ], want[DNSMSG_NAME_MAX], key[DNSMSG_KEY_MAX];
	struct dnsmsg m;
	const char *why;
	ssize_t n;
	int rcode;

	while ((n = recv(b->cfd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		if (!b->cpending || dnsmsg_parse(buf, (size_t)n, &m, &why) < 0 ||
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

static void
check_tick(struct backend *b)
{
	if (!b->conf.check.enabled) {
		if (!b->up) {
			b->up = 1;
			backend_publish(b);
		}
		return;
	}
	if (b->cpending && now_ms - b->csent_ms >= b->conf.check.timeout_ms) {
		b->cpending = 0;
		check_result(b, 0, "timeout");
	}
	if (!b->cpending && now_ms >= b->cnext_ms)
		check_send(b);
}

static void
admin_sync(void)
{
	size_t i, j;

	if (shm->admin_gen == admin_seen)
		return;
	admin_seen = shm->admin_gen;
	for (i = 0; i < nbackends; i++) {
		backends[i]->admin = 0;
		for (j = 0; j < PROXYCONF_BACKENDS_MAX; j++)
			if (strcmp(shm->admin[j].name,
			    backends[i]->conf.name) == 0)
				backends[i]->admin = shm->admin[j].state;
		backend_publish(backends[i]);
	}
}

/* ---- TCP clients ---- */

static void
tconn_events(struct tconn *c)
{
	ep_mod(c->fd, (c->paused ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0),
	    &c->ev);
}

static void
tconn_flush(struct tconn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			c->closing = 2;	/* broken: close now */
			return;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if ((c->woff < c->wlen) != c->want_out) {
		c->want_out = c->woff < c->wlen;
		tconn_events(c);
	}
}

static void
tconn_send(struct tconn *c, const uint8_t *msg, size_t len)
{
	size_t need = c->wlen + len + 2, cap;
	uint8_t *p;

	if (need > TCP_WBUF_MAX) {
		c->closing = 2;
		return;
	}
	if (need > c->wcap) {
		for (cap = c->wcap ? c->wcap : 1024; cap < need; cap *= 2)
			;
		if ((p = realloc(c->wbuf, cap)) == NULL) {
			c->closing = 2;
			return;
		}
		c->wbuf = p;
		c->wcap = cap;
	}
	put16(c->wbuf + c->wlen, (uint16_t)len);
	memcpy(c->wbuf + c->wlen + 2, msg, len);
	c->wlen += len + 2;
	c->last_ms = now_ms;
	tconn_flush(c);
}

/* ---- TCP to backends: one query at a time per connection, idle
 * connections kept per backend for the next query ---- */

static void
bconn_close(struct bconn *bc)
{
	close(bc->fd);
	defer_free(&bc->ev);
}

/* Drop the idle connections of b past its pool size or idle time (all
 * of them with all set). */
static void
bconn_trim(struct backend *b, int all)
{
	struct bconn **pp = &b->idle, *bc;
	unsigned n = 0;

	while ((bc = *pp) != NULL) {
		if (all || n >= conf->tcp_backend_pool ||
		    now_ms - bc->idle_ms >= conf->tcp_backend_idle_ms) {
			*pp = bc->next;
			b->nidle--;
			bconn_close(bc);
			continue;
		}
		n++;
		pp = &bc->next;
	}
}

/* A connection to b: the newest idle one the backend has not closed,
 * unless fresh, else a new one (connecting). NULL when none can be
 * opened. */
static struct bconn *
bconn_get(struct backend *b, int fresh)
{
	struct bconn *bc;
	int one = 1;
	char byte;

	while (!fresh && (bc = b->idle) != NULL) {
		b->idle = bc->next;
		b->nidle--;
		bc->next = NULL;
		/* EOF or bytes nobody asked for: the backend is done. */
		if (recv(bc->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK)) {
			b->st->c[N_TCP_REUSED]++;
			return bc;
		}
		bconn_close(bc);
	}
	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return NULL;
	bc->ev.type = EV_TCP_BACKEND;
	bc->ev.p = bc;
	bc->b = b;
	bc->connecting = 1;
	bc->fd = socket(b->conf.sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (bc->fd < 0) {
		free(bc);
		return NULL;
	}
	(void)setsockopt(bc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((connect(bc->fd, &b->conf.sa.sa, b->salen) < 0 &&
	    errno != EINPROGRESS) || ep_add(bc->fd, EPOLLOUT, &bc->ev) < 0) {
		close(bc->fd);
		free(bc);
		return NULL;
	}
	b->st->c[N_TCP_CONNECTS]++;
	return bc;
}

/* Give bc back to its backend's pool after a complete answer; close it
 * when the pool is full or the backend is leaving. */
static void
bconn_release(struct bconn *bc)
{
	struct backend *b = bc->b;

	bc->t = NULL;
	bc->uses++;
	if (b->pool == NULL || b->nidle >= conf->tcp_backend_pool ||
	    ep_mod(bc->fd, EPOLLIN, &bc->ev) < 0) {
		bconn_close(bc);
		return;
	}
	bc->idle_ms = now_ms;
	bc->next = b->idle;
	b->idle = bc;
	b->nidle++;
}

static void
tq_free(struct tq *t)
{
	struct tq **pp;

	if (t->c != NULL) {
		for (pp = &t->c->tqs; *pp != NULL; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		t->c->inflight--;
	}
	if (t->b != NULL) {
		t->b->outstanding--;
		t->b->st->outstanding = t->b->outstanding;
	}
	/* Busy with an answer we no longer want: not reusable. */
	if (t->bc != NULL)
		bconn_close(t->bc);
	free(t->q);
	free(t->buf);
	defer_free(&t->ev);
}

/* SERVFAIL to the client of t, built from its query; then the client's
 * next queries when pump (never from inside tconn_pump). */
static void
tq_fail(struct tq *t, int pump)
{
	uint8_t out[BUFSZ];
	struct dnsmsg m;
	const char *why;
	struct tconn *c = t->c;
	size_t n;

	if (c != NULL && dnsmsg_parse(t->q + 2, t->qlen - 2, &m, &why) == 0) {
		m.id = t->cid;
		n = reply(t->q + 2, &m, out, DNSMSG_SERVFAIL, 0);
		tconn_send(c, out, n);
	}
	tq_free(t);
	if (c != NULL && pump)
		tconn_pump(c);
}

/* Send t on bc: written when the socket says it can be. */
static int
tq_attach(struct tq *t, struct bconn *bc)
{
	t->bc = bc;
	bc->t = t;
	t->state = 0;
	t->off = 0;
	t->len = 0;
	if (!bc->connecting && ep_mod(bc->fd, EPOLLOUT, &bc->ev) < 0)
		return -1;
	return 0;
}

/* The connection of t failed. A reused one may have been closed by the
 * backend just before our query reached it: try once more on a new
 * connection, unless part of an answer came back. */
static void
tq_error(struct tq *t)
{
	struct bconn *bc = t->bc;

	if (bc->uses > 0 && !t->retried && t->len == 0) {
		t->retried = 1;
		t->bc = NULL;
		bconn_close(bc);
		if ((bc = bconn_get(t->b, 1)) != NULL && tq_attach(t, bc) == 0)
			return;
	}
	tq_fail(t, 1);
}

static void
tq_done(struct tq *t)
{
	uint8_t *ans = t->buf + 2, key[DNSMSG_KEY_MAX];
	size_t len = t->len - 2, klen;
	struct tconn *c = t->c;
	struct dnsmsg m;
	const char *why;

	if (dnsmsg_parse(ans, len, &m, &why) < 0 || m.id != t->id ||
	    !(m.flags & DNSMSG_QR) || m.qend > t->qlen - 2 ||
	    memcmp(ans + DNSMSG_HDR, t->q + 2 + DNSMSG_HDR,
	    (size_t)m.qend - DNSMSG_HDR) != 0) {
		ws->c[C_BACKEND_UNEXPECTED]++;
		tq_fail(t, 1);
		return;
	}
	t->b->st->c[N_RESPONSES]++;
	if (now_ms >= t->start_ms)
		lat_record((now_ms - t->start_ms) * 1000);
	if (t->b->pool != NULL && t->b->pool->cache != NULL) {
		klen = dnsmsg_key(ans, &m, key);
		key[klen - 1] = t->kflags;
		pcache_put(t->b->pool->cache, dnsmsg_hash(key, klen, hash_seed),
		    key, klen, ans, len, &m, now_s);
	}
	put16(ans, t->cid);
	if (c != NULL) {
		count_rcode(ans);
		tconn_send(c, ans, len);
	}
	bconn_release(t->bc);
	t->bc = NULL;
	tq_free(t);
	if (c != NULL)
		tconn_pump(c);
}

static void
bconn_event(struct bconn *bc, uint32_t events)
{
	struct tq *t = bc->t;
	struct backend *b = bc->b;
	struct bconn **pp;
	ssize_t n;
	size_t need;
	int err = 0;
	socklen_t el = sizeof(err);
	uint8_t *p;

	if (t == NULL) {
		/* Idle: the backend closed it or sent what nobody asked. */
		for (pp = &b->idle; *pp != NULL; pp = &(*pp)->next)
			if (*pp == bc) {
				*pp = bc->next;
				b->nidle--;
				break;
			}
		bconn_close(bc);
		return;
	}
	if (t->state == 0) {
		if (bc->connecting) {
			if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				return;
			if (getsockopt(bc->fd, SOL_SOCKET, SO_ERROR, &err,
			    &el) < 0 || err != 0) {
				tq_fail(t, 1);
				return;
			}
			bc->connecting = 0;
		}
		while (t->off < t->qlen) {
			n = write(bc->fd, t->q + t->off, t->qlen - t->off);
			if (n < 0) {
				if (errno == EAGAIN)
					return;
				if (errno == EINTR)
					continue;
				tq_error(t);
				return;
			}
			t->off += (size_t)n;
		}
		t->state = 1;
		t->len = 0;
		if (ep_mod(bc->fd, EPOLLIN, &bc->ev) < 0)
			tq_fail(t, 1);
		return;
	}
	for (;;) {
		need = t->len < 2 ? 2 : 2 + (size_t)get16(t->buf);
		if (t->len >= 2 && t->len == need) {
			tq_done(t);
			return;
		}
		if (need > t->cap) {
			if ((p = realloc(t->buf, need)) == NULL) {
				tq_fail(t, 1);
				return;
			}
			t->buf = p;
			t->cap = need;
		}
		n = read(bc->fd, t->buf + t->len, need - t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tq_error(t);
			return;
		}
		t->len += (size_t)n;
	}
}

static void
tq_start(struct tconn *c, const uint8_t *q, size_t len, struct qctx *qc)
{
	struct backend *b = qc->b;
	struct bconn *bc;
	struct tq *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->q = malloc(len + 2)) == NULL) {
		free(t);
		c->closing = 2;
		return;
	}
	t->ev.type = EV_DEAD;
	t->ev.p = t;
	t->c = c;
	t->b = b;
	t->cid = qc->m.id;
	t->id = (uint16_t)rnd();
	t->kflags = qc->key[qc->klen - 1];
	t->start_ms = now_ms;
	put16(t->q, (uint16_t)len);
	memcpy(t->q + 2, q, len);
	put16(t->q + 2, t->id);
	t->qlen = len + 2;
	t->next = c->tqs;
	c->tqs = t;
	c->inflight++;
	b->outstanding++;
	b->st->outstanding = b->outstanding;
	b->st->c[N_QUERIES]++;
	if ((bc = bconn_get(b, 0)) == NULL || tq_attach(t, bc) < 0)
		tq_fail(t, 0);
}

/* Handle the complete queries buffered on c, as far as limits allow. */
static void
tconn_pump(struct tconn *c)
{
	uint8_t out[BUFSZ];
	struct qctx qc;
	size_t mlen, outlen;

	while (!c->closing && c->inflight < TCP_PIPELINE && c->rlen >= 2) {
		mlen = get16(c->rbuf);
		if (c->rlen < 2 + mlen)
			break;
		if (mlen == 0) {
			c->closing = 2;
			break;
		}
		c->nq++;
		c->last_ms = now_ms;
		c->qstart_ms = 0;
		switch (process(c->rbuf + 2, mlen, &c->peer, 1, out, &outlen,
		    &qc)) {
		case V_DROP:
			break;
		case V_ANSWER:
			tconn_send(c, out, outlen);
			break;
		case V_FORWARD:
			tq_start(c, c->rbuf + 2, mlen, &qc);
			break;
		}
		c->rlen -= 2 + mlen;
		memmove(c->rbuf, c->rbuf + 2 + mlen, c->rlen);
		if (conf->tcp_max_queries && c->nq >= conf->tcp_max_queries)
			c->closing = 1;
	}
	/* A partial query has query_timeout from its first byte: trickled
	 * bytes do not hold a connection. */
	if (c->rlen == 0 || (c->rlen >= 2 && c->rlen >= 2 +
	    (size_t)get16(c->rbuf)))
		c->qstart_ms = 0;
	else if (c->qstart_ms == 0)
		c->qstart_ms = now_ms;
	if (c->closing == 2 || (c->closing && c->inflight == 0 &&
	    c->woff == c->wlen)) {
		tconn_close(c);
		return;
	}
	if (c->paused && !c->closing && c->rlen < RBUF_MAX) {
		c->paused = 0;
		tconn_events(c);
	}
}

static void
tconn_read(struct tconn *c)
{
	size_t need;
	ssize_t n;
	uint8_t *p;

	for (;;) {
		if (c->rlen >= RBUF_MAX) {
			/* Enough queued: wait for answers (back-pressure). */
			c->paused = 1;
			tconn_events(c);
			break;
		}
		need = c->rlen + 4096 > RBUF_MAX ? RBUF_MAX : c->rlen + 4096;
		if (need > c->rcap) {
			if ((p = realloc(c->rbuf, need)) == NULL) {
				tconn_close(c);
				return;
			}
			c->rbuf = p;
			c->rcap = need;
		}
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->closing = n < 0 ? 2 : 1;
			c->paused = 1;
			tconn_events(c);
			break;
		}
		c->rlen += (size_t)n;
		if (c->rlen < c->rcap)
			break;
	}
	tconn_pump(c);
}

static void
tconn_close(struct tconn *c)
{
	struct tq *t;

	while ((t = c->tqs) != NULL) {
		c->tqs = t->next;
		t->c = NULL;
		t->next = NULL;
		tq_free(t);
	}
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		tconns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ntconn--;
	ws->tcp_open = ntconn;
	free(c->rbuf);
	free(c->wbuf);
	defer_free(&c->ev);
}

static void
tcp_accept(struct listener *l)
{
	union netaddr_sa peer;
	socklen_t plen;
	struct tconn *c, *o;
	uint64_t key;
	unsigned same;
	int fd;

	for (;;) {
		plen = sizeof(peer);
		fd = accept4(l->fd, &peer.sa, &plen, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors: stop listening until the next
			 * tick rather than spin on a readable socket. */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				ep_mod(l->fd, 0, &l->ev);
				accept_paused = 1;
				ws->c[C_TCP_REJ_LIMIT]++;
			}
			return;
		}
		ws->c[C_TCP_CONNS]++;
		if (ntconn >= conf->tcp_max_connections) {
			ws->c[C_TCP_REJ_LIMIT]++;
			close(fd);
			continue;
		}
		if (conf->acl_action == PROXYCONF_DROP &&
		    !netaddr_acl_match(&conf->acl, &peer)) {
			ws->c[C_DROP_ACL]++;
			close(fd);
			continue;
		}
		key = netaddr_client_key(&peer);
		same = 0;
		for (o = tconns; o != NULL; o = o->next)
			if (o->ckey == key)
				same++;
		if (conf->tcp_max_per_client &&
		    same >= conf->tcp_max_per_client) {
			ws->c[C_TCP_REJ_CLIENT]++;
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->ev.type = EV_TCP_CLIENT;
		c->ev.p = c;
		c->fd = fd;
		c->peer = peer;
		c->ckey = key;
		c->last_ms = c->born_ms = now_ms;
		if (ep_add(fd, EPOLLIN, &c->ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = tconns;
		if (tconns != NULL)
			tconns->prev = c;
		tconns = c;
		ntconn++;
		ws->tcp_open = ntconn;
	}
}

static void
tcp_tick(void)
{
	struct tconn *c, *next;
	struct tq *t, *tn;
	uint64_t age;
	size_t i;

	for (i = 0; i < nbackends; i++)
		bconn_trim(backends[i], 0);
	for (c = tconns; c != NULL; c = next) {
		next = c->next;
		for (t = c->tqs; t != NULL; t = tn) {
			tn = t->next;
			if (now_ms - t->start_ms >= conf->backend_timeout_ms) {
				t->b->st->c[N_TIMEOUTS]++;
				ws->c[C_SF_TIMEOUT]++;
				tq_fail(t, 1);
				/* tq_fail may have closed c. */
				goto nextconn;
			}
		}
		if (c->qstart_ms != 0 &&
		    now_ms - c->qstart_ms >= conf->tcp_query_timeout_ms) {
			ws->c[C_TCP_QUERY_TIMEOUT]++;
			tconn_close(c);
			continue;
		}
		age = now_ms - c->born_ms;
		if (conf->tcp_max_age_ms && age >= conf->tcp_max_age_ms) {
			/* No new query; the answers owed go out first, for
			 * at most one more query_timeout. */
			if (!c->aged) {
				ws->c[C_TCP_MAX_AGE]++;
				c->aged = 1;
				c->closing = 1;
				c->paused = 1;
				tconn_events(c);
			}
			if ((c->inflight == 0 && c->woff == c->wlen) ||
			    age >= (uint64_t)conf->tcp_max_age_ms +
			    conf->tcp_query_timeout_ms)
				tconn_close(c);
			continue;
		}
		if (c->inflight == 0 && c->woff == c->wlen &&
		    now_ms - c->last_ms >= conf->tcp_idle_timeout_ms) {
			ws->c[C_TCP_IDLE]++;
			tconn_close(c);
		}
nextconn:
		;
	}
}

/* ---- text output for metrics and the control socket ---- */

struct sb {
	char		*p;
	size_t		 len, cap;
};

static void sb_printf(struct sb *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
		    b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		if ((p = realloc(b->p, b->cap * 2 + (size_t)n + 1024)) ==
		    NULL)
			return;
		b->p = p;
		b->cap = b->cap * 2 + (size_t)n + 1024;
	}
}

/* Sum of one named object over every worker. */
static void
named_sum(int kind, const char *name, struct named *out)
{
	unsigned w;
	size_t i, k;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < shm->nworkers; w++)
		for (i = 0; i < NAMED_MAX; i++) {
			struct named *n = &shm->w[w].n[i];

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

	for (w = 0; w < shm->nworkers; w++)
		s += shm->w[w].c[c];
	return s;
}

static void
metric_head(struct sb *b, const char *name, const char *type,
    const char *help)
{
	sb_printf(b, "# HELP dns_proxy_%s %s\n# TYPE dns_proxy_%s %s\n", name,
	    help, name, type);
}

/* A counter summed over the workers, with its HELP and TYPE lines. */
static void
metric_counter(struct sb *b, const char *name, int c, const char *help)
{
	metric_head(b, name, "counter", help);
	sb_printf(b, "dns_proxy_%s %llu\n", name,
	    (unsigned long long)gsum(c));
}

static void
metrics_text(struct sb *b)
{
	static const struct {
		int c;
		const char *label;
	} ans[] = {
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
	struct named n;
	uint64_t cum, lsum, open, rlc;
	size_t i, k;
	unsigned w;

#define EACH(arr, name, lname) \
	for (i = 0; i < sizeof(arr) / sizeof(arr[0]); i++) \
		sb_printf(b, "dns_proxy_%s{%s=\"%s\"} %llu\n", name, lname, \
		    arr[i].label, (unsigned long long)gsum(arr[i].c))

	metric_head(b, "queries_total", "counter", "Queries received.");
	sb_printf(b, "dns_proxy_queries_total{proto=\"udp\"} %llu\n"
	    "dns_proxy_queries_total{proto=\"tcp\"} %llu\n",
	    (unsigned long long)gsum(C_Q_UDP),
	    (unsigned long long)gsum(C_Q_TCP));
	metric_head(b, "answers_total", "counter", "Answers sent, by rcode.");
	EACH(ans, "answers_total", "rcode");
	metric_head(b, "drops_total", "counter", "Queries dropped, by reason.");
	EACH(drops, "drops_total", "reason");
	metric_head(b, "refused_total", "counter",
	    "Queries refused by a rule, by reason.");
	EACH(refs, "refused_total", "reason");
	metric_head(b, "truncated_total", "counter",
	    "Answers with TC=1, by reason.");
	EACH(tcs, "truncated_total", "reason");
	metric_head(b, "servfail_total", "counter",
	    "SERVFAIL answers made here, by reason.");
	EACH(sfs, "servfail_total", "reason");
	metric_counter(b, "backend_unexpected_total", C_BACKEND_UNEXPECTED,
	    "Backend datagrams matching no query (ID, name, type).");
	metric_counter(b, "send_errors_total", C_SEND_ERRORS, "Datagrams the"
	    " kernel refused to send.");
	metric_counter(b, "tcp_connections_total", C_TCP_CONNS, "TCP"
	    " connections accepted.");
	metric_head(b, "tcp_rejected_total", "counter",
	    "TCP connections closed at once, by limit.");
	EACH(tcprej, "tcp_rejected_total", "reason");
	metric_counter(b, "tcp_idle_closed_total", C_TCP_IDLE, "TCP"
	    " connections closed after the idle timeout.");
	metric_counter(b, "tcp_query_timeouts_total", C_TCP_QUERY_TIMEOUT,
	    "TCP connections closed with a query unread by its deadline.");
	metric_counter(b, "tcp_max_age_closed_total", C_TCP_MAX_AGE, "TCP"
	    " connections closed at their maximum age.");
	for (w = 0, open = 0, rlc = 0; w < shm->nworkers; w++) {
		open += shm->w[w].tcp_open;
		rlc += shm->w[w].rl_clients;
	}
	metric_head(b, "tcp_connections", "gauge", "TCP connections open.");
	sb_printf(b, "dns_proxy_tcp_connections %llu\n",
	    (unsigned long long)open);
	metric_head(b, "ratelimit_clients", "gauge",
	    "Clients in the QPS limit table.");
	sb_printf(b, "dns_proxy_ratelimit_clients %llu\n",
	    (unsigned long long)rlc);
	metric_head(b, "reloads_total", "counter",
	    "Configuration reloads, by result.");
	sb_printf(b, "dns_proxy_reloads_total{result=\"ok\"} %llu\n"
	    "dns_proxy_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)shm->w[0].c[C_RELOADS],
	    (unsigned long long)shm->w[0].c[C_RELOAD_FAILS]);
	metric_head(b, "workers", "gauge", "Worker processes.");
	sb_printf(b, "dns_proxy_workers %u\n", shm->nworkers);
	metric_head(b, "latency_seconds", "histogram",
	    "Time from a query to its backend's answer.");
	for (i = 0, cum = 0, lsum = 0; i <= NLAT; i++) {
		for (w = 0; w < shm->nworkers; w++)
			cum += shm->w[w].lat[i];
		if (i < NLAT)
			sb_printf(b, "dns_proxy_latency_seconds_bucket"
			    "{le=\"%g\"} %llu\n", lat_le[i],
			    (unsigned long long)cum);
		else
			sb_printf(b, "dns_proxy_latency_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	for (w = 0; w < shm->nworkers; w++)
		lsum += shm->w[w].lat_sum_us;
	sb_printf(b, "dns_proxy_latency_seconds_sum %.6f\n"
	    "dns_proxy_latency_seconds_count %llu\n", lsum / 1e6,
	    (unsigned long long)cum);

	metric_head(b, "cache_hits_total", "counter", "Packet cache hits.");
	for (k = 0; k < npools; k++) {
		named_sum(2, pools[k].name, &n);
		sb_printf(b, "dns_proxy_cache_hits_total{pool=\"%s\"} %llu\n",
		    n.name, (unsigned long long)n.c[N_HITS]);
	}
	metric_head(b, "cache_misses_total", "counter", "Packet cache misses.");
	for (k = 0; k < npools; k++) {
		named_sum(2, pools[k].name, &n);
		sb_printf(b, "dns_proxy_cache_misses_total{pool=\"%s\"} %llu\n",
		    n.name, (unsigned long long)n.c[N_MISSES]);
	}
	metric_head(b, "cache_inserts_total", "counter",
	    "Answers stored in the packet cache.");
	for (k = 0; k < npools; k++) {
		named_sum(2, pools[k].name, &n);
		sb_printf(b, "dns_proxy_cache_inserts_total{pool=\"%s\"} "
		    "%llu\n", n.name, (unsigned long long)n.c[N_INSERTS]);
	}
	metric_head(b, "cache_evictions_total", "counter",
	    "Cache entries evicted to make room.");
	for (k = 0; k < npools; k++) {
		named_sum(2, pools[k].name, &n);
		sb_printf(b, "dns_proxy_cache_evictions_total{pool=\"%s\"} "
		    "%llu\n", n.name, (unsigned long long)n.c[N_EVICTIONS]);
	}
	metric_head(b, "cache_entries", "gauge", "Answers in the cache.");
	for (k = 0; k < npools; k++) {
		named_sum(2, pools[k].name, &n);
		sb_printf(b, "dns_proxy_cache_entries{pool=\"%s\"} %llu\n",
		    n.name, (unsigned long long)n.entries);
	}

#define BACKENDS(metric, expr) \
	for (k = 0; k < nbackends; k++) { \
		named_sum(1, backends[k]->conf.name, &n); \
		sb_printf(b, "dns_proxy_%s{backend=\"%s\",pool=\"%s\"} %llu\n", \
		    metric, n.name, backends[k]->pool ? \
		    backends[k]->pool->name : "", (unsigned long long)(expr)); \
	}
	metric_head(b, "backend_queries_total", "counter",
	    "Queries sent to a backend.");
	BACKENDS("backend_queries_total", n.c[N_QUERIES]);
	metric_head(b, "backend_responses_total", "counter",
	    "Answers received from a backend.");
	BACKENDS("backend_responses_total", n.c[N_RESPONSES]);
	metric_head(b, "backend_timeouts_total", "counter",
	    "Queries a backend did not answer in time.");
	BACKENDS("backend_timeouts_total", n.c[N_TIMEOUTS]);
	metric_head(b, "backend_check_failures_total", "counter",
	    "Failed health checks.");
	BACKENDS("backend_check_failures_total", n.c[N_CHECK_FAILS]);
	metric_head(b, "backend_tcp_connects_total", "counter",
	    "TCP connections opened to a backend.");
	BACKENDS("backend_tcp_connects_total", n.c[N_TCP_CONNECTS]);
	metric_head(b, "backend_tcp_reused_total", "counter",
	    "Queries sent on an idle TCP connection to a backend.");
	BACKENDS("backend_tcp_reused_total", n.c[N_TCP_REUSED]);
	metric_head(b, "backend_outstanding", "gauge",
	    "Queries in flight to a backend.");
	BACKENDS("backend_outstanding", n.outstanding);
	metric_head(b, "backend_up", "gauge",
	    "1 when the backend takes traffic.");
	BACKENDS("backend_up", n.up);
	metric_head(b, "backend_latency_seconds", "gauge",
	    "Moving average of a backend's answer time.");
	for (k = 0; k < nbackends; k++) {
		named_sum(1, backends[k]->conf.name, &n);
		sb_printf(b, "dns_proxy_backend_latency_seconds{backend=\"%s\","
		    "pool=\"%s\"} %.6f\n", n.name, backends[k]->pool ?
		    backends[k]->pool->name : "", n.latency_us / 1e6);
	}
#undef BACKENDS
#undef EACH
}

static const char *const admin_word[] = { "auto", "up", "down" };

static void
ctl_command(char *line, struct sb *b)
{
	char *w[8], *save = NULL, *p;
	struct named n;
	size_t i, k, nw = 0;
	int st;

	for (p = line; nw < 8 && (w[nw] = strtok_r(p, " \t\r\n", &save)) !=
	    NULL; p = NULL)
		nw++;
	if (nw == 0 || strcmp(w[0], "help") == 0) {
		sb_printf(b, "commands: show servers | show pools | "
		    "show cache | show stats | set backend NAME "
		    "up|down|auto | reload\n");
		return;
	}
	if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "servers") == 0) {
		sb_printf(b, "%-16s %-10s %-24s %-5s %-5s %10s %10s %8s %6s "
		    "%9s\n", "name", "pool", "address", "state", "admin",
		    "queries", "responses", "timeouts", "outst", "latency");
		for (k = 0; k < nbackends; k++) {
			named_sum(1, backends[k]->conf.name, &n);
			sb_printf(b, "%-16s %-10s %-24s %-5s %-5s %10llu "
			    "%10llu %8llu %6u %7.2fms\n", n.name,
			    backends[k]->pool ? backends[k]->pool->name : "-",
			    backends[k]->conf.address, n.up ? "up" : "down",
			    admin_word[backends[k]->admin],
			    (unsigned long long)n.c[N_QUERIES],
			    (unsigned long long)n.c[N_RESPONSES],
			    (unsigned long long)n.c[N_TIMEOUTS],
			    n.outstanding, n.latency_us / 1e3);
		}
		return;
	}
	if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "pools") == 0) {
		sb_printf(b, "%-10s %-17s %-8s %s\n", "name", "policy",
		    "cache", "backends");
		for (k = 0; k < npools; k++) {
			sb_printf(b, "%-10s %-17s %-8zu", pools[k].name,
			    proxyconf_policy_name(pools[k].policy),
			    pools[k].cache ? pools[k].cache_entries : 0);
			for (i = 0; i < pools[k].nb; i++)
				sb_printf(b, " %s", pools[k].b[i]->conf.name);
			sb_printf(b, "%s\n", (int)k == conf->default_pool ?
			    " (default)" : "");
		}
		return;
	}
	if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "cache") == 0) {
		sb_printf(b, "%-10s %10s %10s %12s %12s %10s %10s\n", "pool",
		    "entries", "capacity", "hits", "misses", "inserts",
		    "evictions");
		for (k = 0; k < npools; k++) {
			named_sum(2, pools[k].name, &n);
			sb_printf(b, "%-10s %10llu %10llu %12llu %12llu %10llu "
			    "%10llu\n", n.name,
			    (unsigned long long)n.entries,
			    (unsigned long long)n.capacity,
			    (unsigned long long)n.c[N_HITS],
			    (unsigned long long)n.c[N_MISSES],
			    (unsigned long long)n.c[N_INSERTS],
			    (unsigned long long)n.c[N_EVICTIONS]);
		}
		return;
	}
	if (nw == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "stats") == 0) {
		metrics_text(b);
		return;
	}
	if (nw == 4 && strcmp(w[0], "set") == 0 &&
	    strcmp(w[1], "backend") == 0) {
		if (strcmp(w[3], "auto") == 0)
			st = 0;
		else if (strcmp(w[3], "up") == 0)
			st = 1;
		else if (strcmp(w[3], "down") == 0)
			st = 2;
		else {
			sb_printf(b, "error: state must be up, down or auto\n");
			return;
		}
		for (k = 0; k < nbackends; k++)
			if (strcmp(backends[k]->conf.name, w[2]) == 0)
				break;
		if (k == nbackends) {
			sb_printf(b, "error: no backend %s\n", w[2]);
			return;
		}
		for (i = 0; i < PROXYCONF_BACKENDS_MAX; i++)
			if (strcmp(shm->admin[i].name, w[2]) == 0)
				break;
		if (i == PROXYCONF_BACKENDS_MAX)
			for (i = 0; i < PROXYCONF_BACKENDS_MAX; i++)
				if (shm->admin[i].name[0] == '\0' ||
				    shm->admin[i].state == 0)
					break;
		if (i == PROXYCONF_BACKENDS_MAX) {
			sb_printf(b, "error: too many overrides\n");
			return;
		}
		snprintf(shm->admin[i].name, sizeof(shm->admin[i].name), "%s",
		    w[2]);
		shm->admin[i].state = st;
		__atomic_add_fetch(&shm->admin_gen, 1, __ATOMIC_SEQ_CST);
		admin_sync();
		log_info("backend admin state set backend=%s state=%s", w[2],
		    admin_word[st]);
		sb_printf(b, "ok: backend %s %s\n", w[2], admin_word[st]);
		return;
	}
	if (nw == 1 && strcmp(w[0], "reload") == 0) {
		kill(getpid(), SIGHUP);
		sb_printf(b, "ok: reloading\n");
		return;
	}
	sb_printf(b, "error: unknown command (try help)\n");
}

/* ---- HTTP metrics and the control socket (small request/response) ---- */

static void
hconn_close(struct hconn *h)
{
	close(h->fd);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		hconns = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	free(h->buf);
	defer_free(&h->ev);
}

static void
hconn_accept(int lfd, int ctl)
{
	struct hconn *h;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		if ((h = calloc(1, sizeof(*h))) == NULL ||
		    (h->buf = malloc(HTTP_MAX + 1)) == NULL) {
			free(h);
			close(fd);
			continue;
		}
		h->cap = HTTP_MAX;
		h->ev.type = EV_HTTP;
		h->ev.p = h;
		h->fd = fd;
		h->ctl = ctl;
		h->start_ms = now_ms;
		if (ep_add(fd, EPOLLIN, &h->ev) < 0) {
			close(fd);
			free(h->buf);
			free(h);
			continue;
		}
		h->next = hconns;
		if (hconns != NULL)
			hconns->prev = h;
		hconns = h;
	}
}

static void
hconn_respond(struct hconn *h)
{
	struct sb body = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	int status = 200;

	h->buf[h->len] = '\0';
	if (h->ctl) {
		ctl_command(h->buf, &out);
	} else {
		if (strncmp(h->buf, "GET /metrics", 12) == 0 &&
		    (h->buf[12] == ' ' || h->buf[12] == '?'))
			metrics_text(&body);
		else if (strncmp(h->buf, "GET /health ", 12) == 0)
			sb_printf(&body, "ok\n");
		else {
			status = 404;
			sb_printf(&body, "not found\n");
		}
		sb_printf(&out, "HTTP/1.0 %d %s\r\nContent-Type: text/plain; "
		    "version=0.0.4\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", status,
		    status == 200 ? "OK" : "Not Found", body.len);
		sb_printf(&out, "%.*s", (int)body.len, body.p ? body.p : "");
		free(body.p);
	}
	free(h->buf);
	h->buf = out.p;
	h->len = out.len;
	h->off = 0;
	h->writing = 1;
	ep_mod(h->fd, EPOLLOUT, &h->ev);
}

static void
hconn_event(struct hconn *h)
{
	ssize_t n;

	if (!h->writing) {
		n = read(h->fd, h->buf + h->len, h->cap - h->len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			h->len += (size_t)n;
		h->buf[h->len] = '\0';
		if (n <= 0 || h->len == h->cap ||
		    (h->ctl && memchr(h->buf, '\n', h->len) != NULL) ||
		    (!h->ctl && strstr(h->buf, "\r\n\r\n") != NULL) ||
		    (!h->ctl && strstr(h->buf, "\n\n") != NULL)) {
			if (n < 0) {
				hconn_close(h);
				return;
			}
			hconn_respond(h);
		}
		return;
	}
	while (h->off < h->len) {
		n = write(h->fd, h->buf + h->off, h->len - h->off);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		h->off += (size_t)n;
	}
	hconn_close(h);
}

static void
hconn_tick(void)
{
	struct hconn *h, *next;

	for (h = hconns; h != NULL; h = next) {
		next = h->next;
		if (now_ms - h->start_ms > 5000)
			hconn_close(h);
	}
}

/* ---- listeners ---- */

static int
is_wildcard(const union netaddr_sa *sa)
{
	if (sa->sa.sa_family == AF_INET)
		return sa->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&sa->sin6.sin6_addr);
}

/* Steer each client address to one worker, so that per-client limits
 * hold across SO_REUSEPORT workers: index = source address mod workers
 * (IPv6: the /64). */
static void
attach_steering(int fd, int family)
{
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, conf->workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, conf->workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog;

	if (family == AF_INET) {
		prog.len = sizeof(v4) / sizeof(v4[0]);
		prog.filter = v4;
	} else {
		prog.len = sizeof(v6) / sizeof(v6[0]);
		prog.filter = v6;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)) < 0)
		log_debug("unable to attach reuseport steering: %s",
		    strerror(errno));
}

static int
listener_open(struct listener *l, const char *text, const union netaddr_sa *sa,
    int tcp)
{
	int fd, one = 1, sz = (int)conf->udp_buffer;
	socklen_t salen = sa->sa.sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	char buf[80];

	fd = socket(sa->sa.sa_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (tcp)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	if (conf->workers > 1)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one));
	if (sa->sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	/* A VIP may live on the other node right now (VRRP backup). */
	(void)setsockopt(fd, sa->sa.sa_family == AF_INET ? IPPROTO_IP :
	    IPPROTO_IPV6, sa->sa.sa_family == AF_INET ? IP_FREEBIND :
	    IPV6_FREEBIND, &one, sizeof(one));
	memset(l, 0, offsetof(struct listener, gen));
	if (!tcp) {
		if (sz > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz,
			    sizeof(sz));
		if (sz > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz,
			    sizeof(sz));
		if (is_wildcard(sa)) {
			l->pktinfo = 1;
			if (sa->sa.sa_family == AF_INET)
				(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO,
				    &one, sizeof(one));
			else
				(void)setsockopt(fd, IPPROTO_IPV6,
				    IPV6_RECVPKTINFO, &one, sizeof(one));
		}
	}
	if (bind(fd, &sa->sa, salen) < 0)
		goto fail;
	if (tcp && listen(fd, 1024) < 0)
		goto fail;
	if (!tcp && conf->workers > 1 && !conf->steer_flow)
		attach_steering(fd, sa->sa.sa_family);
	if (!tcp) {
		if ((l->pend = calloc(1, sizeof(*l->pend))) == NULL ||
		    (l->pktinfo && (l->pend->ctl = calloc(BATCH, CTLSZ)) ==
		    NULL))
			goto fail;
		l->pend->fd = fd;
		l->pend->pktinfo = l->pktinfo;
	}
	l->ev.type = tcp ? EV_TCP_LISTEN : EV_UDP;
	l->ev.p = l;
	l->fd = fd;
	l->tcp = tcp;
	l->sa = *sa;
	snprintf(l->addr, sizeof(l->addr), "%s", text);
	if (ep_add(fd, EPOLLIN, &l->ev) < 0)
		goto fail;
	l->used = 1;
	return 0;
fail:
	log_warn_sys("unable to listen on %s/%s", netaddr_format(sa, buf,
	    sizeof(buf)), tcp ? "tcp" : "udp");
	if (fd >= 0)
		close(fd);
	if (l->pend != NULL) {
		free(l->pend->ctl);
		free(l->pend);
		l->pend = NULL;
	}
	l->used = 0;
	return -1;
}

static void
listener_close(struct listener *l)
{
	close(l->fd);
	if (l->pend != NULL) {
		free(l->pend->ctl);
		free(l->pend);
	}
	l->pend = NULL;
	l->used = 0;
	l->gen++;	/* answers in flight for it are dropped */
}

static int
stream_listen(const union netaddr_sa *sa)
{
	int fd, one = 1;
	socklen_t salen = sa->sa.sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	if ((fd = socket(sa->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &sa->sa, salen) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
unix_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0660) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Metrics and control endpoints: worker 0 only. */
static void
admin_endpoints(const struct proxyconf *old)
{
	if (worker_id != 0)
		return;
	if (old == NULL || strcmp(old->metrics_listen,
	    conf->metrics_listen) != 0) {
		if (http_fd >= 0)
			close(http_fd);
		http_fd = -1;
		if (conf->metrics_listen[0] != '\0') {
			if ((http_fd = stream_listen(&conf->metrics_sa)) < 0 ||
			    ep_add(http_fd, EPOLLIN, &http_ev) < 0) {
				if (old == NULL)
					die_sys(EXIT_TEMP, "unable to listen "
					    "on %s", conf->metrics_listen);
				log_warn_sys("unable to listen on %s",
				    conf->metrics_listen);
			}
		}
	}
	if (old == NULL || strcmp(old->control_socket,
	    conf->control_socket) != 0) {
		if (ctl_fd >= 0) {
			close(ctl_fd);
			(void)unlink(ctl_path);
		}
		ctl_fd = -1;
		ctl_path[0] = '\0';
		if (conf->control_socket[0] != '\0') {
			if ((ctl_fd = unix_listen(conf->control_socket)) < 0 ||
			    ep_add(ctl_fd, EPOLLIN, &ctl_ev) < 0) {
				if (old == NULL)
					die_sys(EXIT_TEMP, "unable to listen "
					    "on %s", conf->control_socket);
				log_warn_sys("unable to listen on %s",
				    conf->control_socket);
			} else
				snprintf(ctl_path, sizeof(ctl_path), "%s",
				    conf->control_socket);
		}
	}
}

/* ---- configuration: build or rebuild the runtime ---- */

static void
pool_stats(struct pool *p)
{
	struct pcache_stats st;

	if (p->cache == NULL)
		return;
	pcache_get_stats(p->cache, &st);
	p->st->c[N_INSERTS] += st.inserts - p->last.inserts;
	p->st->c[N_EVICTIONS] += st.evictions - p->last.evictions;
	p->st->entries = st.entries;
	p->st->capacity = st.capacity;
	p->last = st;
}

/* Switch to nc. Returns 0, or -1 (only on reload: nothing changed) when
 * a new listening socket cannot be opened. */
static int
apply(struct proxyconf *nc, int initial)
{
	struct proxyconf *old = conf;
	int keep[LMAX], opened[LMAX];
	struct backend **nb, *b;
	struct pool *np;
	size_t i, j, k;
	int tcp, found;

	/* 1. Listeners: keep those still wanted, open the new ones. */
	memset(keep, 0, sizeof(keep));
	memset(opened, 0, sizeof(opened));
	conf = nc;	/* listener_open reads buffer sizes and workers */
	for (i = 0; i < nc->nlisten; i++)
		for (tcp = 0; tcp < 2; tcp++) {
			found = 0;
			for (j = 0; j < LMAX; j++)
				if (listeners[j].used && listeners[j].tcp ==
				    tcp && netaddr_equal(&listeners[j].sa,
				    &nc->listen_sa[i])) {
					keep[j] = 1;
					found = 1;
				}
			if (found)
				continue;
			for (j = 0; j < LMAX; j++)
				if (!listeners[j].used && !opened[j])
					break;
			if (j == LMAX || listener_open(&listeners[j],
			    nc->listen[i], &nc->listen_sa[i], tcp) < 0) {
				if (initial)
					die(EXIT_TEMP, "unable to listen on "
					    "%s", nc->listen[i]);
				for (k = 0; k < LMAX; k++)
					if (opened[k])
						listener_close(&listeners[k]);
				conf = old;
				return -1;
			}
			opened[j] = keep[j] = 1;
		}
	for (j = 0; j < LMAX; j++)
		if (listeners[j].used && !keep[j]) {
			log_info("stopped listening address=%s proto=%s",
			    listeners[j].addr, listeners[j].tcp ? "tcp" : "udp");
			listener_close(&listeners[j]);
		}

	/* 2. Backends: reuse those with the same name, address and sizes
	 * (their queries in flight still get answered); drain the rest. */
	if ((nb = calloc(nc->nbackends + 1, sizeof(*nb))) == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0; i < nc->nbackends; i++) {
		const struct proxyconf_backend *bc = &nc->backends[i];

		b = NULL;
		for (j = 0; j < nbackends; j++)
			if (backends[j] != NULL && strcmp(backends[j]->conf.name,
			    bc->name) == 0 && netaddr_equal(&backends[j]->conf.sa,
			    &bc->sa) && backends[j]->nsock == bc->sockets &&
			    backends[j]->nslot == bc->max_outstanding) {
				b = backends[j];
				backends[j] = NULL;
				break;
			}
		if (b == NULL)
			b = backend_new(bc);
		else {
			/* New check settings start a fresh count. */
			if (memcmp(&b->conf.check, &bc->check,
			    sizeof(bc->check)) != 0) {
				b->cnext_ms = now_ms;
				b->fails = b->oks = 0;
			}
			b->conf = *bc;
		}
		nb[i] = b;
	}
	for (j = 0; j < nbackends; j++) {
		if ((b = backends[j]) == NULL)
			continue;
		b->pool = NULL;
		if (b->outstanding == 0)
			backend_free(b);
		else {
			b->next_drain = draining;
			draining = b;
		}
	}
	free(backends);
	backends = nb;
	nbackends = nc->nbackends;

	/* 3. Pools: a cache survives when its pool keeps its name and
	 * size; its options follow the new configuration. */
	if ((np = calloc(nc->npools, sizeof(*np))) == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0; i < nc->npools; i++) {
		const struct proxyconf_pool *pc = &nc->pools[i];
		struct pool *p = &np[i];

		snprintf(p->name, sizeof(p->name), "%s", pc->name);
		p->policy = pc->policy;
		p->st = named_get(2, pc->name);
		p->st->alive = 1;
		for (j = 0; j < npools; j++)
			if (strcmp(pools[j].name, pc->name) == 0 &&
			    pools[j].cache != NULL && pc->cache &&
			    pools[j].cache_entries == pc->cache_entries &&
			    memcmp(&old->pools[j].copts, &pc->copts,
			    sizeof(pc->copts)) == 0) {
				p->cache = pools[j].cache;
				p->last = pools[j].last;
				pools[j].cache = NULL;
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
				p->b[p->nb++] = backends[k];
				backends[k]->pool = p;
			}
		ring_build(p);
	}
	for (j = 0; j < npools; j++) {
		pcache_free(pools[j].cache);
		free(pools[j].b);
		free(pools[j].ring);
		free(pools[j].ring_b);
		if (pools[j].st != NULL) {
			for (i = 0; i < nc->npools; i++)
				if (strcmp(nc->pools[i].name,
				    pools[j].name) == 0)
					break;
			if (i == nc->npools)
				pools[j].st->alive = 0;
		}
	}
	free(pools);
	pools = np;
	npools = nc->npools;
	for (i = 0; i < nbackends; i++)
		backend_publish(backends[i]);
	admin_seen = shm->admin_gen - 1;
	admin_sync();

	/* 4. Rate limit table: kept unless its parameters changed. */
	if (old == NULL || old->qps_limit != nc->qps_limit ||
	    old->qps_burst != nc->qps_burst ||
	    old->qps_table_size != nc->qps_table_size) {
		ratelimit_free(rl);
		rl = NULL;
		if (nc->qps_limit > 0 && (rl = ratelimit_new(nc->qps_table_size,
		    nc->qps_limit, nc->qps_burst)) == NULL)
			die_sys(EXIT_TEMP, "unable to allocate the QPS table");
	}

	/* 5. Routes point into conf: rebuild, then let the old one go. */
	routes_build();
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

static void
reload(void)
{
	struct proxyconf *nc;
	char err[1024];
	unsigned w;

	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		return;
	if (proxyconf_load(cfg_path, nc, err, sizeof(err)) < 0) {
		log_warn("reload failed, keeping the running configuration: %s",
		    err);
		ws->c[C_RELOAD_FAILS]++;
		proxyconf_free(nc);
		free(nc);
		return;
	}
	appconf_warn(&nc->unknown);
	w = conf->workers;
	nc->workers = w;	/* fixed at start (-w or the first load) */
	if (apply(nc, 0) < 0) {
		log_warn("reload failed, keeping the running configuration: "
		    "a new address cannot be bound");
		ws->c[C_RELOAD_FAILS]++;
		proxyconf_free(nc);
		free(nc);
		return;
	}
	ws->c[C_RELOADS]++;
	log_info("reloaded config=%s pools=%zu backends=%zu routes=%zu "
	    "worker=%u", cfg_path, npools, nbackends, conf->nroutes,
	    worker_id);
}

/* ---- privileges ---- */

static void
drop_privileges(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	struct passwd *pw;

	if (geteuid() != 0 || conf->user[0] == '\0' ||
	    strcmp(conf->user, "root") == 0)
		return;
	if ((pw = getpwnam(conf->user)) == NULL)
		die(EXIT_USAGE, "dns_proxy.user: no such user: %s", conf->user);
	/* Keep CAP_NET_BIND_SERVICE so that a reload can bind port 53. */
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 ||
	    setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		die_sys(EXIT_TEMP, "unable to become user %s", conf->user);
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted =
	    1u << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data) < 0)
		log_warn_sys("unable to keep CAP_NET_BIND_SERVICE");
	(void)prctl(PR_SET_KEEPCAPS, 0);
	if (setuid(0) == 0)
		die(EXIT_TEMP, "privileges could be regained");
}

/* ---- the event loop ---- */

/* Objects closed while an epoll batch may still name them are freed
 * after the batch. Each struct starts with its struct ev. */
static struct ev **grave;
static size_t ngrave, capgrave;

static void
defer_free(struct ev *e)
{
	struct ev **p;

	e->type = EV_DEAD;
	if (ngrave == capgrave) {
		capgrave = capgrave ? capgrave * 2 : 64;
		if ((p = realloc(grave, capgrave * sizeof(*p))) == NULL)
			die(EXIT_TEMP, "out of memory");
		grave = p;
	}
	grave[ngrave++] = e;
}

static void
bury(void)
{
	while (ngrave > 0)
		free(grave[--ngrave]);
}

static void
tick(void)
{
	struct backend *b, **pp;
	size_t i;

	reseed();
	admin_sync();
	for (i = 0; i < nbackends; i++) {
		check_tick(backends[i]);
		backend_timeouts(backends[i]);
	}
	for (pp = &draining; (b = *pp) != NULL;) {
		backend_timeouts(b);
		if (b->outstanding == 0) {
			*pp = b->next_drain;
			backend_free(b);
		} else
			pp = &b->next_drain;
	}
	for (i = 0; i < npools; i++)
		pool_stats(&pools[i]);
	if (rl != NULL)
		ws->rl_clients = ratelimit_count(rl);
	tcp_tick();
	hconn_tick();
	flush_all();
	if (accept_paused) {
		accept_paused = 0;
		for (i = 0; i < LMAX; i++)
			if (listeners[i].used && listeners[i].tcp)
				ep_mod(listeners[i].fd, EPOLLIN,
				    &listeners[i].ev);
	}
}

static void
handle_signal(void)
{
	struct signalfd_siginfo si;
	unsigned w;
	pid_t pid;
	int st;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (worker_id == 0)
				for (w = 1; w < conf->workers; w++)
					if (children[w] > 0)
						kill(children[w], SIGHUP);
			reload();
			break;
		case SIGTERM:
		case SIGINT:
			stopping = 1;
			break;
		case SIGCHLD:
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				for (w = 1; w < conf->workers; w++)
					if (children[w] == pid)
						children[w] = 0;
				if (!stopping) {
					log_warn("worker exited pid=%d status=%d",
					    (int)pid, st);
					stopping = 2;
				}
			}
			break;
		}
	}
}

static void
loop(void)
{
	struct epoll_event evs[64];
	struct ev *e;
	int n, i, timeout;

	clock_update();
	next_tick = now_ms + TICK_MS;
	while (!stopping) {
		timeout = now_ms >= next_tick ? 0 : (int)(next_tick - now_ms);
		n = epoll_wait(epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR)
			die_sys(EXIT_TEMP, "unable to wait for events");
		clock_update();
		for (i = 0; i < n; i++) {
			e = evs[i].data.ptr;
			switch (e->type) {
			case EV_UDP:
				udp_read(e->p);
				break;
			case EV_BACKEND:
				backend_read(e->p);
				break;
			case EV_CHECK:
				check_read(e->p);
				break;
			case EV_TCP_LISTEN:
				tcp_accept(e->p);
				break;
			case EV_TCP_CLIENT: {
				struct tconn *c = e->p;

				if (evs[i].events & EPOLLOUT)
					tconn_flush(c);
				if (evs[i].events & (EPOLLIN | EPOLLHUP |
				    EPOLLERR))
					tconn_read(c);
				else
					tconn_pump(c);
				break;
			}
			case EV_TCP_BACKEND:
				bconn_event(e->p, evs[i].events);
				break;
			case EV_HTTP_LISTEN:
				hconn_accept(http_fd, 0);
				break;
			case EV_CTL_LISTEN:
				hconn_accept(ctl_fd, 1);
				break;
			case EV_HTTP:
			case EV_CTL:
				hconn_event(e->p);
				break;
			case EV_SIGNAL:
				handle_signal();
				break;
			case EV_DEAD:
				/* Closed by an earlier event of this batch. */
				break;
			}
		}
		flush_all();
		bury();
		if (now_ms >= next_tick) {
			tick();
			bury();
			next_tick = now_ms + TICK_MS;
		}
	}
}

/* ---- start-up ---- */

static void
help(void)
{
	printf("usage: %s\n"
	    "  -c FILE   app.yml to read (default: $DADNS_CONFIG, then\n"
	    "            /etc/directdnsonly/app.yml, ./app.yml, "
	    "./config/app.yml)\n"
	    "  -w N      worker processes (overrides dns_proxy.workers)\n"
	    "  -d FD     write a newline to FD and close it when ready (s6)\n"
	    "  -n        check the configuration, print a summary, exit\n"
	    "  -v        debug messages; -q: warnings only\n"
	    "ctl commands (over dns_proxy.control_socket, or -s SOCKET):\n"
	    "  show servers | show pools | show cache | show stats\n"
	    "  set backend NAME up|down|auto | reload | help\n"
	    "Signals: HUP reloads backends, pools, routes and ACLs; TERM "
	    "and INT stop.\n", USAGE);
}

static int
ctl_main(int argc, char *argv[])
{
	struct sockaddr_un sun;
	struct proxyconf pc;
	char err[1024], line[1024], buf[4096];
	const char *cpath = NULL, *sock = NULL, *path;
	char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t o = 0;
	ssize_t n;
	int c, fd, i, bad = 0;

	while ((c = getopt(argc, argv, "c:hs:")) != -1) {
		switch (c) {
		case 'c':
			cpath = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		die_usage(USAGE);
	if (sock == NULL) {
		if ((path = proxyconf_find(cpath)) == NULL)
			die(EXIT_USAGE, "no app.yml found and no -s given");
		if (proxyconf_load(path, &pc, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
		if (pc.control_socket[0] == '\0')
			die(EXIT_USAGE, "%s: dns_proxy.control_socket is not "
			    "set", path);
		if (strlen(pc.control_socket) >= sizeof(sockpath))
			die(EXIT_USAGE, "socket path too long: %s",
			    pc.control_socket);
		strcpy(sockpath, pc.control_socket);
		sock = sockpath;
		proxyconf_free(&pc);
	}
	for (i = 0; i < argc; i++) {
		n = snprintf(line + o, sizeof(line) - o, "%s%s", i ? " " : "",
		    argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - o - 1)
			die(EXIT_USAGE, "command too long");
		o += (size_t)n;
	}
	line[o++] = '\n';
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path))
		die(EXIT_USAGE, "socket path too long: %s", sock);
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die_sys(EXIT_TEMP, "unable to connect to %s", sock);
	if (write(fd, line, o) != (ssize_t)o)
		die_sys(EXIT_TEMP, "unable to write to %s", sock);
	o = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (o == 0 && n >= 6 && memcmp(buf, "error:", 6) == 0)
			bad = 1;
		o += (size_t)n;
		if (fwrite(buf, 1, (size_t)n, bad ? stderr : stdout) !=
		    (size_t)n)
			die_sys(EXIT_TEMP, "unable to write the answer");
	}
	if (n < 0)
		die_sys(EXIT_TEMP, "unable to read from %s", sock);
	close(fd);
	return bad ? EXIT_USAGE : 0;
}

/* Per-process set-up after fork: sockets, backends, caches. */
static void
worker_setup(void)
{
	sigset_t set;

	ws = &shm->w[worker_id];
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to create an epoll instance");
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if ((sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    ep_add(sigfd, EPOLLIN, &sig_ev) < 0)
		die_sys(EXIT_TEMP, "unable to create a signalfd");
	if (getrandom(rng, sizeof(rng), 0) != sizeof(rng))
		die_sys(EXIT_TEMP, "unable to read random bytes");
	if (getrandom(&hash_seed, sizeof(hash_seed), 0) !=
	    sizeof(hash_seed))
		die_sys(EXIT_TEMP, "unable to read random bytes");
	clock_update();
	{
		struct proxyconf *c0 = conf;

		conf = NULL;
		(void)apply(c0, 1);
	}
	drop_privileges();
}

int
main(int argc, char *argv[])
{
	struct proxyconf *pc;
	char err[1024];
	const char *path;
	int c, ready = -1, check = 0, wopt = 0, syncp[2];
	unsigned w, got;
	size_t shmsz;
	sigset_t set;
	pid_t pid;
	char byte;

	log_init("dns-proxy");
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	while ((c = getopt(argc, argv, "c:d:hnqvw:")) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'd':
			if ((ready = ready_fd_parse(optarg, err,
			    sizeof(err))) < 0)
				die(EXIT_USAGE, "%s", err);
			break;
		case 'h':
			help();
			return 0;
		case 'n':
			check = 1;
			break;
		case 'q':
			log_set_level(LOG_WARN);
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'w':
			wopt = atoi(optarg);
			if (wopt < 1 || wopt > 64)
				die(EXIT_USAGE, "-w %s: 1..64 workers", optarg);
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	if ((path = proxyconf_find(cfg_path)) == NULL)
		die(EXIT_USAGE, "no app.yml: give -c FILE or set DADNS_CONFIG");
	cfg_path = path;
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		die(EXIT_TEMP, "out of memory");
	if (proxyconf_load(cfg_path, pc, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	appconf_warn(&pc->unknown);
	if (check && pc->unknown.n > 0)
		die(EXIT_USAGE, "%s: %zu unknown key%s", cfg_path,
		    pc->unknown.n, pc->unknown.n > 1 ? "s" : "");
	if (wopt > 0)
		pc->workers = (unsigned)wopt;
	if (check) {
		printf("%s: ok: listen=%zu pools=%zu backends=%zu routes=%zu "
		    "workers=%u\n", cfg_path, pc->nlisten, pc->npools,
		    pc->nbackends, pc->nroutes, pc->workers);
		proxyconf_free(pc);
		free(pc);
		return 0;
	}
	conf = pc;
	{
		/* Each TCP query to a backend takes a descriptor. */
		struct rlimit lim;

		if (getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
		    lim.rlim_cur < lim.rlim_max) {
			lim.rlim_cur = lim.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &lim);
		}
	}

	/* Counters live in shared memory so that worker 0 can publish the
	 * sum of all workers. */
	shmsz = sizeof(struct shm) + conf->workers * sizeof(struct wstats);
	shm = mmap(NULL, shmsz, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die_sys(EXIT_TEMP, "unable to map shared memory");
	shm->nworkers = conf->workers;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe2(syncp, O_CLOEXEC) < 0)
		die_sys(EXIT_TEMP, "unable to create a pipe");
	for (w = 1; w < conf->workers; w++) {
		if ((pid = fork()) < 0)
			die_sys(EXIT_TEMP, "unable to start worker %u", w);
		if (pid == 0) {
			worker_id = w;
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() == 1)
				_exit(EXIT_TEMP);
			if (ready >= 0)
				close(ready);
			close(syncp[0]);
			worker_setup();
			if (write(syncp[1], "", 1) != 1)
				_exit(EXIT_TEMP);
			close(syncp[1]);
			loop();
			_exit(0);
		}
		children[w] = pid;
	}
	close(syncp[1]);
	worker_id = 0;
	worker_setup();
	for (got = 1; got < conf->workers; got++)
		if (read(syncp[0], &byte, 1) != 1)
			die(EXIT_TEMP, "a worker failed to start");
	close(syncp[0]);
	log_info("started config=%s listen=%zu pools=%zu backends=%zu "
	    "workers=%u user=%s", cfg_path, conf->nlisten, npools,
	    nbackends, conf->workers, geteuid() == 0 ? "root" : conf->user);
	if (ready_notify(ready) == -1)
		log_warn_sys("unable to notify readiness");
	loop();
	for (w = 1; w < conf->workers; w++)
		if (children[w] > 0)
			kill(children[w], SIGTERM);
	if (ctl_path[0] != '\0')
		(void)unlink(ctl_path);
	log_info("stopped");
	return stopping == 2 ? EXIT_TEMP : 0;
}
