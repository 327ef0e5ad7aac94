/* namedlist.h -- the zone list named.conf includes: zones a bulk load put
 * there, one zone statement a line */
/* SPDX-License-Identifier: ISC */
#ifndef NAMEDLIST_H
#define NAMEDLIST_H

#include <stddef.h>

#define NAMEDLIST_FILE	"DADNS-ZONES.conf"	/* in zones_dir */
#define NAMEDLIST_MAX	(256UL * 1024 * 1024)	/* largest file read */
#define NAMEDLIST_WHY_MAX 256

struct namedlist_zone {
	char		*zone;		/* the name between the quotes */
	char		*line;		/* the whole statement, no newline */
};

/* The zones of the file, sorted by name when sorted is set. */
struct namedlist {
	struct namedlist_zone *z;
	size_t		 n, cap;
	int		 sorted;
};

/*
 * Parse buf[0..len), the file as namedlist_save() writes it: lines
 * `zone "NAME" { ... };`, empty lines and `//` comments, and nothing
 * else; NAME a zone name in canonical form, each once. Replaces l's
 * zones. Returns 0, or -1 with "line N: why" in why (l then empty).
 */
int namedlist_parse(struct namedlist *l, const char *buf, size_t len,
    char *why, size_t size);

/* Read NAMEDLIST_FILE of the directory dfd into l with namedlist_parse();
 * an absent file is an empty list. Returns 0, or -1 with why set. */
int namedlist_load(struct namedlist *l, int dfd, char *why, size_t size);

/* Whether zone is in l. */
int namedlist_has(struct namedlist *l, const char *zone);

/* Put zone, with the zone statement body stmt ("{ ... };"), into l, or
 * replace its statement when it is there. Returns 0, or -1 (no memory). */
int namedlist_put(struct namedlist *l, const char *zone, const char *stmt);

/* Take zone out of l. Returns 1 when it was there, else 0. */
int namedlist_del(struct namedlist *l, const char *zone);

/* Write l as NAMEDLIST_FILE of the directory dfd, atomically and durably
 * (a temporary file named tmpprefix..., fsync, rename, fsync of dfd).
 * Returns 0, or -1 with errno set. */
int namedlist_save(struct namedlist *l, int dfd, const char *tmpprefix);

/* Free l's zones; l is then empty and usable. */
void namedlist_free(struct namedlist *l);

#endif
