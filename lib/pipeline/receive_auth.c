/* receive_auth.c -- da-receive's logins: digests, failed-login limits */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "auth.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "receive.h"

#define AUTH_USER_LOG	64	/* longest user name logged */
#define REALM_HDR	"Basic realm=\"dadns\", charset=\"UTF-8\""

/* The headers of a refused login: the realm with a 401, the wait with a
 * 429, and the connection closed after either, so that every guess costs
 * a new connection. */
void
rx_auth_headers(const struct req *r, struct MHD_Response *resp,
    unsigned status)
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
unsigned
rx_auth_check(struct req *r, struct MHD_Connection *mc,
    const struct auth_cred *want)
{
	const union MHD_ConnectionInfo *ci;
	unsigned char src[AUTH_ADDR_LEN];
	char who[AUTH_USER_LOG + 1], *u, *p = NULL;
	unsigned left = 0, n = 0;
	int ok, limited, locked = 0;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	limited = rx.au.lim != NULL && ci != NULL &&
	    authlimit_key(ci->client_addr, src) == 0;
	if (limited) {
		pthread_mutex_lock(&rx.au.mu);
		if ((left = authlimit_locked(rx.au.lim, src, clock_ms())) > 0)
			rx.au.refused++;
		pthread_mutex_unlock(&rx.au.mu);
		if (left > 0) {
			r->retry_after = left;
			return MHD_HTTP_TOO_MANY_REQUESTS;
		}
	}
	u = MHD_basic_auth_get_username_password(mc, &p);
	ok = auth_cred_match(want, &rx.au.key, u, p);
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		MHD_free(p);
	}
	rx_log_copy(who, sizeof(who), u != NULL && *u != '\0' ? u : "-");
	if (u != NULL)
		MHD_free(u);
	if (ok)
		return 0;
	if (MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION) == NULL)
		return MHD_HTTP_UNAUTHORIZED;
	pthread_mutex_lock(&rx.au.mu);
	rx.au.failures++;
	if (limited && authlimit_fail(rx.au.lim, src, clock_ms(), &n)) {
		rx.au.lockouts++;
		locked = 1;
	}
	pthread_mutex_unlock(&rx.au.mu);
	log_warn("authentication failed ip=%s user=%s endpoint=%s "
	    "failures=%u", r->ip, who, rx_ep_name[r->ep], n);
	if (locked)
		log_warn("locking out ip=%s for %u s after %u failed logins "
		    "within %u s", r->ip, rx.au.lockout, n, rx.au.window);
	return MHD_HTTP_UNAUTHORIZED;
}

unsigned
rx_auth_metrics(struct req *r, struct MHD_Connection *mc)
{
	switch (rx.au.metrics_auth) {
	case RXM_OPEN:
		return 0;
	case RXM_OWN:
		return rx_auth_check(r, mc, &rx.au.metrics);
	default:
		return rx_auth_check(r, mc, &rx.au.da);
	}
}

/* Is the numeric address a loopback one (127/8, ::1, ::ffff:127/104)? A
 * wildcard (0.0.0.0, ::) is not. */
static int
loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return ntohl(a4.s_addr) >> 24 == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

void
rx_auth_metrics_setup(const struct config *cfg)
{
	if (cfg->app.metrics_password[0] != '\0') {
		rx.au.metrics_auth = RXM_OWN;
		log_info("/metrics takes the credentials of "
		    "app.metrics_username only");
	} else if (loopback(cfg->app.listen_addr)) {
		rx.au.metrics_auth = RXM_OPEN;
		log_info("/metrics needs no credentials: listening on "
		    "loopback only (set app.metrics_password to ask for "
		    "some)");
	} else {
		rx.au.metrics_auth = RXM_DA;
		log_warn("/metrics takes DirectAdmin's credentials: set "
		    "app.metrics_username and app.metrics_password so that a "
		    "Prometheus server needs no password that can delete "
		    "zones");
	}
}
