/* namedlist.c -- libFuzzer target for the parse of zone-write-bind's zone
 * list */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "namedlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A list that parses has each zone once, sorted, findable, and its lines
 * are zone statements; taking every zone out leaves it empty. A list
 * refused says why.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct namedlist l = { 0 };
	char why[NAMEDLIST_WHY_MAX] = "";
	size_t i, n;

	if (namedlist_parse(&l, (const char *)data, size, why,
	    sizeof(why)) < 0) {
		if (why[0] == '\0' || l.n != 0)
			abort();
		return 0;
	}
	for (i = 0; i < l.n; i++) {
		if (strncmp(l.z[i].line, "zone \"", 6) != 0 ||
		    strchr(l.z[i].line, '\n') != NULL)
			abort();
		if (i > 0 && strcmp(l.z[i - 1].zone, l.z[i].zone) >= 0)
			abort();
		if (!namedlist_has(&l, l.z[i].zone))
			abort();
	}
	if (namedlist_put(&l, "fuzz.example", "{ type primary; };") < 0)
		abort();
	if (!namedlist_has(&l, "fuzz.example"))
		abort();
	n = l.n;
	while (l.n > 0)
		if (namedlist_del(&l, l.z[0].zone) != 1 || l.n != --n)
			abort();
	namedlist_free(&l);
	return 0;
}
