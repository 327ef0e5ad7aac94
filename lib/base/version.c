/* version.c -- the release every program answers -V with */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "version.h"

void
version_exit(const char *prog)
{
	printf("%s %s\n", prog, DADNS_VERSION);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_sys(EXIT_TEMP, "unable to write to stdout");
	exit(0);
}
