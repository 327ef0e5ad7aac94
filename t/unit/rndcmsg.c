/* rndcmsg.c -- unit checks of lib/pipeline/rndcmsg.c and rndcconf.c: BIND's
 * control channel messages (signed, verified, malformed) and rndc.conf */
/* SPDX-License-Identifier: ISC */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "rndcconf.h"
#include "rndcmsg.h"

/* "secret" of the key tsig-keygen would write: 32 bytes 0x01..0x20. */
static const char *b64key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

static void
put32(struct buf *b, unsigned v)
{
	unsigned char h[4] = { v >> 24, v >> 16 & 0xff, v >> 8 & 0xff,
	    v & 0xff };

	buf_add(b, h, 4);
}

/* A table entry k (type t) with len bytes of v. */
static void
ent(struct buf *b, const char *k, int t, const void *v, size_t len)
{
	unsigned char kl = (unsigned char)strlen(k), tt = (unsigned char)t;

	buf_add(b, &kl, 1);
	buf_add(b, k, kl);
	buf_add(b, &tt, 1);
	put32(b, (unsigned)len);
	buf_add(b, v, len);
}

static void
str(struct buf *b, const char *k, const char *v)
{
	ent(b, k, 1, v, strlen(v));
}

/*
 * A reply as named writes it (after the 4-byte length): version, _auth
 * with the HMAC-SHA256 of the rest under key, _ctrl, _data with err and
 * text when not NULL.
 */
static void
reply(struct buf *out, const struct rndcmsg_key *key, const char *ser,
    const char *err, const char *text)
{
	struct buf ctrl = { 0 }, data = { 0 }, body = { 0 }, auth = { 0 };
	unsigned char mac[32], sig[89];
	gnutls_datum_t d = { mac, sizeof(mac) }, e;

	str(&ctrl, "_ser", ser);
	str(&ctrl, "_tim", "1700000000");
	str(&ctrl, "_exp", "1700000060");
	str(&ctrl, "_rpl", "1");
	str(&ctrl, "_nonce", "12345");
	str(&data, "type", "null");
	str(&data, "result", err != NULL ? "23" : "0");
	if (err != NULL)
		str(&data, "err", err);
	if (text != NULL)
		str(&data, "text", text);
	ent(&body, "_ctrl", 2, ctrl.p, ctrl.len);
	ent(&body, "_data", 2, data.p, data.len);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key->secret, key->len, body.p,
	    body.len, mac);
	gnutls_base64_encode2(&d, &e);
	memset(sig, 0, sizeof(sig));
	sig[0] = RNDCMSG_HMAC_SHA256;
	memcpy(sig + 1, e.data, e.size);
	gnutls_free(e.data);
	ent(&auth, "hsha", 1, sig, sizeof(sig));
	put32(out, 1);
	ent(out, "_auth", 2, auth.p, auth.len);
	buf_add(out, body.p, body.len);
	buf_free(&ctrl);
	buf_free(&data);
	buf_free(&body);
	buf_free(&auth);
}

static void
messages(void)
{
	struct rndcmsg_key key, other;
	struct rndcmsg_answer a;
	struct buf b = { 0 }, n = { 0 };
	unsigned char x[64];
	char why[256];
	int i;

	CHECK(rndcmsg_base64_decode("Zm9vYg==", x, sizeof(x)) == 4 &&
	    memcmp(x, "foob", 4) == 0);
	CHECK(rndcmsg_base64_decode("Zm9vYmE=", x, sizeof(x)) == 5);
	CHECK(rndcmsg_base64_decode("Zm9v", x, sizeof(x)) == 3);
	CHECK(rndcmsg_base64_decode("Zm9", x, sizeof(x)) == -1);
	CHECK(rndcmsg_base64_decode("Zm=v", x, sizeof(x)) == -1);
	CHECK(rndcmsg_base64_decode("Zm9v", x, 2) == -1);
	CHECK(rndcmsg_base64_decode("", x, sizeof(x)) == -1);
	CHECK(rndcmsg_alg("HMAC-SHA256") == RNDCMSG_HMAC_SHA256);
	CHECK(rndcmsg_alg("hmac-sha3") == -1);

	memset(&key, 0, sizeof(key));
	key.alg = RNDCMSG_HMAC_SHA256;
	key.len = (size_t)rndcmsg_base64_decode(b64key, key.secret,
	    sizeof(key.secret));
	CHECK(key.len == 32 && key.secret[31] == 0x20);
	other = key;
	other.secret[0] ^= 1;

	/* A reply named signed: its fields. */
	reply(&b, &key, "77", NULL, "server reload successful");
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a, why,
	    sizeof(why)) == 0);
	CHECK(a.ser == 77 && a.nonce == 12345 && a.reply && a.has_result &&
	    a.result == 0 && a.err[0] == '\0' &&
	    strcmp(a.text, "server reload successful") == 0);
	rndcmsg_answer_free(&a);
	/* Another key: refused. */
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &other, &a, why,
	    sizeof(why)) == -2 && strstr(why, "does not verify") != NULL);
	/* Any byte after _auth changed: refused. */
	for (i = 120; i < (int)b.len; i += 7) {
		b.p[i] ^= 0x20;
		CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a,
		    why, sizeof(why)) < 0);
		b.p[i] ^= 0x20;
	}
	/* Cut short: malformed, named by what. */
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len - 3, &key, &a, why,
	    sizeof(why)) == -1 && strstr(why, "longer than the message") !=
	    NULL);
	CHECK(rndcmsg_decode((unsigned char *)b.p, 3, &key, &a, why,
	    sizeof(why)) == -1);
	b.p[3] = 2;
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a, why,
	    sizeof(why)) == -1 && strstr(why, "version 2") != NULL);
	buf_clear(&b);

	/* An error answer. */
	reply(&b, &key, "78", "not found", "no matching zone 'x' in any view");
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a, why,
	    sizeof(why)) == 0);
	CHECK(a.ser == 78 && strcmp(a.err, "not found") == 0 &&
	    a.result == 23);
	rndcmsg_answer_free(&a);
	buf_clear(&b);

	/* Not signed at all. */
	put32(&b, 1);
	str(&b, "_ctrl", "x");
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a, why,
	    sizeof(why)) == -2 && strstr(why, "not signed") != NULL);
	buf_clear(&b);

	/* Tables in tables, deeper than allowed. */
	buf_add(&n, "", 0);
	for (i = 0; i < 12; i++) {
		struct buf t = { 0 };

		ent(&t, "t", 2, n.p, n.len);
		buf_clear(&n);
		buf_add(&n, t.p, t.len);
		buf_free(&t);
	}
	put32(&b, 1);
	buf_add(&b, n.p, n.len);
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a, why,
	    sizeof(why)) == -1 && strstr(why, "nested deeper") != NULL);
	buf_clear(&b);

	/* Unknown value type. */
	put32(&b, 1);
	ent(&b, "_auth", 9, "", 0);
	CHECK(rndcmsg_decode((unsigned char *)b.p, b.len, &key, &a, why,
	    sizeof(why)) == -1 && strstr(why, "unknown value type 9") !=
	    NULL);
	buf_clear(&b);

	/* What we encode, with every algorithm, verifies with its key and
	 * carries the framing length. */
	for (i = 0; i < 6; i++) {
		static const int algs[] = { RNDCMSG_HMAC_MD5,
		    RNDCMSG_HMAC_SHA1, RNDCMSG_HMAC_SHA224,
		    RNDCMSG_HMAC_SHA256, RNDCMSG_HMAC_SHA384,
		    RNDCMSG_HMAC_SHA512 };
		struct rndcmsg_key k = key;
		unsigned len;

		k.alg = algs[i];
		buf_clear(&b);
		CHECK(rndcmsg_encode(&b, &k, 4242, 1700000000, 99,
		    "addzone a.example { type primary; file \"a\"; };", why,
		    sizeof(why)) == 0);
		len = (unsigned char)b.p[0] << 24 | (unsigned char)b.p[1] << 16 |
		    (unsigned char)b.p[2] << 8 | (unsigned char)b.p[3];
		CHECK(len == b.len - 4);
		CHECK(rndcmsg_decode((unsigned char *)b.p + 4, b.len - 4, &k,
		    &a, why, sizeof(why)) == 0);
		CHECK(a.ser == 4242 && a.nonce == 99 && !a.reply);
		rndcmsg_answer_free(&a);
		k.secret[5] ^= 1;
		CHECK(rndcmsg_decode((unsigned char *)b.p + 4, b.len - 4, &k,
		    &a, why, sizeof(why)) == -2);
	}
	/* A command longer than named takes. */
	{
		char *big = malloc(RNDCMSG_CMD_MAX + 2);

		memset(big, 'a', RNDCMSG_CMD_MAX + 1);
		big[RNDCMSG_CMD_MAX + 1] = '\0';
		CHECK(rndcmsg_encode(&b, &key, 1, 1, 0, big, why,
		    sizeof(why)) == -1 && strstr(why, "longer") != NULL);
		free(big);
	}
	buf_free(&b);
	buf_free(&n);
}

/* Parse text; returns the rc, why in why. */
static int
conf(struct rndcconf *c, const char *text, char *why, size_t size)
{
	memset(c, 0, sizeof(*c));
	why[0] = '\0';
	return rndcconf_parse(c, text, strlen(text), "rndc.conf", 0, why,
	    size);
}

static void
confs(void)
{
	struct rndcconf c;
	char why[512];

	CHECK(conf(&c, "# a comment\n// another\n/* and\n one */\n"
	    "key \"dadns\" { algorithm hmac-sha256; secret \"AQID\"; };\n"
	    "key other { algorithm hmac-md5; secret \"BAUG\"; };\n"
	    "options { default-key \"dadns\"; default-server 127.0.0.2;\n"
	    " default-port 9953; };\n", why, sizeof(why)) == 0);
	CHECK(strcmp(c.server, "127.0.0.2") == 0 && c.port == 9953 &&
	    strcmp(c.keyname, "dadns") == 0 && c.key.len == 3 &&
	    c.key.alg == RNDCMSG_HMAC_SHA256 && c.key.secret[2] == 3);
	/* A key file alone: its key, rndc's default server and port. */
	CHECK(conf(&c, "key \"rndc-key\" {\n\talgorithm hmac-sha512;\n"
	    "\tsecret \"AQID\";\n};\n", why, sizeof(why)) == 0);
	CHECK(strcmp(c.server, "127.0.0.1") == 0 && c.port == 953 &&
	    c.key.alg == RNDCMSG_HMAC_SHA512);
	/* A server statement's key and port win. */
	CHECK(conf(&c, "key a { algorithm hmac-sha1; secret \"AQID\"; };"
	    "key b { algorithm hmac-sha1; secret \"BAUG\"; };"
	    "options { default-key a; default-server ::1; };"
	    "server ::1 { key b; port 1953; };", why, sizeof(why)) == 0);
	CHECK(strcmp(c.keyname, "b") == 0 && c.port == 1953 &&
	    c.key.secret[0] == 4);
	/* Rejected, with what and where. */
	CHECK(conf(&c, "controls { };", why, sizeof(why)) < 0 &&
	    strstr(why, "rndc.conf:1: unknown statement, not \"controls\"") !=
	    NULL);
	CHECK(conf(&c, "key a { algorithm hmac-sha256; secret \"!!\"; };",
	    why, sizeof(why)) < 0 && strstr(why, "not base64") != NULL);
	CHECK(conf(&c, "key a { algorithm rot13; secret \"AQID\"; };", why,
	    sizeof(why)) < 0 && strstr(why, "unknown key algorithm") != NULL);
	CHECK(conf(&c, "key a { secret \"AQID\"; };", why, sizeof(why)) < 0 &&
	    strstr(why, "without an algorithm") != NULL);
	CHECK(conf(&c, "key a { algorithm hmac-sha1; secret \"AQID\"; };\n"
	    "options { default-key b; };", why, sizeof(why)) < 0 &&
	    strstr(why, "key \"b\" is not defined") != NULL);
	CHECK(conf(&c, "key a { algorithm hmac-sha1; secret \"AQID\"; };\n"
	    "key b { algorithm hmac-sha1; secret \"AQID\"; };", why,
	    sizeof(why)) < 0 && strstr(why, "no key for server") != NULL);
	CHECK(conf(&c, "options { default-port 70000; };", why,
	    sizeof(why)) < 0 && strstr(why, "port must be 1-65535") != NULL);
	CHECK(conf(&c, "options { default-key \"a\" }", why, sizeof(why)) < 0
	    && strstr(why, "expected ';'") != NULL);
	CHECK(conf(&c, "include \"/etc/passwd\";", why, sizeof(why)) < 0 &&
	    strstr(why, "include not allowed") != NULL);
	CHECK(conf(&c, "key \"a\n\" {", why, sizeof(why)) < 0 &&
	    strstr(why, "newline") != NULL);
	CHECK(conf(&c, "/* open", why, sizeof(why)) < 0 &&
	    strstr(why, "unterminated comment") != NULL);
	CHECK(conf(&c, "\n\nkey a { algorithm hmac-sha1; secret \"AQID\"; }"
	    " ; key a { algorithm hmac-sha1; secret \"AQID\"; };", why,
	    sizeof(why)) < 0 && strstr(why, "rndc.conf:3: key defined twice")
	    != NULL);
	CHECK(conf(&c, "key a { algorithm hmac-sha1; secret \"AQID\"; };"
	    "server 127.0.0.1 { addresses { 127.0.0.1; }; };", why,
	    sizeof(why)) < 0 && strstr(why, "unsupported server option")
	    != NULL);
}

int
main(void)
{
	messages();
	confs();
	if (failures > 0) {
		fprintf(stderr, "rndcmsg: %d of %d checks failed\n", failures,
		    checks);
		return 1;
	}
	printf("rndcmsg: ok (%d checks)\n", checks);
	return 0;
}
