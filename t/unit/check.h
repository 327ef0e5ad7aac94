/* check.h -- the checks of the unit drivers under t/unit */
/* SPDX-License-Identifier: ISC */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* Failed checks, and checks made (some drivers print them). */
static int failures __attribute__((unused));
static int checks __attribute__((unused));

/* Count a failed cond, say where on stderr, and go on. */
#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__,\
		    #cond);						\
		failures++;						\
	}								\
} while (0)

/* Like CHECK(), but a failed cond ends the driver: what follows needs it. */
#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__,\
		    #cond);						\
		exit(1);						\
	}								\
} while (0)

#endif
