/* doh.c -- DNS over HTTPS requests (RFC 8484) into DNS messages */
/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "doh.h"

/* 1 when the content type t is application/dns-message, parameters
 * allowed. */
static int
ctype_ok(const char *t)
{
	size_t n = strlen(DOH_CTYPE);

	while (*t == ' ')
		t++;
	if (strncasecmp(t, DOH_CTYPE, n) != 0)
		return 0;
	t += n;
	while (*t == ' ')
		t++;
	return *t == '\0' || *t == ';';
}

/* The value of the dns= parameter of the query string q (up to '\0' or
 * '#'), with its length; NULL when absent. */
static const char *
dns_param(const char *q, size_t *len)
{
	const char *p = q, *e;

	while (*p != '\0' && *p != '#') {
		e = p + strcspn(p, "&#");
		if (e - p >= 4 && strncmp(p, "dns=", 4) == 0) {
			*len = (size_t)(e - p - 4);
			return p + 4;
		}
		p = *e == '&' ? e + 1 : e;
	}
	return NULL;
}

int
doh_parse(const struct doh_req *r, const char *path, uint8_t *msg,
    size_t *mlen, const char **why)
{
	const char *q, *v;
	size_t plen, vlen;
	unsigned long cl = 0;
	long n;

	if (r->method == NULL || r->path == NULL) {
		*why = "no :method or :path";
		return 400;
	}
	if (strlen(r->path) > DOH_PATH_MAX) {
		*why = "path too long";
		return 414;
	}
	q = strchr(r->path, '?');
	plen = q != NULL ? (size_t)(q - r->path) : strlen(r->path);
	if (plen != strlen(path) || strncmp(r->path, path, plen) != 0) {
		*why = "no such path";
		return 404;
	}
	if (strcmp(r->method, "GET") == 0) {
		if (q == NULL || (v = dns_param(q + 1, &vlen)) == NULL) {
			*why = "no dns= parameter";
			return 400;
		}
		if (vlen > (DOH_MSG_MAX + 2) / 3 * 4) {
			*why = "dns= parameter too large";
			return 413;
		}
		if ((n = base64url_decode(v, vlen, msg, DOH_MSG_MAX)) < 0) {
			*why = "dns= parameter is not base64url";
			return 400;
		}
	} else if (strcmp(r->method, "POST") == 0) {
		if (r->ctype == NULL || !ctype_ok(r->ctype)) {
			*why = "content-type is not " DOH_CTYPE;
			return 415;
		}
		if (r->clen != NULL) {
			for (v = r->clen; *v >= '0' && *v <= '9' &&
			    cl <= DOH_MSG_MAX; v++)
				cl = cl * 10 + (unsigned long)(*v - '0');
			if (cl > DOH_MSG_MAX) {
				*why = "content-length too large";
				return 413;
			}
			if (*v != '\0' || v == r->clen) {
				*why = "content-length is not a number";
				return 400;
			}
			if (cl != r->blen) {
				*why = "body length differs from "
				    "content-length";
				return 400;
			}
		}
		if (r->blen > DOH_MSG_MAX) {
			*why = "body too large";
			return 413;
		}
		memcpy(msg, r->body, r->blen);
		n = (long)r->blen;
	} else {
		*why = "method is neither GET nor POST";
		return 405;
	}
	if (n < 12) {
		*why = "DNS message shorter than its header";
		return 400;
	}
	*mlen = (size_t)n;
	return 200;
}
