/* appconf.c -- a program's app.yml: allocate, load, set the log level */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appconf.h"
#include "config.h"
#include "log.h"

int
appconf_load(struct config **cfgp, const char *path, int level, char *err,
    size_t errlen)
{
	struct config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "unable to allocate: %s",
		    strerror(errno));
		return EXIT_TEMP;
	}
	if (config_load(cfg, path, err, errlen) < 0) {
		free(cfg);
		return EXIT_USAGE;
	}
	log_set_level(level >= 0 ? (enum log_level)level :
	    (enum log_level)cfg->log_level);
	*cfgp = cfg;
	return 0;
}
