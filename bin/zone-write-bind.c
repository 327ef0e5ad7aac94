/* zone-write-bind.c -- write zones to BIND 9: zone files, rndc addzone/reload */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-bind [-c app.yml] [-b backend] [-d fd] [-v|-q] " \
	"save ZONE | delete ZONE | run"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "rndc.h"
#include "runner.h"
#include "servewait.h"
#include "writer.h"
#include "zone.h"
#include "zonefile.h"

#define BATCH_MAX	200	/* jobs per batch in run mode */
#define RNDC_PARALLEL	4	/* rndc processes in flight */
#define RNDC_TIMEOUT_MS	30000	/* one rndc command */
#define CHECK_TIMEOUT_MS 120000	/* named-checkconf -z of one batch */
#define VERIFY_MS	10000	/* until a change must be served */
#define VERIFY_ROUND_MS	100	/* wait for the answers of one round */
#define TMP_PREFIX	".zwb-"
#define TMP_STALE_S	3600	/* leftover temporary files */
#define FILE_NAME_MAX	255

struct bind {
	const struct config_backend *be;
	char		 zdir[PATH_MAX];	/* zones_dir, absolute */
	int		 zfd;
	struct dnsq_server srv;
	int		 verify;	/* srv and sw are set */
	struct servewait sw;
};

enum step { S_NONE, S_ADD, S_RELOAD, S_DEL };

/* Per-item state of one batch. */
struct work {
	char		*text;		/* prepared zone text (save) */
	size_t		 len;
	unsigned long	 pre;		/* lines zone_prepare() put before
					 * the pushed text */
	char		 tmp[64];	/* temporary file name, "" when none */
	int		 checked;	/* named-checkconf loaded it */
	int		 existed;	/* the zone file was there before */
	int		 installed;	/* renamed into place */
	enum step	 step;		/* the rndc command of this round */
	char		 stmt[PATH_MAX + JOB_NAME_MAX + 64];	/* addzone's zone statement */
	const char	*argv[8];
};

/* A zone name and its item, for looking up named-checkconf's lines. */
struct zidx {
	const char	*zone;
	size_t		 i;
};

static void
help(void)
{
	printf("usage: %s\n"
	    "  -c FILE     app.yml to read (default: DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -b NAME     the bind backend of app.yml to write (default: the"
	    " only enabled one)\n"
	    "  -d FD       run: write a newline to FD when ready, then close"
	    " it\n"
	    "  -v          debug messages\n"
	    "  -q          warnings and errors only\n"
	    "save ZONE     validate the zone text on stdin and make BIND serve"
	    " it\n"
	    "delete ZONE   make BIND stop serving ZONE (absent is fine)\n"
	    "run           apply the backend's queue until SIGTERM\n"
	    "Environment: DADNS_RETRY_SCHEDULE=30,120,300,900,1800 (run: retry"
	    " delays in seconds)\n", USAGE);
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

/* Write the prepared text of item i into a new temporary file of
 * zones_dir, .zwb-I-RANDOM.tmp: I leads named-checkconf's messages back to
 * the item, the random part keeps the name unpredictable. */
static int
write_tmp(struct bind *b, struct runner_item *it, struct work *w, size_t i)
{
	char pfx[32];

	snprintf(pfx, sizeof(pfx), TMP_PREFIX "%zu-", i);
	if (zonefile_write(b->zfd, pfx, ".tmp", w->text, w->len, 0, w->tmp,
	    sizeof(w->tmp)) == 0)
		return 0;
	writer_fail(it, RUNNER_TEMP, "unable to write a temporary file in "
	    "%s: %s", b->zdir, strerror(errno));
	w->tmp[0] = '\0';
	return -1;
}

static int
zidx_cmp(const void *a, const void *b)
{
	const struct zidx *x = a, *y = b;

	return strcmp(x->zone, y->zone);
}

/* The item whose zone is s[0..len), or -1. */
static long
zidx_find(const struct zidx *idx, size_t n, const char *s, size_t len)
{
	char name[JOB_NAME_MAX + 1];
	struct zidx key, *f;

	if (len == 0 || len > JOB_NAME_MAX)
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	key.zone = name;
	if ((f = bsearch(&key, idx, n, sizeof(*idx), zidx_cmp)) == NULL)
		return -1;
	return (long)f->i;
}

/*
 * Which item does one line of named-checkconf -z talk about? Lines name
 * the zone ("zone Z/IN: ...", "_default/Z/IN: ...") or our temporary file
 * (".zwb-I-RANDOM.tmp:4: near ..."). Sets *kind: 'L' loaded, 'F' the
 * verdict of a failure, 'D' a detail. Returns the item or -1.
 */
static long
check_line(const char *line, size_t len, const struct zidx *idx, size_t n,
    size_t nitems, char *kind)
{
	const char *p, *e;
	size_t plen = sizeof(TMP_PREFIX) - 1;
	unsigned long v;
	char *end;

	if ((p = memmem(line, len, TMP_PREFIX, plen)) != NULL) {
		v = strtoul(p + plen, &end, 10);
		*kind = 'D';
		if (*end != '-' || v >= nitems)
			return -1;
		end += 1 + strspn(end + 1, "0123456789abcdef");
		return strncmp(end, ".tmp", 4) == 0 ? (long)v : -1;
	}
	if (len > 5 && strncmp(line, "zone ", 5) == 0) {
		p = line + 5;
		if ((e = memmem(p, len - 5, "/IN: ", 5)) == NULL)
			return -1;
		if (memmem(e, len - (size_t)(e - line), ": loaded serial ",
		    16) != NULL)
			*kind = 'L';
		else if (memmem(e, len - (size_t)(e - line),
		    ": not loaded due to errors", 26) != NULL)
			*kind = 'F';
		else
			*kind = 'D';
		return zidx_find(idx, n, p, (size_t)(e - p));
	}
	if ((p = memchr(line, '/', len)) != NULL &&
	    (e = memmem(p, len - (size_t)(p - line), "/IN: ", 5)) != NULL) {
		*kind = 'F';
		return zidx_find(idx, n, p + 1, (size_t)(e - p - 1));
	}
	return -1;
}

/*
 * Validate every written temporary file the way named will load it, with
 * one named-checkconf -z over a generated configuration listing them all
 * (it goes on after a bad zone and names each). Loaded ones are marked
 * checked; a zone named rejects fails permanently with the first message
 * about it; no verdict at all is a temporary failure.
 */
static void
check(struct bind *b, struct runner_item *it, struct work *w, size_t n)
{
	struct rndc_call call;
	struct zidx *idx;
	char conf[64], path[PATH_MAX + 64], *why, *line, *nl, kind;
	const char *argv[4];
	size_t i, m = 0, len;
	FILE *f;
	long k;
	int fd;

	for (i = 0; i < n; i++)
		if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
			m++;
	if (m == 0)
		return;
	idx = calloc(m, sizeof(*idx));
	why = calloc(n, RUNNER_REASON_MAX);
	conf[0] = '\0';
	f = NULL;
	fd = -1;
	if (idx == NULL || why == NULL ||
	    (fd = io_create_tmp(b->zfd, TMP_PREFIX, ".conf", 0600, conf,
	    sizeof(conf))) < 0 || (f = fdopen(fd, "w")) == NULL) {
		int saved = errno;

		/* Only a file we created may be removed. */
		if (fd >= 0)
			close(fd);
		else
			conf[0] = '\0';
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
				writer_fail(&it[i], RUNNER_TEMP, "unable to "
				    "write a configuration in %s: %s", b->zdir,
				    strerror(saved));
		goto out;
	}
	/* Only the zones: named's defaults for primary zones apply
	 * (check-names fail, check-integrity yes...). */
	fprintf(f, "options { directory \"%s\"; };\n", b->zdir);
	for (m = 0, i = 0; i < n; i++) {
		if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK)
			continue;
		fprintf(f, "zone \"%s\" { type primary; file \"%s\"; };\n",
		    it[i].job.zone, w[i].tmp);
		idx[m].zone = it[i].job.zone;
		idx[m++].i = i;
	}
	if (fclose(f) != 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
				writer_fail(&it[i], RUNNER_TEMP, "unable to "
				    "write %s/%s: %s", b->zdir, conf,
				    strerror(errno));
		goto out;
	}
	qsort(idx, m, sizeof(*idx), zidx_cmp);

	snprintf(path, sizeof(path), "%s/%s", b->zdir, conf);
	argv[0] = "named-checkconf";
	argv[1] = "-z";
	argv[2] = path;
	argv[3] = NULL;
	memset(&call, 0, sizeof(call));
	call.argv = argv;
	rndc_exec(&call, 1, 1, CHECK_TIMEOUT_MS);
	if (call.status < 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
				writer_fail(&it[i], RUNNER_TEMP, "validate: %s",
				    call.why);
		rndc_free(&call, 1);
		goto out;
	}
	for (line = call.out; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		k = check_line(line, len, idx, m, n, &kind);
		if (k >= 0) {
			char *r = why + (size_t)k * RUNNER_REASON_MAX;
			const char *s = line;
			size_t sl = len;

			if (kind == 'L')
				w[k].checked = 1;
			else if (kind == 'F')
				w[k].checked = -1;
			/* The first detail says most; drop our temporary
			 * file's name from it ("FILE:4: near ..."). */
			if (kind != 'L' && r[0] == '\0') {
				const char *t = memmem(line, len, ".tmp:", 5);

				if (t != NULL) {
					unsigned long ln;
					char *e;

					/* Line numbers of the text pushed,
					 * not of the file written. */
					ln = strtoul(t + 5, &e, 10);
					if (ln > w[k].pre)
						ln -= w[k].pre;
					sl = len - (size_t)(e - line);
					snprintf(r, RUNNER_REASON_MAX,
					    "line %lu%.*s", ln, (int)sl, e);
				} else
					snprintf(r, RUNNER_REASON_MAX, "%.*s",
					    (int)sl, s);
			}
		}
		if (nl == NULL)
			break;
	}
	for (i = 0; i < n; i++) {
		if (w[i].tmp[0] == '\0' || it[i].result != RUNNER_OK)
			continue;
		if (w[i].checked == 1 && why[i * RUNNER_REASON_MAX] != '\0')
			log_debug("validate: zone=%s: %s", it[i].job.zone,
			    why + i * RUNNER_REASON_MAX);
		if (w[i].checked == 1)
			continue;
		if (w[i].checked < 0)
			writer_fail(&it[i], RUNNER_PERM, "invalid zone data "
			    "(named-checkconf): %s",
			    why[i * RUNNER_REASON_MAX] != '\0' ?
			    why + i * RUNNER_REASON_MAX : "rejected");
		else
			writer_fail(&it[i], RUNNER_TEMP, "validate: no verdict "
			    "from named-checkconf (exit %d)%s%.*s",
			    call.status, call.out[0] != '\0' ? ": " : "",
			    (int)strcspn(call.out, "\n"), call.out);
	}
	rndc_free(&call, 1);
out:
	if (conf[0] != '\0')
		unlinkat(b->zfd, conf, 0);
	free(idx);
	free(why);
}

/*
 * Put the checked temporary file in place, with a later mtime than the
 * file it replaces (like NSD, named reloads a zone file only when its
 * mtime is later than that of the file it loaded last).
 */
static int
install(struct bind *b, struct runner_item *it, struct work *w)
{
	char name[FILE_NAME_MAX + 1], err[RUNNER_REASON_MAX];

	zonefile_name(it->job.zone, name, sizeof(name));
	if (zonefile_install(b->zfd, b->zdir, w->tmp, name, &w->existed, err,
	    sizeof(err)) < 0) {
		writer_fail(it, RUNNER_TEMP, "%s", err);
		return -1;
	}
	w->tmp[0] = '\0';
	w->installed = 1;
	return 0;
}

/* Set up w's rndc command for step s. */
static void
set_step(struct bind *b, struct runner_item *it, struct work *w,
    enum step s)
{
	char name[FILE_NAME_MAX + 1];
	int a = 0;

	w->step = s;
	w->argv[a++] = "rndc";
	if (b->be->rndc_conf[0] != '\0') {
		w->argv[a++] = "-c";
		w->argv[a++] = b->be->rndc_conf;
	}
	switch (s) {
	case S_ADD:
		zonefile_name(it->job.zone, name, sizeof(name));
		snprintf(w->stmt, sizeof(w->stmt), "{ type primary; file "
		    "\"%s/%s\"; };", b->zdir, name);
		w->argv[a++] = "addzone";
		w->argv[a++] = it->job.zone;
		w->argv[a++] = w->stmt;
		break;
	case S_RELOAD:
		w->argv[a++] = "reload";
		w->argv[a++] = it->job.zone;
		break;
	case S_DEL:
		w->argv[a++] = "delzone";
		w->argv[a++] = it->job.zone;
		break;
	case S_NONE:
		break;
	}
	w->argv[a] = NULL;
}

static const char *
step_word(enum step s)
{
	return s == S_ADD ? "addzone" : s == S_RELOAD ? "reload" : "delzone";
}

/*
 * Run the rndc command of every item with a step, RNDC_PARALLEL at a
 * time. An addzone of a zone BIND has turns into a reload, a reload of a
 * zone it lacks into an addzone (the zone file is the guess, BIND's NZD
 * the truth); a delzone of an absent zone is done. Returns the number of
 * commands run.
 */
static size_t
control(struct bind *b, struct runner_item *it, struct work *w, size_t n)
{
	struct rndc_call *calls;
	size_t *map, i, k, nc, total = 0;
	char why[RUNNER_REASON_MAX];
	int round;

	calls = calloc(n, sizeof(*calls));
	map = calloc(n, sizeof(*map));
	if (calls == NULL || map == NULL) {
		for (i = 0; i < n; i++)
			if (w[i].step != S_NONE)
				writer_fail(&it[i], RUNNER_TEMP,
				    "out of memory");
		goto out;
	}
	for (round = 0; round < 2; round++) {
		for (nc = 0, i = 0; i < n; i++) {
			if (w[i].step == S_NONE || it[i].result != RUNNER_OK)
				continue;
			memset(&calls[nc], 0, sizeof(calls[nc]));
			calls[nc].argv = w[i].argv;
			map[nc++] = i;
		}
		if (nc == 0)
			break;
		rndc_exec(calls, nc, RNDC_PARALLEL, RNDC_TIMEOUT_MS);
		total += nc;
		for (k = 0; k < nc; k++) {
			struct runner_item *x = &it[map[k]];
			struct work *y = &w[map[k]];
			enum rndc_answer a = rndc_answer(&calls[k]);

			if (a == RNDC_OK || (a == RNDC_NOT_FOUND &&
			    y->step == S_DEL)) {
				if (y->step == S_RELOAD && strstr(calls[k].out,
				    "up-to-date") != NULL)
					log_debug("reload zone=%s: %s",
					    x->job.zone, "up-to-date");
				y->step = S_NONE;
				continue;
			}
			if (round == 0 && a == RNDC_EXISTS &&
			    y->step == S_ADD) {
				set_step(b, x, y, S_RELOAD);
				continue;
			}
			if (round == 0 && a == RNDC_NOT_FOUND &&
			    y->step == S_RELOAD) {
				set_step(b, x, y, S_ADD);
				continue;
			}
			writer_fail(x, RUNNER_TEMP, "%s %s: %s",
			    step_word(y->step), x->job.zone,
			    rndc_reason(&calls[k], why, sizeof(why)));
		}
		rndc_free(calls, nc);
	}
out:
	free(calls);
	free(map);
	return total;
}

/*
 * The backend: make BIND serve the saves of a batch and drop its deletes.
 * Saves: validate in-process (zone_prepare), write temporary files, one
 * file system sync, validate them all with one named-checkconf -z, rename
 * the good ones in place (a bad text never replaces a zone file, so BIND
 * keeps serving the old zone, even after a restart), then rndc addzone
 * (new) or reload (known). Deletes: rndc delzone. The rndc commands run
 * RNDC_PARALLEL at a time. Then, when a verify address is set, wait until
 * BIND serves the result; last, remove the zone files of deleted zones.
 */
static void
apply(void *ctx, struct runner_item *it, size_t n)
{
	struct bind *b = ctx;
	struct work *w;
	struct zone_info info;
	char err[512], name[FILE_NAME_MAX + 1];
	size_t i, k, nwritten = 0, ninst = 0, nadd = 0, nrel = 0, ndel = 0, nrndc;
	long long t0 = clock_us(), t1, t2, t3, t4;

	if ((w = calloc(n, sizeof(*w))) == NULL) {
		for (i = 0; i < n; i++)
			writer_fail(&it[i], RUNNER_TEMP, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		it[i].result = RUNNER_OK;
		it[i].reason[0] = '\0';
		it[i].applied_us = 0;
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
		for (k = 0; k + it[i].job.textlen < w[i].len; k++)
			if (w[i].text[k] == '\n')
				w[i].pre++;
		if (write_tmp(b, &it[i], &w[i], i) == 0)
			nwritten++;
	}
	/* One sync makes every temporary file durable before any of them
	 * replaces a zone file. */
	if (nwritten > 0 && syncfs(b->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0')
				writer_fail(&it[i], RUNNER_TEMP, "unable to "
				    "sync %s: %s", b->zdir, strerror(errno));
	}
	t1 = clock_us();
	if (nwritten > 0)
		check(b, it, w, n);
	t2 = clock_us();

	for (i = 0; i < n; i++) {
		if (it[i].result != RUNNER_OK)
			continue;
		if (it[i].job.action == JOB_DELETE) {
			set_step(b, &it[i], &w[i], S_DEL);
			ndel++;
			continue;
		}
		if (install(b, &it[i], &w[i]) < 0)
			continue;
		ninst++;
		set_step(b, &it[i], &w[i], w[i].existed ? S_RELOAD : S_ADD);
		if (w[i].existed)
			nrel++;
		else
			nadd++;
	}
	if (ninst > 0 && fsync(b->zfd) < 0) {
		for (i = 0; i < n; i++)
			if (w[i].step != S_NONE && w[i].step != S_DEL)
				writer_fail(&it[i], RUNNER_TEMP, "unable to "
				    "sync %s: %s", b->zdir, strerror(errno));
	}
	nrndc = control(b, it, w, n);
	/* A new zone BIND did not take must not pass for a known one
	 * next time. */
	for (i = 0; i < n; i++) {
		if (!w[i].installed || w[i].existed ||
		    it[i].result == RUNNER_OK)
			continue;
		zonefile_name(it[i].job.zone, name, sizeof(name));
		unlinkat(b->zfd, name, 0);
	}
	t3 = clock_us();

	if (b->verify)
		servewait_run(&b->sw, it, n);
	t4 = clock_us();

	/* BIND dropped the deleted zones: their files can go. */
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE ||
		    it[i].result != RUNNER_OK)
			continue;
		zonefile_name(it[i].job.zone, name, sizeof(name));
		if (unlinkat(b->zfd, name, 0) < 0 && errno != ENOENT)
			writer_fail(&it[i], RUNNER_TEMP, "unable to "
			    "remove %s/%s: %s", b->zdir, name, strerror(errno));
	}
	log_debug("bind: jobs=%zu saves=%zu new=%zu known=%zu deletes=%zu "
	    "rndc=%zu write_ms=%.1f check_ms=%.1f control_ms=%.1f "
	    "verify_ms=%.1f", n, ninst, nadd, nrel, ndel, nrndc,
	    (t1 - t0) / 1000.0, (t2 - t1) / 1000.0, (t3 - t2) / 1000.0,
	    (t4 - t3) / 1000.0);
	for (i = 0; i < n; i++) {
		if (w[i].tmp[0] != '\0')
			unlinkat(b->zfd, w[i].tmp, 0);
		free(w[i].text);
	}
	free(w);
}

/* Report a stale temporary file zonefile_clean() removed. */
static void
removed(void *arg, const char *name)
{
	log_info("removed stale %s/%s", (const char *)arg, name);
}

/* One job through the same apply() the queue runner uses. */
static int
one_shot(struct bind *b, enum job_action action, const char *arg)
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
		free(prep);
		/* apply() prepares the text again: give it what was pushed
		 * so its messages count lines the same way. */
		it.job.text = text;
		it.job.textlen = len;
		it.job.serial = info.serial;
	}
	apply(b, &it, 1);
	free(text);
	if ((rc = writer_result(&it, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	log_info("%s", err);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct bind b;
	struct runner_backend rb;
	struct runner_opts ro;
	unsigned sched[RUNNER_SCHEDULE_MAX];
	const char *cpath = NULL, *bname = NULL, *why;
	char err[1024];
	int c, level = -1, nfd = -1, n, cmd;

	log_init("zone-write-bind");
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

	memset(&b, 0, sizeof(b));
	if ((b.be = writer_backend(cfg, BACKEND_BIND, "bind", bname, err,
	    sizeof(err))) == NULL)
		die(EXIT_USAGE, "%s", err);
	if (b.be->verify[0] != '\0') {
		if (dnsq_server_parse(b.be->verify, &b.srv, &why) < 0)
			die(EXIT_USAGE, "invalid dns.backends.%s.verify %s: %s",
			    b.be->name, b.be->verify, why);
		b.verify = 1;
		b.sw.srv = &b.srv;
		b.sw.addr = b.be->verify;
		b.sw.timeout_ms = VERIFY_MS;
		b.sw.round_ms = VERIFY_ROUND_MS;
		b.sw.first_ms = 2;
		b.sw.hint = " (see named's log)";
		b.sw.log = runner_log;
	}
	/* The zone file path goes into named's configuration language, in
	 * double quotes. */
	if (strpbrk(b.be->zones_dir, "\"\\;{}\n") != NULL)
		die(EXIT_USAGE, "dns.backends.%s.zones_dir must not contain "
		    "quotes, backslashes, braces, semicolons or newlines",
		    b.be->name);
	/* A write to a tool that exited must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (io_mkdir_p(b.be->zones_dir, 0755) < 0)
		die_sys(EXIT_TEMP, "unable to create %s", b.be->zones_dir);
	/* named resolves relative paths against its own directory. */
	if (realpath(b.be->zones_dir, b.zdir) == NULL)
		die_sys(EXIT_TEMP, "unable to resolve %s", b.be->zones_dir);
	if (strpbrk(b.zdir, "\"\\;{}\n") != NULL)
		die(EXIT_USAGE, "the path of dns.backends.%s.zones_dir (%s) "
		    "must not contain quotes, backslashes, braces, semicolons "
		    "or newlines", b.be->name, b.zdir);
	if ((b.zfd = open(b.zdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to open %s", b.zdir);
	if ((n = writer_dir_check(b.zfd, "zones directory", b.zdir, err,
	    sizeof(err))) != 0)
		die(n, "%s", err);

	if (cmd != WRITER_RUN) {
		n = one_shot(&b, cmd == WRITER_SAVE ? JOB_SAVE : JOB_DELETE,
		    argv[1]);
		close(b.zfd);
		free(cfg);
		return n;
	}

	if (writer_runner_opts(&ro, sched, cfg, nfd, BATCH_MAX, 0, err,
	    sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if ((n = writer_spool_check(ro.spool, b.be->name, err,
	    sizeof(err))) != 0)
		die(n, "%s", err);
	memset(&rb, 0, sizeof(rb));
	rb.name = b.be->name;
	rb.ctx = &b;
	rb.apply = apply;
	rb.log = runner_log;
	zonefile_clean(b.zfd, TMP_PREFIX, "", TMP_STALE_S, removed, b.zdir);
	log_info("running queue=%s zones_dir=%s rndc_conf=%s verify=%s",
	    b.be->name, b.zdir, b.be->rndc_conf[0] ? b.be->rndc_conf :
	    "(rndc's default)", b.verify ? b.be->verify : "off");
	if (runner_run(&ro, &rb, err, sizeof(err)) < 0)
		die(EXIT_TEMP, "%s", err);
	log_info("stopped");
	close(b.zfd);
	free(cfg);
	return 0;
}
