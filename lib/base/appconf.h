/* appconf.h -- a program's app.yml: allocate, load, set the log level */
/* SPDX-License-Identifier: ISC */
#ifndef APPCONF_H
#define APPCONF_H

#include <stddef.h>

struct config;
struct config_unknown;

/* Allocate *cfgp and load app.yml into it from path (NULL: the usual
 * places), then set the log level to level, or to the file's when level
 * is negative, and warn of the unknown keys (appconf_warn()). Returns 0,
 * or an exit code (EXIT_USAGE, EXIT_TEMP) with a message in err. */
int appconf_load(struct config **cfgp, const char *path, int level,
    char *err, size_t errlen);

/* Log each ignored key of u as a warning line, the one rule of every
 * program ("warning: app.yml:7: unknown key app.listen_prot ignored"),
 * and how many more when there were over CONFIG_UNKNOWN_MAX. The start-up
 * step programs share, so this module logs. */
void appconf_warn(const struct config_unknown *u);

#endif
