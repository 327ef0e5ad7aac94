/* proxy_tls.c -- dns-proxy over TLS: the DoT and DoH listeners, their
 * certificate (read again on SIGHUP), sessions with tickets and ALPN */
/* SPDX-License-Identifier: ISC */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "log.h"
#include "proxy.h"

#define INBUF	4096	/* bytes read ahead of GnuTLS per connection */

/* A certificate and its key; a connection keeps the one it began with
 * until it ends, new connections take the newest. */
struct creds {
	gnutls_certificate_credentials_t x;
	unsigned	 refs;
};

struct tlsconn {
	gnutls_session_t s;
	struct creds	*cr;
	int		 handshaking;
	int		 fd;
	size_t		 wpend;		/* a record send to finish */
	size_t		 ioff, ilen;	/* in ib, not yet handed to GnuTLS */
	uint8_t		 ib[INBUF];
};

static struct creds *cur;
static gnutls_priority_t prio;
static gnutls_datum_t ticket_key;
static const gnutls_datum_t alpn_dot = { (unsigned char *)"dot", 3 };
static const gnutls_datum_t alpn_h2 = { (unsigned char *)"h2", 2 };

void
tls_init(void)
{
	int r;

	/* One ticket key for every worker: a session resumes on any. */
	if ((r = gnutls_session_ticket_key_generate(&ticket_key)) < 0 ||
	    (r = gnutls_priority_init(&prio, "NORMAL:-VERS-ALL:+VERS-TLS1.3:"
	    "+VERS-TLS1.2", NULL)) < 0)
		die(EXIT_TEMP, "unable to set up TLS: %s", gnutls_strerror(r));
}

static void
creds_unref(struct creds *cr)
{
	if (--cr->refs > 0 || cr == cur)
		return;
	gnutls_certificate_free_credentials(cr->x);
	free(cr);
}

/* The certificate chain and key of nc, or NULL after a warning. */
static struct creds *
creds_load(const struct proxyconf *nc)
{
	struct creds *cr;
	int r;

	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		return NULL;
	if ((r = gnutls_certificate_allocate_credentials(&cr->x)) < 0) {
		free(cr);
		log_warn("unable to load the TLS certificate: %s",
		    gnutls_strerror(r));
		return NULL;
	}
	if ((r = gnutls_certificate_set_x509_key_file2(cr->x, nc->tls_cert,
	    nc->tls_key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		log_warn("unable to load the TLS certificate %s with key %s: %s",
		    nc->tls_cert, nc->tls_key, gnutls_strerror(r));
		gnutls_certificate_free_credentials(cr->x);
		free(cr);
		return NULL;
	}
	return cr;
}

/* Make cr the credentials of new connections (NULL: none). */
static void
creds_set(struct creds *cr)
{
	struct creds *old = cur;

	if (cr != NULL)
		cr->refs++;
	cur = cr;
	if (old != NULL)
		creds_unref(old);
}

/* The listeners of one kind (PR_DOT or PR_DOH): keep or open them. */
static void
tls_listeners(const struct proxyconf *nc, int kind, int *keep, int initial)
{
	struct listener *ls = px.listeners;
	size_t i, j, n = kind == PR_DOT ? nc->ntls : nc->ndoh;
	const union netaddr_sa *sa = kind == PR_DOT ? nc->tls_sa : nc->doh_sa;
	const char (*text)[128] = kind == PR_DOT ? nc->tls_listen :
	    nc->doh_listen;

	for (i = 0; i < n; i++) {
		for (j = 0; j < LMAX; j++)
			if (ls[j].used && ls[j].tls == kind &&
			    netaddr_equal(&ls[j].sa, &sa[i]))
				break;
		if (j < LMAX) {
			keep[j] = 1;
			continue;
		}
		for (j = 0; j < LMAX; j++)
			if (!ls[j].used)
				break;
		if (j == LMAX || listener_open(&ls[j], text[i], &sa[i],
		    1) < 0) {
			if (initial)
				die(EXIT_TEMP, "unable to listen on %s",
				    text[i]);
			continue;
		}
		ls[j].tls = kind;
		keep[j] = 1;
		log_info("listening address=%s proto=%s", text[i],
		    kind == PR_DOT ? "dot" : "doh");
	}
}

void
tls_apply(const struct proxyconf *nc, int initial)
{
	struct listener *ls = px.listeners;
	struct creds *cr;
	int keep[LMAX];
	size_t j;

	if (nc->ntls + nc->ndoh == 0)
		creds_set(NULL);
	else if ((cr = creds_load(nc)) != NULL)
		creds_set(cr);
	else if (initial || cur == NULL)
		die(EXIT_USAGE, "dns_proxy.tls_cert: unusable");
	else
		log_warn("keeping the running TLS certificate");
	memset(keep, 0, sizeof(keep));
	tls_listeners(nc, PR_DOT, keep, initial);
	tls_listeners(nc, PR_DOH, keep, initial);
	for (j = 0; j < LMAX; j++)
		if (ls[j].used && ls[j].tls && !keep[j]) {
			log_info("stopped listening address=%s proto=%s",
			    ls[j].addr, ls[j].tls == PR_DOT ? "dot" : "doh");
			listener_close(&ls[j]);
		}
}

/* GnuTLS reads a record's header, then its body: one recv() fills ib
 * with both (and often the next records), then the reads are copies. */
static ssize_t
pull(gnutls_transport_ptr_t p, void *data, size_t size)
{
	struct tlsconn *t = p;
	ssize_t r;
	size_t n;

	if (t->ioff == t->ilen) {
		if (size >= INBUF) {
			r = recv(t->fd, data, size, 0);
			if (r < 0)
				gnutls_transport_set_errno(t->s, errno);
			return r;
		}
		if ((r = recv(t->fd, t->ib, INBUF, 0)) <= 0) {
			if (r < 0)
				gnutls_transport_set_errno(t->s, errno);
			return r;
		}
		t->ioff = 0;
		t->ilen = (size_t)r;
	}
	n = t->ilen - t->ioff < size ? t->ilen - t->ioff : size;
	memcpy(data, t->ib + t->ioff, n);
	t->ioff += n;
	return (ssize_t)n;
}

static int
pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct tlsconn *t = p;
	struct pollfd pfd = { t->fd, POLLIN, 0 };

	if (t->ioff < t->ilen)
		return 1;
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static ssize_t
push(gnutls_transport_ptr_t p, const void *data, size_t size)
{
	struct tlsconn *t = p;
	ssize_t r = send(t->fd, data, size, MSG_NOSIGNAL);

	if (r < 0)
		gnutls_transport_set_errno(t->s, errno);
	return r;
}

int
tls_accept(struct tconn *c)
{
	struct tlsconn *t;

	if (cur == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	if (gnutls_init(&t->s, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0) {
		free(t);
		return -1;
	}
	if (gnutls_priority_set(t->s, prio) < 0 ||
	    gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    cur->x) < 0 ||
	    gnutls_session_ticket_enable_server(t->s, &ticket_key) < 0 ||
	    gnutls_alpn_set_protocols(t->s, c->proto == PR_DOH ? &alpn_h2 :
	    &alpn_dot, 1, GNUTLS_ALPN_SERVER_PRECEDENCE) < 0) {
		gnutls_deinit(t->s);
		free(t);
		return -1;
	}
	t->fd = c->fd;
	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_pull_function(t->s, pull);
	gnutls_transport_set_pull_timeout_function(t->s, pull_timeout);
	gnutls_transport_set_push_function(t->s, push);
	t->cr = cur;
	cur->refs++;
	t->handshaking = 1;
	c->tls = t;
	return 0;
}

uint32_t
tls_event(struct tconn *c, uint32_t events)
{
	struct tlsconn *t = c->tls;
	int r;

	if (!t->handshaking)
		return events;
	r = gnutls_handshake(t->s);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED ||
	    (r < 0 && !gnutls_error_is_fatal(r))) {
		ep_mod(c->fd, gnutls_record_get_direction(t->s) ? EPOLLOUT :
		    EPOLLIN, &c->ev);
		return 0;
	}
	if (r < 0) {
		px.ws->c[C_TLS_FAILS]++;
		log_debug("TLS handshake failed: %s", gnutls_strerror(r));
		c->closing = 2;
		return 0;
	}
	t->handshaking = 0;
	px.ws->c[C_TLS_HANDSHAKES]++;
	if (gnutls_session_is_resumed(t->s))
		px.ws->c[C_TLS_RESUMED]++;
	ep_mod(c->fd, EPOLLIN, &c->ev);
	c->want_out = 0;
	if (c->proto == PR_DOH && doh_start(c) < 0) {
		c->closing = 2;
		return 0;
	}
	/* Queries may have come with the last handshake bytes. */
	return EPOLLIN;
}

ssize_t
tls_read(struct tconn *c, void *p, size_t n)
{
	ssize_t r = gnutls_record_recv(c->tls->s, p, n);

	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN)
		errno = EAGAIN;
	else if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;	/* closed without close_notify: EOF all the same */
	else if (r == GNUTLS_E_INTERRUPTED || (r != GNUTLS_E_REHANDSHAKE &&
	    !gnutls_error_is_fatal((int)r)))
		errno = EINTR;	/* a warning alert: read on */
	else {
		px.ws->c[C_TLS_FAILS]++;
		log_debug("TLS read failed: %s", gnutls_strerror((int)r));
		errno = EPROTO;
	}
	return -1;
}

ssize_t
tls_write(struct tconn *c, const void *p, size_t n)
{
	struct tlsconn *t = c->tls;
	ssize_t r;

	/* After E_AGAIN the record is made: only its sending is left. */
	r = t->wpend ? gnutls_record_send(t->s, NULL, 0) :
	    gnutls_record_send(t->s, p, n);
	if (r == GNUTLS_E_AGAIN) {
		if (t->wpend == 0)
			t->wpend = n;
		errno = EAGAIN;
		return -1;
	}
	t->wpend = 0;
	if (r == GNUTLS_E_INTERRUPTED) {
		errno = EINTR;
		return -1;
	}
	if (r < 0) {
		px.ws->c[C_TLS_FAILS]++;
		errno = EPIPE;
		return -1;
	}
	return r;
}

int
tls_pending(struct tconn *c)
{
	return c->tls->ioff < c->tls->ilen ||
	    gnutls_record_check_pending(c->tls->s) > 0;
}

void
tls_close(struct tconn *c)
{
	struct tlsconn *t = c->tls;

	if (!t->handshaking)
		(void)gnutls_bye(t->s, GNUTLS_SHUT_WR);	/* if it goes out */
	gnutls_deinit(t->s);
	creds_unref(t->cr);
	free(t);
	c->tls = NULL;
}
