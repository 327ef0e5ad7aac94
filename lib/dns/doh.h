/* doh.h -- DNS over HTTPS requests (RFC 8484): method, path, dns=
 * parameter, content type and length, into a DNS message */
/* SPDX-License-Identifier: ISC */
#ifndef DOH_H
#define DOH_H

#include <stddef.h>
#include <stdint.h>

#define DOH_MSG_MAX	65535	/* largest DNS message (and POST body) */
#define DOH_PATH_MAX	4096	/* longest :path, query string included */
#define DOH_CTYPE	"application/dns-message"

/* The parts of one HTTP request that decide what it asks. Strings are
 * NUL-terminated; absent headers are NULL. */
struct doh_req {
	const char	*method;	/* :method */
	const char	*path;		/* :path, with its ?query */
	const char	*ctype;		/* content-type */
	const char	*clen;		/* content-length */
	const uint8_t	*body;		/* the request body (POST) */
	size_t		 blen;
};


/* The DNS message asked by r of the endpoint at path (e.g. "/dns-query")
 * into msg (DOH_MSG_MAX bytes): returns 200 with *mlen set, or the HTTP
 * status to answer (400 bad request, 404 not this path, 405 neither GET
 * nor POST, 413 too large, 414 path too long, 415 not
 * application/dns-message) with *why a short reason. */
int doh_parse(const struct doh_req *r, const char *path, uint8_t *msg,
    size_t *mlen, const char **why);

#endif
