/* writer.c -- the program scaffolding the zone writers share */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "writer.h"
#include "zone.h"

#define BATCH_ENV_MAX	100000

static const unsigned default_schedule[] = { 30, 120, 300, 900, 1800 };

const struct config_backend *
writer_backend(const struct config *cfg, int type, const char *tname,
    const char *name, char *err, size_t errlen)
{
	const struct config_backend *be = NULL;
	const char *where = cfg->path[0] ? cfg->path : "the configuration";
	size_t i;

	if (name != NULL) {
		if ((be = config_backend(cfg, name)) == NULL) {
			snprintf(err, errlen, "no backend named %s in %s", name,
			    where);
			return NULL;
		}
		if ((int)be->type != type) {
			snprintf(err, errlen, "backend %s is not of type %s",
			    name, tname);
			return NULL;
		}
		return be;
	}
	for (i = 0; i < cfg->nbackends; i++) {
		if ((int)cfg->backends[i].type != type ||
		    !cfg->backends[i].enabled)
			continue;
		if (be != NULL) {
			snprintf(err, errlen, "several enabled %s backends "
			    "(%s, %s): choose one with -b", tname, be->name,
			    cfg->backends[i].name);
			return NULL;
		}
		be = &cfg->backends[i];
	}
	if (be == NULL)
		snprintf(err, errlen, "no enabled %s backend in %s", tname,
		    where);
	return be;
}

int
writer_cmd(int argc, char *argv[])
{
	if (argc < 1)
		return -1;
	if (strcmp(argv[0], "run") == 0)
		return argc == 1 ? WRITER_RUN : -1;
	if (strcmp(argv[0], "save") == 0)
		return argc == 2 ? WRITER_SAVE : -1;
	if (strcmp(argv[0], "delete") == 0)
		return argc == 2 ? WRITER_DELETE : -1;
	return -1;
}

int
writer_job(struct runner_item *it, enum job_action action, const char *arg,
    char **text, size_t *len, char *err, size_t errlen)
{
	char zone[ZONE_NAME_MAX + 1];
	const char *why;

	*text = NULL;
	*len = 0;
	if (zone_name_norm(arg, zone, &why) < 0) {
		snprintf(err, errlen, "invalid zone name %s: %s", arg, why);
		return EXIT_USAGE;
	}
	memset(it, 0, sizeof(*it));
	it->name = "";
	it->job.action = action;
	snprintf(it->job.zone, sizeof(it->job.zone), "%s", zone);
	it->job.pushed_us = clock_wall_us();
	if (action != JOB_SAVE)
		return 0;
	if (io_read_all(0, ZONE_TEXT_MAX, text, len) < 0) {
		if (errno == EFBIG) {
			snprintf(err, errlen, "zone text larger than %d bytes",
			    ZONE_TEXT_MAX);
			return EXIT_USAGE;
		}
		snprintf(err, errlen, "unable to read the zone text: %s",
		    strerror(errno));
		return EXIT_TEMP;
	}
	return 0;
}

int
writer_result(const struct runner_item *it, char *msg, size_t msglen)
{
	switch (it->result) {
	case RUNNER_OK:
		if (it->job.action == JOB_SAVE)
			snprintf(msg, msglen, "applied zone=%s serial=%" PRIu32
			    " action=save", it->job.zone, it->job.serial);
		else
			snprintf(msg, msglen, "applied zone=%s action=delete",
			    it->job.zone);
		return 0;
	case RUNNER_PERM:
		snprintf(msg, msglen, "zone %s: %s", it->job.zone, it->reason);
		return EXIT_USAGE;
	default:
		snprintf(msg, msglen, "zone %s: %s", it->job.zone, it->reason);
		return EXIT_TEMP;
	}
}

int
writer_runner_opts(struct runner_opts *o, unsigned sched[RUNNER_SCHEDULE_MAX],
    const struct config *cfg, int notify_fd, size_t batch_max, int batch_env,
    char *err, size_t errlen)
{
	const char *env, *why;
	char *end;
	long v;
	int n;

	memset(o, 0, sizeof(*o));
	o->spool = cfg->queue_location;
	o->store = cfg->db_location;
	o->notify_fd = notify_fd;
	o->schedule = default_schedule;
	o->nschedule = sizeof(default_schedule) / sizeof(default_schedule[0]);
	o->batch_max = batch_max;
	if ((env = getenv("DADNS_RETRY_SCHEDULE")) != NULL && *env != '\0') {
		if ((n = runner_schedule_parse(env, sched, RUNNER_SCHEDULE_MAX,
		    &why)) < 0) {
			snprintf(err, errlen, "invalid $DADNS_RETRY_SCHEDULE "
			    "%s: %s", env, why);
			return -1;
		}
		o->schedule = sched;
		o->nschedule = (size_t)n;
	}
	if (batch_env && (env = getenv("DADNS_BATCH_MAX")) != NULL &&
	    *env != '\0') {
		errno = 0;
		v = strtol(env, &end, 10);
		if (*end != '\0' || errno != 0 || v < 1 || v > BATCH_ENV_MAX) {
			snprintf(err, errlen, "invalid $DADNS_BATCH_MAX %s: "
			    "1-%d expected", env, BATCH_ENV_MAX);
			return -1;
		}
		o->batch_max = (size_t)v;
	}
	return 0;
}

/* The check of writer_dir_check() on what stat() told of path. */
static int
dir_safe(const struct stat *sb, const char *what, const char *path,
    char *err, size_t errlen)
{
	uid_t me = geteuid();
	const char *who;

	if (!S_ISDIR(sb->st_mode)) {
		snprintf(err, errlen, "%s %s is not a directory", what, path);
		return EXIT_USAGE;
	}
	/* Root may write anywhere anyway: a root-owned directory is as safe
	 * as one of our own. */
	if (sb->st_uid != me && sb->st_uid != 0) {
		snprintf(err, errlen, "unsafe %s %s: owned by uid %lu, not by "
		    "uid %lu that writes in it nor by root; chown it", what,
		    path, (unsigned long)sb->st_uid, (unsigned long)me);
		return EXIT_USAGE;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) == (S_IWGRP | S_IWOTH))
		who = "its group and by others";
	else if (sb->st_mode & S_IWGRP)
		who = "its group";
	else
		who = "others";
	snprintf(err, errlen, "unsafe %s %s: writable by %s (mode %04o); "
	    "make it writable by its owner only (chmod go-w)", what, path,
	    who, (unsigned)(sb->st_mode & 07777));
	return EXIT_USAGE;
}

int
writer_dir_check(int fd, const char *what, const char *path, char *err,
    size_t errlen)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "unable to examine %s %s: %s", what, path,
		    strerror(errno));
		return EXIT_TEMP;
	}
	return dir_safe(&sb, what, path, err, errlen);
}

int
writer_spool_check(const char *path, const char *queue, char *err,
    size_t errlen)
{
	const char *mid[] = { "", "/tmp", "/", "/", "/" };
	const char *q[] = { "", "", queue, queue, queue };
	const char *leaf[] = { "", "", "", "/new", "/fail" };
	struct stat sb;
	char p[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(mid) / sizeof(mid[0]); i++) {
		if (io_fmt(p, sizeof(p), "%s%s%s%s", path, mid[i], q[i],
		    leaf[i]) < 0) {
			snprintf(err, errlen, "spool path %s too long", path);
			return EXIT_USAGE;
		}
		if (stat(p, &sb) < 0) {
			if (errno == ENOENT)
				continue;
			snprintf(err, errlen, "unable to examine spool "
			    "directory %s: %s", p, strerror(errno));
			return EXIT_TEMP;
		}
		if ((rc = dir_safe(&sb, "spool directory", p, err,
		    errlen)) != 0)
			return rc;
	}
	return 0;
}

void
writer_fail(struct runner_item *it, enum runner_result res, const char *fmt,
    ...)
{
	va_list ap;

	it->result = res;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
}
