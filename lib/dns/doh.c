/* doh.c -- DNS over HTTPS requests (RFC 8484) into DNS messages */
/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "doh.h"

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
doh_b64url_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	/* Padding is not part of base64url (RFC 8484 4.1), but tolerated. */
	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The left-over bits of the last character must be zero. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

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
		if ((n = doh_b64url_decode(v, vlen, msg, DOH_MSG_MAX)) < 0) {
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
