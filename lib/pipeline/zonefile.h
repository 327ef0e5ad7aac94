/* zonefile.h -- zone files in a zones directory: write, install, clean */
/* SPDX-License-Identifier: ISC */
#ifndef ZONEFILE_H
#define ZONEFILE_H

#include <stddef.h>
#include <time.h>

#define ZONEFILE_NAME_MAX	255	/* longest zone file name (NAME_MAX) */

/*
 * The zone file name of zone, the one rule of every writer and of
 * reconcile: "<zone>.db", or the bare "<zone>" when that would pass
 * ZONEFILE_NAME_MAX octets (a name of 253 octets). Returns 0 for the
 * ".db" form, 1 for the bare one (NSD: its second pattern, zonefile "%s"),
 * or -1 when size is too small.
 */
int zonefile_name(const char *zone, char *buf, size_t size);

/* Write buf[0..len) to a new file of the directory dfd (mode 0644) named
 * prefix, random digits and suffix (io_create_tmp(): never a name someone
 * planted), its name put into name[0..size); with sync set also
 * fdatasync() it. Returns 0, or -1 with errno set and the file removed. */
int zonefile_write(int dfd, const char *prefix, const char *suffix,
    const char *buf, size_t len, int sync, char *name, size_t size);

/*
 * Rename tmp over the zone file of zone (zonefile_name()) in the directory
 * dfd (shown as dir in messages). Servers reload a zone file only when its
 * mtime is later than that of the file they loaded last, and the file
 * system clock ticks coarsely: when tmp is not newer than the zone file,
 * tmp's mtime is set to the zone file's plus 1 ns first. A symbolic link
 * or anything else at its name is replaced, never followed. Sets *existed
 * to whether the zone file was a regular file. Returns 0, or -1 with a
 * message in err.
 */
int zonefile_install(int dfd, const char *dir, const char *tmp,
    const char *zone, int *existed, char *err, size_t errlen);

/* Remove the zone file of zone from the directory dfd (shown as dir in
 * messages); an absent one is fine. Returns 0, or -1 with a message in
 * err. */
int zonefile_remove(int dfd, const char *dir, const char *zone, char *err,
    size_t errlen);

/* Read the regular file name of the directory dfd, at most max bytes,
 * into a malloc'd NUL-terminated buffer (*bufp, *lenp), never through a
 * symbolic link (ELOOP) nor from anything but a regular file (EINVAL).
 * Returns 0, or -1 with errno set (ENOENT: no file, EFBIG: too big). */
int zonefile_read(int dfd, const char *name, size_t max, char **bufp,
    size_t *lenp);

/* Remove the regular files of the directory dfd whose names start with
 * prefix and end with suffix and that were last modified more than stale
 * seconds ago; call removed(arg, name) for each one removed. Errors are
 * ignored: the files are left. */
void zonefile_clean(int dfd, const char *prefix, const char *suffix,
    time_t stale, void (*removed)(void *arg, const char *name), void *arg);

#endif
