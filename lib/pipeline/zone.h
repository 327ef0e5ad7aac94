/* zone.h -- zone names and zone texts: validation and normalisation */
/* SPDX-License-Identifier: ISC */
#ifndef ZONE_H
#define ZONE_H

#include <stddef.h>
#include <stdint.h>

#define ZONE_NAME_MAX	253	/* presentation form, no trailing dot */
#define ZONE_TEXT_MAX	(8 * 1024 * 1024)	/* largest zone text accepted */

struct zone_info {
	uint32_t	serial;		/* SOA serial */
	unsigned	nrr;		/* records, SOA included */
};

/* Normalise a zone name into out: one trailing dot removed, lower-cased.
 * Accepts only labels of 1-63 of [a-z0-9_-] (no leading or trailing
 * hyphen), 1+ labels, at most ZONE_NAME_MAX octets. Returns 0, or -1 with
 * *why set to a static message naming the fault. */
int zone_name_norm(const char *in, char out[ZONE_NAME_MAX + 1],
    const char **why);

/* The parent of a normalised name ("a.b.c" -> "b.c"), or NULL for a
 * single label. Points into name. */
const char *zone_parent(const char *name);

/*
 * Prepare a DirectAdmin zone text for zone name (normalised): prepend
 * "$ORIGIN name." and "$TTL 300" when the text has no such directive of
 * its own, then validate it as NSD would load it with name as origin:
 * exactly one SOA at the apex, every owner inside the zone, every name
 * at most 255 octets once the origin is appended, no $INCLUDE, numbers
 * in range, no unterminated quote, no CNAME beside other data.
 * On success returns 0 with *out (malloc'd, NUL-terminated) and *outlen
 * set and info filled. On failure returns -1 and writes a message naming
 * the line and the fault into err.
 */
int zone_prepare(const char *name, const char *text, size_t len,
    char **out, size_t *outlen, struct zone_info *info,
    char *err, size_t errlen);

/* RFC 1982 serial comparison: <0 when a is older than b, 0 equal, >0
 * newer. */
int zone_serial_cmp(uint32_t a, uint32_t b);

#endif
