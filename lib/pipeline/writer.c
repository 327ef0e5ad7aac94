/* writer.c -- the program shape every zone writer shares */
/* SPDX-License-Identifier: ISC */
/*
 * The one module of lib/ that is a program's body: writer_main() parses,
 * logs and exits like a main() does, for every zone-write-* program.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appconf.h"
#include "catalogrun.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "io.h"
#include "log.h"
#include "ready.h"
#include "version.h"
#include "writer.h"
#include "zone.h"

#define BATCH_ENV_MAX	100000

enum writer_cmd { WRITER_RUN, WRITER_SAVE, WRITER_DELETE };

/* What the options said. */
struct args {
	const char	*cpath;		/* -c */
	const char	*bname;		/* -b */
	int		 level;		/* -v, -q: enum log_level, or -1 */
	int		 notify_fd;	/* -d, or -1 */
	enum writer_cmd	 cmd;
	const char	*zone;		/* save, delete */
};

static const unsigned default_schedule[] = { 30, 120, 300, 900, 1800 };

static volatile sig_atomic_t stop;
static int wake_w = -1;

static void
on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	stop = 1;
	if (wake_w >= 0)
		(void)!write(wake_w, "", 1);
	errno = saved;
}

int
writer_stopped(void)
{
	return stop;
}

void
writer_log(int level, const char *msg)
{
	switch (level) {
	case LOG_FATAL:
	case LOG_WARN:
		log_warn("%s", msg);
		break;
	case LOG_INFO:
		log_info("%s", msg);
		break;
	default:
		log_debug("%s", msg);
		break;
	}
}

void
writer_removed(void *arg, const char *name)
{
	log_info("removed stale %s/%s", (const char *)arg, name);
}

static void
help(const struct writer_ops *ops)
{
	printf("usage: %s\n"
	    "  -V          print the version and exit\n"
	    "  -c FILE     app.yml to read (default: DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -b NAME     %s\n"
	    "  -d FD       run: write a newline to FD when ready, then close"
	    " it\n"
	    "  -v          debug messages\n"
	    "  -q          warnings and errors only\n"
	    "%s", ops->usage, ops->backend_help, ops->help);
	if (ops->batch_env)
		printf("Environment (run): DADNS_RETRY_SCHEDULE=30,120,300,900,"
		    "1800 (retry delays in seconds),\n  DADNS_BATCH_MAX=%zu "
		    "(jobs per batch)\n", ops->batch_max);
	else
		printf("Environment: DADNS_RETRY_SCHEDULE=30,120,300,900,1800 "
		    "(run: retry delays in seconds)\n");
}

/* The command of the operands argv[0..argc): "run", "save ZONE" or
 * "delete ZONE". Returns an enum writer_cmd, or -1 for wrong usage. */
static int
command(int argc, char *argv[])
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

/* Parse the options and the command into a, or exit. */
static void
parse_args(int argc, char *argv[], const struct writer_ops *ops,
    struct args *a)
{
	char err[256];
	int c, cmd;

	memset(a, 0, sizeof(*a));
	a->level = -1;
	a->notify_fd = -1;
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit(ops->prog);
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help(ops);
		exit(0);
	}
	while ((c = getopt(argc, argv, "Vb:c:d:hqv")) != -1) {
		switch (c) {
		case 'b':
			a->bname = optarg;
			break;
		case 'c':
			a->cpath = optarg;
			break;
		case 'd':
			if ((a->notify_fd = ready_fd_parse(optarg, err,
			    sizeof(err))) < 0)
				die(EXIT_USAGE, "%s", err);
			break;
		case 'V':
			version_exit(ops->prog);
		case 'h':
			help(ops);
			exit(0);
		case 'q':
			a->level = LOG_WARN;
			break;
		case 'v':
			a->level = LOG_DEBUG;
			break;
		default:
			die_usage(ops->usage);
		}
	}
	argc -= optind;
	argv += optind;
	if ((cmd = command(argc, argv)) < 0)
		die_usage(ops->usage);
	a->cmd = cmd;
	a->zone = argc > 1 ? argv[1] : NULL;
	if (a->notify_fd >= 0 && fcntl(a->notify_fd, F_GETFD) < 0)
		die(EXIT_USAGE, "-d %d: descriptor not open", a->notify_fd);
}

/* The backend named name (or, when name is NULL, the only enabled one) of
 * the writer's type in cfg. Returns it, or NULL with a message in err. */
static const struct config_backend *
backend(const struct config *cfg, const struct writer_ops *ops,
    const char *name, char *err, size_t errlen)
{
	const struct config_backend *be = NULL;
	const char *where = cfg->path[0] ? cfg->path : "the configuration";
	size_t i;

	if (name != NULL) {
		if ((be = config_backend(cfg, name)) == NULL) {
			err_set(err, errlen, "no backend named %s in %s", name,
			    where);
			return NULL;
		}
		if ((int)be->type != ops->type) {
			err_set(err, errlen, "backend %s is not of type %s",
			    name, ops->type_word);
			return NULL;
		}
		return be;
	}
	for (i = 0; i < cfg->nbackends; i++) {
		if ((int)cfg->backends[i].type != ops->type ||
		    !cfg->backends[i].enabled)
			continue;
		if (be != NULL) {
			err_set(err, errlen, "several enabled %s backends "
			    "(%s, %s): choose one with -b", ops->type_word,
			    be->name, cfg->backends[i].name);
			return NULL;
		}
		be = &cfg->backends[i];
	}
	if (be == NULL)
		err_set(err, errlen, "no enabled %s backend in %s",
		    ops->type_word, where);
	return be;
}

/*
 * Make it a one-shot job of action for the zone named arg (normalised).
 * For a save, read the zone text from fd 0 into *text (the caller frees
 * it), validate it as the backends will, and point it->job at it; exit
 * when it does not validate or cannot be read.
 */
static void
one_job(struct runner_item *it, enum job_action action, const char *arg,
    char **text)
{
	char zone[ZONE_NAME_MAX + 1], err[1024], *prep;
	struct zone_info info;
	const char *why;
	size_t len, plen;

	*text = NULL;
	if (zone_name_norm(arg, zone, &why) < 0)
		die(EXIT_USAGE, "invalid zone name %s: %s", arg, why);
	memset(it, 0, sizeof(*it));
	it->name = "";
	it->job.action = action;
	snprintf(it->job.zone, sizeof(it->job.zone), "%s", zone);
	it->job.pushed_us = clock_wall_us();
	if (action != JOB_SAVE)
		return;
	if (io_read_all(0, ZONE_TEXT_MAX, text, &len) < 0) {
		if (errno == EFBIG)
			die(EXIT_USAGE, "zone text larger than %d bytes",
			    ZONE_TEXT_MAX);
		die_sys(EXIT_TEMP, "unable to read the zone text");
	}
	if (zone_prepare(zone, *text, len, &prep, &plen, &info, err,
	    sizeof(err)) < 0)
		die(EXIT_USAGE, "invalid zone data for %s: %s", zone, err);
	free(prep);
	/* The backend prepares the text again, as it does in run: it gets
	 * what was pushed, so its messages count lines the same way. */
	it->job.text = *text;
	it->job.textlen = len;
	it->job.serial = info.serial;
}

/* save ZONE or delete ZONE: one job through the backend's apply, the
 * same as the queue runner's. Exits on failure. */
static void
one_shot(const struct writer_ops *ops, void *ctx, const struct args *a)
{
	struct runner_item it;
	const char *pfx = "invalid zone data: ";
	char *text;

	one_job(&it, a->cmd == WRITER_SAVE ? JOB_SAVE : JOB_DELETE, a->zone,
	    &text);
	if (ops->apply != NULL)
		ops->apply(ctx, &it, 1);
	else
		ops->finish(ctx, ops->start(ctx, &it, 1), &it, 1);
	free(text);
	switch (it.result) {
	case RUNNER_OK:
		if (it.job.action == JOB_SAVE)
			log_info("applied zone=%s serial=%" PRIu32
			    " action=save", it.job.zone, it.job.serial);
		else
			log_info("applied zone=%s action=delete",
			    it.job.zone);
		return;
	case RUNNER_PERM:
		if (strncmp(it.reason, pfx, strlen(pfx)) == 0)
			die(EXIT_USAGE, "invalid zone data for %s: %s",
			    it.job.zone, it.reason + strlen(pfx));
		die(EXIT_USAGE, "zone %s: %s", it.job.zone, it.reason);
	default:
		die(EXIT_TEMP, "zone %s: %s", it.job.zone, it.reason);
	}
}

/*
 * Fill o for runner_run(): the queue and store of cfg, notify_fd, the
 * default retry schedule or that of $DADNS_RETRY_SCHEDULE (parsed into
 * sched), the writer's batch size or, when it lets the environment set
 * it, $DADNS_BATCH_MAX. Returns 0, or -1 with a message in err.
 */
static int
runner_opts(struct runner_opts *o, unsigned sched[RUNNER_SCHEDULE_MAX],
    const struct config *cfg, const struct writer_ops *ops, int notify_fd,
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
	o->batch_max = ops->batch_max;
	o->stop = &stop;
	o->wake_fd = -1;
	o->metrics_dir = cfg->metrics_dir;
	if ((env = getenv("DADNS_RETRY_SCHEDULE")) != NULL && *env != '\0') {
		if ((n = runner_schedule_parse(env, sched, RUNNER_SCHEDULE_MAX,
		    &why)) < 0) {
			err_set(err, errlen, "invalid $DADNS_RETRY_SCHEDULE "
			    "%s: %s", env, why);
			return -1;
		}
		o->schedule = sched;
		o->nschedule = (size_t)n;
	}
	if (ops->batch_env && (env = getenv("DADNS_BATCH_MAX")) != NULL &&
	    *env != '\0') {
		errno = 0;
		v = strtol(env, &end, 10);
		if (*end != '\0' || errno != 0 || v < 1 || v > BATCH_ENV_MAX) {
			err_set(err, errlen, "invalid $DADNS_BATCH_MAX %s: "
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
		err_set(err, errlen, "%s %s is not a directory", what, path);
		return EXIT_USAGE;
	}
	/* Root may write anywhere anyway: a root-owned directory is as safe
	 * as one of our own. */
	if (sb->st_uid != me && sb->st_uid != 0) {
		err_set(err, errlen, "unsafe %s %s: owned by uid %lu, not by "
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
	err_set(err, errlen, "unsafe %s %s: writable by %s (mode %04o); "
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
		err_set_sys(err, errlen, "unable to examine %s %s", what, path);
		return EXIT_TEMP;
	}
	return dir_safe(&sb, what, path, err, errlen);
}

/* writer_dir_check() for the spool at path and the directories of the
 * queue named queue in it: tmp/, queue/, queue/new/, queue/fail/. A
 * missing one passes (the runner creates it, for its own user). Returns 0,
 * or an exit code (EXIT_USAGE, EXIT_TEMP) with a message in err. */
static int
spool_check(const char *path, const char *queue, char *err, size_t errlen)
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
			err_set(err, errlen, "spool path %s too long", path);
			return EXIT_USAGE;
		}
		if (stat(p, &sb) < 0) {
			if (errno == ENOENT)
				continue;
			err_set_sys(err, errlen, "unable to examine spool "
			    "directory %s", p);
			return EXIT_TEMP;
		}
		if ((rc = dir_safe(&sb, "spool directory", p, err,
		    errlen)) != 0)
			return rc;
	}
	return 0;
}

/* SIGTERM and SIGINT set the stop flag and write to a self-pipe whose
 * read end the runner waits on. */
static void
catch_signals(struct runner_opts *o)
{
	struct sigaction sa;
	int p[2];

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		die_sys(EXIT_TEMP, "unable to create a pipe");
	o->wake_fd = p[0];
	wake_w = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* With a catalog zone: wrap *rb so that the catalog follows the zones
 * the backend serves, and write it now unless it is current. Returns the
 * catalog's handle (NULL without one). */
static struct catalogrun *
catalog_start(const struct config *cfg, const struct config_backend *be,
    struct runner_backend *rb)
{
	struct runner_backend in = *rb;
	struct catalogrun *cr;
	char err[1024];

	if (be->type == BACKEND_COREDNS_MYSQL)
		return NULL;
	if (be->catalog_zone[0] == '\0') {
		if (catalogrun_retire(cfg->db_location, be->name, rb, err,
		    sizeof(err)) < 0)
			log_warn("%s", err);
		return NULL;
	}
	if ((cr = catalogrun_open(cfg->db_location, be->name,
	    be->catalog_zone, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	catalogrun_wrap(cr, &in, rb);
	if (catalogrun_flush(cr, err, sizeof(err)) < 0)
		log_warn("%s (tried again with the next batch)", err);
	return cr;
}

/* run: the queue runner with the backend's functions, until a signal. */
static void
run(const struct writer_ops *ops, void *ctx, const struct config *cfg,
    const struct config_backend *be, int notify_fd)
{
	struct runner_backend rb;
	struct runner_opts ro;
	struct catalogrun *cr;
	unsigned sched[RUNNER_SCHEDULE_MAX];
	char err[1024];
	int rc;

	if (runner_opts(&ro, sched, cfg, ops, notify_fd, err,
	    sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if ((rc = spool_check(ro.spool, be->name, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	memset(&rb, 0, sizeof(rb));
	rb.name = be->name;
	rb.ctx = ctx;
	rb.apply = ops->apply;
	rb.start = ops->start;
	rb.finish = ops->finish;
	rb.log = writer_log;
	if (ops->running != NULL)
		ops->running(ctx);
	cr = catalog_start(cfg, be, &rb);
	catch_signals(&ro);
	if (runner_run(&ro, &rb, err, sizeof(err)) < 0)
		die(EXIT_TEMP, "%s", err);
	catalogrun_close(cr);
	log_info("stopped");
}

int
writer_main(int argc, char *argv[], const struct writer_ops *ops)
{
	const struct config_backend *be;
	struct config *cfg;
	struct args a;
	char err[1024];
	void *ctx;
	int rc;

	log_init(ops->prog);
	parse_args(argc, argv, ops, &a);
	if ((rc = appconf_load(&cfg, a.cpath, a.level, err,
	    sizeof(err))) != 0)
		die(rc, "%s", err);
	if ((be = backend(cfg, ops, a.bname, err, sizeof(err))) == NULL)
		die(EXIT_USAGE, "%s", err);
	/* A write to a tool that exited must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	ctx = ops->open(cfg, be, a.cmd != WRITER_RUN);
	if (a.cmd == WRITER_RUN)
		run(ops, ctx, cfg, be, a.notify_fd);
	else
		one_shot(ops, ctx, &a);
	ops->close(ctx);
	free(cfg);
	return 0;
}

int
writer_prepare(struct runner_item *it, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct zone_info info;

	if (it->job.generated) {
		if ((*text = malloc(it->job.textlen + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(*text, it->job.text, it->job.textlen);
		(*text)[it->job.textlen] = '\0';
		*len = it->job.textlen;
		return 0;
	}
	if (zone_prepare(it->job.zone, it->job.text, it->job.textlen, text,
	    len, &info, err, errlen) < 0)
		return -1;
	it->job.serial = info.serial;
	return 0;
}
