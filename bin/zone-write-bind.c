/* zone-write-bind.c -- write zones to BIND 9: zone files, rndc addzone/reload */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-bind [-c app.yml] [-b backend] [-d fd] [-v|-q] " \
	"save ZONE | delete ZONE | run"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
#include "rndc.h"
#include "runner.h"
#include "zone.h"

#define BATCH_MAX	200	/* jobs per batch in run mode */
#define RNDC_PARALLEL	4	/* rndc processes in flight */
#define RNDC_TIMEOUT_MS	30000	/* one rndc command */
#define CHECK_TIMEOUT_MS 120000	/* named-checkconf -z of one batch */
#define VERIFY_MS	10000	/* until a change must be served */
#define VERIFY_ROUND_MS	100	/* wait for the answers of one round */
#define TMP_PREFIX	".zwb-"
#define TMP_STALE_S	3600	/* leftover temporary files */
#define FILE_NAME_MAX	255

static const unsigned default_schedule[] = { 30, 120, 300, 900, 1800 };

struct bind {
	const struct config_backend *be;
	char		 zdir[PATH_MAX];	/* zones_dir, absolute */
	int		 zfd;
	struct dnsq_server srv;
	int		 verify;	/* srv is set */
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
	int		 pending;	/* waiting to be seen served */
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

/* Write the prepared text of item i into a temporary file of zones_dir,
 * named after i so named-checkconf's messages lead back to it. */
static int
write_tmp(struct bind *b, struct runner_item *it, struct work *w, size_t i)
{
	int fd, saved;

	snprintf(w->tmp, sizeof(w->tmp), TMP_PREFIX "%ld-%zu.tmp",
	    (long)getpid(), i);
	fd = openat(b->zfd, w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd < 0)
		goto fail;
	if (io_write_all(fd, w->text, w->len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	return 0;
fail:
	item_fail(it, RUNNER_TEMP, "unable to write %s/%s: %s", b->zdir,
	    w->tmp, strerror(errno));
	unlinkat(b->zfd, w->tmp, 0);
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
 * (".zwb-PID-I.tmp:4: near ..."). Sets *kind: 'L' loaded, 'F' the
 * verdict of a failure, 'D' a detail. Returns the item or -1.
 */
static long
check_line(const char *line, size_t len, const struct zidx *idx, size_t n,
    size_t nitems, char *kind)
{
	char pfx[32];
	const char *p, *e;
	size_t plen;
	unsigned long v;
	char *end;

	plen = (size_t)snprintf(pfx, sizeof(pfx), TMP_PREFIX "%ld-",
	    (long)getpid());
	if ((p = memmem(line, len, pfx, plen)) != NULL) {
		v = strtoul(p + plen, &end, 10);
		*kind = 'D';
		return strncmp(end, ".tmp", 4) == 0 && v < nitems ? (long)v :
		    -1;
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
	snprintf(conf, sizeof(conf), TMP_PREFIX "%ld.conf", (long)getpid());
	f = NULL;
	fd = -1;
	if (idx == NULL || why == NULL ||
	    (fd = openat(b->zfd, conf, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		for (i = 0; i < n; i++)
			if (w[i].tmp[0] != '\0' && it[i].result == RUNNER_OK)
				item_fail(&it[i], RUNNER_TEMP, "unable to "
				    "write %s/%s: %s", b->zdir, conf,
				    strerror(errno));
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
				item_fail(&it[i], RUNNER_TEMP, "unable to "
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
				item_fail(&it[i], RUNNER_TEMP, "validate: %s",
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
			item_fail(&it[i], RUNNER_PERM, "invalid zone data "
			    "(named-checkconf): %s",
			    why[i * RUNNER_REASON_MAX] != '\0' ?
			    why + i * RUNNER_REASON_MAX : "rejected");
		else
			item_fail(&it[i], RUNNER_TEMP, "validate: no verdict "
			    "from named-checkconf (exit %d)%s%.*s",
			    call.status, call.out[0] != '\0' ? ": " : "",
			    (int)strcspn(call.out, "\n"), call.out);
	}
	rndc_free(&call, 1);
out:
	unlinkat(b->zfd, conf, 0);
	free(idx);
	free(why);
}

/*
 * Put the checked temporary file in place. Like NSD, named reloads a zone
 * file only when its mtime is later than that of the file it loaded last,
 * and the file system clock ticks coarsely: a file written in the same
 * tick as the one it replaces gets a later mtime by hand.
 */
static int
install(struct bind *b, struct runner_item *it, struct work *w)
{
	char name[FILE_NAME_MAX + 1];
	struct stat old, new;
	struct timespec ts[2];

	snprintf(name, sizeof(name), "%s.db", it->job.zone);
	w->existed = fstatat(b->zfd, name, &old, 0) == 0;
	if (w->existed && fstatat(b->zfd, w->tmp, &new, 0) == 0 &&
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
		if (utimensat(b->zfd, w->tmp, ts, 0) < 0) {
			item_fail(it, RUNNER_TEMP, "unable to set the mtime "
			    "of %s/%s: %s", b->zdir, w->tmp, strerror(errno));
			return -1;
		}
	}
	if (renameat(b->zfd, w->tmp, b->zfd, name) < 0) {
		item_fail(it, RUNNER_TEMP, "unable to rename %s/%s to %s: %s",
		    b->zdir, w->tmp, name, strerror(errno));
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
	int a = 0;

	w->step = s;
	w->argv[a++] = "rndc";
	if (b->be->rndc_conf[0] != '\0') {
		w->argv[a++] = "-c";
		w->argv[a++] = b->be->rndc_conf;
	}
	switch (s) {
	case S_ADD:
		snprintf(w->stmt, sizeof(w->stmt), "{ type primary; file "
		    "\"%s/%s.db\"; };", b->zdir, it->job.zone);
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
				item_fail(&it[i], RUNNER_TEMP, "out of memory");
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
			item_fail(x, RUNNER_TEMP, "%s %s: %s",
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
 * Ask the verify address until every pending item is served as wanted
 * (saves: the zone's SOA with the job's serial and AA; deletes: no SOA of
 * the zone) or VERIFY_MS passed: then the item failed temporarily.
 */
static void
verify(struct bind *b, struct runner_item *it, struct work *w, size_t n)
{
	const char **zones;
	struct dnsq_result *res;
	size_t *map, i, k, np;
	long long start = io_mono_ms(), now;
	int done;

	zones = calloc(n, sizeof(*zones));
	res = calloc(n, sizeof(*res));
	map = calloc(n, sizeof(*map));
	if (zones == NULL || res == NULL || map == NULL) {
		for (i = 0; i < n; i++)
			if (w[i].pending)
				item_fail(&it[i], RUNNER_TEMP, "verify: out "
				    "of memory");
		goto out;
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
		if (dnsq_soa(&b->srv, zones, np, VERIFY_ROUND_MS, res) < 0) {
			memset(res, 0, np * sizeof(*res));
			log_debug("verify: unable to query %s: %s",
			    b->be->verify, strerror(errno));
		}
		now = io_mono_ms();
		for (k = 0; k < np; k++) {
			struct runner_item *x = &it[map[k]];

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
				    "from %s for %s", b->be->verify,
				    x->job.zone);
			else if (x->job.action == JOB_DELETE)
				item_fail(x, RUNNER_TEMP, "verify: %s still "
				    "served by %s after %d s", x->job.zone,
				    b->be->verify, VERIFY_MS / 1000);
			else if (res[k].status == DNSQ_SOA)
				item_fail(x, RUNNER_TEMP, "verify: %s serves "
				    "serial %" PRIu32 ", not %" PRIu32 " after "
				    "%d s (see named's log)", b->be->verify,
				    res[k].serial, x->job.serial,
				    VERIFY_MS / 1000);
			else
				item_fail(x, RUNNER_TEMP, "verify: %s answers "
				    "rcode %d%s for %s after %d s",
				    b->be->verify, res[k].rcode,
				    res[k].aa ? "" : " without AA",
				    x->job.zone, VERIFY_MS / 1000);
		}
		/* A reload is queued in named, not done, when rndc
		 * returns: ask often at first, then back off. */
		now = io_mono_ms();
		if (now - start < VERIFY_MS)
			poll(NULL, 0, now - start < 100 ? 2 :
			    now - start < 1000 ? 10 : 50);
	}
out:
	free(map);
	free(res);
	free(zones);
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
	long long t0 = mono_us(), t1, t2, t3, t4;

	if ((w = calloc(n, sizeof(*w))) == NULL) {
		for (i = 0; i < n; i++)
			item_fail(&it[i], RUNNER_TEMP, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		it[i].result = RUNNER_OK;
		it[i].reason[0] = '\0';
		it[i].applied_us = 0;
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
				item_fail(&it[i], RUNNER_TEMP, "unable to sync "
				    "%s: %s", b->zdir, strerror(errno));
	}
	t1 = mono_us();
	if (nwritten > 0)
		check(b, it, w, n);
	t2 = mono_us();

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
				item_fail(&it[i], RUNNER_TEMP, "unable to sync "
				    "%s: %s", b->zdir, strerror(errno));
	}
	nrndc = control(b, it, w, n);
	/* A new zone BIND did not take must not pass for a known one
	 * next time. */
	for (i = 0; i < n; i++) {
		if (!w[i].installed || w[i].existed ||
		    it[i].result == RUNNER_OK)
			continue;
		snprintf(name, sizeof(name), "%s.db", it[i].job.zone);
		unlinkat(b->zfd, name, 0);
	}
	t3 = mono_us();

	if (b->verify) {
		for (i = 0; i < n; i++)
			w[i].pending = it[i].result == RUNNER_OK;
		verify(b, it, w, n);
	}
	t4 = mono_us();

	/* BIND dropped the deleted zones: their files can go. */
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_DELETE ||
		    it[i].result != RUNNER_OK)
			continue;
		snprintf(name, sizeof(name), "%s.db", it[i].job.zone);
		if (unlinkat(b->zfd, name, 0) < 0 && errno != ENOENT)
			item_fail(&it[i], RUNNER_TEMP, "unable to remove %s/%s:"
			    " %s", b->zdir, name, strerror(errno));
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

/* Remove temporary files a killed writer left in zones_dir. */
static void
clean_zones_dir(struct bind *b)
{
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	DIR *d;
	int fd;

	if ((fd = dup(b->zfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
			continue;
		if (fstatat(b->zfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    0 && S_ISREG(sb.st_mode) && now - sb.st_mtime > TMP_STALE_S &&
		    unlinkat(b->zfd, de->d_name, 0) == 0)
			log_info("removed stale %s/%s", b->zdir, de->d_name);
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
		if (be->type != BACKEND_BIND)
			die(EXIT_USAGE, "backend %s is not of type bind", name);
		return be;
	}
	for (i = 0; i < cfg->nbackends; i++) {
		if (cfg->backends[i].type != BACKEND_BIND ||
		    !cfg->backends[i].enabled)
			continue;
		if (be != NULL)
			die(EXIT_USAGE, "several enabled bind backends (%s, %s):"
			    " choose one with -b", be->name,
			    cfg->backends[i].name);
		be = &cfg->backends[i];
	}
	if (be == NULL)
		die(EXIT_USAGE, "no enabled bind backend in %s",
		    cfg->path[0] ? cfg->path : "the configuration");
	return be;
}

/* One job through the same apply() the queue runner uses. */
static int
one_shot(struct bind *b, enum job_action action, const char *arg)
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
		free(prep);
		/* apply() prepares the text again: give it what was pushed
		 * so its messages count lines the same way. */
		it.job.text = text;
		it.job.textlen = len;
		it.job.serial = info.serial;
	}
	apply(b, &it, 1);
	free(text);
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
	struct bind b;
	struct runner_backend rb;
	struct runner_opts ro;
	unsigned sched[RUNNER_SCHEDULE_MAX];
	const char *cpath = NULL, *bname = NULL, *why, *env;
	char err[1024];
	int c, level = -1, nfd = -1, n;
	long v;
	char *end;

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

	memset(&b, 0, sizeof(b));
	b.be = pick_backend(cfg, bname);
	if (b.be->verify[0] != '\0') {
		if (dnsq_server_parse(b.be->verify, &b.srv, &why) < 0)
			die(EXIT_USAGE, "invalid dns.backends.%s.verify %s: %s",
			    b.be->name, b.be->verify, why);
		b.verify = 1;
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

	if (strcmp(argv[0], "run") != 0) {
		n = one_shot(&b, strcmp(argv[0], "save") == 0 ? JOB_SAVE :
		    JOB_DELETE, argv[1]);
		close(b.zfd);
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
	memset(&rb, 0, sizeof(rb));
	rb.name = b.be->name;
	rb.ctx = &b;
	rb.apply = apply;
	rb.log = runner_log;
	clean_zones_dir(&b);
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
