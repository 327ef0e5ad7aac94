/* dnsq.c -- libFuzzer target: any bytes through dnsq_parse() */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dnsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The first byte picks the zone asked for; the rest is the answer, whose
 * own id is expected so the parser gets past the header. */
static const char *const zones[] = {
	"example.com", "pre000001.bench.test", "gone.example", "a",
	"EXAMPLE.COM.",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsq_result r;
	const char *why = NULL;
	uint16_t id;

	if (size < 3)
		return 0;
	id = (uint16_t)(data[1] << 8 | data[2]);
	if (dnsq_parse(data + 1, size - 1, id, zones[data[0] %
	    (sizeof(zones) / sizeof(zones[0]))], &r, &why) == 0) {
		/* What an accepted answer promises. */
		if (r.status == DNSQ_SOA && (!r.aa || r.rcode != 0))
			abort();
		if (r.status != DNSQ_SOA && r.status != DNSQ_OTHER)
			abort();
	} else if (why == NULL)
		abort();
	return 0;
}
