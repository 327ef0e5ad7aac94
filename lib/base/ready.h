/* ready.h -- s6 readiness notification: one newline on a descriptor */
/* SPDX-License-Identifier: ISC */
#ifndef READY_H
#define READY_H

#include <stddef.h>

/* Parse the argument of -d: an open descriptor of 3 or more (readiness
 * must not land in stdio). Returns it, or -1 with err filled. */
int ready_fd_parse(const char *arg, char *err, size_t errlen);

/* Write the newline to fd and close it; nothing when fd < 0. Returns 0,
 * or -1 with errno set (the descriptor is closed either way). */
int ready_notify(int fd);

#endif
