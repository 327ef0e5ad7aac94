/* form.c -- application/x-www-form-urlencoded: parse and encode */
/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode s[0..len) into dst (room for len bytes and a NUL). Returns the
 * decoded length, or -1 with *why set.
 */
static long
decode(char *dst, const char *s, size_t len, const char **why)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			dst[o++] = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len ||
			    (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0) {
				*why = "bad percent escape";
				return -1;
			}
			if ((dst[o++] = (char)(hi << 4 | lo)) == '\0') {
				*why = "NUL byte";
				return -1;
			}
			i += 2;
		} else if (s[i] == '\0') {
			*why = "NUL byte";
			return -1;
		} else
			dst[o++] = s[i];
	}
	dst[o] = '\0';
	return (long)o;
}

size_t
form_unquote(char *s, size_t len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] == '%' && i + 2 < len &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			s[o++] = s[i];
	}
	return o;
}

int
form_parse(struct form *f, const char *s, size_t len, size_t maxpairs,
    const char **why)
{
	const char *p, *end = s + len, *amp, *eq;
	size_t npairs = 1, i;
	char *out;
	long klen, vlen;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < len; i++)
		if (s[i] == '&')
			npairs++;
	/* Count only the non-empty pairs against the limit. */
	if (npairs > maxpairs) {
		size_t real = 0;

		for (p = s; p < end; p = amp + 1) {
			if ((amp = memchr(p, '&', end - p)) == NULL)
				amp = end;
			if (amp > p)
				real++;
		}
		if (real > maxpairs) {
			*why = "too many parameters";
			return -1;
		}
		npairs = real;
	}
	/* Every decoded key and value fits in place of its source: the NUL
	 * after a key takes the '=' or '&', the NUL after a value the '&' or
	 * the end. */
	if ((f->buf = malloc(len + 1)) == NULL ||
	    (f->pairs = calloc(npairs ? npairs : 1, sizeof(*f->pairs))) ==
	    NULL) {
		form_free(f);
		*why = "out of memory";
		return -1;
	}
	out = f->buf;
	for (p = s; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', end - p)) == NULL)
			amp = end;
		if (amp == p)
			continue;
		eq = memchr(p, '=', amp - p);
		if ((klen = decode(out, p, (eq ? eq : amp) - p, why)) < 0)
			goto fail;
		f->pairs[f->n].key = out;
		out += klen + 1;
		if (eq == NULL) {
			f->pairs[f->n].val = "";
			f->pairs[f->n].vallen = 0;
		} else {
			if ((vlen = decode(out, eq + 1, amp - eq - 1, why)) < 0)
				goto fail;
			f->pairs[f->n].val = out;
			f->pairs[f->n].vallen = (size_t)vlen;
			out += vlen + 1;
		}
		f->n++;
	}
	return 0;
fail:
	form_free(f);
	return -1;
}

void
form_free(struct form *f)
{
	free(f->buf);
	free(f->pairs);
	memset(f, 0, sizeof(*f));
}

const struct form_pair *
form_find(const struct form *f, const char *key)
{
	size_t i;

	if (f == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->pairs[i].key, key) == 0)
			return &f->pairs[i];
	return NULL;
}

const char *
form_get(const struct form *f, const char *key)
{
	const struct form_pair *p = form_find(f, key);

	return p ? p->val : NULL;
}

size_t
form_encode(char *dst, size_t size, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char c;
	char tmp[3];
	size_t n, k;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-' || c == '~') {
			tmp[0] = (char)c;
			n = 1;
		} else if (c == ' ') {
			tmp[0] = '+';
			n = 1;
		} else {
			tmp[0] = '%';
			tmp[1] = hex[c >> 4];
			tmp[2] = hex[c & 15];
			n = 3;
		}
		for (k = 0; k < n; k++, o++)
			if (o + 1 < size)
				dst[o] = tmp[k];
	}
	if (size > 0)
		dst[o < size ? o : size - 1] = '\0';
	return o;
}

int
form_reply(char *buf, size_t size, ...)
{
	const char *k, *v;
	size_t o = 0, n;
	va_list ap;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	va_start(ap, size);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			v = "";
		if (o > 0) {
			if (o + 1 >= size)
				goto full;
			buf[o++] = '&';
		}
		if ((n = form_encode(buf + o, size - o, k, strlen(k))) >=
		    size - o)
			goto full;
		o += n;
		if (o + 1 >= size)
			goto full;
		buf[o++] = '=';
		if ((n = form_encode(buf + o, size - o, v, strlen(v))) >=
		    size - o)
			goto full;
		o += n;
	}
	va_end(ap);
	buf[o] = '\0';
	return (int)o;
full:
	va_end(ap);
	buf[size - 1] = '\0';
	return -1;
}
