/* receive_auth.c -- da-receive's logins: digests, failed-login limits */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "auth.h"
#include "clock.h"
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
