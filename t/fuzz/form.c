/* form.c -- libFuzzer target for lib/base/form.c: parse any input, and check
 * that every decoded pair survives form_reply() and a second parse */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f, g;
	const char *why;
	char *buf;
	size_t i, cap, n;
	int len;

	if (form_parse(&f, (const char *)data, size, FORM_PAIRS_MAX, &why) <
	    0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (f.n > FORM_PAIRS_MAX)
		abort();
	/* Re-encode each pair alone and parse it back. */
	for (i = 0; i < f.n; i++) {
		n = strlen(f.pairs[i].key);
		if (strlen(f.pairs[i].val) != f.pairs[i].vallen)
			abort();
		cap = 3 * (n + f.pairs[i].vallen) + 2;
		if ((buf = malloc(cap)) == NULL)
			return 0;
		len = form_reply(buf, cap, f.pairs[i].key, f.pairs[i].val,
		    (char *)NULL);
		if (len < 0 || (size_t)len != strlen(buf))
			abort();
		/* One byte less must be refused, never overflow. */
		if (form_reply(buf, (size_t)len, f.pairs[i].key,
		    f.pairs[i].val, (char *)NULL) != -1)
			abort();
		len = form_reply(buf, cap, f.pairs[i].key, f.pairs[i].val,
		    (char *)NULL);
		if (form_parse(&g, buf, (size_t)len, 1, &why) < 0)
			abort();
		if (g.n != 1 || strcmp(g.pairs[0].key, f.pairs[i].key) != 0 ||
		    g.pairs[0].vallen != f.pairs[i].vallen ||
		    memcmp(g.pairs[0].val, f.pairs[i].val,
		    f.pairs[i].vallen) != 0) {
			/* An empty key with an empty value encodes as "=",
			 * which parses back as one pair; anything else is a
			 * round-trip failure. */
			abort();
		}
		form_free(&g);
		free(buf);
	}
	if (f.n > 0 && form_get(&f, f.pairs[0].key) != f.pairs[0].val)
		abort();
	form_free(&f);
	return 0;
}
