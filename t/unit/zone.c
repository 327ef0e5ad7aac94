/* zone.c -- unit driver for lib/pipeline/zone.c: names, zone texts, serials */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "zone.h"

#define USAGE "zone [-b] [-n count] name NAME | parent NAME | " \
	"prepare ZONE | info ZONE | cmp A B | -b ZONE"

static void
usage(void)
{
	fprintf(stderr, "zone: usage: %s\n", USAGE);
	exit(100);
}

/* All of stdin, cut a little past what zone_prepare() accepts, so that its
 * own refusal of a larger text shows. */
static char *
slurp(size_t *lenp)
{
	struct buf b = { 0 };
	size_t n = 1;

	while (n > 0 && b.len <= ZONE_TEXT_MAX &&
	    buf_reserve(&b, 65536) == 0) {
		n = fread(b.p + b.len, 1, 65536, stdin);
		b.len += n;
		b.p[b.len] = '\0';
	}
	if (b.oom || ferror(stdin)) {
		fprintf(stderr, "zone: fatal: unable to read stdin\n");
		exit(111);
	}
	*lenp = b.len;
	return b.p;
}

static int
bench(const char *zone, long count)
{
	struct zone_info info;
	char err[512], *out, norm[ZONE_NAME_MAX + 1];
	const char *why;
	size_t len, outlen;
	long long t0, t1;
	char *text;
	long i;

	text = slurp(&len);
	if (zone_prepare(zone, text, len, &out, &outlen, &info, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "zone: %s\n", err);
		return 100;
	}
	free(out);
	t0 = clock_us();
	for (i = 0; i < count; i++) {
		if (zone_prepare(zone, text, len, &out, &outlen, &info, err,
		    sizeof(err)) == -1)
			return 111;
		free(out);
	}
	t1 = clock_us();
	printf("zone_prepare: %.1f us/call (%ld calls, %zu bytes, "
	    "%u records)\n", (double)(t1 - t0) / count, count, len, info.nrr);
	t0 = clock_us();
	for (i = 0; i < count * 10; i++)
		if (zone_name_norm("Mail.Example-Shop.CO.UK.", norm, &why) == -1)
			return 111;
	t1 = clock_us();
	printf("zone_name_norm: %.3f us/call\n",
	    (double)(t1 - t0) / (count * 10));
	free(text);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct zone_info info;
	char norm[ZONE_NAME_MAX + 1], err[1024], *text, *out, *end;
	const char *why, *p;
	size_t len, outlen;
	long count = 2000;
	int c, bflag = 0, r;
	unsigned long a, b;

	while ((c = getopt(argc, argv, "bn:")) != -1) {
		switch (c) {
		case 'b':
			bflag = 1;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (bflag) {
		if (argc != 1)
			usage();
		return bench(argv[0], count);
	}
	if (argc < 2)
		usage();
	if (strcmp(argv[0], "name") == 0 && argc == 2) {
		if (zone_name_norm(argv[1], norm, &why) == -1) {
			fprintf(stderr, "zone: %s\n", why);
			return 100;
		}
		printf("%s\n", norm);
		return 0;
	}
	if (strcmp(argv[0], "parent") == 0 && argc == 2) {
		if ((p = zone_parent(argv[1])) == NULL)
			return 1;
		printf("%s\n", p);
		return 0;
	}
	if (strcmp(argv[0], "cmp") == 0 && argc == 3) {
		a = strtoul(argv[1], &end, 10);
		if (*end != '\0' || a > UINT32_MAX)
			usage();
		b = strtoul(argv[2], &end, 10);
		if (*end != '\0' || b > UINT32_MAX)
			usage();
		r = zone_serial_cmp((uint32_t)a, (uint32_t)b);
		printf("%d\n", r < 0 ? -1 : r > 0);
		return 0;
	}
	if ((strcmp(argv[0], "prepare") == 0 || strcmp(argv[0], "info") == 0)
	    && argc == 2) {
		text = slurp(&len);
		if (zone_prepare(argv[1], text, len, &out, &outlen, &info, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "zone: %s\n", err);
			free(text);
			return 100;
		}
		if (argv[0][0] == 'p')
			fwrite(out, 1, outlen, stdout);
		else
			printf("serial=%u records=%u\n", info.serial,
			    info.nrr);
		free(out);
		free(text);
		return fflush(stdout) == 0 ? 0 : 111;
	}
	usage();
	return 100;
}
