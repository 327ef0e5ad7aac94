/* appconf.h -- a program's app.yml: allocate, load, set the log level */
/* SPDX-License-Identifier: ISC */
#ifndef APPCONF_H
#define APPCONF_H

#include <stddef.h>

struct config;

/* Allocate *cfgp and load app.yml into it from path (NULL: the usual
 * places), then set the log level to level, or to the file's when level
 * is negative. Returns 0, or an exit code (EXIT_USAGE, EXIT_TEMP) with a
 * message in err. */
int appconf_load(struct config **cfgp, const char *path, int level,
    char *err, size_t errlen);

#endif
