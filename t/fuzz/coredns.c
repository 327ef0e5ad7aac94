/* coredns.c -- libFuzzer target for lib/pipeline/coredns.c: zone texts to rows */
/* SPDX-License-Identifier: ISC */
/*
 * The first byte picks the zone name from a fixed list and the mode: zone
 * text (even) or one raw row (odd: hostname, type and data separated by
 * newlines). Invariants for a zone that converts: rows are sorted and
 * unique, fit the column sizes, and each one passes coredns_row_check();
 * a failure always comes with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coredns.h"

static const char *names[] = {
	"example.com", "2.0.192.in-addr.arpa", "a.b.c.d.example", "test",
	"_dmarc.example.com", "xn--bcher-kva.example",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_row(const char *zone, const uint8_t *data, size_t size)
{
	struct coredns_row r;
	char buf[4096], fqdn[300], err[512], *nl1, *nl2;

	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((nl1 = strchr(buf, '\n')) == NULL ||
	    (nl2 = strchr(nl1 + 1, '\n')) == NULL)
		return;
	*nl1 = *nl2 = '\0';
	r.hostname = buf;
	r.type = nl1 + 1;
	r.data = nl2 + 1;
	r.ttl = 300;
	strcpy(fqdn, zone);
	strcat(fqdn, ".");
	err[0] = '\0';
	if (coredns_row_check(fqdn, &r, NULL, err, sizeof(err)) < 0 &&
	    err[0] == '\0')
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct coredns_zone z;
	const char *zone;
	char err[512];
	size_t i;
	int mode;

	if (size < 1)
		return 0;
	zone = names[(data[0] >> 1) % (sizeof(names) / sizeof(names[0]))];
	mode = data[0] & 1;
	data++;
	size--;
	if (mode) {
		one_row(zone, data, size);
		return 0;
	}
	err[0] = '\0';
	if (coredns_zone_parse(&z, zone, (const char *)data, size, NULL, err,
	    sizeof(err)) < 0) {
		if (err[0] == '\0' || z.rows != NULL || z.nrows != 0)
			__builtin_trap();
		return 0;
	}
	if (z.nrows == 0 || strncmp(z.name, zone, strlen(zone)) != 0)
		__builtin_trap();
	for (i = 0; i < z.nrows; i++) {
		if (strlen(z.rows[i].hostname) > COREDNS_HOSTNAME_MAX ||
		    strlen(z.rows[i].type) > COREDNS_TYPE_MAX ||
		    strlen(z.rows[i].data) > COREDNS_DATA_MAX ||
		    z.rows[i].data[0] == '\0')
			__builtin_trap();
		if (i > 0 && coredns_row_cmp(&z.rows[i - 1], &z.rows[i]) >= 0)
			__builtin_trap();
		if (coredns_row_check(z.name, &z.rows[i], NULL, err,
		    sizeof(err)) < 0)
			__builtin_trap();
	}
	coredns_zone_free(&z);
	return 0;
}
