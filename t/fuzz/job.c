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
	const char *why, *key;
	char *buf, name[JOB_FILE_NAME_MAX + 1], want[JOB_KEY_MAX + 1];
	uint64_t seq;
	size_t len;

	if (job_parse((const char *)data, size, &job, &why) < 0)
		return 0;
	/* Every zone that parses has a bounded file name that splits back
	 * into its sequence and its zone's key. */
	if (job_name(&job, name, sizeof(name)) < 0 ||
	    job_name_parse(name, &seq, &key) < 0 || seq != job.seq ||
	    job_name_key(job.zone, want, sizeof(want)) < 0 ||
	    strcmp(key, want) != 0)
		abort();
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
