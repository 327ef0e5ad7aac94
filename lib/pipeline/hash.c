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
