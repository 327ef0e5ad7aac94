/* json.c -- a small strict JSON (RFC 8259) parser into a tree */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct p {
	const char	*s, *end;
	const char	*why;
};

static void
skip_ws(struct p *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
	    *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int
fail(struct p *p, const char *why)
{
	if (p->why == NULL)
		p->why = why;
	return -1;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= s[i] - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->s (on the opening quote) into a malloc'd buffer. */
static int
string(struct p *p, char **out, size_t *lenp)
{
	const char *s, *q;
	char *o;
	size_t n = 0;
	unsigned cp, lo;

	s = ++p->s;
	/* Escapes only shrink: the raw length bounds the decoded one. */
	for (q = s; q < p->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < p->end)
			q++;
	if (q >= p->end)
		return fail(p, "unterminated string");
	if ((o = malloc(q - s + 1)) == NULL)
		return fail(p, "out of memory");
	while (s < q) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20) {
			free(o);
			return fail(p, "control character in a string");
		}
		if (c != '\\') {
			o[n++] = (char)c;
			s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/':
			o[n++] = *s++;
			continue;
		case 'b': o[n++] = '\b'; s++; continue;
		case 'f': o[n++] = '\f'; s++; continue;
		case 'n': o[n++] = '\n'; s++; continue;
		case 'r': o[n++] = '\r'; s++; continue;
		case 't': o[n++] = '\t'; s++; continue;
		case 'u':
			break;
		default:
			free(o);
			return fail(p, "invalid escape in a string");
		}
		if (q - s < 5 || hex4(s + 1, &cp) < 0) {
			free(o);
			return fail(p, "invalid \\u escape");
		}
		s += 5;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (q - s < 6 || s[0] != '\\' || s[1] != 'u' ||
			    hex4(s + 2, &lo) < 0 || lo < 0xdc00 ||
			    lo > 0xdfff) {
				free(o);
				return fail(p, "unpaired surrogate");
			}
			s += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			free(o);
			return fail(p, "unpaired surrogate");
		} else if (cp == 0) {
			free(o);
			return fail(p, "\\u0000 in a string");
		}
		n += utf8_put(o + n, cp);
	}
	o[n] = '\0';
	p->s = q + 1;
	*out = o;
	*lenp = n;
	return 0;
}

static int
number(struct p *p, struct json *v)
{
	const char *s = p->s;

	if (s < p->end && *s == '-')
		s++;
	if (s >= p->end || *s < '0' || *s > '9')
		return fail(p, "invalid number");
	if (*s == '0')
		s++;
	else
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	if (s < p->end && *s == '.') {
		s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return fail(p, "invalid number");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < p->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < p->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= p->end || *s < '0' || *s > '9')
			return fail(p, "invalid number");
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	v->len = s - p->s;
	if ((v->str = malloc(v->len + 1)) == NULL)
		return fail(p, "out of memory");
	memcpy(v->str, p->s, v->len);
	v->str[v->len] = '\0';
	v->type = JSON_NUMBER;
	p->s = s;
	return 0;
}

static int
word(struct p *p, const char *w, enum json_type t, struct json *v)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0)
		return fail(p, "unexpected character");
	p->s += n;
	v->type = t;
	return 0;
}

static void
clear(struct json *v)
{
	size_t i;

	for (i = 0; i < v->nkids; i++)
		clear(&v->kids[i]);
	free(v->kids);
	free(v->key);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static int value(struct p *, struct json *, int);

/* Append a fresh kid to v. */
static struct json *
kid(struct p *p, struct json *v, size_t *cap)
{
	struct json *k;

	if (v->nkids == *cap) {
		size_t n = *cap ? *cap * 2 : 4;

		if ((k = reallocarray(v->kids, n, sizeof(*k))) == NULL) {
			fail(p, "out of memory");
			return NULL;
		}
		v->kids = k;
		*cap = n;
	}
	k = &v->kids[v->nkids++];
	memset(k, 0, sizeof(*k));
	return k;
}

static int
container(struct p *p, struct json *v, int depth)
{
	int obj = *p->s == '{';
	char close = obj ? '}' : ']';
	struct json *k;
	size_t cap = 0, klen;
	char *key;

	if (depth >= JSON_DEPTH_MAX)
		return fail(p, "nested too deeply");
	v->type = obj ? JSON_OBJECT : JSON_ARRAY;
	p->s++;
	skip_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		key = NULL;
		if (obj) {
			if (p->s >= p->end || *p->s != '"')
				return fail(p, "expected a member name");
			if (string(p, &key, &klen) < 0)
				return -1;
			skip_ws(p);
			if (p->s >= p->end || *p->s != ':') {
				free(key);
				return fail(p, "expected ':'");
			}
			p->s++;
		}
		if ((k = kid(p, v, &cap)) == NULL) {
			free(key);
			return -1;
		}
		k->key = key;
		if (value(p, k, depth + 1) < 0)
			return -1;
		skip_ws(p);
		if (p->s >= p->end)
			return fail(p, "unterminated object or array");
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s == close) {
			p->s++;
			return 0;
		}
		return fail(p, "expected ',' or the end of an object or array");
	}
}

static int
value(struct p *p, struct json *v, int depth)
{
	skip_ws(p);
	if (p->s >= p->end)
		return fail(p, "unexpected end of input");
	switch (*p->s) {
	case '{':
	case '[':
		return container(p, v, depth);
	case '"':
		v->type = JSON_STRING;
		return string(p, &v->str, &v->len);
	case 't':
		return word(p, "true", JSON_TRUE, v);
	case 'f':
		return word(p, "false", JSON_FALSE, v);
	case 'n':
		return word(p, "null", JSON_NULL, v);
	default:
		return number(p, v);
	}
}

struct json *
json_parse(const char *buf, size_t len, const char **why)
{
	struct p p;
	struct json *v;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	p.s = buf;
	p.end = buf + len;
	p.why = NULL;
	if (value(&p, v, 0) == 0) {
		skip_ws(&p);
		if (p.s == p.end)
			return v;
		fail(&p, "trailing characters after the value");
	}
	*why = p.why;
	json_free(v);
	return NULL;
}

void
json_free(struct json *v)
{
	if (v == NULL)
		return;
	clear(v);
	free(v);
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->nkids; i++)
		if (strcmp(obj->kids[i].key, key) == 0)
			return &obj->kids[i];
	return NULL;
}

int
json_int(const struct json *v, long long *out)
{
	const char *s;
	char *end;
	long long n;

	if (v == NULL || (v->type != JSON_NUMBER && v->type != JSON_STRING))
		return -1;
	s = v->str;
	/* Python's int("3") takes surrounding blanks and a sign; not "3.0". */
	if (v->type == JSON_STRING)
		while (*s == ' ' || *s == '\t')
			s++;
	if (!(*s >= '0' && *s <= '9') && !((*s == '-' || *s == '+') &&
	    s[1] >= '0' && s[1] <= '9'))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	if (v->type == JSON_STRING)
		while (*end == ' ' || *end == '\t')
			end++;
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}
