/* nameset.h -- a set of names, each with a few bits, by open addressing */
/* SPDX-License-Identifier: ISC */
#ifndef NAMESET_H
#define NAMESET_H

#include <stddef.h>
#include <stdint.h>

/* Zeroed, it is the empty set. */
struct nameset {
	char		**name;		/* NULL: empty; nameset's tomb: removed */
	uint32_t	*bits;
	size_t		 cap;		/* slots, a power of two */
	size_t		 n;		/* names */
	size_t		 used;		/* names and tombs */
};

/* Add name to s (a copy), or-ing bits into its bits. Returns 0, or -1
 * when out of memory (s unchanged). */
int nameset_add(struct nameset *s, const char *name, uint32_t bits);

/* Whether name is in s. */
int nameset_has(const struct nameset *s, const char *name);

/* The bits of name, 0 when it is not in s. */
uint32_t nameset_get(const struct nameset *s, const char *name);

/* The next name of s from slot *pos on (start with *pos = 0), *pos moved
 * past it; NULL when there is none. In no order; s unchanged meanwhile. */
const char *nameset_next(const struct nameset *s, size_t *pos);

/* Remove name from s, when there. */
void nameset_del(struct nameset *s, const char *name);

/* Free the names and slots of s; s is the empty set again. */
void nameset_free(struct nameset *s);

#endif
