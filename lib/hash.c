/* hash.c -- content hash of zone texts (SHA-256, hex) */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <string.h>

#include <ldns/ldns.h>

#include "hash.h"

void
hash_hex(const void *buf, size_t len, char out[HASH_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[LDNS_SHA256_DIGEST_LENGTH];
	ldns_sha256_CTX ctx;
	size_t i;

	ldns_sha256_init(&ctx);
	ldns_sha256_update(&ctx, buf, len);
	ldns_sha256_final(digest, &ctx);
	for (i = 0; i < sizeof(digest); i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[HASH_HEX_LEN] = '\0';
}

int
hash_secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n, i;
	volatile unsigned char diff = 0;

	/* Walk the longer input fully so the time does not depend on where
	 * the first difference is. */
	n = la > lb ? la : lb;
	diff |= (unsigned char)(la != lb);
	for (i = 0; i < n; i++) {
		unsigned char ca = i < la ? (unsigned char)a[i] : 0;
		unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
		diff |= ca ^ cb;
	}
	return diff == 0;
}
