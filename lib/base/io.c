/* io.c -- EINTR-safe reads and writes, bounded file reads, durable writes */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

#define TMP_RANDOM	8	/* random bytes in a temporary file name */
#define TMP_TRIES	16	/* names tried before giving up (EEXIST) */

int
io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int
io_read_all(int fd, size_t max, char **bufp, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf, *nbuf;
	ssize_t n;

	if ((buf = malloc(cap + 1)) == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += n;
		if (len > max) {
			free(buf);
			errno = EFBIG;
			return -1;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
io_read_file(int dirfd, const char *path, size_t max, char **bufp,
    size_t *lenp)
{
	struct stat sb;
	int fd, rc, saved;

	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) == 0 && (size_t)sb.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	rc = io_read_all(fd, max, bufp, lenp);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
io_fsync_dir(const char *path)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
io_create_tmp(int dfd, const char *prefix, const char *suffix, mode_t mode,
    char *name, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[TMP_RANDOM];
	char rnd[2 * TMP_RANDOM + 1];
	ssize_t got;
	size_t i;
	int fd, tries;

	for (tries = 0; tries < TMP_TRIES; tries++) {
		if ((got = getrandom(r, sizeof(r), 0)) < 0)
			return -1;
		if ((size_t)got != sizeof(r)) {
			errno = EIO;
			return -1;
		}
		for (i = 0; i < sizeof(r); i++) {
			rnd[2 * i] = hex[r[i] >> 4];
			rnd[2 * i + 1] = hex[r[i] & 0xf];
		}
		rnd[2 * TMP_RANDOM] = '\0';
		if (io_fmt(name, size, "%s%s%s", prefix, rnd, suffix) < 0)
			return -1;
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
io_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[4096], dir[4096], pfx[4096];
	const char *slash, *base;
	int dfd, fd, saved;

	slash = strrchr(path, '/');
	base = slash != NULL ? slash + 1 : path;
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	} else {
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	if (io_fmt(pfx, sizeof(pfx), "%s.tmp.", base) < 0)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((fd = io_create_tmp(dfd, pfx, "", mode, tmp, sizeof(tmp))) < 0)
		goto fail;
	if (io_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto unlink;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, base) < 0)
		goto unlink;
	if (fsync(dfd) < 0)
		goto fail;
	close(dfd);
	return 0;
unlink:
	saved = errno;
	unlinkat(dfd, tmp, 0);
	errno = saved;
fail:
	saved = errno;
	close(dfd);
	errno = saved;
	return -1;
}

int
io_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	char *p;

	if (io_fmt(buf, sizeof(buf), "%s", path) < 0)
		return -1;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
io_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
