/* secondary.h -- a primary's settings for its secondaries: NSD, BIND */
/* SPDX-License-Identifier: ISC */
#ifndef SECONDARY_H
#define SECONDARY_H

#include <stddef.h>

#include "buf.h"

struct config_backend;

/* The files zone-write-nsd and zone-write-bind keep in zones_dir: upper
 * case, so that no zone file (lower-case names) can ever be one. NSD's
 * configuration includes SECONDARY_NSD_GLOB (no match is fine). */
#define SECONDARY_NSD_FILE	"DADNS-NSD.conf"
#define SECONDARY_NSD_GLOB	"DADNS-NSD*.conf"
#define SECONDARY_BIND_FILE	"DADNS-BIND.conf"
#define SECONDARY_MARKER_MAX	32

/*
 * The NSD configuration of backend be whose zones are in zdir (absolute):
 * a key: clause per TSIG key, the patterns be->pattern (zone files
 * zdir/ZONE.db) and be->long_pattern (zdir/ZONE), each with notify and
 * provide-xfr for every secondary, and last an empty pattern whose name,
 * put into marker, is "dadns-" and 16 hex digits of the digest of the
 * rest: NSD knowing it shows it read this very text. Appended to out.
 * Returns 0, or -1 when zdir cannot be written in NSD's configuration (a
 * quote, a backslash, a newline or '#').
 */
int secondary_nsd_conf(const struct config_backend *be, const char *zdir,
    struct buf *out, char marker[SECONDARY_MARKER_MAX]);

/*
 * BIND: the zone statement of rndc addzone/modzone for zone, its file
 * zdir/file: type primary and, for be's secondaries, notify explicit,
 * also-notify and allow-transfer (with their keys), ixfr-from-differences
 * (so BIND offers IXFR) and a journal in named's own directory named
 * after zone and tag: a zone added again after a delete gets a new tag,
 * so the journal of the one deleted (named keeps it) is not applied to
 * it. Appended to out.
 */
void secondary_bind_zone(const struct config_backend *be, const char *zdir,
    const char *file, const char *zone, unsigned long long tag,
    struct buf *out);

/* BIND: a key statement per TSIG key of be's secondaries, for the file
 * SECONDARY_BIND_FILE named.conf includes. Appended to out. */
void secondary_bind_keys(const struct config_backend *be, struct buf *out);

/* The digest (SHA-256, hex) of what be's zones get from its secondaries:
 * changes when an address, a key or a secret does. */
void secondary_digest(const struct config_backend *be, char out[65]);

/*
 * Make the file name of the directory dfd hold text[0..len) (mode 0640:
 * it holds secrets), atomically and durably, unless it does already.
 * Returns 1 when written, 0 when it was current, -1 with errno set.
 */
int secondary_put(int dfd, const char *name, const char *text, size_t len);

#endif
