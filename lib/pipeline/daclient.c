/* daclient.c -- list the domains of a DirectAdmin server (CMD_DNS_ADMIN) */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "daclient.h"
#include "err.h"
#include "form.h"
#include "json.h"
#include "zone.h"

#define TIMEOUT_MS		30000
#define CONNECT_TIMEOUT_MS	10000
#define NAME_MAX_IN		1024	/* longer listed names are invalid */

/* Hand one listed name, stripped of blanks, to fn when it is valid. */
static int
emit(const char *s, size_t len, daclient_fn fn, void *arg,
    struct daclient_stats *st)
{
	char raw[NAME_MAX_IN + 1], norm[ZONE_NAME_MAX + 1];
	const char *why;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len > NAME_MAX_IN || memchr(s, '\0', len) != NULL ||
	    (memcpy(raw, s, len), raw[len] = '\0',
	    zone_name_norm(raw, norm, &why) < 0)) {
		st->invalid++;
		return 0;
	}
	st->domains++;
	return fn(arg, norm);
}

/* The legacy answer: list[]=a.com&list[]=b.com, newlines as '&'. */
static int
parse_legacy(const char *body, size_t len, daclient_fn fn, void *arg,
    struct daclient_stats *st, char *err, size_t errlen)
{
	const char *p = body, *end = body + len, *f, *eq;
	char *buf = NULL;
	size_t flen, klen, vlen, cap = 0;

	while (p < end) {
		for (f = p; f < end && *f != '&' && *f != '\n'; f++)
			;
		flen = f - p;
		if ((eq = memchr(p, '=', flen)) != NULL &&
		    eq + 1 < p + flen) {
			if (flen + 1 > cap) {
				free(buf);
				cap = flen + 1;
				if ((buf = malloc(cap)) == NULL) {
					err_set(err, errlen, "out of memory");
					return -1;
				}
			}
			memcpy(buf, p, flen);
			klen = form_unquote(buf, eq - p);
			if (klen == 6 && memcmp(buf, "list[]", 6) == 0) {
				memcpy(buf, eq + 1, p + flen - eq - 1);
				vlen = form_unquote(buf, p + flen - eq - 1);
				if (emit(buf, vlen, fn, arg, st) != 0) {
					free(buf);
					err_set(err, errlen, "listing "
					    "stopped");
					return -1;
				}
			}
		}
		p = f + 1;
	}
	free(buf);
	return 0;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
daclient_parse(const char *body, size_t len, daclient_fn fn, void *arg,
    long long *total_pages, struct daclient_stats *st, char *err,
    size_t errlen)
{
	const struct json *d, *info;
	struct json *doc;
	const char *why;
	long long tp;
	size_t i;

	*total_pages = 1;
	if ((doc = json_parse(body, len, &why)) == NULL) {
		st->legacy = 1;
		return parse_legacy(body, len, fn, arg, st, err, errlen);
	}
	if (doc->type != JSON_OBJECT) {
		json_free(doc);
		err_set(err, errlen, "JSON answer is not an object");
		return -1;
	}
	for (i = 0; i < doc->nkids; i++) {
		if (!all_digits(doc->kids[i].key) ||
		    (d = json_get(&doc->kids[i], "domain")) == NULL)
			continue;
		if (d->type != JSON_STRING) {
			st->invalid++;
			continue;
		}
		if (emit(d->str, d->len, fn, arg, st) != 0) {
			json_free(doc);
			err_set(err, errlen, "listing stopped");
			return -1;
		}
	}
	if ((info = json_get(doc, "info")) != NULL &&
	    json_get(info, "total_pages") != NULL) {
		if (json_int(json_get(info, "total_pages"), &tp) < 0) {
			json_free(doc);
			err_set(err, errlen, "invalid info.total_pages");
			return -1;
		}
		*total_pages = tp;
	}
	json_free(doc);
	return 0;
}

/* One HTTP answer. */
struct answer {
	char		*buf;
	size_t		 len, cap;
	int		 toobig;
};

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t add = size * n;
	char *nb;

	if (a->len + add > DACLIENT_BODY_MAX) {
		a->toobig = 1;
		return 0;
	}
	if (a->len + add + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 65536;

		while (cap < a->len + add + 1)
			cap *= 2;
		if ((nb = realloc(a->buf, cap)) == NULL)
			return 0;
		a->buf = nb;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, data, add);
	a->len += add;
	a->buf[a->len] = '\0';
	return add;
}

/* Perform the request set up on h into a; returns the HTTP status, or -1
 * with a message in err. */
static long
perform(CURL *h, const char *url, struct answer *a, char *err,
    size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	long code = 0;

	a->len = 0;
	a->toobig = 0;
	if (a->buf != NULL)
		a->buf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		if (a->toobig)
			err_set(err, errlen, "answer larger than %d bytes",
			    DACLIENT_BODY_MAX);
		else
			err_set(err, errlen, "%s", cerr[0] ? cerr :
			    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* POST /CMD_LOGIN; returns 1 when a cookie was set, 0 when not, -1. */
static int
login(CURL *h, const char *base, const struct daclient_server *s,
    struct answer *a, char *err, size_t errlen)
{
	struct curl_slist *cookies = NULL;
	char url[1024], *form = NULL, *u = NULL, *p = NULL;
	size_t flen;
	long code;
	int rc = -1;

	u = curl_easy_escape(h, s->username ? s->username : "", 0);
	p = curl_easy_escape(h, s->password ? s->password : "", 0);
	if (u == NULL || p == NULL) {
		err_set(err, errlen, "out of memory");
		goto out;
	}
	flen = strlen(u) + strlen(p) + 128;
	if ((form = malloc(flen)) == NULL) {
		err_set(err, errlen, "out of memory");
		goto out;
	}
	snprintf(form, flen, "username=%s&password=%s&referer=%%2FCMD_DNS_ADMIN"
	    "%%3Fjson%%3Dyes%%26page%%3D1%%26ipp%%3D500", u, p);
	snprintf(url, sizeof(url), "%s/CMD_LOGIN", base);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	code = perform(h, url, a, err, errlen);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (code < 0)
		goto out;
	if (curl_easy_getinfo(h, CURLINFO_COOKIELIST, &cookies) != CURLE_OK) {
		err_set(err, errlen, "unable to read the login cookies");
		goto out;
	}
	rc = cookies != NULL;
	curl_slist_free_all(cookies);
out:
	curl_free(u);
	curl_free(p);
	free(form);
	return rc;
}

int
daclient_list(const struct daclient_server *s,
    const struct daclient_opts *o, daclient_fn fn, void *arg,
    struct daclient_stats *st, char *err, size_t errlen)
{
	struct answer a = { NULL, 0, 0, 0 };
	char base[600], url[1024], e[512];
	const char *ctype;
	long long page = 1, total = 1;
	long code;
	CURL *h;
	int rc = -1, lr;

	memset(st, 0, sizeof(*st));
	if (strchr(s->hostname, ':') != NULL && s->hostname[0] != '[')
		snprintf(base, sizeof(base), "%s://[%s]:%u",
		    s->ssl ? "https" : "http", s->hostname, s->port);
	else
		snprintf(base, sizeof(base), "%s://%s:%u",
		    s->ssl ? "https" : "http", s->hostname, s->port);
	if ((h = curl_easy_init()) == NULL) {
		err_set(err, errlen, "unable to set up libcurl");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    o->timeout_ms > 0 ? o->timeout_ms : (long)TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
	    (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->verify_ssl ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->verify_ssl ? 2L : 0L);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->username ? s->username : "");
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->password ? s->password : "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dadns-reconcile");
	curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");	/* cookie engine on */
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);

	while (page <= total) {
		if (page > DACLIENT_PAGES_MAX) {
			err_set(err, errlen, "more than %d pages",
			    DACLIENT_PAGES_MAX);
			goto out;
		}
		snprintf(url, sizeof(url), "%s/CMD_DNS_ADMIN?json=yes&page=%lld"
		    "&ipp=%u", base, page, o->ipp > 0 ? o->ipp : 1000);
		if ((code = perform(h, url, &a, e, sizeof(e))) < 0) {
			err_set(err, errlen, "unreachable: %s", e);
			goto out;
		}
		if (code >= 300 && code < 400) {
			/* DirectAdmin Evolution sends API clients without a
			 * session to its login page: log in once. */
			if (st->login) {
				err_set(err, errlen, "HTTP %ld redirect again "
				    "after logging in", code);
				goto out;
			}
			if ((lr = login(h, base, s, &a, e, sizeof(e))) < 0) {
				err_set(err, errlen, "login: %s", e);
				goto out;
			}
			if (lr == 0) {
				err_set(err, errlen, "HTTP %ld redirect, and "
				    "CMD_LOGIN set no cookie", code);
				goto out;
			}
			st->login = 1;
			continue;
		}
		if (code >= 400) {
			err_set(err, errlen, "HTTP %ld", code);
			goto out;
		}
		ctype = NULL;
		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
		if (ctype != NULL && strcasestr(ctype, "text/html") != NULL) {
			err_set(err, errlen, "HTML answer (a login page?)");
			goto out;
		}
		if (daclient_parse(a.buf ? a.buf : "", a.len, fn, arg, &total,
		    st, e, sizeof(e)) < 0) {
			err_set(err, errlen, "page %lld: %s", page, e);
			goto out;
		}
		st->pages++;
		if (st->legacy)
			break;
		page++;
	}
	rc = 0;
out:
	curl_easy_cleanup(h);
	free(a.buf);
	return rc;
}
