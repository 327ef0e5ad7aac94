/* knotctl.c -- libFuzzer target for the parse of knotd's control answers */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "knotctl.h"
#include "zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input is answer units, one per line, their fields separated by
 * tabs in knotd's order (cmd, flags, error, section, item, id, zone,
 * owner, ttl, type, data, filter); an empty field is absent.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knotctl_zone z[3] = {
		{ .zone = "example.com" }, { .zone = "a.b.example" },
		{ .zone = "x" }
	};
	const char *d[KNOTCTL_FIELDS];
	char *buf, *line, *next, *f, why[KNOTCTL_WHY_MAX] = "";
	char zone[ZONE_NAME_MAX + 1], again[ZONE_NAME_MAX + 1];
	const char *w;
	size_t i;
	int r;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		memset(d, 0, sizeof(d));
		for (i = 0, f = line; f != NULL && i < KNOTCTL_FIELDS; i++) {
			char *tab = strchr(f, '\t');

			if (tab != NULL)
				*tab++ = '\0';
			d[i] = *f != '\0' ? f : NULL;
			f = tab;
		}
		r = knotctl_take(d, z, 3, why, sizeof(why));
		if (r != (d[KNOTCTL_ERROR] != NULL))
			abort();
		r = knotctl_template_unit(d, "dadns", zone, sizeof(zone));
		/* A zone taken is a normalised, valid name. */
		if (r == 1 && (zone_name_norm(zone, again, &w) < 0 ||
		    strcmp(zone, again) != 0))
			abort();
		if (r < -1 || r > 1)
			abort();
	}
	for (i = 0; i < 3; i++)
		if (strlen(z[i].why) >= sizeof(z[i].why))
			abort();
	free(buf);
	return 0;
}
