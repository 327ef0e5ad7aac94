/* zone.c -- libFuzzer target for lib/pipeline/zone.c: names and zone texts */
/* SPDX-License-Identifier: ISC */
/*
 * The first byte picks the zone name: below 0x80 one of a fixed list,
 * otherwise its low six bits give the length of a name taken from the
 * following bytes and run through zone_name_norm(). The rest is the
 * zone text. Invariants checked: normalising is idempotent; a prepared
 * text is NUL-free, ends with the input verbatim, and prepares again to
 * itself with the same serial and record count.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zone.h"

static const char *names[] = {
	"example.com", "a.b.c.d.example", "_dmarc.example.com", "test",
	"xn--bcher-kva.example", "sub.example.com",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const uint8_t *p, size_t n, char out[ZONE_NAME_MAX + 1])
{
	char in[64], again[ZONE_NAME_MAX + 1];
	const char *why;

	memcpy(in, p, n);
	in[n] = '\0';
	if (zone_name_norm(in, out, &why) == -1) {
		if (why == NULL || *why == '\0')
			__builtin_trap();
		out[0] = '\0';
		return;
	}
	if (zone_name_norm(out, again, &why) == -1 ||
	    strcmp(out, again) != 0)
		__builtin_trap();
	(void)zone_parent(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[ZONE_NAME_MAX + 1], err[256], err2[256], *out, *out2;
	const char *zone, *text;
	struct zone_info info, info2;
	size_t n, len, outlen, outlen2;

	if (size < 1)
		return 0;
	if (data[0] < 0x80) {
		zone = names[data[0] % (sizeof(names) / sizeof(names[0]))];
		data++;
		size--;
	} else {
		n = data[0] & 0x3f;
		if (n > size - 1)
			n = size - 1;
		check_name(data + 1, n, name);
		zone = name[0] != '\0' ? name : "example.com";
		data += 1 + n;
		size -= 1 + n;
	}
	if (size >= 8)
		(void)zone_serial_cmp(data[0] | data[1] << 8 |
		    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24,
		    data[4] | data[5] << 8 | (uint32_t)data[6] << 16 |
		    (uint32_t)data[7] << 24);
	text = (const char *)data;
	len = size;
	if (zone_prepare(zone, text, len, &out, &outlen, &info, err,
	    sizeof(err)) == -1) {
		if (out != NULL || err[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (strlen(out) != outlen || outlen < len ||
	    memcmp(out + outlen - len, text, len) != 0)
		__builtin_trap();
	if (zone_prepare(zone, out, outlen, &out2, &outlen2, &info2, err2,
	    sizeof(err2)) == -1 || outlen2 != outlen ||
	    memcmp(out, out2, outlen) != 0 || info.serial != info2.serial ||
	    info.nrr != info2.nrr)
		__builtin_trap();
	free(out2);
	free(out);
	return 0;
}
