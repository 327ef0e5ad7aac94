/* zone-write-nsd.c -- write zones to NSD: zone files, zonelist, reload */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-nsd [-c app.yml] [-b backend] [-d fd] [-v|-q] " \
	"save ZONE | delete ZONE | run"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dnsq.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "nsdctl.h"
#include "runner.h"
#include "zone.h"

#define BATCH_MAX	1000	/* jobs per batch in run mode */
#define CTL_TIMEOUT_MS	30000	/* one control command */
#define VERIFY_MS	10000	/* until a change must be served */
#define VERIFY_ROUND_MS	100	/* waiting for one round's answers */
#define RELOAD_EACH_MAX	64	/* more changed zones: one "reload" */
#define SYNC_EACH_MAX	16	/* bigger batches: one syncfs() */
#define DOWN_MS		2000	/* NSD unreachable: later batches of a pass
				 * fail without writing files */
#define TMP_STALE_S	3600	/* leftover temporary zone files */
#define FILE_NAME_MAX	255

static const unsigned default_schedule[] = { 30, 120, 300, 900, 1800 };

struct nsd {
	const struct config_backend *be;
	struct nsdctl	 ctl;
	struct dnsq_server srv;
	int		 verify;	/* srv is set */
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
	int		 pending;	/* waiting to be seen served */
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

static long long
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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

static void
item_fail(struct runner_item *it, enum runner_result res, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
item_fail(struct runner_item *it, enum runner_result res, const char *fmt,
    ...)
{
	va_list ap;

	it->result = res;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
}

/*
 * Write the prepared text of it into a temporary file of zones_dir. With
 * sync set the file is made durable here; otherwise later, for the whole
 * batch at once.
 */
static int
write_tmp(struct nsd *nsd, struct runner_item *it, struct work *w, int sync)
{
	static unsigned long seq;
	int fd, saved;

	snprintf(w->tmp, sizeof(w->tmp), ".zwn-%ld-%lu.tmp", (long)getpid(),
	    seq++);
	fd = openat(nsd->zfd, w->tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (io_write_all(fd, w->text, w->len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (sync && fdatasync(fd) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	return 0;
fail:
	item_fail(it, RUNNER_TEMP, "unable to write %s/%s: %s",
	    nsd->be->zones_dir, w->tmp, strerror(errno));
	unlinkat(nsd->zfd, w->tmp, 0);
	w->tmp[0] = '\0';
	return -1;
}

/*
 * Put the temporary file in place. NSD reloads a zone file only when its
 * mtime (seconds and nanoseconds) differs from the one it read last, and
 * the file system clock ticks coarsely: a file written in the same tick as
 * the one it replaces gets a later mtime by hand.
 */
static int
install(struct nsd *nsd, struct runner_item *it, struct work *w)
{
	char name[FILE_NAME_MAX + 1];
	struct stat old, new;
	struct timespec ts[2];

	snprintf(name, sizeof(name), "%s.db", it->job.zone);
	if (fstatat(nsd->zfd, name, &old, 0) == 0 &&
	    fstatat(nsd->zfd, w->tmp, &new, 0) == 0 &&
	    (new.st_mtim.tv_sec < old.st_mtim.tv_sec ||
	    (new.st_mtim.tv_sec == old.st_mtim.tv_sec &&
	    new.st_mtim.tv_nsec <= old.st_mtim.tv_nsec))) {
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1] = old.st_mtim;
		if (++ts[1].tv_nsec >= 1000000000L) {
			ts[1].tv_sec++;
			ts[1].tv_nsec = 0;
		}
		if (utimensat(nsd->zfd, w->tmp, ts, 0) < 0) {
			item_fail(it, RUNNER_TEMP, "unable to set the mtime "
			    "of %s/%s: %s", nsd->be->zones_dir, w->tmp,
			    strerror(errno));
			return -1;
		}
	}
	if (renameat(nsd->zfd, w->tmp, nsd->zfd, name) < 0) {
		item_fail(it, RUNNER_TEMP, "unable to rename %s/%s to %s: %s",
		    nsd->be->zones_dir, w->tmp, name, strerror(errno));
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
				item_fail(&it[i], RUNNER_TEMP, "reload: %s",
				    err);
		if (rc < 0)
			snprintf(down, downlen, "%s", err);
		return rc < 0 ? -1 : 0;
	}
	for (i = 0; i < n; i++) {
		if (!w[i].reload || it[i].result != RUNNER_OK)
			continue;
		if (down[0] != '\0') {
			item_fail(&it[i], RUNNER_TEMP, "reload %s: %s",
			    it[i].job.zone, down);
			continue;
		}
		if ((rc = nsdctl_reload(&nsd->ctl, it[i].job.zone, err,
		    sizeof(err))) != 0)
			item_fail(&it[i], RUNNER_TEMP, "reload %s: %s",
			    it[i].job.zone, err);
		if (rc < 0)
			snprintf(down, downlen, "%s", err);
	}
	return down[0] != '\0' ? -1 : 0;
}

/*
 * Ask the verify address until every pending item is served as wanted
 * (saves: the zone's SOA with the job's serial and AA; deletes: no SOA of
 * the zone) or VERIFY_MS passed: then the item failed temporarily.
 */
static void
verify(struct nsd *nsd, struct runner_item *it, struct work *w, size_t n)
{
	const char **zones = NULL;
	struct dnsq_result *res = NULL;
	size_t *map, i, k, np;
	long long start = io_mono_ms(), now, wait;
	int rounds = 0;

	if ((zones = calloc(n, sizeof(*zones))) == NULL ||
	    (res = calloc(n, sizeof(*res))) == NULL ||
	    (map = calloc(n, sizeof(*map))) == NULL) {
		free(zones);
		free(res);
		for (i = 0; i < n; i++)
			if (w[i].pending)
				item_fail(&it[i], RUNNER_TEMP, "verify: out "
				    "of memory");
		return;
	}
	for (;;) {
		for (np = 0, i = 0; i < n; i++) {
			if (!w[i].pending)
				continue;
			zones[np] = it[i].job.zone;
			map[np++] = i;
		}
		if (np == 0)
			break;
		if (dnsq_soa(&nsd->srv, zones, np, VERIFY_ROUND_MS, res) < 0) {
			for (k = 0; k < np; k++)
				memset(&res[k], 0, sizeof(res[k]));
			log_debug("verify: unable to query %s: %s",
			    nsd->be->verify, strerror(errno));
		}
		rounds++;
		now = io_mono_ms();
		for (k = 0; k < np; k++) {
			struct runner_item *x = &it[map[k]];
			int done;

			if (x->job.action == JOB_SAVE)
				done = res[k].status == DNSQ_SOA &&
				    res[k].serial == x->job.serial;
			else
				done = res[k].status == DNSQ_OTHER;
			if (done) {
				w[map[k]].pending = 0;
				x->applied_us = io_now_us();
				continue;
			}
			if (now - start < VERIFY_MS)
				continue;
			w[map[k]].pending = 0;
			if (res[k].status == DNSQ_NONE)
				item_fail(x, RUNNER_TEMP, "verify: no answer "
				    "from %s for %s", nsd->be->verify,
				    x->job.zone);
			else if (x->job.action == JOB_DELETE)
				item_fail(x, RUNNER_TEMP, "verify: %s still "
				    "served by %s after %d s", x->job.zone,
				    nsd->be->verify, VERIFY_MS / 1000);
			else if (res[k].status == DNSQ_SOA)
				item_fail(x, RUNNER_TEMP, "verify: %s serves "
				    "serial %" PRIu32 ", not %" PRIu32
				    " after %d s", nsd->be->verify,
				    res[k].serial, x->job.serial,
				    VERIFY_MS / 1000);
			else
				item_fail(x, RUNNER_TEMP, "verify: %s answers "
				    "rcode %d%s for %s after %d s",
				    nsd->be->verify, res[k].rcode,
				    res[k].aa ? "" : " without AA",
				    x->job.zone, VERIFY_MS / 1000);
		}
		/* NSD's reload cycle takes a few ms to tens of ms: ask often
		 * at first, then back off. */
		now = io_mono_ms();
		wait = now - start < 100 ? 1 : now - start < 1000 ? 10 : 50;
		if (now - start < VERIFY_MS)
			poll(NULL, 0, (int)wait);
	}
	log_debug("verify: %zu zones in %d rounds, %lld ms", n, rounds,
	    io_mono_ms() - start);
	free(map);
	free(res);
	free(zones);
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
	char err[512], down[NSDCTL_WHY_MAX] = "";
	size_t i, nwritten = 0;

	p = calloc(1, sizeof(*p));
	w = calloc(n, sizeof(*w));
	zs = calloc(n, sizeof(*zs));
	zd = calloc(n, sizeof(*zd));
	if (p == NULL || w == NULL || zs == NULL || zd == NULL) {
		for (i = 0; i < n; i++)
			item_fail(&it[i], RUNNER_TEMP, "out of memory");
		free(p);
		free(w);
		free(zs);
		free(zd);
		return NULL;
	}
	p->w = w;
	p->t0 = mono_us();
	if (nsd->down_ms != 0 && io_mono_ms() - nsd->down_ms < DOWN_MS) {
		/* The batch before found NSD unreachable a moment ago: do
		 * not rewrite every zone file of a backlog for nothing. */
		for (i = 0; i < n; i++)
			item_fail(&it[i], RUNNER_TEMP, "%s", nsd->down_why);
		free(zs);
		free(zd);
		return p;
	}
	for (i = 0; i < n; i++) {
		it[i].result = RUNNER_OK;
		it[i].reason[0] = '\0';
		it[i].applied_us = 0;
		w[i].ctl = -1;
		if (strlen(it[i].job.zone) + 3 > FILE_NAME_MAX) {
			item_fail(&it[i], RUNNER_PERM, "zone name too long for "
			    "a zone file name");
			continue;
		}
		if (it[i].job.action == JOB_DELETE)
			continue;
		if (zone_prepare(it[i].job.zone, it[i].job.text,
		    it[i].job.textlen, &w[i].text, &w[i].len, &info, err,
		    sizeof(err)) < 0) {
			item_fail(&it[i], RUNNER_PERM, "invalid zone data: %s",
			    err);
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
				item_fail(&it[i], RUNNER_TEMP, "unable to sync "
				    "%s: %s", nsd->be->zones_dir,
				    strerror(errno));
	}
	for (i = 0; i < n; i++) {
		free(w[i].text);
		w[i].text = NULL;
		if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK)
			continue;
		if (install(nsd, &it[i], &w[i]) < 0)
			continue;
		zs[p->ns].zone = it[i].job.zone;
		w[i].ctl = (int)p->ns++;
	}
	p->t1 = mono_us();

	/* Register every saved zone: NSD says which it had already. An
	 * unreachable NSD is not asked again within the batch. */
	if (p->ns > 0 && nsdctl_addzones(&nsd->ctl, nsd->be->pattern, zs,
	    p->ns, down, sizeof(down)) < 0 && down[0] == '\0')
		snprintf(down, sizeof(down), "NSD did not answer");
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
			item_fail(&it[i], RUNNER_TEMP, "addzone: %s",
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
			item_fail(&it[i], RUNNER_TEMP, "delzone: %s",
			    zd[w[i].ctl].why);
	}
	p->t2 = mono_us();
	if (down[0] != '\0') {
		nsd->down_ms = io_mono_ms();
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
				item_fail(&it[i], RUNNER_TEMP, "unable to sync "
				    "%s: %s", nsd->be->zones_dir,
				    strerror(errno));
	}
	if (nsd->verify) {
		for (i = 0; i < n; i++)
			w[i].pending = it[i].result == RUNNER_OK;
		verify(nsd, it, w, n);
	}
	t3 = mono_us();

	/* NSD dropped the deleted zones: their files can go. */
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE ||
		    it[i].result != RUNNER_OK)
			continue;
		snprintf(name, sizeof(name), "%s.db", it[i].job.zone);
		if (unlinkat(nsd->zfd, name, 0) < 0 && errno != ENOENT)
			item_fail(&it[i], RUNNER_TEMP, "unable to remove %s/%s:"
			    " %s", nsd->be->zones_dir, name, strerror(errno));
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

/* Remove temporary files a killed writer left in zones_dir. */
static void
clean_zones_dir(struct nsd *nsd)
{
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	size_t len;
	DIR *d;
	int fd;

	if ((fd = dup(nsd->zfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, ".zwn-", 5) != 0 || len < 9 ||
		    strcmp(de->d_name + len - 4, ".tmp") != 0)
			continue;
		if (fstatat(nsd->zfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    0 && now - sb.st_mtime > TMP_STALE_S &&
		    unlinkat(nsd->zfd, de->d_name, 0) == 0)
			log_info("removed stale %s/%s", nsd->be->zones_dir,
			    de->d_name);
	}
	closedir(d);
}

static const struct config_backend *
pick_backend(const struct config *cfg, const char *name)
{
	const struct config_backend *be = NULL;
	size_t i;

	if (name != NULL) {
		if ((be = config_backend(cfg, name)) == NULL)
			die(EXIT_USAGE, "no backend named %s in %s", name,
			    cfg->path[0] ? cfg->path : "the configuration");
		if (be->type != BACKEND_NSD)
			die(EXIT_USAGE, "backend %s is not of type nsd", name);
		return be;
	}
	for (i = 0; i < cfg->nbackends; i++) {
		if (cfg->backends[i].type != BACKEND_NSD ||
		    !cfg->backends[i].enabled)
			continue;
		if (be != NULL)
			die(EXIT_USAGE, "several enabled nsd backends (%s, %s):"
			    " choose one with -b", be->name,
			    cfg->backends[i].name);
		be = &cfg->backends[i];
	}
	if (be == NULL)
		die(EXIT_USAGE, "no enabled nsd backend in %s",
		    cfg->path[0] ? cfg->path : "the configuration");
	return be;
}

/* One job through the same apply() the queue runner uses. */
static int
one_shot(struct nsd *nsd, enum job_action action, const char *arg)
{
	struct runner_item it;
	struct zone_info info;
	char zone[ZONE_NAME_MAX + 1], err[512], *text = NULL, *prep = NULL;
	const char *why;
	size_t len, plen;

	if (zone_name_norm(arg, zone, &why) < 0)
		die(EXIT_USAGE, "invalid zone name %s: %s", arg, why);
	memset(&it, 0, sizeof(it));
	it.name = "";
	it.job.action = action;
	snprintf(it.job.zone, sizeof(it.job.zone), "%s", zone);
	it.job.pushed_us = io_now_us();
	if (action == JOB_SAVE) {
		if (io_read_all(0, ZONE_TEXT_MAX, &text, &len) < 0) {
			if (errno == EFBIG)
				die(EXIT_USAGE, "zone text larger than %d "
				    "bytes", ZONE_TEXT_MAX);
			die_sys(EXIT_TEMP, "unable to read the zone text");
		}
		if (zone_prepare(zone, text, len, &prep, &plen, &info, err,
		    sizeof(err)) < 0)
			die(EXIT_USAGE, "invalid zone data for %s: %s", zone,
			    err);
		free(text);
		it.job.text = prep;
		it.job.textlen = plen;
		it.job.serial = info.serial;
	}
	apply(nsd, &it, 1);
	free(prep);
	switch (it.result) {
	case RUNNER_OK:
		if (action == JOB_SAVE)
			log_info("applied zone=%s serial=%" PRIu32
			    " action=save", zone, it.job.serial);
		else
			log_info("applied zone=%s action=delete", zone);
		return 0;
	case RUNNER_PERM:
		die(EXIT_USAGE, "zone %s: %s", zone, it.reason);
	default:
		die(EXIT_TEMP, "zone %s: %s", zone, it.reason);
	}
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct nsd nsd;
	struct runner_backend rb;
	struct runner_opts ro;
	unsigned sched[RUNNER_SCHEDULE_MAX];
	const char *cpath = NULL, *bname = NULL, *why, *env;
	char err[1024];
	int c, level = -1, nfd = -1, n;
	long v;
	char *end;

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
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    v < 3 || v > 1024)
				die(EXIT_USAGE, "invalid -d %s: a descriptor"
				    " number of 3 or more expected", optarg);
			nfd = (int)v;
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
	if (argc < 1 ||
	    (strcmp(argv[0], "run") == 0 && argc != 1) ||
	    ((strcmp(argv[0], "save") == 0 ||
	    strcmp(argv[0], "delete") == 0) && argc != 2) ||
	    (strcmp(argv[0], "run") != 0 && strcmp(argv[0], "save") != 0 &&
	    strcmp(argv[0], "delete") != 0))
		die_usage(USAGE);
	if (nfd >= 0 && fcntl(nfd, F_GETFD) < 0)
		die(EXIT_USAGE, "-d %d: descriptor not open", nfd);

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	if (config_load(cfg, cpath, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	log_set_level(level >= 0 ? (enum log_level)level :
	    (enum log_level)cfg->log_level);
	if (cfg->nunknown > 0)
		log_warn("ignored unknown setting %s%s", cfg->unknown,
		    cfg->nunknown > 1 ? " (and more)" : "");

	memset(&nsd, 0, sizeof(nsd));
	nsd.be = pick_backend(cfg, bname);
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
	}
	/* A write to nsd-control after it exited must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (io_mkdir_p(nsd.be->zones_dir, 0755) < 0)
		die_sys(EXIT_TEMP, "unable to create %s", nsd.be->zones_dir);
	if ((nsd.zfd = open(nsd.be->zones_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to open %s", nsd.be->zones_dir);

	if (strcmp(argv[0], "run") != 0) {
		n = one_shot(&nsd, strcmp(argv[0], "save") == 0 ? JOB_SAVE :
		    JOB_DELETE, argv[1]);
		close(nsd.zfd);
		free(cfg);
		return n;
	}

	memset(&ro, 0, sizeof(ro));
	ro.spool = cfg->queue_location;
	ro.store = cfg->db_location;
	ro.notify_fd = nfd;
	ro.schedule = default_schedule;
	ro.nschedule = sizeof(default_schedule) / sizeof(default_schedule[0]);
	ro.batch_max = BATCH_MAX;
	if ((env = getenv("DADNS_RETRY_SCHEDULE")) != NULL && *env != '\0') {
		if ((n = runner_schedule_parse(env, sched, RUNNER_SCHEDULE_MAX,
		    &why)) < 0)
			die(EXIT_USAGE, "invalid $DADNS_RETRY_SCHEDULE %s: %s",
			    env, why);
		ro.schedule = sched;
		ro.nschedule = (size_t)n;
	}
	if ((env = getenv("DADNS_BATCH_MAX")) != NULL && *env != '\0') {
		errno = 0;
		v = strtol(env, &end, 10);
		if (*end != '\0' || errno != 0 || v < 1 || v > 100000)
			die(EXIT_USAGE, "invalid $DADNS_BATCH_MAX %s: 1-100000 "
			    "expected", env);
		ro.batch_max = (size_t)v;
	}
	memset(&rb, 0, sizeof(rb));
	rb.name = nsd.be->name;
	rb.ctx = &nsd;
	rb.apply = apply;
	rb.start = nsd_start;
	rb.finish = nsd_finish;
	rb.log = runner_log;
	clean_zones_dir(&nsd);
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
