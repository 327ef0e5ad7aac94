/* httpauth.c -- the Authorization header of an HTTP request: Bearer
 * tokens and Basic credentials */
/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "httpauth.h"

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
	long len;

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
		if ((len = base64_decode(v, (size_t)(end - v), (uint8_t *)dec,
		    sizeof(dec) - 1)) < 0)
			return -1;
		dec[len] = '\0';
		if (!printable(dec, (size_t)len) ||
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
