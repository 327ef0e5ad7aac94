/* json.h -- a small strict JSON (RFC 8259) parser into a tree */
/* SPDX-License-Identifier: ISC */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#define JSON_DEPTH_MAX	64	/* nesting deeper than this is refused */

enum json_type {
	JSON_NULL = 0, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT
};

/*
 * One value. Strings are decoded (escapes resolved to UTF-8, "\u0000"
 * refused) and NUL-terminated; numbers keep their text in str. An
 * object's members are its kids, each with its name in key (duplicates
 * are kept, in order); an array's elements are its kids with key NULL.
 */
struct json {
	enum json_type	 type;
	char		*key;
	char		*str;		/* JSON_STRING, JSON_NUMBER */
	size_t		 len;		/* of str */
	struct json	*kids;
	size_t		 nkids;
};

/* Parse the one JSON value in buf[0..len) (white space around it is
 * allowed, nothing else). Returns the tree (free it with json_free()), or
 * NULL with *why set to a static message (also on ENOMEM). */
struct json *json_parse(const char *buf, size_t len, const char **why);

/* Free a tree json_parse() returned (NULL is fine). */
void json_free(struct json *v);

/* The first member of object obj named key, or NULL (also when obj is not
 * an object). */
const struct json *json_get(const struct json *obj, const char *key);

/* The integer a number without fraction or exponent, or a string of such
 * a number, holds (as Python's int() reads DirectAdmin's "3"). Returns 0
 * with *out set, or -1 when v is neither or out of range. */
int json_int(const struct json *v, long long *out);

#endif
