/* appconf.c -- a program's app.yml: allocate, load, set the log level */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "appconf.h"
#include "config.h"
#include "err.h"
#include "log.h"

int
appconf_load(struct config **cfgp, const char *path, int level, char *err,
    size_t errlen)
{
	struct config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		err_set_sys(err, errlen, "unable to allocate");
		return EXIT_TEMP;
	}
	if (config_load(cfg, path, err, errlen) < 0) {
		free(cfg);
		return EXIT_USAGE;
	}
	log_set_level(level >= 0 ? (enum log_level)level :
	    (enum log_level)cfg->log_level);
	appconf_warn(&cfg->unknown);
	*cfgp = cfg;
	return 0;
}

void
appconf_warn(const struct config_unknown *u)
{
	size_t i;

	for (i = 0; i < u->n && i < CONFIG_UNKNOWN_MAX; i++)
		log_warn("%s", u->line[i]);
	if (u->n > CONFIG_UNKNOWN_MAX)
		log_warn("%zu more unknown keys ignored",
		    u->n - CONFIG_UNKNOWN_MAX);
}
