/* job.c -- unit driver for lib/pipeline/job.c: prints one line per failed check */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "job.h"

static void
expect_reject(const char *buf, const char *want)
{
	struct job j;
	const char *why = "";

	if (job_parse(buf, strlen(buf), &j, &why) == 0) {
		failures++;
		printf("FAIL accepted: %s\n", buf);
	} else if (strstr(why, want) == NULL) {
		failures++;
		printf("FAIL wrong reason '%s' (want '%s') for: %s\n", why,
		    want, buf);
	}
}

int
main(void)
{
	struct job in, out;
	const char *why = NULL, *zone;
	char *buf, name[320];
	size_t len;
	uint64_t seq;

	memset(&in, 0, sizeof(in));
	in.action = JOB_SAVE;
	strcpy(in.zone, "example.com");
	strcpy(in.hostname, "s1.example.net");
	strcpy(in.username, "fred");
	in.seq = 42;
	in.pushed_us = 1700000000123456LL;
	in.serial = 4294967295u;
	in.text = "$TTL 300\n@ SOA a. b. 1 2 3 4 5\n";
	in.textlen = strlen(in.text);
	buf = job_format(&in, &len);
	CHECK(buf != NULL);
	CHECK(job_parse(buf, len, &out, &why) == 0);
	CHECK(out.action == JOB_SAVE && out.seq == 42 &&
	    out.serial == 4294967295u && out.pushed_us == in.pushed_us);
	CHECK(strcmp(out.zone, "example.com") == 0);
	CHECK(strcmp(out.hostname, "s1.example.net") == 0);
	CHECK(strcmp(out.username, "fred") == 0);
	CHECK(out.textlen == in.textlen &&
	    memcmp(out.text, in.text, in.textlen) == 0);
	/* A job cut short by a crash is detected, not applied. */
	CHECK(job_parse(buf, len - 1, &out, &why) == -1);
	CHECK(why != NULL && strstr(why, "truncated") != NULL);
	free(buf);

	in.action = JOB_DELETE;
	in.hostname[0] = '\0';
	buf = job_format(&in, &len);
	CHECK(buf != NULL && job_parse(buf, len, &out, &why) == 0);
	CHECK(out.action == JOB_DELETE && out.text == NULL &&
	    out.hostname[0] == '\0');
	free(buf);

	in.action = JOB_SAVE;
	strcpy(in.hostname, "has space");
	CHECK(job_format(&in, &len) == NULL);

	CHECK(job_name(&in, name, sizeof(name)) == 0);
	CHECK(strcmp(name, "0000000000000042_example.com") == 0);
	CHECK(job_name_parse(name, &seq, &zone) == 0 && seq == 42 &&
	    strcmp(zone, "example.com") == 0);
	CHECK(job_name_parse("00000000000000x2_a", &seq, &zone) == -1);
	CHECK(job_name_parse("0000000000000042_", &seq, &zone) == -1);
	CHECK(job_name_parse(".0000000000000042_a", &seq, &zone) == -1);
	CHECK(job_name(&in, name, 10) == -1);
	/* A name past JOB_KEY_ZONE_MAX octets: 64 of them, '=', SHA-256. */
	memset(in.zone, 'a', 253);
	in.zone[253] = '\0';
	CHECK(job_name(&in, name, sizeof(name)) == 0);
	CHECK(strlen(name) == 16 + 1 + 64 + 1 + 64 && name[16 + 1 + 64] == '=');
	CHECK(job_name_parse(name, &seq, &zone) == 0 && seq == 42 &&
	    strncmp(zone, in.zone, 64) == 0);
	strcpy(in.zone, "example.com");

	expect_reject("", "missing blank line");
	expect_reject("v 1\na save\nz a.test\ns 1\nl 3\n\nab", "truncated");
	expect_reject("v 2\na delete\nz a.test\n\n", "version");
	expect_reject("v 1\na move\nz a.test\n\n", "unknown action");
	expect_reject("v 1\na delete\nz a.test\nz b.test\n\n", "repeated");
	expect_reject("v 1\na delete\nZ a.test\n\n", "unknown");
	expect_reject("v 1\na delete\n\n", "missing zone");
	expect_reject("v 1\nz a.test\n\n", "missing action");
	expect_reject("a delete\nz a.test\n\n", "missing version");
	expect_reject("v 1\na delete\nz a.test\n\nxx", "delete job with text");
	expect_reject("v 1\na delete\nz a.test\ns 7\n\n", "delete job with a serial");
	expect_reject("v 1\na delete\nz a.test\nq 10000000000000000\n\n",
	    "invalid sequence (at most 16 digits)");
	expect_reject("v 1\na save\nz a.test\nl 2\n\nab", "serial");
	expect_reject("v 1\na save\nz a.test\ns 4294967296\nl 2\n\nab",
	    "invalid serial");
	expect_reject("v 1\na save\nz a.test\ns 1\nl 99999999999\n\nab",
	    "text length");
	expect_reject("v 1\na delete\nz a\ttest\n\n", "invalid zone");
	expect_reject("v 1\na delete\nq -1\nz a.test\n\n", "sequence");
	expect_reject("v 1\na delete\nz a.test", "without newline");
	expect_reject("v1\na delete\nz a.test\n\n", "malformed");

	if (failures == 0)
		printf("ok\n");
	return failures != 0;
}
