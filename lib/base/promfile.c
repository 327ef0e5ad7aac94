/* promfile.c -- Prometheus text for node_exporter's textfile collector:
 * samples built in a buffer, one file replaced atomically */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "promfile.h"

#define NAME_MAX_	100	/* longest file name before ".prom" */

void
promfile_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
promfile_uint(struct buf *b, const char *name, const char *labels,
    unsigned long long v)
{
	if (labels[0] != '\0')
		buf_printf(b, "%s{%s} %llu\n", name, labels, v);
	else
		buf_printf(b, "%s %llu\n", name, v);
}

void
promfile_num(struct buf *b, const char *name, const char *labels, double v)
{
	if (labels[0] != '\0')
		buf_printf(b, "%s{%s} %.16g\n", name, labels, v);
	else
		buf_printf(b, "%s %.16g\n", name, v);
}

char *
promfile_label(char *out, size_t size, const char *name, const char *value)
{
	size_t o;
	int n;

	n = snprintf(out, size, "%s=\"", name);
	if (n < 0 || (size_t)n + 2 > size) {
		if (size > 0)
			out[0] = '\0';
		return out;
	}
	o = (size_t)n;
	for (; *value != '\0' && o + 3 < size; value++) {
		if (*value == '\\' || *value == '"') {
			out[o++] = '\\';
			out[o++] = *value;
		} else if (*value == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = *value;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

int
promfile_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NAME_MAX_ || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

int
promfile_write(const char *dir, const char *name, const struct buf *b)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, e;

	if (!promfile_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (b->oom) {
		errno = ENOMEM;
		return -1;
	}
	if (io_fmt(path, sizeof(path), "%s/%s.prom", dir, name) < 0 ||
	    io_fmt(tmp, sizeof(tmp), "%s.tmp", path) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		return -1;
	/* The mode asked for, whatever the umask: the collector runs as
	 * another user. */
	if (fchmod(fd, 0644) < 0 || io_write_all(fd, b->p ? b->p : "",
	    b->len) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}
