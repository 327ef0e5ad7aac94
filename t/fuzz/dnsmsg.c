/* dnsmsg.c -- libFuzzer target for lib/dns/dnsmsg.c and lib/dns/pcache.c: parse
 * any packet as a query and as a response, walk its records, decompress
 * every name it could hold, build its cache key, strip its per-client
 * EDNS options, and round-trip it through a small packet cache */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "pcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pcache *cache;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pcache_opts o = { 86400, 0, 60, 3600, 4096 };
	uint8_t name[DNSMSG_NAME_MAX], key[DNSMSG_KEY_MAX], out[4096];
	uint8_t reply[4096 + 16], strip[4096];
	struct dnsmsg m, sm;
	struct dnsmsg_ttls t;
	const char *why = NULL;
	size_t end, klen, off, n, slen = 0;
	uint64_t h;
	int r, len;

	if (cache == NULL && (cache = pcache_new(64, &o)) == NULL)
		abort();
	/* Every offset as the start of a (possibly compressed) name. */
	for (off = 0; off < size && off < 512; off++) {
		len = dnsmsg_name_unpack(data, size, off, name, &end);
		if (len > DNSMSG_NAME_MAX || (len > 0 && (end > size ||
		    name[len - 1] != 0)))
			abort();
	}
	if (dnsmsg_parse(data, size, &m, &why) < 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (m.qend > size || m.qname_len > DNSMSG_NAME_MAX ||
	    m.qname_len < 1 || m.edns_size < 512)
		abort();
	klen = dnsmsg_key(data, &m, key);
	if (klen != (size_t)m.qname_len + 5)
		abort();
	h = dnsmsg_hash(key, klen, 1);
	if (dnsmsg_scan(data, size, &m, &t, &why) == 0) {
		size_t i;

		if (t.n > DNSMSG_TTL_MAX)
			abort();
		for (i = 0; i < t.n; i++)
			if ((size_t)t.off[i] + 4 > size)
				abort();
	}
	/* Without its per-client EDNS options: never longer, still a
	 * message that parses the same way. */
	if (size <= sizeof(strip)) {
		memcpy(strip, data, size);
		slen = size;
		if (dnsmsg_strip_opts(strip, &slen, &m) == 0) {
			if (slen > size || (slen < size &&
			    dnsmsg_parse(strip, slen, &sm, &why) < 0))
				abort();
		} else
			slen = 0;
	}
	/* Store it as an answer and read it back: the stripped bytes, modulo
	 * TTLs aged by 0 seconds. */
	if (size <= sizeof(out) && pcache_put(cache, h, key, klen, data, size,
	    &m, 1000) == 1) {
		r = pcache_get(cache, h, key, klen, 1000, out, sizeof(out));
		if (slen == 0 || r != (int)slen || memcmp(out, strip, slen) != 0)
			abort();
		r = pcache_get(cache, h, key, klen, 1001, out, sizeof(out));
		if (r != 0 && r != (int)slen)
			abort();
	}
	n = dnsmsg_reply(data, &m, reply, sizeof(reply), 5, 1, 0);
	if (n == 0 && (size_t)m.qend + 11 <= sizeof(reply))
		abort();
	if (n > 0 && dnsmsg_parse(reply, n, &m, &why) < 0)
		abort();
	return 0;
}
