/* err.h -- fill a caller's error buffer: how library code reports */
/* SPDX-License-Identifier: ISC */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

/* Format into err (errlen bytes, always terminated; nothing when err is
 * NULL or errlen is 0). */
void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like err_set() with ": strerror(errno)" appended; errno is kept. */
void err_set_sys(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
