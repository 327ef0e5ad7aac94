/* doh.c -- libFuzzer target for lib/dns/doh.c: the input is an HTTP
 * request as lines (method, path, content-type, content-length, then the
 * body); every answer is a status with a reason, a 200 a DNS message
 * that fits. Base64url decoding is also checked against an encoder. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "doh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t msg[DOH_MSG_MAX];

static size_t
b64url(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = a[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = a[(acc << (6 - bits)) & 63];
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *field[4], *p, *nl, enc[2048];
	struct doh_req r;
	const char *why = NULL;
	size_t mlen = 0, i, n;
	long dl;
	int st;

	/* Any bytes survive encode then decode. */
	n = size < 1000 ? size : 1000;
	dl = base64url_decode(enc, b64url(data, n, enc), msg, sizeof(msg));
	if (dl != (long)n || memcmp(msg, data, n) != 0)
		abort();
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	for (i = 0; i < 4; i++) {
		field[i] = NULL;
		if (p != NULL && (nl = memchr(p, '\n', size - (size_t)(p -
		    text))) != NULL) {
			*nl = '\0';
			field[i] = p;
			p = nl + 1;
		}
	}
	memset(&r, 0, sizeof(r));
	r.method = field[0];
	r.path = field[1];
	r.ctype = field[2] != NULL && *field[2] != '\0' ? field[2] : NULL;
	r.clen = field[3] != NULL && *field[3] != '\0' ? field[3] : NULL;
	r.body = (const uint8_t *)p;
	r.blen = p != NULL && field[3] != NULL ? size - (size_t)(p - text) : 0;
	st = doh_parse(&r, "/dns-query", msg, &mlen, &why);
	if (st == 200) {
		if (mlen < 12 || mlen > DOH_MSG_MAX)
			abort();
	} else if (why == NULL || (st != 400 && st != 404 && st != 405 &&
	    st != 413 && st != 414 && st != 415))
		abort();
	free(text);
	return 0;
}
