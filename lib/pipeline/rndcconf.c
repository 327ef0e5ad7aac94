/* rndcconf.c -- rndc's configuration (rndc.conf, rndc.key): the key,
 * address and port of named's control channel */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "rndcconf.h"

#define TOK_MAX		1024
#define DEFAULT_PORT	953

enum tok { T_EOF, T_WORD, T_STR, T_OPEN, T_CLOSE, T_SEMI, T_BAD };

struct lex {
	const char	*p, *end;
	const char	*name;		/* the file, for messages */
	unsigned	 line;
	enum tok	 t;
	char		 s[TOK_MAX + 1];
	char		*why;
	size_t		 size;
};

static int parse_text(struct rndcconf *, const char *, size_t, const char *,
    int);

/* Say what is wrong where; returns -1. */
static int
bad(struct lex *l, const char *what, const char *tok)
{
	if (tok != NULL)
		err_set(l->why, l->size, "%s:%u: %s, not \"%.64s\"", l->name,
		    l->line, what, tok);
	else
		err_set(l->why, l->size, "%s:%u: %s", l->name, l->line, what);
	return -1;
}

/* A character of a bare word: names, addresses, numbers, base64. */
static int
wordch(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-_.:/+=", c) != NULL;
}

/* Read the next token into l->t and l->s. Returns 0, or -1 (why set). */
static int
lex(struct lex *l)
{
	size_t n = 0;

	for (;;) {
		while (l->p < l->end && strchr(" \t\r\n", *l->p) != NULL)
			if (*l->p++ == '\n')
				l->line++;
		if (l->p < l->end && (*l->p == '#' || (*l->p == '/' &&
		    l->p + 1 < l->end && l->p[1] == '/'))) {
			while (l->p < l->end && *l->p != '\n')
				l->p++;
			continue;
		}
		if (l->p + 1 < l->end && l->p[0] == '/' && l->p[1] == '*') {
			for (l->p += 2; l->p + 1 < l->end && !(l->p[0] == '*' &&
			    l->p[1] == '/'); l->p++)
				if (*l->p == '\n')
					l->line++;
			if (l->p + 1 >= l->end)
				return bad(l, "unterminated comment", NULL);
			l->p += 2;
			continue;
		}
		break;
	}
	l->s[0] = '\0';
	if (l->p == l->end) {
		l->t = T_EOF;
		return 0;
	}
	switch (*l->p) {
	case '{':
		l->t = T_OPEN;
		l->p++;
		return 0;
	case '}':
		l->t = T_CLOSE;
		l->p++;
		return 0;
	case ';':
		l->t = T_SEMI;
		l->p++;
		return 0;
	case '"':
		for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
			if (*l->p == '\n' || *l->p == '\\' || *l->p == '\0')
				return bad(l, "newline, backslash or NUL in a "
				    "quoted string", NULL);
			if (n == TOK_MAX)
				return bad(l, "quoted string too long", NULL);
			l->s[n++] = *l->p;
		}
		if (l->p == l->end)
			return bad(l, "unterminated quoted string", NULL);
		l->p++;
		l->s[n] = '\0';
		l->t = T_STR;
		return 0;
	}
	if (!wordch((unsigned char)*l->p)) {
		char c[8];

		snprintf(c, sizeof(c), (unsigned char)*l->p >= 0x20 &&
		    (unsigned char)*l->p < 0x7f ? "%c" : "\\x%02x",
		    (unsigned char)*l->p);
		return bad(l, "unexpected character", c);
	}
	while (l->p < l->end && wordch((unsigned char)*l->p)) {
		if (n == TOK_MAX)
			return bad(l, "word too long", NULL);
		l->s[n++] = *l->p++;
	}
	l->s[n] = '\0';
	l->t = T_WORD;
	return 0;
}

/* Expect token t. */
static int
expect(struct lex *l, enum tok t, const char *what)
{
	if (lex(l) < 0)
		return -1;
	if (l->t != t)
		return bad(l, what, l->t == T_EOF ? "end of file" : l->s[0] ?
		    l->s : l->t == T_OPEN ? "{" : l->t == T_CLOSE ? "}" : ";");
	return 0;
}

/* A name or string argument (key or server name, path, secret) into
 * out, then ";" when semi. */
static int
arg(struct lex *l, const char *what, char *out, size_t size, int semi)
{
	char msg[96];

	if (lex(l) < 0)
		return -1;
	if ((l->t != T_WORD && l->t != T_STR) || l->s[0] == '\0') {
		snprintf(msg, sizeof(msg), "expected %s", what);
		return bad(l, msg, l->t == T_EOF ? "end of file" : l->s[0] ?
		    l->s : l->t == T_OPEN ? "{" : l->t == T_CLOSE ? "}" : ";");
	}
	if (strlen(l->s) >= size) {
		snprintf(msg, sizeof(msg), "%s longer than %zu bytes", what,
		    size - 1);
		return bad(l, msg, NULL);
	}
	memcpy(out, l->s, strlen(l->s) + 1);
	return semi ? expect(l, T_SEMI, "expected ';'") : 0;
}

/* A port number, then ";". */
static int
port(struct lex *l, unsigned *out)
{
	char s[16], *e;
	unsigned long v;

	if (arg(l, "a port", s, sizeof(s), 1) < 0)
		return -1;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (*e != '\0' || s[0] < '0' || s[0] > '9' || v < 1 || v > 65535)
		return bad(l, "port must be 1-65535", s);
	*out = (unsigned)v;
	return 0;
}

/* key NAME { algorithm ALG; secret "BASE64"; }; */
static int
key_stmt(struct rndcconf *c, struct lex *l)
{
	struct rndcconf_key_ *k;
	char alg[32], secret[TOK_MAX + 1];
	int n, has_alg = 0, has_secret = 0;
	size_t i;

	if (c->nkeys_ == RNDCCONF_KEYS_MAX)
		return bad(l, "too many keys", NULL);
	k = &c->keys_[c->nkeys_];
	memset(k, 0, sizeof(*k));
	if (arg(l, "a key name", k->name, sizeof(k->name), 0) < 0)
		return -1;
	for (i = 0; i < c->nkeys_; i++)
		if (strcasecmp(c->keys_[i].name, k->name) == 0)
			return bad(l, "key defined twice", k->name);
	if (expect(l, T_OPEN, "expected '{' after the key name") < 0)
		return -1;
	for (;;) {
		if (lex(l) < 0)
			return -1;
		if (l->t == T_CLOSE)
			break;
		if (l->t == T_WORD && strcmp(l->s, "algorithm") == 0) {
			if (arg(l, "an algorithm", alg, sizeof(alg), 1) < 0)
				return -1;
			if ((k->k.alg = rndcmsg_alg(alg)) < 0)
				return bad(l, "unknown key algorithm", alg);
			has_alg = 1;
		} else if (l->t == T_WORD && strcmp(l->s, "secret") == 0) {
			if (arg(l, "a secret", secret, sizeof(secret), 1) < 0)
				return -1;
			n = rndcmsg_base64_decode(secret, k->k.secret,
			    sizeof(k->k.secret));
			explicit_bzero(secret, sizeof(secret));
			explicit_bzero(l->s, sizeof(l->s));
			if (n <= 0)
				return bad(l, "the secret is not base64 of 1-256"
				    " bytes", NULL);
			k->k.len = (size_t)n;
			has_secret = 1;
		} else
			return bad(l, "unknown key option", l->s);
	}
	if (!has_alg || !has_secret)
		return bad(l, has_alg ? "key without a secret" :
		    "key without an algorithm", k->name);
	c->nkeys_++;
	return expect(l, T_SEMI, "expected ';' after '}'");
}

/* options { default-key K; default-server S; default-port P; ... }; */
static int
options_stmt(struct rndcconf *c, struct lex *l)
{
	char skip[TOK_MAX + 1];

	if (expect(l, T_OPEN, "expected '{' after options") < 0)
		return -1;
	for (;;) {
		if (lex(l) < 0)
			return -1;
		if (l->t == T_CLOSE)
			break;
		if (l->t != T_WORD)
			return bad(l, "expected an option", l->s);
		if (strcmp(l->s, "default-key") == 0) {
			if (arg(l, "a key name", c->dkey_, sizeof(c->dkey_),
			    1) < 0)
				return -1;
		} else if (strcmp(l->s, "default-server") == 0) {
			if (arg(l, "a server", c->dserver_,
			    sizeof(c->dserver_), 1) < 0)
				return -1;
		} else if (strcmp(l->s, "default-port") == 0) {
			if (port(l, &c->dport_) < 0)
				return -1;
		} else if (strcmp(l->s, "default-source-address") == 0 ||
		    strcmp(l->s, "default-source-address-v6") == 0) {
			if (arg(l, "an address", skip, sizeof(skip), 1) < 0)
				return -1;
		} else
			return bad(l, "unknown option", l->s);
	}
	return expect(l, T_SEMI, "expected ';' after '}'");
}

/* server NAME { key K; port P; }; */
static int
server_stmt(struct rndcconf *c, struct lex *l)
{
	struct rndcconf_server_ *s;

	if (c->nservers_ == RNDCCONF_SERVERS_MAX)
		return bad(l, "too many servers", NULL);
	s = &c->servers_[c->nservers_];
	memset(s, 0, sizeof(*s));
	if (arg(l, "a server name", s->name, sizeof(s->name), 0) < 0 ||
	    expect(l, T_OPEN, "expected '{' after the server name") < 0)
		return -1;
	for (;;) {
		if (lex(l) < 0)
			return -1;
		if (l->t == T_CLOSE)
			break;
		if (l->t == T_WORD && strcmp(l->s, "key") == 0) {
			if (arg(l, "a key name", s->key, sizeof(s->key), 1) < 0)
				return -1;
		} else if (l->t == T_WORD && strcmp(l->s, "port") == 0) {
			if (port(l, &s->port) < 0)
				return -1;
		} else
			return bad(l, "unknown or unsupported server option",
			    l->s);
	}
	c->nservers_++;
	return expect(l, T_SEMI, "expected ';' after '}'");
}

/* include "PATH"; */
static int
include_stmt(struct rndcconf *c, struct lex *l, int depth)
{
	char path[TOK_MAX + 1], *text;
	size_t len;
	int rc;

	if (arg(l, "a file name", path, sizeof(path), 1) < 0)
		return -1;
	if (!c->includes_)
		return bad(l, "include not allowed here", path);
	if (depth >= RNDCCONF_INCLUDE_MAX)
		return bad(l, "includes nested too deep", path);
	if (io_read_file(AT_FDCWD, path, RNDCCONF_FILE_MAX, &text, &len) < 0) {
		if (errno == EFBIG)
			err_set(l->why, l->size, "%s:%u: %s is larger than %d "
			    "bytes", l->name, l->line, path, RNDCCONF_FILE_MAX);
		else
			err_set_sys(l->why, l->size, "%s:%u: unable to read "
			    "%s", l->name, l->line, path);
		return -1;
	}
	rc = parse_text(c, text, len, path, depth + 1);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/* Parse one file's statements. */
static int
parse_text(struct rndcconf *c, const char *text, size_t len,
    const char *name, int depth)
{
	char *why;
	size_t size;
	struct lex *l;
	int rc = -1;

	why = c->why_;
	size = c->whysize_;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		err_set(why, size, "out of memory");
		return -1;
	}
	l->p = text;
	l->end = text + len;
	l->name = name;
	l->line = 1;
	l->why = why;
	l->size = size;
	if (memchr(text, '\0', len) != NULL) {
		bad(l, "NUL byte in the file", NULL);
		goto out;
	}
	for (;;) {
		if (lex(l) < 0)
			goto out;
		if (l->t == T_EOF)
			break;
		if (l->t != T_WORD) {
			bad(l, "expected a statement", l->s);
			goto out;
		}
		if (strcmp(l->s, "key") == 0)
			rc = key_stmt(c, l);
		else if (strcmp(l->s, "options") == 0)
			rc = options_stmt(c, l);
		else if (strcmp(l->s, "server") == 0)
			rc = server_stmt(c, l);
		else if (strcmp(l->s, "include") == 0)
			rc = include_stmt(c, l, depth);
		else
			rc = bad(l, "unknown statement", l->s);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	explicit_bzero(l, sizeof(*l));
	free(l);
	return rc;
}

/* Settle server, port and key as rndc does. */
static int
settle(struct rndcconf *c, const char *name, char *why, size_t size)
{
	const struct rndcconf_server_ *s = NULL;
	const char *kn;
	size_t i;

	snprintf(c->server, sizeof(c->server), "%s", c->dserver_[0] ?
	    c->dserver_ : "127.0.0.1");
	for (i = 0; i < c->nservers_; i++)
		if (strcasecmp(c->servers_[i].name, c->server) == 0)
			s = &c->servers_[i];
	if (strcmp(c->server, "localhost") == 0)
		snprintf(c->server, sizeof(c->server), "127.0.0.1");
	c->port = s != NULL && s->port ? s->port : c->dport_ ? c->dport_ :
	    DEFAULT_PORT;
	kn = s != NULL && s->key[0] ? s->key : c->dkey_[0] ? c->dkey_ :
	    c->nkeys_ == 1 ? c->keys_[0].name : NULL;
	if (kn == NULL) {
		err_set(why, size, "%s: no key for server %s (default-key or a"
		    " server statement's key)", name, c->server);
		return -1;
	}
	for (i = 0; i < c->nkeys_; i++)
		if (strcasecmp(c->keys_[i].name, kn) == 0)
			break;
	if (i == c->nkeys_) {
		err_set(why, size, "%s: key \"%.64s\" is not defined", name, kn);
		return -1;
	}
	snprintf(c->keyname, sizeof(c->keyname), "%s", kn);
	c->key = c->keys_[i].k;
	for (i = 0; i < c->nkeys_; i++)
		explicit_bzero(&c->keys_[i].k, sizeof(c->keys_[i].k));
	return 0;
}

int
rndcconf_parse(struct rndcconf *c, const char *text, size_t len,
    const char *name, int includes, char *why, size_t size)
{
	c->includes_ = includes;
	c->why_ = why;
	c->whysize_ = size;
	if (parse_text(c, text, len, name, 0) < 0) {
		rndcconf_wipe(c);
		return -1;
	}
	if (settle(c, name, why, size) < 0) {
		rndcconf_wipe(c);
		return -1;
	}
	return 0;
}

int
rndcconf_load(struct rndcconf *c, const char *path, char *why, size_t size)
{
	char *text;
	size_t len;
	int rc;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		path = access(RNDCCONF_DEFAULT_CONF, F_OK) == 0 ?
		    RNDCCONF_DEFAULT_CONF : RNDCCONF_DEFAULT_KEY;
	if (io_read_file(AT_FDCWD, path, RNDCCONF_FILE_MAX, &text, &len) < 0) {
		if (errno == EFBIG)
			err_set(why, size, "%s is larger than %d bytes", path,
			    RNDCCONF_FILE_MAX);
		else
			err_set_sys(why, size, "unable to read %s", path);
		return -1;
	}
	rc = rndcconf_parse(c, text, len, path, 1, why, size);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

void
rndcconf_wipe(struct rndcconf *c)
{
	explicit_bzero(c->keys_, sizeof(c->keys_));
	explicit_bzero(&c->key, sizeof(c->key));
}
