/* rndcmsg.c -- BIND's control channel messages: encode a signed command,
 * decode and verify an answer */
/* SPDX-License-Identifier: ISC */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "err.h"
#include "rndcmsg.h"

/*
 * A message is a 4-byte big-endian length, a 4-byte version (1) and a
 * table: entries of a key (1-byte length, bytes) and a value (1-byte
 * type, 4-byte length, bytes). The first entry, _auth, holds the base64
 * HMAC of the bytes after it: 22 characters in "hmd5" for HMAC-MD5, else
 * the algorithm's number and 88 characters (zero-padded) in "hsha".
 */
#define T_BINARY	0x01
#define T_TABLE		0x02
#define T_LIST		0x03
#define DEPTH_MAX	10	/* tables and lists within each other */
#define HMD5_LEN	22
#define HSHA_LEN	88
#define KEY_MAX		255

static const struct {
	const char	*name;
	int		 alg;
	gnutls_mac_algorithm_t mac;
} algs[] = {
	{ "hmac-md5", RNDCMSG_HMAC_MD5, GNUTLS_MAC_MD5 },
	{ "hmac-sha1", RNDCMSG_HMAC_SHA1, GNUTLS_MAC_SHA1 },
	{ "hmac-sha224", RNDCMSG_HMAC_SHA224, GNUTLS_MAC_SHA224 },
	{ "hmac-sha256", RNDCMSG_HMAC_SHA256, GNUTLS_MAC_SHA256 },
	{ "hmac-sha384", RNDCMSG_HMAC_SHA384, GNUTLS_MAC_SHA384 },
	{ "hmac-sha512", RNDCMSG_HMAC_SHA512, GNUTLS_MAC_SHA512 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
rndcmsg_alg(const char *name)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (strcasecmp(name, algs[i].name) == 0)
			return algs[i].alg;
	return -1;
}

const char *
rndcmsg_alg_name(int alg)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return "unknown";
}

/* Base64 of n bytes into out (4 * ((n + 2) / 3) characters, no NUL). */
static size_t
base64_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 :
		    0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

int
rndcmsg_base64_decode(const char *src, unsigned char *dst, size_t size)
{
	return (int)base64_decode(src, strlen(src), dst, size);
}

/* The base64 HMAC of data under key into out[HSHA_LEN], zero-padded.
 * Returns 0, or -1 (unknown algorithm, refused by the library). */
static int
sign(const struct rndcmsg_key *key, const unsigned char *data, size_t len,
    char out[HSHA_LEN])
{
	unsigned char digest[64];
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (algs[i].alg == key->alg)
			break;
	if (i == NALGS || gnutls_hmac_get_len(algs[i].mac) >
	    sizeof(digest))
		return -1;
	if (gnutls_hmac_fast(algs[i].mac, key->secret, key->len, data, len,
	    digest) < 0)
		return -1;
	memset(out, 0, HSHA_LEN);
	base64_encode(digest, gnutls_hmac_get_len(algs[i].mac), out);
	explicit_bzero(digest, sizeof(digest));
	return 0;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16 & 0xff;
	p[2] = v >> 8 & 0xff;
	p[3] = v & 0xff;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Append a key and the head of its value (type, length). */
static void
put_head(struct buf *b, const char *k, int type, size_t len)
{
	unsigned char h[5];
	unsigned char kl = (unsigned char)strlen(k);

	buf_add(b, &kl, 1);
	buf_add(b, k, kl);
	h[0] = (unsigned char)type;
	put32(h + 1, (uint32_t)len);
	buf_add(b, h, 5);
}

/* Append a binary entry k = s. */
static void
put_str(struct buf *b, const char *k, const char *s)
{
	put_head(b, k, T_BINARY, strlen(s));
	buf_adds(b, s);
}

static void
put_u32(struct buf *b, const char *k, uint32_t v)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", v);
	put_str(b, k, s);
}

int
rndcmsg_encode(struct buf *out, const struct rndcmsg_key *key, uint32_t ser,
    uint32_t now, uint32_t nonce, const char *cmd, char *why, size_t size)
{
	unsigned char h[8];
	char mac[HSHA_LEN];
	size_t start = out->len, ctrl, data, dval, sig, body, end;
	int md5 = key->alg == RNDCMSG_HMAC_MD5;

	if (strlen(cmd) > RNDCMSG_CMD_MAX) {
		err_set(why, size, "command longer than %d bytes",
		    RNDCMSG_CMD_MAX);
		return -1;
	}
	put32(h, 0);		/* the length, set at the end */
	put32(h + 4, 1);	/* version */
	buf_add(out, h, 8);
	/* _auth = { hmd5 | hsha = zeros }, the signature set at the end */
	put_head(out, "_auth", T_TABLE, md5 ? 5 + 5 + HMD5_LEN :
	    5 + 5 + 1 + HSHA_LEN);
	put_head(out, md5 ? "hmd5" : "hsha", T_BINARY, md5 ? HMD5_LEN :
	    1 + HSHA_LEN);
	if (!md5) {
		h[0] = (unsigned char)key->alg;
		buf_add(out, h, 1);
	}
	sig = out->len - start;
	memset(mac, 0, sizeof(mac));
	buf_add(out, mac, md5 ? HMD5_LEN : HSHA_LEN);
	body = out->len - start;
	/* _ctrl = { _ser, _tim, _exp [, _nonce] } */
	put_head(out, "_ctrl", T_TABLE, 0);
	ctrl = out->len - start;
	put_u32(out, "_ser", ser);
	put_u32(out, "_tim", now);
	put_u32(out, "_exp", now + 60);
	if (nonce != 0)
		put_u32(out, "_nonce", nonce);
	data = out->len - start;
	/* _data = { type = cmd } */
	put_head(out, "_data", T_TABLE, 0);
	dval = out->len - start;
	put_str(out, "type", cmd);
	end = out->len - start;
	if (out->oom) {
		err_set(why, size, "out of memory");
		return -1;
	}
	put32((unsigned char *)out->p + start + ctrl - 4,
	    (uint32_t)(data - ctrl));
	put32((unsigned char *)out->p + start + dval - 4,
	    (uint32_t)(end - dval));
	put32((unsigned char *)out->p + start, (uint32_t)(end - 4));
	if (sign(key, (unsigned char *)out->p + start + body, end - body,
	    mac) < 0) {
		out->len = start;
		err_set(why, size, "unable to sign with %s",
		    rndcmsg_alg_name(key->alg));
		return -1;
	}
	memcpy(out->p + start + sig, mac, md5 ? HMD5_LEN : HSHA_LEN);
	return 0;
}

/* One table entry or list value in [*p, end). */
struct ent {
	char		 key[KEY_MAX + 1];
	int		 type;
	const unsigned char *v;
	size_t		 len;
};

/* Read the next entry of a table (with_key) or list at *p. Returns 1 with
 * e filled, 0 at the end, -1 when malformed (why set). */
static int
next(const unsigned char **p, const unsigned char *end, int with_key,
    struct ent *e, char *why, size_t size)
{
	size_t kl = 0;

	if (*p == end)
		return 0;
	e->key[0] = '\0';
	if (with_key) {
		kl = **p;
		if ((size_t)(end - *p) < 1 + kl) {
			err_set(why, size, "truncated key");
			return -1;
		}
		memcpy(e->key, *p + 1, kl);
		e->key[kl] = '\0';
		if (memchr(e->key, '\0', kl) != NULL) {
			err_set(why, size, "NUL byte in a key");
			return -1;
		}
		*p += 1 + kl;
	}
	if (end - *p < 5) {
		err_set(why, size, "truncated value of \"%s\"", e->key);
		return -1;
	}
	e->type = (*p)[0];
	e->len = get32(*p + 1);
	*p += 5;
	if (e->len > (size_t)(end - *p)) {
		err_set(why, size, "value of \"%s\" longer than the message",
		    e->key);
		return -1;
	}
	if (e->type != T_BINARY && e->type != T_TABLE && e->type != T_LIST) {
		err_set(why, size, "unknown value type %d of \"%s\"", e->type,
		    e->key);
		return -1;
	}
	e->v = *p;
	*p += e->len;
	return 1;
}

/* Check that the table or list [p, end) is well formed, depth deep. */
static int
check(const unsigned char *p, const unsigned char *end, int with_key,
    int depth, char *why, size_t size)
{
	struct ent e;
	int rc;

	if (depth > DEPTH_MAX) {
		err_set(why, size, "tables nested deeper than %d", DEPTH_MAX);
		return -1;
	}
	while ((rc = next(&p, end, with_key, &e, why, size)) > 0)
		if (e.type != T_BINARY && check(e.v, e.v + e.len,
		    e.type == T_TABLE, depth + 1, why, size) < 0)
			return -1;
	return rc;
}

/* Find the binary value of key k in table [p, end). Returns 1, 0 when
 * absent, -1 when not binary. */
static int
lookup(const unsigned char *p, const unsigned char *end, const char *k,
    struct ent *out)
{
	struct ent e;
	char why[8];
	int found = 0;

	while (next(&p, end, 1, &e, why, sizeof(why)) > 0) {
		if (strcmp(e.key, k) != 0)
			continue;
		if (e.type != T_BINARY)
			return -1;
		*out = e;
		found = 1;	/* the last one counts, as in BIND */
	}
	return found;
}

/* Look up a decimal uint32. Returns 1, 0 when absent, -1 when not one. */
static int
lookup_u32(const unsigned char *p, const unsigned char *end, const char *k,
    uint32_t *v)
{
	struct ent e;
	uint64_t x = 0;
	size_t i;
	int rc;

	if ((rc = lookup(p, end, k, &e)) <= 0)
		return rc;
	if (e.len == 0 || e.len > 10)
		return -1;
	for (i = 0; i < e.len; i++) {
		if (e.v[i] < '0' || e.v[i] > '9')
			return -1;
		x = x * 10 + (e.v[i] - '0');
	}
	if (x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 1;
}

/* Compare n bytes in a time that does not depend on where they differ. */
static int
same(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Verify the _auth table [p, end) over the signed bytes. */
static int
verify(const unsigned char *p, const unsigned char *end,
    const unsigned char *signed_p, size_t signed_len,
    const struct rndcmsg_key *key, char *why, size_t size)
{
	struct ent e;
	char mac[HSHA_LEN];
	int md5 = key->alg == RNDCMSG_HMAC_MD5, ok;

	if (lookup(p, end, md5 ? "hmd5" : "hsha", &e) != 1 ||
	    e.len != (md5 ? HMD5_LEN : 1 + HSHA_LEN)) {
		err_set(why, size, "no %s signature in the answer (another "
		    "key algorithm?)", rndcmsg_alg_name(key->alg));
		return -2;
	}
	if (sign(key, signed_p, signed_len, mac) < 0) {
		err_set(why, size, "unable to verify with %s",
		    rndcmsg_alg_name(key->alg));
		return -2;
	}
	ok = md5 ? same(e.v, mac, HMD5_LEN) :
	    (e.v[0] == key->alg) & same(e.v + 1, mac, HSHA_LEN);
	explicit_bzero(mac, sizeof(mac));
	if (!ok) {
		err_set(why, size, "the answer's signature does not verify "
		    "(wrong key?)");
		return -2;
	}
	return 0;
}

/* Copy the binary value of k in [p, end) into a malloc'd string. Returns
 * 1, 0 when absent, -1 when not binary or out of memory. */
static int
lookup_dup(const unsigned char *p, const unsigned char *end, const char *k,
    char **s, size_t *len)
{
	struct ent e;
	int rc;

	if ((rc = lookup(p, end, k, &e)) <= 0)
		return rc;
	if ((*s = malloc(e.len + 1)) == NULL)
		return -1;
	memcpy(*s, e.v, e.len);
	(*s)[e.len] = '\0';
	*len = e.len;
	return 1;
}

int
rndcmsg_decode(const unsigned char *msg, size_t len,
    const struct rndcmsg_key *key, struct rndcmsg_answer *a, char *why,
    size_t size)
{
	const unsigned char *p, *end = msg + len;
	const unsigned char *signed_p = NULL;
	struct ent e, auth, ctrl, data;
	char *err = NULL;
	size_t errlen = 0;
	int first = 1, rc, have_auth = 0, have_ctrl = 0, have_data = 0;

	memset(a, 0, sizeof(*a));
	memset(&auth, 0, sizeof(auth));
	memset(&ctrl, 0, sizeof(ctrl));
	memset(&data, 0, sizeof(data));
	if (len < 4 || get32(msg) != 1) {
		err_set(why, size, len < 4 ? "answer shorter than its version" :
		    "unknown message version %u", len < 4 ? 0 : get32(msg));
		return -1;
	}
	if (check(msg + 4, end, 1, 0, why, size) < 0)
		return -1;
	for (p = msg + 4; next(&p, end, 1, &e, why, size) > 0; first = 0) {
		if (strcmp(e.key, "_auth") == 0 && e.type == T_TABLE) {
			if (first) {
				signed_p = p;
				auth = e;
				have_auth = 1;
			}
		} else if (strcmp(e.key, "_ctrl") == 0 && e.type == T_TABLE) {
			ctrl = e;
			have_ctrl = 1;
		} else if (strcmp(e.key, "_data") == 0 && e.type == T_TABLE) {
			data = e;
			have_data = 1;
		}
	}
	if (!have_auth) {
		err_set(why, size, "answer not signed (no _auth first)");
		return -2;
	}
	if ((rc = verify(auth.v, auth.v + auth.len, signed_p,
	    (size_t)(end - signed_p), key, why, size)) < 0)
		return rc;
	if (!have_ctrl || !have_data) {
		err_set(why, size, "answer without its %s section", !have_ctrl ?
		    "_ctrl" : "_data");
		return -1;
	}
	if (lookup_u32(ctrl.v, ctrl.v + ctrl.len, "_ser", &a->ser) != 1 ||
	    lookup_u32(ctrl.v, ctrl.v + ctrl.len, "_nonce", &a->nonce) < 0) {
		err_set(why, size, "answer with a bad _ser or _nonce");
		return -1;
	}
	a->reply = lookup(ctrl.v, ctrl.v + ctrl.len, "_rpl", &e) == 1;
	if ((rc = lookup_u32(data.v, data.v + data.len, "result",
	    &a->result)) < 0) {
		err_set(why, size, "answer with a bad result");
		return -1;
	}
	a->has_result = rc;
	if ((rc = lookup_dup(data.v, data.v + data.len, "err", &err,
	    &errlen)) < 0 || (rc == 1 && errlen == 0)) {
		free(err);
		err_set(why, size, "answer with a bad err");
		return -1;
	}
	if (rc == 1) {
		/* One line of printable text. */
		size_t i;

		for (i = 0; i < errlen && i < sizeof(a->err) - 1; i++)
			a->err[i] = err[i] >= 0x20 && err[i] < 0x7f ? err[i] :
			    '?';
		a->err[i] = '\0';
		free(err);
	}
	if ((rc = lookup_dup(data.v, data.v + data.len, "text", &a->text,
	    &a->textlen)) < 0) {
		err_set(why, size, "answer with a bad text");
		return -1;
	}
	if (rc == 0) {
		if ((a->text = strdup("")) == NULL) {
			err_set(why, size, "out of memory");
			return -1;
		}
		a->textlen = 0;
	}
	return 0;
}

void
rndcmsg_answer_free(struct rndcmsg_answer *a)
{
	free(a->text);
	a->text = NULL;
}
