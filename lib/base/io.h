/* io.h -- EINTR-safe reads and writes, bounded file reads, durable writes */
/* SPDX-License-Identifier: ISC */
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all len bytes to fd. Returns 0, or -1 with errno set. */
int io_write_all(int fd, const void *buf, size_t len);

/* Read fd to EOF into a malloc'd, NUL-terminated buffer of at most max
 * bytes. Returns 0 with *bufp and *lenp set, or -1 with errno set (EFBIG
 * when the input exceeds max). */
int io_read_all(int fd, size_t max, char **bufp, size_t *lenp);

/* Like io_read_all() on the file at path (relative to dirfd unless
 * absolute; AT_FDCWD for the current directory). */
int io_read_file(int dirfd, const char *path, size_t max, char **bufp,
    size_t *lenp);

/* Create a new file of the directory dfd, open for writing, named prefix,
 * 16 random hexadecimal digits and suffix (the name goes into
 * name[0..size)), with mode, O_EXCL and O_NOFOLLOW: whatever is already
 * at a name, a symbolic link included, is never opened. Returns the
 * descriptor, or -1 with errno set. */
int io_create_tmp(int dfd, const char *prefix, const char *suffix,
    mode_t mode, char *name, size_t size);

/* Write buf to path atomically: a new temporary file (io_create_tmp()) in
 * the same directory, fsync, rename over path, fsync the directory.
 * Returns 0, or -1 with errno set and nothing left behind. */
int io_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode);

/* Create directory path and its missing parents with mode. Returns 0 when
 * it exists afterwards, -1 with errno set otherwise. */
int io_mkdir_p(const char *path, mode_t mode);

/* fsync the directory at path. Returns 0 or -1 with errno set. */
int io_fsync_dir(const char *path);

/* snprintf that fails on truncation: returns 0, or -1 with ENAMETOOLONG. */
int io_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
