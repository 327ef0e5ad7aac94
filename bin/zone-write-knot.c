/* zone-write-knot.c -- write zones to Knot DNS: zone files, control socket */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-knot [-V] [-c app.yml] [-b backend] [-d fd] " \
	"[-v|-q] save ZONE | delete ZONE | run"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "io.h"
#include "job.h"
#include "knotctl.h"
#include "log.h"
#include "nameset.h"
#include "runner.h"
#include "servewait.h"
#include "writer.h"
#include "zone.h"
#include "zonefile.h"

#define BATCH_MAX	5000	/* jobs per batch in run mode: knotd
				 * reloads all of its configuration at
				 * each conf-commit, so bigger batches
				 * add zones faster */
#define CTL_TIMEOUT_MS	60000	/* one control send or receive */
#define SYNC_EACH_MAX	16	/* bigger batches: one syncfs() */
#define TMP_PREFIX	".zwk-"	/* temporary zone files: prefix, random */
#define TMP_SUFFIX	".tmp"	/* digits, suffix */
#define TMP_STALE_S	3600	/* leftover temporary files */
#define LIST_TMP	".zwk-list-"	/* temporary zone list */

/* ------------------------------------------------------------------ */

struct knot {
	const struct config_backend *be;
	struct knotctl	 ctl;
	int		 verify;	/* sw is set */
	struct servewait sw;
	int		 zfd;		/* zones_dir */
	char		 zdir[PATH_MAX];	/* zones_dir, absolute */
	struct nameset	 zones;		/* knotd's zones of the template */
	int		 loaded;	/* zones was read from knotd */
	int		 dirty;		/* knot_conf must be written */
	long long	 set_us, commit_us, list_us;	/* last conf round */
	long long	 sync_us;	/* last write_saves(): its syncfs() */
};

/* Per-item state of one batch. */
struct work {
	char		*text;		/* prepared zone text */
	size_t		 len;
	char		 tmp[64];	/* temporary file, "" when none */
	int		 installed;	/* renamed into place */
	int		 had;		/* knotd had the zone before */
	int		 conf;		/* in the conf round */
};

static int
load_one(void *arg, const char *zone)
{
	return nameset_add(arg, zone, 1);
}

/*
 * Write knot_conf: a zone: entry with the template for every zone of the
 * set (the file named for a zone too long for "<zone>.db"), through a
 * temporary file renamed over it, synced. knot.conf includes it, so knotd
 * serves the same zones after a restart. Returns 0, or -1 with a message
 * in err.
 */
static int
write_list(struct knot *k, char *err, size_t errlen)
{
	char name[ZONEFILE_NAME_MAX + 1], tmp[PATH_MAX];
	const char *slash = strrchr(k->be->knot_conf, '/');
	const char *z;
	struct buf b = { 0 };
	size_t pos = 0;
	int fd, rc = -1;

	buf_printf(&b, "# %s -- written by zone-write-knot for dns.backends."
	    "%s: its zones, template %s.\n# knot.conf includes it; every "
	    "change rewrites it.\n", slash ? slash + 1 : k->be->knot_conf,
	    k->be->name, k->be->knot_template);
	if (k->zones.n > 0)
		buf_printf(&b, "zone:\n");
	while ((z = nameset_next(&k->zones, &pos)) != NULL) {
		buf_printf(&b, "  - domain: %s.\n    template: %s\n", z,
		    k->be->knot_template);
		if (zonefile_name(z, name, sizeof(name)) == 1)
			buf_printf(&b, "    file: \"%s\"\n", name);
	}
	if (b.oom) {
		err_set(err, errlen, "out of memory");
		goto out;
	}
	if (io_fmt(tmp, sizeof(tmp), "%.*s/" LIST_TMP "%ld",
	    slash ? (int)(slash - k->be->knot_conf) : 1,
	    slash ? k->be->knot_conf : ".", (long)getpid()) < 0) {
		err_set(err, errlen, "%s: path too long", k->be->knot_conf);
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) < 0) {
		err_set_sys(err, errlen, "unable to create %s", tmp);
		goto out;
	}
	if (io_write_all(fd, b.p, b.len) < 0 || fdatasync(fd) < 0) {
		err_set_sys(err, errlen, "unable to write %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, k->be->knot_conf) < 0) {
		err_set_sys(err, errlen, "unable to rename %s to %s", tmp,
		    k->be->knot_conf);
		unlink(tmp);
		goto out;
	}
	k->dirty = 0;
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/*
 * Learn the zones knotd has with the template, once (again after a
 * fault), and bring knot_conf in line with them. Returns 0, or -1 with a
 * message in err.
 */
static int
load_zones(struct knot *k, char *err, size_t errlen)
{
	char e[KNOTCTL_WHY_MAX + 64];
	int rc;

	if (k->loaded)
		return k->dirty ? write_list(k, err, errlen) : 0;
	nameset_free(&k->zones);
	if ((rc = knotctl_template_zones(&k->ctl, k->be->knot_template,
	    load_one, &k->zones, e, sizeof(e))) != 0) {
		if (rc == -2)
			err_set(err, errlen, "out of memory");
		else
			err_set(err, errlen, "%s", e);
		nameset_free(&k->zones);
		return -1;
	}
	k->loaded = 1;
	log_debug("knotd has %zu zones of template %s", k->zones.n,
	    k->be->knot_template);
	return write_list(k, err, errlen);
}

/*
 * Validate the saves of a batch (zone_prepare) and write each into a
 * temporary file, durable before it replaces a zone file: each synced in
 * a small batch, the file system once in a big one; then rename them in
 * place (with a later mtime than the file replaced).
 */
static void
write_saves(struct knot *k, struct runner_item *it, struct work *w, size_t n)
{
	char err[512];
	size_t i, nwritten = 0;
	int existed;
	long long t;

	k->sync_us = 0;
	for (i = 0; i < n; i++) {
		if (it[i].job.action == JOB_DELETE)
			continue;
		if (writer_prepare(&it[i], &w[i].text, &w[i].len, err,
		    sizeof(err)) < 0) {
			runner_fail(&it[i], RUNNER_PERM, "invalid zone "
			    "data: %s", err);
			continue;
		}
		if (zonefile_write(k->zfd, TMP_PREFIX, TMP_SUFFIX, w[i].text,
		    w[i].len, n <= SYNC_EACH_MAX, w[i].tmp,
		    sizeof(w[i].tmp)) == 0)
			nwritten++;
		else {
			runner_fail_sys(&it[i], RUNNER_TEMP, "unable to write "
			    "a temporary file in %s", k->zdir);
			w[i].tmp[0] = '\0';
		}
		free(w[i].text);
		w[i].text = NULL;
	}
	t = clock_us();
	if (nwritten > 0 && n > SYNC_EACH_MAX && syncfs(k->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0')
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to sync %s", k->zdir);
	}
	k->sync_us = clock_us() - t;
	for (i = 0; i < n; i++) {
		if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK)
			continue;
		if (zonefile_install(k->zfd, k->zdir, w[i].tmp,
		    it[i].job.zone, &existed, err, sizeof(err)) < 0) {
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
			continue;
		}
		w[i].tmp[0] = '\0';
		w[i].installed = 1;
	}
}

/*
 * One conf transaction: add the saves marked w[i].conf == 1 to knotd's
 * configuration with the template, remove the deletes marked 2, commit;
 * then keep the set and knot_conf in step. A zone knotd refuses fails
 * alone; a failed commit fails them all. Returns -1 when knotd could not
 * be reached (the reason in down), else 0.
 */
static int
conf_round(struct knot *k, struct runner_item *it, struct work *w, size_t n,
    char *down, size_t downlen)
{
	struct knotctl_zone *z;
	const char **file;
	char (*names)[ZONEFILE_NAME_MAX + 1];
	char err[KNOTCTL_WHY_MAX + 128];
	size_t *map, i, na = 0, nd = 0, m;
	long long t;
	int rc = 0, set;

	for (i = 0; i < n; i++)
		if (w[i].conf != 0 && it[i].result == RUNNER_OK)
			*(w[i].conf == 1 ? &na : &nd) += 1;
	if (na + nd == 0)
		return 0;
	z = calloc(na + nd, sizeof(*z));
	file = calloc(na + 1, sizeof(*file));
	names = calloc(na + 1, sizeof(*names));
	map = calloc(na + nd, sizeof(*map));
	if (z == NULL || file == NULL || names == NULL || map == NULL) {
		for (i = 0; i < n; i++)
			if (w[i].conf != 0 && it[i].result == RUNNER_OK)
				runner_fail(&it[i], RUNNER_TEMP, "out of "
				    "memory");
		goto out;
	}
	/* Adds first, in z[0..na), then deletes. */
	for (m = 0, set = 1; set >= 0; set--)
		for (i = 0; i < n; i++)
			if (w[i].conf == (set ? 1 : 2) &&
			    it[i].result == RUNNER_OK) {
				if (set && zonefile_name(it[i].job.zone,
				    names[m], sizeof(names[m])) == 1)
					file[m] = names[m];
				map[m++] = i;
			}
	for (m = 0; m < na + nd; m++)
		z[m].zone = it[map[m]].job.zone;
	t = clock_us();
	if ((rc = knotctl_simple(&k->ctl, "conf-begin", err,
	    sizeof(err))) != 0)
		goto fail;
	if (knotctl_conf_zones(&k->ctl, 1, k->be->knot_template, file, z, na,
	    err, sizeof(err)) < 0 || knotctl_conf_zones(&k->ctl, 0, NULL,
	    NULL, z + na, nd, err, sizeof(err)) < 0) {
		rc = -1;
		goto fail;
	}
	k->set_us += clock_us() - t;
	t = clock_us();
	if ((rc = knotctl_simple(&k->ctl, "conf-commit", err,
	    sizeof(err))) != 0) {
		if (rc > 0)
			(void)knotctl_simple(&k->ctl, "conf-abort", NULL, 0);
		goto fail;
	}
	k->commit_us += clock_us() - t;
	t = clock_us();
	for (m = 0; m < na + nd; m++) {
		struct runner_item *x = &it[map[m]];

		set = m < na;
		/* Not configured is what a delete wants. */
		if (z[m].failed && !set &&
		    strstr(z[m].why, "invalid identifier") != NULL)
			z[m].failed = 0;
		if (z[m].failed && set && strstr(z[m].why, "duplicate") != NULL)
			runner_fail(x, RUNNER_TEMP, "knotd has zone %s "
			    "configured without template %s (knot.conf?): "
			    "remove it there", x->job.zone,
			    k->be->knot_template);
		else if (z[m].failed)
			runner_fail(x, RUNNER_TEMP, "%s %s: %s", set ?
			    "conf-set" : "conf-unset", x->job.zone,
			    z[m].why);
		else if (set ? nameset_add(&k->zones, x->job.zone, 1) < 0 : 0)
			runner_fail(x, RUNNER_TEMP, "out of memory");
		else {
			if (!set)
				nameset_del(&k->zones, x->job.zone);
			k->dirty = 1;
		}
	}
	if (k->dirty && write_list(k, err, sizeof(err)) < 0) {
		for (m = 0; m < na + nd; m++)
			if (it[map[m]].result == RUNNER_OK)
				runner_fail(&it[map[m]], RUNNER_TEMP, "%s",
				    err);
	}
	k->list_us += clock_us() - t;
	goto out;
fail:
	for (m = 0; m < na + nd; m++)
		runner_fail(&it[map[m]], RUNNER_TEMP, "%s", err);
	if (rc < 0)
		snprintf(down, downlen, "%s", err);
out:
	free(z);
	free(file);
	free(names);
	free(map);
	return rc < 0 ? -1 : 0;
}

/*
 * Reload, with one zone-reload, the installed saves of zones knotd had
 * already (the others it loads as the conf commit adds them). A zone it
 * lost (removed behind our back) is marked for a conf round of its own.
 * Returns the number so marked, or -1 when knotd could not be reached.
 */
static long
reload(struct knot *k, struct runner_item *it, struct work *w, size_t n,
    char *down, size_t downlen)
{
	struct knotctl_zone *z;
	char err[KNOTCTL_WHY_MAX + 128];
	size_t *map, i, m = 0;
	long lost = 0;
	int rc;

	for (i = 0; i < n; i++)
		if (w[i].had && w[i].installed && it[i].result == RUNNER_OK)
			m++;
	if (m == 0)
		return 0;
	z = calloc(m, sizeof(*z));
	map = calloc(m, sizeof(*map));
	if (z == NULL || map == NULL) {
		free(z);
		free(map);
		for (i = 0; i < n; i++)
			if (w[i].had && it[i].result == RUNNER_OK)
				runner_fail(&it[i], RUNNER_TEMP, "out of "
				    "memory");
		return 0;
	}
	for (m = 0, i = 0; i < n; i++)
		if (w[i].had && w[i].installed && it[i].result == RUNNER_OK) {
			z[m].zone = it[i].job.zone;
			map[m++] = i;
		}
	rc = knotctl_zones(&k->ctl, "zone-reload", NULL, z, m, err,
	    sizeof(err));
	for (i = 0; i < m; i++) {
		struct runner_item *x = &it[map[i]];

		if (rc < 0)
			runner_fail(x, RUNNER_TEMP, "zone-reload: %s", err);
		else if (z[i].failed && strstr(z[i].why, "no such zone")) {
			log_info("knotd lost zone %s: adding it again",
			    x->job.zone);
			nameset_del(&k->zones, x->job.zone);
			k->dirty = 1;
			w[map[i]].conf = 1;
			lost++;
		} else if (z[i].failed)
			runner_fail(x, RUNNER_TEMP, "zone-reload %s: %s",
			    x->job.zone, z[i].why);
	}
	if (rc < 0)
		snprintf(down, downlen, "%s", err);
	free(z);
	free(map);
	return rc < 0 ? -1 : lost;
}

/* A batch between knot_start() and knot_finish(). */
struct pending {
	struct work	*w;
	size_t		 nsave, nadd, nreload, ndel;
	long long	 t0, t1, t2;	/* µs: start, files, knotd told */
	long long	 set_us, commit_us, list_us;	/* of t2 - t1 */
	long long	 sync_us;	/* of t1 - t0 */
};

/*
 * The backend, first half: write the zone files of the saves, then tell
 * knotd in one conf transaction about the zones it gains and loses and
 * reload those it had, over one control connection. knotd loads them
 * asynchronously.
 */
static void *
knot_start(void *ctx, struct runner_item *it, size_t n)
{
	struct knot *k = ctx;
	struct pending *p;
	char err[1024], down[KNOTCTL_WHY_MAX + 128] = "";
	size_t i;
	long lost;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->w = calloc(n, sizeof(*p->w))) == NULL) {
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "out of memory");
		free(p);
		return NULL;
	}
	p->t0 = p->t1 = clock_us();
	if (load_zones(k, err, sizeof(err)) < 0) {
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
		k->loaded = 0;
		goto out;
	}
	write_saves(k, it, p->w, n);
	p->t1 = clock_us();
	p->sync_us = k->sync_us;
	for (i = 0; i < n; i++) {
		if (it[i].result != RUNNER_OK)
			continue;
		p->w[i].had = nameset_has(&k->zones, it[i].job.zone);
		if (it[i].job.action == JOB_DELETE) {
			p->w[i].conf = p->w[i].had ? 2 : 0;
			p->ndel++;
		} else {
			p->nsave++;
			p->w[i].conf = p->w[i].had ? 0 : 1;
			if (p->w[i].had)
				p->nreload++;
			else
				p->nadd++;
		}
	}
	k->set_us = k->commit_us = k->list_us = 0;
	if (conf_round(k, it, p->w, n, down, sizeof(down)) == 0 &&
	    (lost = reload(k, it, p->w, n, down, sizeof(down))) > 0) {
		for (i = 0; i < n; i++)
			if (!p->w[i].had || it[i].job.action == JOB_DELETE)
				p->w[i].conf = 0;
		conf_round(k, it, p->w, n, down, sizeof(down));
	}
	knotctl_close(&k->ctl);
	if (down[0] != '\0')
		k->loaded = 0;	/* knotd may come back another one */
	/* A new zone knotd did not take leaves no file behind. */
	for (i = 0; i < n; i++)
		if (p->w[i].installed && !p->w[i].had &&
		    it[i].result != RUNNER_OK)
			zonefile_remove(k->zfd, k->zdir, it[i].job.zone, NULL,
			    0);
out:
	p->t2 = clock_us();
	p->set_us = k->set_us;
	p->commit_us = k->commit_us;
	p->list_us = k->list_us;
	return p;
}

/*
 * The second half: sync the zones directory, wait until knotd serves the
 * result when a verify address is set, then remove the zone files of
 * deleted zones.
 */
static void
knot_finish(void *ctx, void *token, struct runner_item *it, size_t n)
{
	struct knot *k = ctx;
	struct pending *p = token;
	char err[RUNNER_REASON_MAX];
	long long t3;
	size_t i;
	int rounds = 0;

	if (p == NULL)
		return;
	if (p->nsave > 0 && fsync(k->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (it[i].job.action == JOB_SAVE &&
			    it[i].result == RUNNER_OK)
				runner_fail_sys(&it[i], RUNNER_TEMP, "unable "
				    "to sync %s", k->zdir);
	}
	if (k->verify)
		rounds = servewait_run(&k->sw, it, n);
	t3 = clock_us();
	for (i = 0; i < n; i++)
		if (it[i].job.action == JOB_DELETE &&
		    it[i].result == RUNNER_OK &&
		    zonefile_remove(k->zfd, k->zdir, it[i].job.zone, err,
		    sizeof(err)) < 0)
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
	log_debug("knot: jobs=%zu saves=%zu added=%zu reloaded=%zu "
	    "deletes=%zu write_ms=%.1f sync_ms=%.1f control_ms=%.1f "
	    "verify_ms=%.1f conf_set_ms=%.1f conf_commit_ms=%.1f "
	    "list_ms=%.1f verify_rounds=%d", n, p->nsave, p->nadd,
	    p->nreload, p->ndel, (p->t1 - p->t0) / 1000.0,
	    p->sync_us / 1000.0, (p->t2 - p->t1) / 1000.0,
	    (t3 - p->t2) / 1000.0, p->set_us / 1000.0, p->commit_us / 1000.0,
	    p->list_us / 1000.0, rounds);
	for (i = 0; i < n; i++)
		if (p->w[i].tmp[0] != '\0')
			unlinkat(k->zfd, p->w[i].tmp, 0);
	free(p->w);
	free(p);
}

/* Set up the knot backend be: its control socket, its verify address,
 * its zones directory. */
static void *
knot_open(struct config *cfg, const struct config_backend *be, int oneshot)
{
	struct knot *k;
	const char *why;
	char err[1024];
	int rc;

	(void)cfg;
	(void)oneshot;
	if (be->knot_conf[0] != '/')
		die(EXIT_USAGE, "dns.backends.%s.knot_conf must be an absolute "
		    "path: %s", be->name, be->knot_conf);
	if (be->control_socket[0] == '\0')
		die(EXIT_USAGE, "dns.backends.%s.control_socket must not be "
		    "empty", be->name);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	k->be = be;
	k->ctl.socket = be->control_socket;
	k->ctl.timeout_ms = CTL_TIMEOUT_MS;
	if (be->verify[0] != '\0') {
		if (servewait_init(&k->sw, be->verify, &why) < 0)
			die(EXIT_USAGE, "invalid dns.backends.%s.verify %s: %s",
			    be->name, be->verify, why);
		k->verify = 1;
		k->sw.log = writer_log;
	}
	if (io_mkdir_p(be->zones_dir, 0755) < 0)
		die_sys(EXIT_TEMP, "unable to create %s", be->zones_dir);
	if (realpath(be->zones_dir, k->zdir) == NULL)
		die_sys(EXIT_TEMP, "unable to resolve %s", be->zones_dir);
	if ((k->zfd = open(k->zdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to open %s", k->zdir);
	if ((rc = writer_dir_check(k->zfd, "zones directory", be->zones_dir,
	    err, sizeof(err))) != 0)
		die(rc, "%s", err);
	return k;
}

/* Before the queue runner: remove stale temporary files, learn knotd's
 * zones, say what runs. */
static void
knot_running(void *ctx)
{
	struct knot *k = ctx;
	char err[1024];

	zonefile_clean(k->zfd, TMP_PREFIX, TMP_SUFFIX, TMP_STALE_S,
	    writer_removed, k->zdir);
	if (load_zones(k, err, sizeof(err)) < 0) {
		log_warn("%s (asked again with the next batch)", err);
		k->loaded = 0;
	}
	knotctl_close(&k->ctl);
	log_info("running queue=%s zones_dir=%s control=%s knot_conf=%s "
	    "template=%s zones=%zu verify=%s", k->be->name, k->zdir,
	    k->be->control_socket, k->be->knot_conf, k->be->knot_template,
	    k->zones.n, k->verify ? k->be->verify : "off");
}

static void
knot_close(void *ctx)
{
	struct knot *k = ctx;

	knotctl_close(&k->ctl);
	nameset_free(&k->zones);
	close(k->zfd);
	free(k);
}

static const struct writer_ops knot_ops = {
	.prog = "zone-write-knot",
	.usage = USAGE,
	.backend_help = "the knot backend of app.yml to write (default: the"
	    " only enabled one)",
	.help = "save ZONE     validate the zone text on stdin and make knotd"
	    " serve it\n"
	    "delete ZONE   make knotd stop serving ZONE (absent is fine)\n"
	    "run           apply the backend's queue until SIGTERM\n",
	.type = BACKEND_KNOT,
	.type_word = "knot",
	.batch_max = BATCH_MAX,
	.batch_env = 1,
	.open = knot_open,
	.start = knot_start,
	.finish = knot_finish,
	.running = knot_running,
	.close = knot_close,
};

int
main(int argc, char *argv[])
{
	return writer_main(argc, argv, &knot_ops);
}
