/* ready.c -- s6 readiness notification: one newline on a descriptor */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "io.h"
#include "ready.h"

int
ready_fd_parse(const char *arg, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < 3 || v > 1024) {
		snprintf(err, errlen, "invalid notification fd %s: a "
		    "descriptor number of 3 or more expected", arg);
		return -1;
	}
	if (fcntl((int)v, F_GETFD) < 0) {
		snprintf(err, errlen, "invalid notification fd %s: not open",
		    arg);
		return -1;
	}
	return (int)v;
}

int
ready_notify(int fd)
{
	int rc, saved;

	if (fd < 0)
		return 0;
	rc = io_write_all(fd, "\n", 1) < 0 ? -1 : 0;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
