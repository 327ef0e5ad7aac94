/* daclient.c -- libFuzzer target for the DirectAdmin listing parsers
 * (JSON pages, legacy list[]= form) and the JSON parser under them */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daclient.h"
#include "json.h"
#include "zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_name(void *arg, const char *domain)
{
	char norm[ZONE_NAME_MAX + 1];
	const char *why;

	(void)arg;
	/* Every name handed out is already normalised. */
	if (zone_name_norm(domain, norm, &why) < 0 ||
	    strcmp(norm, domain) != 0)
		abort();
	return 0;
}

/* Walk a tree: every string is NUL-terminated at its length. */
static void
walk(const struct json *v)
{
	size_t i;

	if ((v->type == JSON_STRING || v->type == JSON_NUMBER) &&
	    strlen(v->str) > v->len)
		abort();
	for (i = 0; i < v->nkids; i++) {
		if ((v->type == JSON_OBJECT) != (v->kids[i].key != NULL))
			abort();
		walk(&v->kids[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daclient_stats st;
	struct json *doc;
	const char *why;
	long long pages, n;
	char err[256];

	memset(&st, 0, sizeof(st));
	daclient_parse((const char *)data, size, check_name, NULL, &pages,
	    &st, err, sizeof(err));
	if ((doc = json_parse((const char *)data, size, &why)) != NULL) {
		walk(doc);
		json_int(json_get(doc, "info"), &n);
		json_free(doc);
	}
	return 0;
}
