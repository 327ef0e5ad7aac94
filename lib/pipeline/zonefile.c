/* zonefile.c -- zone files in a zones directory: write, install, clean */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "zonefile.h"

int
zonefile_name(const char *zone, char *buf, size_t size)
{
	size_t len = strlen(zone);
	int bare = len + 3 > ZONEFILE_NAME_MAX;

	if (len + (bare ? 0 : 3) >= size)
		return -1;
	memcpy(buf, zone, len);
	memcpy(buf + len, bare ? "" : ".db", bare ? 1 : 4);
	return bare;
}

int
zonefile_write(int dfd, const char *prefix, const char *suffix,
    const char *buf, size_t len, int sync, char *name, size_t size)
{
	int fd, saved;

	if ((fd = io_create_tmp(dfd, prefix, suffix, 0644, name, size)) < 0)
		return -1;
	if (io_write_all(fd, buf, len) < 0 || (sync && fdatasync(fd) < 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	unlinkat(dfd, name, 0);
	errno = saved;
	return -1;
}

int
zonefile_install(int dfd, const char *dir, const char *tmp, const char *zone,
    int *existed, char *err, size_t errlen)
{
	struct stat old, new;
	struct timespec ts[2];
	char name[ZONEFILE_NAME_MAX + 1];

	if (zonefile_name(zone, name, sizeof(name)) < 0) {
		err_set(err, errlen, "zone name too long: %s", zone);
		return -1;
	}
	/* Only a regular file counts: the mtime of whatever a symbolic
	 * link points to is none of our business. */
	*existed = fstatat(dfd, name, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(old.st_mode);
	if (*existed && fstatat(dfd, tmp, &new, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (new.st_mtim.tv_sec < old.st_mtim.tv_sec ||
	    (new.st_mtim.tv_sec == old.st_mtim.tv_sec &&
	    new.st_mtim.tv_nsec <= old.st_mtim.tv_nsec))) {
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1] = old.st_mtim;
		if (++ts[1].tv_nsec >= 1000000000L) {
			ts[1].tv_sec++;
			ts[1].tv_nsec = 0;
		}
		if (utimensat(dfd, tmp, ts, AT_SYMLINK_NOFOLLOW) < 0) {
			err_set_sys(err, errlen, "unable to set the mtime of "
			    "%s/%s", dir, tmp);
			return -1;
		}
	}
	if (renameat(dfd, tmp, dfd, name) < 0) {
		err_set_sys(err, errlen, "unable to rename %s/%s to %s", dir,
		    tmp, name);
		return -1;
	}
	return 0;
}

int
zonefile_remove(int dfd, const char *dir, const char *zone, char *err,
    size_t errlen)
{
	char name[ZONEFILE_NAME_MAX + 1];

	if (zonefile_name(zone, name, sizeof(name)) < 0) {
		err_set(err, errlen, "zone name too long: %s", zone);
		return -1;
	}
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
		err_set_sys(err, errlen, "unable to remove %s/%s", dir, name);
		return -1;
	}
	return 0;
}

int
zonefile_read(int dfd, const char *name, size_t max, char **bufp,
    size_t *lenp)
{
	struct stat sb;
	int fd, rc, saved;

	/* O_NONBLOCK: a FIFO at name must not hang the reader. */
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) < 0)
		saved = errno;
	else if (!S_ISREG(sb.st_mode))
		saved = EINVAL;
	else if ((size_t)sb.st_size > max)
		saved = EFBIG;
	else
		saved = 0;
	if (saved != 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	rc = io_read_all(fd, max, bufp, lenp);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

void
zonefile_clean(int dfd, const char *prefix, const char *suffix, time_t stale,
    void (*removed)(void *arg, const char *name), void *arg)
{
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	size_t len, plen = strlen(prefix), slen = strlen(suffix);
	DIR *d;
	int fd;

	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < plen + slen ||
		    strncmp(de->d_name, prefix, plen) != 0 ||
		    strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && now - sb.st_mtime > stale &&
		    unlinkat(dfd, de->d_name, 0) == 0)
			removed(arg, de->d_name);
	}
	closedir(d);
}
