/* base64.h -- base64 (RFC 4648 §4) and base64url (§5) decoding */
/* SPDX-License-Identifier: ISC */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decode padded base64 s[0..n) into out (cap bytes): n a non-zero
 * multiple of 4, '=' only as the last one or two characters. Returns the
 * number of bytes, or -1 (not such base64, or out too small). */
long base64_decode(const char *s, size_t n, uint8_t *out, size_t cap);

/* Decode base64url s[0..n) into out (cap bytes): padding tolerated, the
 * unused bits of the last character zero. Returns the number of bytes,
 * or -1 (not base64url, or out too small). */
long base64url_decode(const char *s, size_t n, uint8_t *out, size_t cap);

#endif
