/* nameset.c -- unit checks of lib/base/nameset.c: adding, finding,
 * removing and listing names, through growth and removed slots */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nameset.h"

#define N	50000

static void
name(char *out, size_t len, int i)
{
	snprintf(out, len, "zone%d.example", i);
}

int
main(void)
{
	struct nameset s = { 0 };
	char buf[64];
	const char *z;
	size_t pos = 0, seen = 0;
	int i;

	CHECK(!nameset_has(&s, "a.example"));
	CHECK(nameset_get(&s, "a.example") == 0);
	CHECK(nameset_next(&s, &pos) == NULL);
	nameset_del(&s, "a.example");

	for (i = 0; i < N; i++) {
		name(buf, sizeof(buf), i);
		CHECK(nameset_add(&s, buf, 1u << (i % 3)) == 0);
	}
	CHECK(s.n == N);
	/* Adding again or-s the bits and adds no name. */
	CHECK(nameset_add(&s, "zone7.example", 4) == 0);
	CHECK(s.n == N);
	CHECK(nameset_get(&s, "zone7.example") == (2 | 4));
	CHECK(nameset_get(&s, "zone9.example") == 1);
	CHECK(!nameset_has(&s, "zone50000.example"));

	/* Remove the odd ones: the even ones are still found past the
	 * removed slots, and removed names come back with fresh bits. */
	for (i = 1; i < N; i += 2) {
		name(buf, sizeof(buf), i);
		nameset_del(&s, buf);
	}
	CHECK(s.n == N / 2);
	for (i = 0; i < N; i++) {
		name(buf, sizeof(buf), i);
		CHECK(nameset_has(&s, buf) == (i % 2 == 0));
	}
	CHECK(nameset_add(&s, "zone7.example", 1) == 0);
	CHECK(nameset_get(&s, "zone7.example") == 1);
	CHECK(s.n == N / 2 + 1);

	/* Many more removals and additions than slots: tombs are reused or
	 * swept, the set keeps working. */
	for (i = 0; i < 4 * N; i++) {
		CHECK(nameset_add(&s, "churn.example", 1) == 0);
		nameset_del(&s, "churn.example");
	}
	CHECK(!nameset_has(&s, "churn.example"));
	CHECK(s.n == N / 2 + 1);

	/* Listing returns each name once. */
	while ((z = nameset_next(&s, &pos)) != NULL) {
		CHECK(strncmp(z, "zone", 4) == 0);
		i = atoi(z + 4);
		CHECK(i % 2 == 0 || i == 7);
		seen++;
	}
	CHECK(seen == N / 2 + 1);

	nameset_free(&s);
	CHECK(s.n == 0 && s.cap == 0 && !nameset_has(&s, "zone0.example"));
	if (failures > 0)
		return 1;
	puts("ok");
	return 0;
}
