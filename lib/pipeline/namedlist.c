/* namedlist.c -- the zone list named.conf includes: zones a bulk load put
 * there, one zone statement a line */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "io.h"
#include "namedlist.h"
#include "zone.h"
#include "zonefile.h"

#define HEADER	"// Zones of a bulk load, written by zone-write-bind: do " \
	"not edit.\n// named.conf includes this file; see " \
	"zone-write-bind(8).\n"

static int
zone_cmp(const void *a, const void *b)
{
	const struct namedlist_zone *x = a, *y = b;

	return strcmp(x->zone, y->zone);
}

static void
sort(struct namedlist *l)
{
	if (!l->sorted && l->n > 1)
		qsort(l->z, l->n, sizeof(*l->z), zone_cmp);
	l->sorted = 1;
}

/* The index of zone in l, or -1. */
static long
find(struct namedlist *l, const char *zone)
{
	struct namedlist_zone key, *p;

	if (l->n == 0)
		return -1;
	sort(l);
	key.zone = (char *)zone;
	if ((p = bsearch(&key, l->z, l->n, sizeof(*l->z), zone_cmp)) == NULL)
		return -1;
	return p - l->z;
}

/* Append zone with line (both copied). Returns 0, or -1. */
static int
append(struct namedlist *l, const char *zone, size_t zlen, const char *line,
    size_t llen)
{
	struct namedlist_zone *nz;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 256;
		if ((nz = reallocarray(l->z, cap, sizeof(*nz))) == NULL)
			return -1;
		l->z = nz;
		l->cap = cap;
	}
	if ((l->z[l->n].zone = strndup(zone, zlen)) == NULL)
		return -1;
	if ((l->z[l->n].line = strndup(line, llen)) == NULL) {
		free(l->z[l->n].zone);
		return -1;
	}
	if (l->n > 0 && l->sorted && strcmp(l->z[l->n - 1].zone,
	    l->z[l->n].zone) >= 0)
		l->sorted = 0;
	l->n++;
	return 0;
}

int
namedlist_parse(struct namedlist *l, const char *buf, size_t len,
    char *why, size_t size)
{
	char name[ZONE_NAME_MAX + 1], norm[ZONE_NAME_MAX + 1];
	const char *p = buf, *end = buf + len, *eol, *q, *w, *fault;
	unsigned long ln = 0;
	size_t i, nl;

	namedlist_free(l);
	l->sorted = 1;
	while (p < end) {
		ln++;
		if ((eol = memchr(p, '\n', end - p)) == NULL) {
			err_set(why, size, "line %lu: no newline at the end",
			    ln);
			goto bad;
		}
		if (eol == p || (eol - p >= 2 && p[0] == '/' && p[1] == '/')) {
			p = eol + 1;
			continue;
		}
		if (memchr(p, '\0', eol - p) != NULL) {
			err_set(why, size, "line %lu: a NUL byte", ln);
			goto bad;
		}
		if (eol - p < 6 || memcmp(p, "zone \"", 6) != 0) {
			err_set(why, size, "line %lu: not a zone statement "
			    "(zone \"NAME\" { ... };)", ln);
			goto bad;
		}
		q = p + 6;
		if ((w = memchr(q, '"', eol - q)) == NULL) {
			err_set(why, size, "line %lu: no quote after the zone "
			    "name", ln);
			goto bad;
		}
		nl = (size_t)(w - q);
		if (nl == 0 || nl > ZONE_NAME_MAX) {
			err_set(why, size, "line %lu: zone name of %zu "
			    "octets", ln, nl);
			goto bad;
		}
		memcpy(name, q, nl);
		name[nl] = '\0';
		if (zone_name_norm(name, norm, &fault) < 0) {
			err_set(why, size, "line %lu: zone name \"%s\": %s",
			    ln, name, fault);
			goto bad;
		}
		if (strcmp(name, norm) != 0) {
			err_set(why, size, "line %lu: zone name \"%s\": not "
			    "in canonical form", ln, name);
			goto bad;
		}
		w = q + nl + 1;
		if (eol - w < 5 || memcmp(w, " {", 2) != 0 ||
		    memcmp(eol - 2, "};", 2) != 0) {
			err_set(why, size, "line %lu: zone \"%s\": not "
			    "followed by { ... };", ln, name);
			goto bad;
		}
		if (append(l, name, nl, p, (size_t)(eol - p)) < 0) {
			err_set_sys(why, size, "line %lu", ln);
			goto bad;
		}
		p = eol + 1;
	}
	sort(l);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->z[i - 1].zone, l->z[i].zone) == 0) {
			err_set(why, size, "zone \"%s\" listed twice",
			    l->z[i].zone);
			goto bad;
		}
	return 0;
bad:
	namedlist_free(l);
	return -1;
}

int
namedlist_load(struct namedlist *l, int dfd, char *why, size_t size)
{
	char *buf;
	size_t len;
	int rc;

	if (zonefile_read(dfd, NAMEDLIST_FILE, NAMEDLIST_MAX, &buf, &len) <
	    0) {
		if (errno == ENOENT) {
			namedlist_free(l);
			return 0;
		}
		err_set_sys(why, size, "unable to read it");
		return -1;
	}
	rc = namedlist_parse(l, buf, len, why, size);
	free(buf);
	return rc;
}

int
namedlist_has(struct namedlist *l, const char *zone)
{
	return find(l, zone) >= 0;
}

int
namedlist_put(struct namedlist *l, const char *zone, const char *stmt)
{
	struct buf b = { 0 };
	long i;
	int rc;

	buf_printf(&b, "zone \"%s\" %s", zone, stmt);
	if (b.oom) {
		buf_free(&b);
		return -1;
	}
	if ((i = find(l, zone)) >= 0) {
		free(l->z[i].line);
		l->z[i].line = b.p;
		return 0;
	}
	rc = append(l, zone, strlen(zone), b.p, b.len);
	buf_free(&b);
	return rc;
}

int
namedlist_del(struct namedlist *l, const char *zone)
{
	long i;

	if ((i = find(l, zone)) < 0)
		return 0;
	free(l->z[i].zone);
	free(l->z[i].line);
	memmove(&l->z[i], &l->z[i + 1], (l->n - i - 1) * sizeof(*l->z));
	l->n--;
	return 1;
}

int
namedlist_save(struct namedlist *l, int dfd, const char *tmpprefix)
{
	struct buf b = { 0 };
	char tmp[64];
	size_t i;
	int saved;

	sort(l);
	buf_adds(&b, HEADER);
	for (i = 0; i < l->n; i++) {
		buf_adds(&b, l->z[i].line);
		buf_adds(&b, "\n");
	}
	if (b.oom) {
		buf_free(&b);
		errno = ENOMEM;
		return -1;
	}
	if (zonefile_write(dfd, tmpprefix, ".list", b.p, b.len, 1, tmp,
	    sizeof(tmp)) < 0) {
		saved = errno;
		buf_free(&b);
		errno = saved;
		return -1;
	}
	buf_free(&b);
	if (renameat(dfd, tmp, dfd, NAMEDLIST_FILE) < 0) {
		saved = errno;
		unlinkat(dfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return fsync(dfd);
}

void
namedlist_free(struct namedlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->z[i].zone);
		free(l->z[i].line);
	}
	free(l->z);
	memset(l, 0, sizeof(*l));
}
