/* httpauth.c -- the Authorization header of an HTTP request: Bearer
 * tokens and Basic credentials */
/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "httpauth.h"

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode padded base64 s (n bytes) into out (cap bytes, NUL added).
 * Returns the length, or -1. */
static int
b64dec(const char *s, size_t n, char *out, size_t cap)
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
			} else if ((v[j] = b64val((unsigned char)s[i + j])) < 0)
				return -1;
		}
		if (o + 3 >= cap)
			return -1;
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[o] = '\0';
	return (int)o;
}

static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
httpauth_parse(const char *req, char *user, char *pass)
{
	const char *line, *v, *end;
	char dec[HTTPAUTH_MAX * 2 + 4], *colon;
	size_t n;
	int len;

	user[0] = pass[0] = '\0';
	/* Header lines follow the request line. */
	for (line = strchr(req, '\n'); line != NULL;
	    line = strchr(line, '\n')) {
		line++;
		if (strncasecmp(line, "Authorization:", 14) == 0)
			break;
	}
	if (line == NULL)
		return HTTPAUTH_NONE;
	for (v = line + 14; *v == ' ' || *v == '\t'; v++)
		;
	end = v + strcspn(v, "\r\n");
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - v > 7 && strncasecmp(v, "Bearer ", 7) == 0) {
		for (v += 7; *v == ' '; v++)
			;
		n = (size_t)(end - v);
		if (n == 0 || n >= HTTPAUTH_MAX || !printable(v, n))
			return -1;
		memcpy(pass, v, n);
		pass[n] = '\0';
		return HTTPAUTH_BEARER;
	}
	if (end - v > 6 && strncasecmp(v, "Basic ", 6) == 0) {
		for (v += 6; *v == ' '; v++)
			;
		if ((len = b64dec(v, (size_t)(end - v), dec, sizeof(dec))) < 0 ||
		    !printable(dec, (size_t)len) ||
		    (colon = strchr(dec, ':')) == NULL ||
		    (size_t)(colon - dec) >= HTTPAUTH_MAX ||
		    strlen(colon + 1) >= HTTPAUTH_MAX)
			return -1;
		*colon = '\0';
		strcpy(user, dec);
		strcpy(pass, colon + 1);
		return HTTPAUTH_BASIC;
	}
	return -1;
}
