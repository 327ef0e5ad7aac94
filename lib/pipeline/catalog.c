/* catalog.c -- the RFC 9432 catalog zone (version 2): labels, text, members */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "hash.h"
#include "zone.h"

#define HEAD	"; the catalog zone of dadns (RFC 9432, version 2): one PTR" \
		" per zone\n"
#define SOA_PFX	"@\t0\tIN\tSOA\tinvalid. invalid. "
#define SOA_END	" 3600 600 2147483646 0\n"
#define PTR_MID	".zones\t0\tIN\tPTR\t"

void
catalog_label(const char *zone, char out[CATALOG_LABEL_LEN + 1])
{
	char hex[HASH_HEX_LEN + 1];

	hash_hex(zone, strlen(zone), hex);
	memcpy(out, hex, CATALOG_LABEL_LEN);
	out[CATALOG_LABEL_LEN] = '\0';
}

char *
catalog_text(const char *name, uint32_t serial, char *const members[],
    size_t n, size_t *lenp)
{
	char label[CATALOG_LABEL_LEN + 1];
	struct buf b = { 0 };
	size_t i;

	buf_reserve(&b, 256 + n * (CATALOG_LABEL_LEN + 40));
	buf_printf(&b, HEAD "$ORIGIN %s.\n$TTL 0\n" SOA_PFX "%" PRIu32
	    SOA_END "@\t0\tIN\tNS\tinvalid.\nversion\t0\tIN\tTXT\t\"2\"\n",
	    name, serial);
	for (i = 0; i < n; i++) {
		catalog_label(members[i], label);
		buf_printf(&b, "%s" PTR_MID "%s.\n", label, members[i]);
	}
	if (b.oom) {
		buf_free(&b);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
catalog_digest(const char *name, char *const members[], size_t n,
    char out[65])
{
	struct buf b = { 0 };
	char **v;
	size_t i;

	/* Sorted first: the same members give the same digest. */
	if ((v = malloc((n + 1) * sizeof(*v))) != NULL && n > 0) {
		memcpy(v, members, n * sizeof(*v));
		qsort(v, n, sizeof(*v), name_cmp);
	}
	buf_printf(&b, "%s\n", name);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\n", v != NULL ? v[i] : members[i]);
	/* Out of memory: a digest nothing equals, so the catalog is
	 * written again rather than taken as current. */
	if (b.oom || v == NULL)
		snprintf(out, 65, "%064d", 0);
	else
		hash_hex(b.p, b.len, out);
	free(v);
	buf_free(&b);
}

void
catalog_free(char **members, size_t n)
{
	size_t i;

	if (members == NULL)
		return;
	for (i = 0; i < n; i++)
		free(members[i]);
	free(members);
}

/* One member line "<label>.zones\t0\tIN\tPTR\t<zone>.": the zone into
 * out. Returns 0, or -1 with *why set. */
static int
member_line(const char *p, size_t len, char out[ZONE_NAME_MAX + 1],
    const char **why)
{
	char label[CATALOG_LABEL_LEN + 1], raw[ZONE_NAME_MAX + 2];
	const char *zwhy, *t;
	size_t mid = sizeof(PTR_MID) - 1, tlen;

	if (len < CATALOG_LABEL_LEN + mid + 2 ||
	    memcmp(p + CATALOG_LABEL_LEN, PTR_MID, mid) != 0) {
		*why = "malformed member line";
		return -1;
	}
	t = p + CATALOG_LABEL_LEN + mid;
	tlen = len - CATALOG_LABEL_LEN - mid;
	if (t[tlen - 1] != '.' || tlen - 1 > ZONE_NAME_MAX) {
		*why = "member name not absolute or too long";
		return -1;
	}
	memcpy(raw, t, tlen - 1);
	raw[tlen - 1] = '\0';
	if (zone_name_norm(raw, out, &zwhy) < 0 || strcmp(raw, out) != 0) {
		*why = "invalid member name";
		return -1;
	}
	catalog_label(out, label);
	if (memcmp(label, p, CATALOG_LABEL_LEN) != 0) {
		*why = "member label does not match its name";
		return -1;
	}
	return 0;
}

/* The serial of the SOA line p[0..len). Returns 0, or -1. */
static int
soa_line(const char *p, size_t len, uint32_t *serial)
{
	size_t pfx = sizeof(SOA_PFX) - 1, i;
	uint64_t v = 0;

	if (len <= pfx || memcmp(p, SOA_PFX, pfx) != 0)
		return -1;
	for (i = pfx; i < len && p[i] >= '0' && p[i] <= '9'; i++)
		if ((v = v * 10 + (uint64_t)(p[i] - '0')) > UINT32_MAX)
			return -1;
	if (i == pfx || i == len || p[i] != ' ')
		return -1;
	*serial = (uint32_t)v;
	return 0;
}

/* Lines that are neither members nor the SOA but belong. */
static int
known_line(const char *p, size_t len)
{
	static const char *const pfx[] = { ";", "$ORIGIN ", "$TTL ",
	    "@\t0\tIN\tNS\tinvalid.", "version\t0\tIN\tTXT\t\"2\"" };
	size_t i, n;

	if (len == 0)
		return 1;
	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		n = strlen(pfx[i]);
		if (len >= n && memcmp(p, pfx[i], n) == 0)
			return 1;
	}
	return 0;
}

long
catalog_members(const char *text, size_t len, char ***members,
    uint32_t *serial, const char **why)
{
	char zone[ZONE_NAME_MAX + 1], **v = NULL, **nv;
	const char *p = text, *end = text + len, *nl;
	size_t n = 0, cap = 0, l;
	int soa = 0;

	*members = NULL;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			*why = "last line without newline";
			goto fail;
		}
		l = (size_t)(nl - p);
		if (memchr(p, '\0', l) != NULL) {
			*why = "NUL byte";
			goto fail;
		}
		if (soa_line(p, l, serial) == 0) {
			if (soa++) {
				*why = "more than one SOA";
				goto fail;
			}
		} else if (!known_line(p, l)) {
			if (member_line(p, l, zone, why) < 0)
				goto fail;
			if (n == CATALOG_MEMBERS_MAX) {
				*why = "too many members";
				goto fail;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((nv = reallocarray(v, cap,
				    sizeof(*v))) == NULL)
					goto nomem;
				v = nv;
			}
			if ((v[n] = strdup(zone)) == NULL)
				goto nomem;
			n++;
		}
		p = nl + 1;
	}
	if (!soa) {
		*why = "no SOA record";
		goto fail;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), name_cmp);
	for (l = 1; l < n; l++)
		if (strcmp(v[l - 1], v[l]) == 0) {
			*why = "a member listed twice";
			goto fail;
		}
	*members = v;
	return (long)n;
nomem:
	*why = "out of memory";
	errno = ENOMEM;
fail:
	catalog_free(v, n);
	return -1;
}
