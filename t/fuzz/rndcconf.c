/* rndcconf.c -- libFuzzer target for the rndc.conf parser */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rndcconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rndcconf c;
	char why[512];

	if (size > RNDCCONF_FILE_MAX)
		return 0;
	memset(&c, 0, sizeof(c));
	why[0] = '\0';
	/* No include: the parser reads no file here. */
	if (rndcconf_parse(&c, (const char *)data, size, "fuzz.conf", 0, why,
	    sizeof(why)) < 0) {
		if (why[0] == '\0')
			abort();
		return 0;
	}
	/* A settled configuration has a server, a port and a key. */
	if (c.server[0] == '\0' || c.port < 1 || c.port > 65535 ||
	    c.keyname[0] == '\0' || c.key.len < 1 ||
	    c.key.len > RNDCMSG_SECRET_MAX ||
	    strcmp(rndcmsg_alg_name(c.key.alg), "unknown") == 0)
		abort();
	return 0;
}
