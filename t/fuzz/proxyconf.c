/* proxyconf.c -- libFuzzer target for lib/dns/proxyconf.c: load any bytes as
 * app.yml; a failure must come with a message, a success with sane
 * values */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxyconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct proxyconf *pc;
	char err[1024];
	FILE *fp;
	size_t i;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/proxyconf-fuzz.%d.yml",
		    (int)getpid());
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return 0;
	err[0] = '\0';
	if (proxyconf_load(path, pc, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
	} else {
		if (pc->npools == 0 || pc->nlisten == 0 ||
		    pc->default_pool >= (int)pc->npools)
			abort();
		for (i = 0; i < pc->nbackends; i++)
			if (pc->backends[i].pool < 0 ||
			    pc->backends[i].pool >= (int)pc->npools)
				abort();
		for (i = 0; i < pc->nroutes; i++)
			if (pc->routes[i].pool < 0 ||
			    pc->routes[i].pool >= (int)pc->npools)
				abort();
	}
	proxyconf_free(pc);
	free(pc);
	return 0;
}
