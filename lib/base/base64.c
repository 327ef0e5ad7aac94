/* base64.c -- base64 (RFC 4648 §4) and base64url (§5) decoding */
/* SPDX-License-Identifier: ISC */
#include "base64.h"

/* The value of c in the alphabet (url: '-' and '_' for '+' and '/'), or
 * -1. */
static int
b64val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

long
base64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t i, o = 0;
	int v[4], j, pad;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2 &&
			    (j == 3 || s[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if ((v[j] = b64val((unsigned char)s[i + j],
			    0)) < 0)
				return -1;
		}
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	return (long)o;
}

long
base64url_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64val((unsigned char)s[i], 1)) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The left-over bits of the last character must be zero. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}
