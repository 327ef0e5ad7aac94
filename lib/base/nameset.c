/* nameset.c -- a set of names, each with a few bits, by open addressing */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "nameset.h"

static char tomb[1];		/* a removed name's slot */

/* FNV-1a, 64 bits. */
static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of name, or the slot where it would go: the first tomb on
 * its way, else the empty slot that ended the search. s->cap > 0. */
static size_t
find(const struct nameset *s, const char *name)
{
	size_t i = fnv(name) & (s->cap - 1), grave = SIZE_MAX;

	for (; s->name[i] != NULL; i = (i + 1) & (s->cap - 1)) {
		if (s->name[i] == tomb) {
			if (grave == SIZE_MAX)
				grave = i;
		} else if (strcmp(s->name[i], name) == 0)
			return i;
	}
	return grave != SIZE_MAX ? grave : i;
}

/* The slot holding name, or SIZE_MAX. */
static size_t
lookup(const struct nameset *s, const char *name)
{
	size_t i;

	if (s->cap == 0)
		return SIZE_MAX;
	i = find(s, name);
	return s->name[i] != NULL && s->name[i] != tomb ? i : SIZE_MAX;
}

/* Make room for one more name at half load at most, dropping the tombs.
 * Returns 0, or -1 when out of memory. */
static int
grow(struct nameset *s)
{
	struct nameset t;
	size_t i, j;

	if ((s->used + 1) * 2 <= s->cap)
		return 0;
	t.cap = s->cap ? s->cap : 1024;
	while ((s->n + 1) * 4 > t.cap)
		t.cap *= 2;
	t.name = calloc(t.cap, sizeof(*t.name));
	t.bits = calloc(t.cap, sizeof(*t.bits));
	if (t.name == NULL || t.bits == NULL) {
		free(t.name);
		free(t.bits);
		return -1;
	}
	t.n = t.used = s->n;
	for (i = 0; i < s->cap; i++) {
		if (s->name[i] == NULL || s->name[i] == tomb)
			continue;
		j = find(&t, s->name[i]);
		t.name[j] = s->name[i];
		t.bits[j] = s->bits[i];
	}
	free(s->name);
	free(s->bits);
	*s = t;
	return 0;
}

int
nameset_add(struct nameset *s, const char *name, uint32_t bits)
{
	size_t i;
	char *copy;

	if ((i = lookup(s, name)) != SIZE_MAX) {
		s->bits[i] |= bits;
		return 0;
	}
	if (grow(s) < 0 || (copy = strdup(name)) == NULL)
		return -1;
	i = find(s, name);
	if (s->name[i] == NULL)
		s->used++;
	s->name[i] = copy;
	s->bits[i] = bits;
	s->n++;
	return 0;
}

int
nameset_has(const struct nameset *s, const char *name)
{
	return lookup(s, name) != SIZE_MAX;
}

uint32_t
nameset_get(const struct nameset *s, const char *name)
{
	size_t i = lookup(s, name);

	return i != SIZE_MAX ? s->bits[i] : 0;
}

const char *
nameset_next(const struct nameset *s, size_t *pos)
{
	const char *name;

	while (*pos < s->cap) {
		name = s->name[(*pos)++];
		if (name != NULL && name != tomb)
			return name;
	}
	return NULL;
}

void
nameset_del(struct nameset *s, const char *name)
{
	size_t i = lookup(s, name);

	if (i == SIZE_MAX)
		return;
	free(s->name[i]);
	s->name[i] = tomb;
	s->bits[i] = 0;
	s->n--;
}

void
nameset_free(struct nameset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->name[i] != tomb)
			free(s->name[i]);
	free(s->name);
	free(s->bits);
	memset(s, 0, sizeof(*s));
}
