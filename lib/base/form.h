/* form.h -- application/x-www-form-urlencoded: parse query strings and
 * bodies, encode replies as Python's urlencode() does */
/* SPDX-License-Identifier: ISC */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

#define FORM_PAIRS_MAX	256	/* parameters accepted in one form */

struct form_pair {
	const char	*key;		/* decoded, NUL-terminated */
	const char	*val;		/* decoded, NUL-terminated */
	size_t		 vallen;
};

struct form {
	struct form_pair *pairs;
	size_t		 n;
	char		*buf;		/* the decoded keys, values */
};

/*
 * Parse s[0..len) as key=value pairs separated by '&': '+' decodes to a
 * space, %XX to the byte XX, a pair without '=' has the value "", empty
 * pairs are skipped, repeated keys are kept in order. At most maxpairs
 * pairs. Returns 0 with f filled (release it with form_free()), or -1 with
 * *why set to a static message ("bad percent escape", "NUL byte",
 * "too many parameters", "out of memory") and f empty.
 */
int form_parse(struct form *f, const char *s, size_t len, size_t maxpairs,
    const char **why);

/* Decode s[0..len) in place as Python's unquote_plus() does: '+' is a
 * blank, %XX a byte, a malformed escape stays as it is. Returns the new
 * length (not terminated). For answers of other servers, where leniency
 * is right; requests go through form_parse(). */
size_t form_unquote(char *s, size_t len);

/* Release what form_parse() allocated; f is empty afterwards. */
void form_free(struct form *f);

/* The value of the first pair named key (exact, case-sensitive), or NULL.
 * f may be NULL or empty. */
const char *form_get(const struct form *f, const char *key);

/* The pair named key as form_get() finds it, or NULL. */
const struct form_pair *form_find(const struct form *f, const char *key);

/*
 * Encode s[0..len) as Python's quote_plus(): letters, digits and "_.-~"
 * stay, a space becomes '+', every other byte %XX (upper-case hex). Writes
 * at most size bytes including a NUL into dst (nothing when size is 0).
 * Returns the length of the whole encoding, not counting the NUL, so a
 * return >= size means dst was too small.
 */
size_t form_encode(char *dst, size_t size, const char *s, size_t len);

/*
 * Build a reply like Python's urlencode() of an ordered dict into buf:
 * the arguments are key, value, key, value..., then NULL; each key and
 * value is encoded with form_encode() and the pairs joined by '&'.
 * Returns the length written (buf NUL-terminated), or -1 when size is too
 * small.
 */
int form_reply(char *buf, size_t size, ...) __attribute__((sentinel));

#endif
