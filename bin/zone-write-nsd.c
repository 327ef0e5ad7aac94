/* zone-write-nsd.c -- write zones to NSD: zone files, zonelist, reload */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-nsd [-c app.yml] [-b backend] [-d fd] [-v|-q] " \
	"save ZONE | delete ZONE | run"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ready.h"
#include "clock.h"
#include "appconf.h"
#include "config.h"
#include "dnsq.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "nsdctl.h"
#include "runner.h"
#include "servewait.h"
#include "writer.h"
#include "zone.h"
#include "zonefile.h"

#define BATCH_MAX	1000	/* jobs per batch in run mode */
#define CTL_TIMEOUT_MS	30000	/* one control command */
#define VERIFY_MS	10000	/* until a change must be served */
#define VERIFY_ROUND_MS	100	/* waiting for one round's answers */
#define RELOAD_EACH_MAX	64	/* more changed zones: one "reload" */
#define SYNC_EACH_MAX	16	/* bigger batches: one syncfs() */
#define DOWN_MS		2000	/* NSD unreachable: later batches of a pass
				 * fail without writing files */
#define TMP_PREFIX	".zwn-"	/* temporary zone files: prefix, random */
#define TMP_SUFFIX	".tmp"	/* digits, suffix */
#define TMP_STALE_S	3600	/* leftover temporary zone files */
#define FILE_NAME_MAX	255

struct nsd {
	const struct config_backend *be;
	struct nsdctl	 ctl;
	struct dnsq_server srv;
	int		 verify;	/* srv and sw are set */
	struct servewait sw;
	int		 zfd;		/* zones_dir */
	long long	 down_ms;	/* when NSD was last unreachable */
	char		 down_why[NSDCTL_WHY_MAX];
};

/* Per-item state of one batch. */
struct work {
	char		*text;		/* prepared zone text */
	size_t		 len;
	char		 tmp[64];	/* temporary file, "" when none */
	int		 ctl;		/* in the nsdctl list, or -1 */
	int		 reload;	/* the zone existed: reload it */
};

static void
help(void)
{
	printf("usage: %s\n"
	    "  -c FILE     app.yml to read (default: DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -b NAME     the nsd backend of app.yml to write (default: the"
	    " only enabled one)\n"
	    "  -d FD       run: write a newline to FD when ready, then close"
	    " it\n"
	    "  -v          debug messages\n"
	    "  -q          warnings and errors only\n"
	    "save ZONE     validate the zone text on stdin and make NSD serve"
	    " it\n"
	    "delete ZONE   make NSD stop serving ZONE (absent is fine)\n"
	    "run           apply the backend's queue until SIGTERM\n"
	    "Environment (run): DADNS_RETRY_SCHEDULE=30,120,300,900,1800 (retry"
	    " delays in seconds),\n  DADNS_BATCH_MAX=1000 (jobs per batch)\n",
	    USAGE);
}

static void
runner_log(int level, const char *msg)
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

/*
 * Write the prepared text of it into a temporary file of zones_dir. With
 * sync set the file is made durable here; otherwise later, for the whole
 * batch at once.
 */
static int
write_tmp(struct nsd *nsd, struct runner_item *it, struct work *w, int sync)
{
	if (zonefile_write(nsd->zfd, TMP_PREFIX, TMP_SUFFIX, w->text, w->len,
	    sync, w->tmp, sizeof(w->tmp)) == 0)
		return 0;
	writer_fail(it, RUNNER_TEMP, "unable to write a temporary file in "
	    "%s: %s", nsd->be->zones_dir, strerror(errno));
	w->tmp[0] = '\0';
	return -1;
}

/*
 * Put the temporary file in place, with a later mtime than the file it
 * replaces (NSD reloads a zone file only when its mtime changed).
 */
static int
install(struct nsd *nsd, struct runner_item *it, struct work *w)
{
	char name[FILE_NAME_MAX + 1], err[RUNNER_REASON_MAX];
	int existed;

	zonefile_name(it->job.zone, name, sizeof(name));
	if (zonefile_install(nsd->zfd, nsd->be->zones_dir, w->tmp, name,
	    &existed, err, sizeof(err)) < 0) {
		writer_fail(it, RUNNER_TEMP, "%s", err);
		return -1;
	}
	w->tmp[0] = '\0';
	return 0;
}

/*
 * Reload the zones marked in w: one by one when few, else all at once.
 * Once NSD cannot be reached the rest fail with the same reason instead of
 * waiting for it again. Returns -1 when NSD could not be reached.
 */
static int
reload(struct nsd *nsd, struct runner_item *it, struct work *w, size_t n,
    size_t nreload, char *down, size_t downlen)
{
	char err[NSDCTL_WHY_MAX];
	size_t i;
	int rc;

	if (nreload == 0)
		return 0;
	if (nreload > RELOAD_EACH_MAX) {
		if ((rc = nsdctl_reload(&nsd->ctl, NULL, err,
		    sizeof(err))) == 0)
			return 0;
		for (i = 0; i < n; i++)
			if (w[i].reload && it[i].result == RUNNER_OK)
				writer_fail(&it[i], RUNNER_TEMP, "reload: %s",
				    err);
		if (rc < 0)
			snprintf(down, downlen, "%s", err);
		return rc < 0 ? -1 : 0;
	}
	for (i = 0; i < n; i++) {
		if (!w[i].reload || it[i].result != RUNNER_OK)
			continue;
		if (down[0] != '\0') {
			writer_fail(&it[i], RUNNER_TEMP, "reload %s: %s",
			    it[i].job.zone, down);
			continue;
		}
		if ((rc = nsdctl_reload(&nsd->ctl, it[i].job.zone, err,
		    sizeof(err))) != 0)
			writer_fail(&it[i], RUNNER_TEMP, "reload %s: %s",
			    it[i].job.zone, err);
		if (rc < 0)
			snprintf(down, downlen, "%s", err);
	}
	return down[0] != '\0' ? -1 : 0;
}

/* A batch between nsd_start() and nsd_finish(). */
struct pending {
	struct work	*w;
	size_t		 ns, nd, nadded, nreload;
	long long	 t0, t1, t2;	/* µs: start, files, NSD told */
};

/*
 * The backend, first half: make NSD take the saves of a batch and drop
 * its deletes. Saves: validate (ldns, NSD's rules), write temporary files,
 * make them durable, rename them in place, one addzones for all (it tells
 * which zones NSD had already: those get a reload). Deletes: one
 * delzones. NSD applies all this asynchronously.
 */
static void *
nsd_start(void *ctx, struct runner_item *it, size_t n)
{
	struct nsd *nsd = ctx;
	struct pending *p;
	struct work *w;
	struct nsdctl_zone *zs = NULL, *zd = NULL;
	struct zone_info info;
	char err[512], down[NSDCTL_WHY_MAX] = "", name[FILE_NAME_MAX + 1];
	size_t i, nwritten = 0, nshort = 0;
	int bare;

	p = calloc(1, sizeof(*p));
	w = calloc(n, sizeof(*w));
	zs = calloc(n, sizeof(*zs));
	zd = calloc(n, sizeof(*zd));
	if (p == NULL || w == NULL || zs == NULL || zd == NULL) {
		for (i = 0; i < n; i++)
			writer_fail(&it[i], RUNNER_TEMP, "out of memory");
		free(p);
		free(w);
		free(zs);
		free(zd);
		return NULL;
	}
	p->w = w;
	p->t0 = clock_us();
	if (nsd->down_ms != 0 && clock_ms() - nsd->down_ms < DOWN_MS) {
		/* The batch before found NSD unreachable a moment ago: do
		 * not rewrite every zone file of a backlog for nothing. */
		for (i = 0; i < n; i++)
			writer_fail(&it[i], RUNNER_TEMP, "%s", nsd->down_why);
		free(zs);
		free(zd);
		return p;
	}
	for (i = 0; i < n; i++) {
		it[i].result = RUNNER_OK;
		it[i].reason[0] = '\0';
		it[i].applied_us = 0;
		w[i].ctl = -1;
		if (it[i].job.action == JOB_DELETE)
			continue;
		if (zone_prepare(it[i].job.zone, it[i].job.text,
		    it[i].job.textlen, &w[i].text, &w[i].len, &info, err,
		    sizeof(err)) < 0) {
			writer_fail(&it[i], RUNNER_PERM, "invalid zone "
			    "data: %s", err);
			continue;
		}
		it[i].job.serial = info.serial;
		if (write_tmp(nsd, &it[i], &w[i], n <= SYNC_EACH_MAX) == 0)
			nwritten++;
	}

	/* Every temporary file is durable before it replaces a zone file:
	 * a small batch syncs each file (cheap, and blind to what others
	 * write on the file system), a big one syncs the file system once.
	 * The renames are made durable by nsd_finish(), while NSD reloads. */
	if (nwritten > 0 && n > SYNC_EACH_MAX && syncfs(nsd->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0')
				writer_fail(&it[i], RUNNER_TEMP, "unable to "
				    "sync %s: %s", nsd->be->zones_dir,
				    strerror(errno));
	}
	/* Zones whose file is "<zone>.db" first, then those too long for
	 * it: they are added with the second pattern (zonefile "%s"). */
	for (bare = 0; bare < 2; bare++) {
		for (i = 0; i < n; i++) {
			if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK ||
			    (zonefile_name(it[i].job.zone, name,
			    sizeof(name)) == 1) != bare)
				continue;
			free(w[i].text);
			w[i].text = NULL;
			if (install(nsd, &it[i], &w[i]) < 0)
				continue;
			zs[p->ns].zone = it[i].job.zone;
			w[i].ctl = (int)p->ns++;
		}
		if (bare == 0)
			nshort = p->ns;
	}
	for (i = 0; i < n; i++) {
		free(w[i].text);
		w[i].text = NULL;
	}
	p->t1 = clock_us();

	/* Register every saved zone: NSD says which it had already. An
	 * unreachable NSD is not asked again within the batch. */
	if (nshort > 0 && nsdctl_addzones(&nsd->ctl, nsd->be->pattern, zs,
	    nshort, down, sizeof(down)) < 0 && down[0] == '\0')
		snprintf(down, sizeof(down), "NSD did not answer");
	if (p->ns > nshort && down[0] == '\0' && nsdctl_addzones(&nsd->ctl,
	    nsd->be->long_pattern, zs + nshort, p->ns - nshort, down,
	    sizeof(down)) < 0 && down[0] == '\0')
		snprintf(down, sizeof(down), "NSD did not answer");
	for (i = nshort; down[0] != '\0' && i < p->ns; i++)
		if (zs[i].state == NSDCTL_FAILED && zs[i].why[0] == '\0')
			snprintf(zs[i].why, sizeof(zs[i].why), "%s", down);
	for (i = 0; i < n; i++) {
		if (w[i].ctl < 0 || it[i].result != RUNNER_OK)
			continue;
		switch (zs[w[i].ctl].state) {
		case NSDCTL_ADDED:
			p->nadded++;
			break;
		case NSDCTL_EXISTED:
			w[i].reload = 1;
			p->nreload++;
			break;
		default:
			writer_fail(&it[i], RUNNER_TEMP, "addzone: %s",
			    zs[w[i].ctl].why);
			break;
		}
	}
	reload(nsd, it, w, n, p->nreload, down, sizeof(down));

	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE ||
		    it[i].result != RUNNER_OK)
			continue;
		zd[p->nd].zone = it[i].job.zone;
		w[i].ctl = (int)p->nd++;
	}
	if (p->nd > 0 && down[0] != '\0') {
		for (i = 0; i < p->nd; i++)
			snprintf(zd[i].why, sizeof(zd[i].why), "%s", down);
	} else if (p->nd > 0)
		nsdctl_delzones(&nsd->ctl, zd, p->nd, down, sizeof(down));
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE || w[i].ctl < 0)
			continue;
		if (zd[w[i].ctl].state != NSDCTL_REMOVED &&
		    zd[w[i].ctl].state != NSDCTL_ABSENT)
			writer_fail(&it[i], RUNNER_TEMP, "delzone: %s",
			    zd[w[i].ctl].why);
	}
	p->t2 = clock_us();
	if (down[0] != '\0') {
		nsd->down_ms = clock_ms();
		snprintf(nsd->down_why, sizeof(nsd->down_why), "%s", down);
	} else
		nsd->down_ms = 0;
	free(zs);
	free(zd);
	return p;
}

/*
 * The second half: sync the zone directory, wait until NSD serves the
 * result when a verify address is set, then remove the zone files of
 * deleted zones.
 */
static void
nsd_finish(void *ctx, void *token, struct runner_item *it, size_t n)
{
	struct nsd *nsd = ctx;
	struct pending *p = token;
	struct work *w;
	char name[FILE_NAME_MAX + 1];
	long long t3;
	size_t i;

	if (p == NULL)
		return;
	w = p->w;
	/* The renames must be durable before the jobs are removed. */
	if (p->ns > 0 && fsync(nsd->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (it[i].job.action == JOB_SAVE &&
			    it[i].result == RUNNER_OK)
				writer_fail(&it[i], RUNNER_TEMP, "unable to "
				    "sync %s: %s", nsd->be->zones_dir,
				    strerror(errno));
	}
	if (nsd->verify) {
		long long vstart = clock_ms();
		int rounds;

		if ((rounds = servewait_run(&nsd->sw, it, n)) >= 0)
			log_debug("verify: %zu zones in %d rounds, %lld ms", n,
			    rounds, clock_ms() - vstart);
	}
	t3 = clock_us();

	/* NSD dropped the deleted zones: their files can go. */
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE ||
		    it[i].result != RUNNER_OK)
			continue;
		zonefile_name(it[i].job.zone, name, sizeof(name));
		if (unlinkat(nsd->zfd, name, 0) < 0 && errno != ENOENT)
			writer_fail(&it[i], RUNNER_TEMP, "unable to "
			    "remove %s/%s: %s", nsd->be->zones_dir, name,
			    strerror(errno));
	}
	log_debug("nsd: jobs=%zu saves=%zu added=%zu reloaded=%zu%s "
	    "deletes=%zu write_ms=%.1f control_ms=%.1f verify_ms=%.1f", n,
	    p->ns, p->nadded, p->nreload,
	    p->nreload > RELOAD_EACH_MAX ? " (all)" : "", p->nd,
	    (p->t1 - p->t0) / 1000.0, (p->t2 - p->t1) / 1000.0,
	    (t3 - p->t2) / 1000.0);
	for (i = 0; i < n; i++)
		if (w[i].tmp[0] != '\0')
			unlinkat(nsd->zfd, w[i].tmp, 0);
	free(w);
	free(p);
}

/* Both halves at once: one-shot mode. */
static void
apply(void *ctx, struct runner_item *it, size_t n)
{
	nsd_finish(ctx, nsd_start(ctx, it, n), it, n);
}

/* Report a stale temporary file zonefile_clean() removed. */
static void
removed(void *arg, const char *name)
{
	log_info("removed stale %s/%s", (const char *)arg, name);
}

/* One job through the same apply() the queue runner uses. */
static int
one_shot(struct nsd *nsd, enum job_action action, const char *arg)
{
	struct runner_item it;
	struct zone_info info;
	char err[1024], *text, *prep = NULL;
	size_t len, plen;
	int rc;

	if ((rc = writer_job(&it, action, arg, &text, &len, err,
	    sizeof(err))) != 0)
		die(rc, "%s", err);
	if (action == JOB_SAVE) {
		if (zone_prepare(it.job.zone, text, len, &prep, &plen, &info,
		    err, sizeof(err)) < 0)
			die(EXIT_USAGE, "invalid zone data for %s: %s",
			    it.job.zone, err);
		free(text);
		it.job.text = prep;
		it.job.textlen = plen;
		it.job.serial = info.serial;
	}
	apply(nsd, &it, 1);
	free(prep);
	if ((rc = writer_result(&it, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	log_info("%s", err);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct nsd nsd;
	struct runner_backend rb;
	struct runner_opts ro;
	unsigned sched[RUNNER_SCHEDULE_MAX];
	const char *cpath = NULL, *bname = NULL, *why;
	char err[1024];
	int c, level = -1, nfd = -1, n, cmd;

	log_init("zone-write-nsd");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	while ((c = getopt(argc, argv, "b:c:d:hqv")) != -1) {
		switch (c) {
		case 'b':
			bname = optarg;
			break;
		case 'c':
			cpath = optarg;
			break;
		case 'd':
			if ((nfd = ready_fd_parse(optarg, err,
			    sizeof(err))) < 0)
				die(EXIT_USAGE, "%s", err);
			break;
		case 'h':
			help();
			return 0;
		case 'q':
			level = LOG_WARN;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if ((cmd = writer_cmd(argc, argv)) < 0)
		die_usage(USAGE);
	if (nfd >= 0 && fcntl(nfd, F_GETFD) < 0)
		die(EXIT_USAGE, "-d %d: descriptor not open", nfd);

	if ((n = appconf_load(&cfg, cpath, level, err, sizeof(err))) != 0)
		die(n, "%s", err);

	memset(&nsd, 0, sizeof(nsd));
	if ((nsd.be = writer_backend(cfg, BACKEND_NSD, "nsd", bname, err,
	    sizeof(err))) == NULL)
		die(EXIT_USAGE, "%s", err);
	if (nsd.be->pattern[0] == '\0')
		die(EXIT_USAGE, "dns.backends.%s.pattern must not be empty",
		    nsd.be->name);
	nsd.ctl.socket = nsd.be->control_socket;
	nsd.ctl.conf = nsd.be->nsd_conf;
	nsd.ctl.timeout_ms = CTL_TIMEOUT_MS;
	if (nsd.be->verify[0] != '\0') {
		if (dnsq_server_parse(nsd.be->verify, &nsd.srv, &why) < 0)
			die(EXIT_USAGE, "invalid dns.backends.%s.verify %s: %s",
			    nsd.be->name, nsd.be->verify, why);
		nsd.verify = 1;
		nsd.sw.srv = &nsd.srv;
		nsd.sw.addr = nsd.be->verify;
		nsd.sw.timeout_ms = VERIFY_MS;
		nsd.sw.round_ms = VERIFY_ROUND_MS;
		nsd.sw.first_ms = 1;
		nsd.sw.hint = "";
		nsd.sw.log = runner_log;
	}
	/* A write to nsd-control after it exited must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (io_mkdir_p(nsd.be->zones_dir, 0755) < 0)
		die_sys(EXIT_TEMP, "unable to create %s", nsd.be->zones_dir);
	if ((nsd.zfd = open(nsd.be->zones_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to open %s", nsd.be->zones_dir);
	if ((n = writer_dir_check(nsd.zfd, "zones directory",
	    nsd.be->zones_dir, err, sizeof(err))) != 0)
		die(n, "%s", err);

	if (cmd != WRITER_RUN) {
		n = one_shot(&nsd, cmd == WRITER_SAVE ? JOB_SAVE : JOB_DELETE,
		    argv[1]);
		close(nsd.zfd);
		free(cfg);
		return n;
	}

	if (writer_runner_opts(&ro, sched, cfg, nfd, BATCH_MAX, 1, err,
	    sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if ((n = writer_spool_check(ro.spool, nsd.be->name, err,
	    sizeof(err))) != 0)
		die(n, "%s", err);
	memset(&rb, 0, sizeof(rb));
	rb.name = nsd.be->name;
	rb.ctx = &nsd;
	rb.apply = apply;
	rb.start = nsd_start;
	rb.finish = nsd_finish;
	rb.log = runner_log;
	zonefile_clean(nsd.zfd, TMP_PREFIX, TMP_SUFFIX, TMP_STALE_S, removed,
	    (void *)nsd.be->zones_dir);
	log_info("running queue=%s zones_dir=%s control=%s%s verify=%s",
	    nsd.be->name, nsd.be->zones_dir,
	    nsd.ctl.socket[0] ? nsd.ctl.socket : "nsd-control -c ",
	    nsd.ctl.socket[0] ? "" : nsd.ctl.conf,
	    nsd.verify ? nsd.be->verify : "off");
	if (runner_run(&ro, &rb, err, sizeof(err)) < 0)
		die(EXIT_TEMP, "%s", err);
	log_info("stopped");
	close(nsd.zfd);
	free(cfg);
	return 0;
}
