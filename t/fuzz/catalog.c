/* catalog.c -- libFuzzer target for the catalog zone reader */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **m = NULL, **again = NULL, *text;
	const char *why;
	uint32_t serial = 0, s2 = 0;
	size_t len;
	long n, n2, i;

	if ((n = catalog_members((const char *)data, size, &m, &serial,
	    &why)) < 0)
		return 0;
	/* What reads must render back to the same members and serial. */
	if ((text = catalog_text("catalog.invalid", serial, m, (size_t)n,
	    &len)) == NULL) {
		catalog_free(m, (size_t)n);
		return 0;
	}
	n2 = catalog_members(text, len, &again, &s2, &why);
	if (n2 != n || s2 != serial)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(m[i], again[i]) != 0)
			abort();
	catalog_free(again, (size_t)n2);
	catalog_free(m, (size_t)n);
	free(text);
	return 0;
}
