/* zone-write-nsd.c -- write zones to NSD: zone files, zonelist, reload */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-nsd [-V] [-c app.yml] [-b backend] [-d fd] " \
	"[-v|-q] save ZONE | delete ZONE | run"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "nsdconf.h"
#include "nsdctl.h"
#include "runner.h"
#include "secondary.h"
#include "servewait.h"
#include "writer.h"
#include "zone.h"
#include "zonefile.h"

#define BATCH_MAX	1000	/* jobs per batch in run mode */
#define CTL_TIMEOUT_MS	30000	/* one control command */
#define RELOAD_EACH_MAX	64	/* more changed zones: one "reload" */
#define SYNC_EACH_MAX	16	/* bigger batches: one syncfs() */
#define DOWN_MS		2000	/* NSD unreachable: later batches of a pass
				 * fail without writing files */
#define TMP_PREFIX	".zwn-"	/* temporary zone files: prefix, random */
#define TMP_SUFFIX	".tmp"	/* digits, suffix */
#define TMP_STALE_S	3600	/* leftover temporary zone files */

struct nsd {
	const struct config_backend *be;
	struct nsdctl	 ctl;
	int		 verify;	/* sw is set */
	struct servewait sw;
	int		 zfd;		/* zones_dir */
	int		 patterns;	/* NSD was found to know them */
	const char	*pattern_file;	/* where they belong, for messages */
	long long	 down_ms;	/* when NSD was last unreachable */
	char		 down_why[NSDCTL_WHY_MAX];
	/* secondaries: the patterns of SECONDARY_NSD_FILE */
	char		 marker[SECONDARY_MARKER_MAX];	/* "" when none */
	int		 reconfig;	/* the file changed: reconfig */
	char		 xfr_file[PATH_MAX];
};

/* Per-item state of one batch. */
struct work {
	char		*text;		/* prepared zone text */
	size_t		 len;
	char		 tmp[64];	/* temporary file, "" when none */
	int		 ctl;		/* in the nsdctl list, or -1 */
	int		 reload;	/* the zone existed: reload it */
};

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
				runner_fail(&it[i], RUNNER_TEMP, "reload: %s",
				    err);
		if (rc < 0)
			snprintf(down, downlen, "%s", err);
		return rc < 0 ? -1 : 0;
	}
	for (i = 0; i < n; i++) {
		if (!w[i].reload || it[i].result != RUNNER_OK)
			continue;
		if (down[0] != '\0') {
			runner_fail(&it[i], RUNNER_TEMP, "reload %s: %s",
			    it[i].job.zone, down);
			continue;
		}
		if ((rc = nsdctl_reload(&nsd->ctl, it[i].job.zone, err,
		    sizeof(err))) != 0)
			runner_fail(&it[i], RUNNER_TEMP, "reload %s: %s",
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
 * Validate the saves of a batch (ldns, NSD's rules) and write each into a
 * temporary file, durable before it may replace a zone file: a small
 * batch syncs each file (cheap, and blind to what others write on the file
 * system), a big one syncs the file system once. The renames are made
 * durable by nsd_finish(), while NSD reloads.
 */
static void
write_saves(struct nsd *nsd, struct runner_item *it, struct work *w,
    size_t n)
{
	char err[512];
	size_t i, nwritten = 0;

	for (i = 0; i < n; i++) {
		w[i].ctl = -1;
		if (it[i].job.action == JOB_DELETE)
			continue;
		if (writer_prepare(&it[i], &w[i].text, &w[i].len, err,
		    sizeof(err)) < 0) {
			runner_fail(&it[i], RUNNER_PERM, "invalid zone "
			    "data: %s", err);
			continue;
		}
		if (zonefile_write(nsd->zfd, TMP_PREFIX, TMP_SUFFIX, w[i].text,
		    w[i].len, n <= SYNC_EACH_MAX, w[i].tmp,
		    sizeof(w[i].tmp)) == 0) {
			nwritten++;
			continue;
		}
		runner_fail_sys(&it[i], RUNNER_TEMP, "unable to write a "
		    "temporary file in %s", nsd->be->zones_dir);
		w[i].tmp[0] = '\0';
	}
	if (nwritten > 0 && n > SYNC_EACH_MAX && syncfs(nsd->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0')
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to sync %s", nsd->be->zones_dir);
	}
}

/*
 * Rename the written files in place (a later mtime than the file each
 * replaces: NSD reloads a zone file only when its mtime changed) and list
 * their zones in zs[0..p->ns): those whose file is "<zone>.db" first,
 * then those too long for it, which NSD adds with the second pattern
 * (zonefile "%s"). Returns the count of the first kind.
 */
static size_t
install_saves(struct nsd *nsd, struct runner_item *it, struct work *w,
    size_t n, struct nsdctl_zone *zs, struct pending *p)
{
	char name[ZONEFILE_NAME_MAX + 1], err[RUNNER_REASON_MAX];
	size_t i, nshort = 0;
	int bare, existed;

	for (bare = 0; bare < 2; bare++) {
		for (i = 0; i < n; i++) {
			if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK ||
			    (zonefile_name(it[i].job.zone, name,
			    sizeof(name)) == 1) != bare)
				continue;
			free(w[i].text);
			w[i].text = NULL;
			if (zonefile_install(nsd->zfd, nsd->be->zones_dir,
			    w[i].tmp, it[i].job.zone, &existed, err,
			    sizeof(err)) < 0) {
				runner_fail(&it[i], RUNNER_TEMP, "%s", err);
				continue;
			}
			w[i].tmp[0] = '\0';
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
	return nshort;
}

/*
 * Register the installed zones zs[0..p->ns) with NSD, the first nshort
 * with the pattern, the rest with the long one: NSD says which it had
 * already, and those get a reload. An unreachable NSD is not asked again
 * within the batch: down holds why.
 */
static void
add_saves(struct nsd *nsd, struct runner_item *it, struct work *w, size_t n,
    struct nsdctl_zone *zs, size_t nshort, struct pending *p, char *down,
    size_t downlen)
{
	size_t i;

	if (nshort > 0 && nsdctl_addzones(&nsd->ctl, nsd->be->pattern, zs,
	    nshort, down, downlen) < 0 && down[0] == '\0')
		snprintf(down, downlen, "NSD did not answer");
	if (p->ns > nshort && down[0] == '\0' && nsdctl_addzones(&nsd->ctl,
	    nsd->be->long_pattern, zs + nshort, p->ns - nshort, down,
	    downlen) < 0 && down[0] == '\0')
		snprintf(down, downlen, "NSD did not answer");
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
			runner_fail(&it[i], RUNNER_TEMP, "addzone: %s",
			    zs[w[i].ctl].why);
			break;
		}
	}
	reload(nsd, it, w, n, p->nreload, down, downlen);
}

/* Drop the deleted zones of a batch with one delzones, unless NSD was
 * found down (down set) already. */
static void
drop_deletes(struct nsd *nsd, struct runner_item *it, struct work *w,
    size_t n, struct nsdctl_zone *zd, struct pending *p, char *down,
    size_t downlen)
{
	size_t i;

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
		nsdctl_delzones(&nsd->ctl, zd, p->nd, down, downlen);
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE || w[i].ctl < 0)
			continue;
		if (zd[w[i].ctl].state != NSDCTL_REMOVED &&
		    zd[w[i].ctl].state != NSDCTL_ABSENT)
			runner_fail(&it[i], RUNNER_TEMP, "delzone: %s",
			    zd[w[i].ctl].why);
	}
}

/* The directory part of path into buf. */
static const char *
dirname_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	snprintf(buf, size, "%.*s", slash ? (int)(slash - path) : 1,
	    slash ? path : ".");
	return buf;
}

/*
 * NSD re-reads its configuration, SECONDARY_NSD_FILE included. Returns 0,
 * or -1 when NSD could not be asked (asked again before the next batch).
 * An error in the configuration is fatal, and the file is removed so that
 * NSD still starts with what it had.
 */
static int
secondaries_reconfig(struct nsd *nsd)
{
	const char *argv[] = { "reconfig", NULL };
	char err[NSDCTL_WHY_MAX], *out = NULL, *e;

	if (nsdctl_cmd(&nsd->ctl, argv, NULL, 0, &out, err,
	    sizeof(err)) < 0) {
		log_debug("reconfig not done: %s", err);
		return -1;
	}
	/* "reconfig start, read FILE", then "ok" or an error line. */
	if ((e = strstr(out, "error")) != NULL || (strncmp(out, "ok\n", 3) !=
	    0 && strstr(out, "\nok\n") == NULL)) {
		unlink(nsd->xfr_file);
		if (e == NULL)
			e = out;
		die(EXIT_USAGE, "nsd-control reconfig with %s: %.*s (file "
		    "removed; is a pattern %s or %s also in %s?)",
		    nsd->xfr_file, (int)strcspn(e, "\n"), e,
		    nsd->be->pattern, nsd->be->long_pattern,
		    nsd->pattern_file);
	}
	free(out);
	nsd->reconfig = 0;
	log_info("NSD reconfigured with %s (%zu secondaries)", nsd->xfr_file,
	    nsd->be->nsecondaries);
	return 0;
}

/*
 * With secondaries: write the patterns and keys they need into
 * SECONDARY_NSD_FILE of the zones directory (NSD includes it), to be
 * read by NSD with a reconfig when the file changed; the pattern check
 * then also asks for the file's marker pattern.
 */
static void
secondaries_setup(struct nsd *nsd)
{
	struct buf b = { 0 };
	char zdir[PATH_MAX];
	int rc;

	if (nsd->be->nsecondaries == 0)
		return;
	if (realpath(nsd->be->zones_dir, zdir) == NULL)
		die_sys(EXIT_TEMP, "unable to resolve %s", nsd->be->zones_dir);
	if (secondary_nsd_conf(nsd->be, zdir, &b, nsd->marker) < 0)
		die(EXIT_USAGE, "the path of dns.backends.%s.zones_dir (%s) "
		    "cannot go into nsd.conf (quote, backslash, newline or "
		    "#)", nsd->be->name, zdir);
	if (b.oom)
		die(EXIT_TEMP, "out of memory");
	if (io_fmt(nsd->xfr_file, sizeof(nsd->xfr_file), "%s/%s", zdir,
	    SECONDARY_NSD_FILE) < 0)
		die(EXIT_USAGE, "the path of dns.backends.%s.zones_dir is too "
		    "long", nsd->be->name);
	rc = secondary_put(nsd->zfd, SECONDARY_NSD_FILE, b.p, b.len);
	explicit_bzero(b.p, b.len);
	buf_free(&b);
	if (rc < 0)
		die_sys(EXIT_TEMP, "unable to write %s", nsd->xfr_file);
	nsd->reconfig = rc == 1;
}

/*
 * Check once that NSD knows the patterns zones are added with: without
 * them every save fails, and retrying cannot help. An NSD that cannot be
 * asked now (down, or an answer this does not know) is asked again before
 * the next batch.
 */
static void
patterns_check(struct nsd *nsd)
{
	const char *p[3] = { nsd->be->pattern, nsd->be->long_pattern,
	    nsd->marker };
	const char *key[2] = { "pattern", "long_pattern" };
	char err[NSDCTL_WHY_MAX];
	int i, known[3];

	if (nsd->reconfig && secondaries_reconfig(nsd) < 0)
		return;
	if (nsdctl_patterns(&nsd->ctl, p, nsd->marker[0] ? 3 : 2, known, err,
	    sizeof(err)) < 0) {
		log_debug("patterns not checked: %s", err);
		return;
	}
	/* Not fatal: the primary goes on serving, its secondaries wait. */
	if (nsd->marker[0] != '\0' && !known[2])
		log_warn("NSD does not read %s, which holds the patterns %s "
		    "and %s with the secondaries of dns.backends.%s: they get "
		    "no NOTIFY and no transfer; include it from %s (include: "
		    "\"%s/%s\") in place of the patterns of nsd-dadns.conf, "
		    "then run nsd-control reconfig", nsd->xfr_file, p[0], p[1],
		    nsd->be->name, nsd->pattern_file, dirname_of(nsd->xfr_file,
		    err, sizeof(err)), SECONDARY_NSD_GLOB);
	for (i = 0; i < 2; i++)
		if (!known[i])
			die(EXIT_USAGE, "NSD has no pattern %s "
			    "(dns.backends.%s.%s): add the patterns of dadns's "
			    "NSD snippet nsd-dadns.conf to %s, then run "
			    "nsd-control reconfig", p[i], nsd->be->name,
			    key[i], nsd->pattern_file);
	nsd->patterns = 1;
}

/*
 * The backend, first half: make NSD take the saves of a batch and drop
 * its deletes. Saves: validate, write temporary files, make them durable,
 * rename them in place, one addzones for all. Deletes: one delzones. NSD
 * applies all this asynchronously.
 */
static void *
nsd_start(void *ctx, struct runner_item *it, size_t n)
{
	struct nsd *nsd = ctx;
	struct pending *p;
	struct nsdctl_zone *zs, *zd;
	char down[NSDCTL_WHY_MAX] = "";
	size_t i, nshort;

	p = calloc(1, sizeof(*p));
	zs = calloc(n, sizeof(*zs));
	zd = calloc(n, sizeof(*zd));
	if (p == NULL || zs == NULL || zd == NULL ||
	    (p->w = calloc(n, sizeof(*p->w))) == NULL) {
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "out of memory");
		free(p);
		free(zs);
		free(zd);
		return NULL;
	}
	if (!nsd->patterns)
		patterns_check(nsd);
	p->t0 = clock_us();
	if (nsd->down_ms != 0 && clock_ms() - nsd->down_ms < DOWN_MS) {
		/* The batch before found NSD unreachable a moment ago: do
		 * not rewrite every zone file of a backlog for nothing. */
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "%s", nsd->down_why);
		goto out;
	}
	write_saves(nsd, it, p->w, n);
	nshort = install_saves(nsd, it, p->w, n, zs, p);
	p->t1 = clock_us();
	add_saves(nsd, it, p->w, n, zs, nshort, p, down, sizeof(down));
	drop_deletes(nsd, it, p->w, n, zd, p, down, sizeof(down));
	p->t2 = clock_us();
	if (down[0] != '\0') {
		nsd->down_ms = clock_ms();
		snprintf(nsd->down_why, sizeof(nsd->down_why), "%s", down);
	} else
		nsd->down_ms = 0;
out:
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
	char err[RUNNER_REASON_MAX];
	long long t3, vstart;
	size_t i;
	int rounds;

	if (p == NULL)
		return;
	/* The renames must be durable before the jobs are removed. */
	if (p->ns > 0 && fsync(nsd->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (it[i].job.action == JOB_SAVE &&
			    it[i].result == RUNNER_OK)
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to sync %s", nsd->be->zones_dir);
	}
	vstart = clock_ms();
	if (nsd->verify && (rounds = servewait_run(&nsd->sw, it, n)) >= 0)
		log_debug("verify: %zu zones in %d rounds, %lld ms", n, rounds,
		    clock_ms() - vstart);
	t3 = clock_us();

	/* NSD dropped the deleted zones: their files can go. */
	for (i = 0; i < n; i++)
		if (it[i].job.action == JOB_DELETE &&
		    it[i].result == RUNNER_OK &&
		    zonefile_remove(nsd->zfd, nsd->be->zones_dir,
		    it[i].job.zone, err, sizeof(err)) < 0)
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
	log_debug("nsd: jobs=%zu saves=%zu added=%zu reloaded=%zu%s "
	    "deletes=%zu write_ms=%.1f control_ms=%.1f verify_ms=%.1f", n,
	    p->ns, p->nadded, p->nreload,
	    p->nreload > RELOAD_EACH_MAX ? " (all)" : "", p->nd,
	    (p->t1 - p->t0) / 1000.0, (p->t2 - p->t1) / 1000.0,
	    (t3 - p->t2) / 1000.0);
	for (i = 0; i < n; i++)
		if (p->w[i].tmp[0] != '\0')
			unlinkat(nsd->zfd, p->w[i].tmp, 0);
	free(p->w);
	free(p);
}

/*
 * The file nsd-control reads: nsd_conf when it is NSD's main configuration
 * (a server: clause; or unreadable, which nsd-control reports), else
 * nsd_main_conf, as directdnsonly's nsd_conf names the include file it
 * wrote zones to (/etc/nsd/nsd.conf.d/zones.conf) and nsd-control needs
 * the file that includes it. Sets *pfile to where the patterns belong.
 */
static const char *
control_conf(const struct config_backend *be, const char **pfile)
{
	char err[1024];
	int rc;

	*pfile = be->nsd_conf;
	if (nsdconf_has_server(be->nsd_conf, err, sizeof(err)) != 0 ||
	    strcmp(be->nsd_conf, be->nsd_main_conf) == 0)
		return be->nsd_conf;
	if ((rc = nsdconf_includes(be->nsd_main_conf, be->nsd_conf, err,
	    sizeof(err))) < 0)
		die(EXIT_USAGE, "dns.backends.%s.nsd_conf %s is an include "
		    "file (no server: clause), and nsd_main_conf, NSD's main "
		    "configuration, is needed: %s", be->name, be->nsd_conf,
		    err);
	if (rc == 0) {
		log_warn("nsd_main_conf %s does not include nsd_conf %s",
		    be->nsd_main_conf, be->nsd_conf);
		*pfile = be->nsd_main_conf;
	}
	log_info("nsd_conf %s is an include file; nsd-control uses %s",
	    be->nsd_conf, be->nsd_main_conf);
	return be->nsd_main_conf;
}

/* Set up the nsd backend be: its control channel, its verify address and
 * its zones directory. */
static void *
nsd_open(struct config *cfg, const struct config_backend *be, int oneshot)
{
	struct nsd *nsd;
	const char *why;
	char err[1024];
	int rc;

	(void)cfg;
	(void)oneshot;
	if (be->pattern[0] == '\0')
		die(EXIT_USAGE, "dns.backends.%s.pattern must not be empty",
		    be->name);
	if ((nsd = calloc(1, sizeof(*nsd))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	nsd->be = be;
	nsd->ctl.socket = be->control_socket;
	nsd->ctl.conf = be->nsd_conf;
	nsd->pattern_file = be->nsd_conf;
	if (be->control_socket[0] == '\0')
		nsd->ctl.conf = control_conf(be, &nsd->pattern_file);
	nsd->ctl.timeout_ms = CTL_TIMEOUT_MS;
	if (be->verify[0] != '\0') {
		if (servewait_init(&nsd->sw, be->verify, &why) < 0)
			die(EXIT_USAGE, "invalid dns.backends.%s.verify %s: %s",
			    be->name, be->verify, why);
		nsd->verify = 1;
		nsd->sw.log = writer_log;
	}
	if (io_mkdir_p(be->zones_dir, 0755) < 0)
		die_sys(EXIT_TEMP, "unable to create %s", be->zones_dir);
	if ((nsd->zfd = open(be->zones_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to open %s", be->zones_dir);
	if ((rc = writer_dir_check(nsd->zfd, "zones directory", be->zones_dir,
	    err, sizeof(err))) != 0)
		die(rc, "%s", err);
	secondaries_setup(nsd);
	patterns_check(nsd);
	return nsd;
}

/* Before the queue runner: remove stale temporary files, say what runs. */
static void
nsd_running(void *ctx)
{
	struct nsd *nsd = ctx;

	zonefile_clean(nsd->zfd, TMP_PREFIX, TMP_SUFFIX, TMP_STALE_S,
	    writer_removed, (void *)nsd->be->zones_dir);
	log_info("running queue=%s zones_dir=%s control=%s%s verify=%s",
	    nsd->be->name, nsd->be->zones_dir,
	    nsd->ctl.socket[0] ? nsd->ctl.socket : "nsd-control -c ",
	    nsd->ctl.socket[0] ? "" : nsd->ctl.conf,
	    nsd->verify ? nsd->be->verify : "off");
}

static void
nsd_close(void *ctx)
{
	struct nsd *nsd = ctx;

	close(nsd->zfd);
	free(nsd);
}

static const struct writer_ops nsd_ops = {
	.prog = "zone-write-nsd",
	.usage = USAGE,
	.backend_help = "the nsd backend of app.yml to write (default: the"
	    " only enabled one)",
	.help = "save ZONE     validate the zone text on stdin and make NSD"
	    " serve it\n"
	    "delete ZONE   make NSD stop serving ZONE (absent is fine)\n"
	    "run           apply the backend's queue until SIGTERM\n",
	.type = BACKEND_NSD,
	.type_word = "nsd",
	.batch_max = BATCH_MAX,
	.batch_env = 1,
	.open = nsd_open,
	.start = nsd_start,
	.finish = nsd_finish,
	.running = nsd_running,
	.close = nsd_close,
};

int
main(int argc, char *argv[])
{
	return writer_main(argc, argv, &nsd_ops);
}
