/* job.c -- libFuzzer target for the job file parser */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job job, again;
	const char *why;
	char *buf;
	size_t len;

	if (job_parse((const char *)data, size, &job, &why) < 0)
		return 0;
	/* What parses must format back to something that parses the same. */
	buf = job_format(&job, &len);
	if (buf == NULL)
		return 0;
	if (job_parse(buf, len, &again, &why) < 0 ||
	    again.action != job.action || strcmp(again.zone, job.zone) != 0 ||
	    again.textlen != job.textlen || again.serial != job.serial)
		abort();
	free(buf);
	return 0;
}
