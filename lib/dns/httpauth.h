/* httpauth.h -- the Authorization header of an HTTP request: Bearer
 * tokens and Basic credentials */
/* SPDX-License-Identifier: ISC */
#ifndef HTTPAUTH_H
#define HTTPAUTH_H

#include <stddef.h>

#define HTTPAUTH_NONE	0
#define HTTPAUTH_BEARER	1
#define HTTPAUTH_BASIC	2
#define HTTPAUTH_MAX	256	/* longest user, password or token */

/* Find the Authorization header in the request head req (NUL-terminated,
 * lines ending in CRLF or LF) and decode it: a Bearer token into pass, or
 * Basic base64("user:password") into user and pass (HTTPAUTH_MAX bytes
 * each). Returns HTTPAUTH_*, or -1 when the header is malformed (bad
 * base64, no ':', too long, NUL or control bytes). */
int httpauth_parse(const char *req, char *user, char *pass);

#endif
