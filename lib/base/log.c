/* log.c -- one-line diagnostics on stderr and exit codes for programs */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static const char *prog = "dadns";
static enum log_level max_level = LOG_INFO;

void
log_init(const char *name)
{
	prog = name;
}

void
log_set_level(enum log_level level)
{
	max_level = level;
}

int
log_level_parse(const char *word)
{
	if (strcasecmp(word, "debug") == 0 || strcasecmp(word, "trace") == 0)
		return LOG_DEBUG;
	if (strcasecmp(word, "info") == 0)
		return LOG_INFO;
	if (strcasecmp(word, "warning") == 0 || strcasecmp(word, "warn") == 0)
		return LOG_WARN;
	if (strcasecmp(word, "error") == 0 || strcasecmp(word, "fatal") == 0 ||
	    strcasecmp(word, "critical") == 0)
		return LOG_FATAL;
	return -1;
}

static void
vlog(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s: ", prog, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* One write per line so concurrent writers do not interleave. */
	if (suffix != NULL)
		fprintf(stderr, "%s: %s\n", line, suffix);
	else
		fprintf(stderr, "%s\n", line);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (max_level < LOG_WARN)
		return;
	va_start(ap, fmt);
	vlog("warning", fmt, ap, NULL);
	va_end(ap);
}

void
log_warn_sys(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	if (max_level < LOG_WARN)
		return;
	va_start(ap, fmt);
	vlog("warning", fmt, ap, err);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (max_level < LOG_INFO)
		return;
	va_start(ap, fmt);
	vlog("info", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (max_level < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, NULL);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, NULL);
	va_end(ap);
	exit(code);
}

void
die_sys(int code, const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, err);
	va_end(ap);
	exit(code);
}

void
die_usage(const char *usage)
{
	fprintf(stderr, "%s: usage: %s\n", prog, usage);
	exit(EXIT_USAGE);
}
