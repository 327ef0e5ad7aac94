/* config.c -- libFuzzer target: app.yml text through config_load_buffer() */
/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[512];

	/* The environment must not steer the run: keep only the text. */
	if (getenv("DADNS_CONFIG") != NULL)
		unsetenv("DADNS_CONFIG");
	(void)config_load_buffer(&cfg, (const char *)data, size, "fuzz.yml",
	    err, sizeof(err));
	return 0;
}
