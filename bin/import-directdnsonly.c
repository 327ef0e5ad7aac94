/* import-directdnsonly.c -- take over every zone of a directdnsonly
 * sqlite database (its domains table), owners and times included */
/* SPDX-License-Identifier: ISC */
#define USAGE "import-directdnsonly [-V] [-c app.yml] [-n] [-b backend]... DB"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "appconf.h"
#include "clock.h"
#include "config.h"
#include "hash.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "peer.h"
#include "spool.h"
#include "store.h"
#include "version.h"
#include "zone.h"

#define BATCH	1000	/* zones committed together */

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V       print the version and exit\n"
	    "  -c FILE  app.yml to read (default: $DADNS_CONFIG or the usual"
	    " places)\n"
	    "  -n       dry run: print what would be imported on stdout,"
	    " change nothing;\n"
	    "           exit 1 when something would\n"
	    "  -b NAME  only this backend's queue (repeatable; default: every"
	    " enabled\n"
	    "           backend)\n"
	    "Imports every zone of directdnsonly's database DB (table domains:"
	    " domain,\nhostname, username, zone_data, zone_updated_at) into"
	    " the store and every\nbackend's queue, unless the store holds a"
	    " newer copy. Run it again at will.\n", USAGE);
}

/* SQLAlchemy's DATETIME text, naive UTC: "2024-01-02 03:04:05[.ffffff]"
 * (or with 'T'). Returns µs since the epoch, or -1. */
static long long
parse_time(const char *s)
{
	struct tm tm;
	long long us = 0;
	int n = 0, i;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) != 6 || n == 0)
		return -1;
	s += n;
	if (*s == '.') {
		for (i = 0, s++; i < 6; i++) {
			us *= 10;
			if (isdigit((unsigned char)*s))
				us += *s++ - '0';
		}
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s != '\0' && strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60 || (t = timegm(&tm)) == (time_t)-1 || t < 0)
		return -1;
	return (long long)t * 1000000 + us;
}

/* An owner field as da-receive keeps it: printable ASCII without spaces
 * (hostnames lower-cased), else "". Returns 0, or -1 when it was not
 * usable. */
static int
owner(char *dst, const unsigned char *src, int lower)
{
	size_t i, n;

	dst[0] = '\0';
	if (src == NULL)
		return 0;
	if ((n = strlen((const char *)src)) > JOB_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (src[i] <= ' ' || src[i] > '~') {
			dst[0] = '\0';
			return -1;
		}
		dst[i] = lower ? (char)tolower(src[i]) : (char)src[i];
	}
	dst[n] = '\0';
	return 0;
}

struct imp {
	struct store	*st;
	const char	*spool;
	char		**queues;
	size_t		 nq;
	int		 dry_run;
	struct job	 jobs[BATCH];
	char		*texts[BATCH];
	size_t		 n;
	unsigned long	 imported, current, notext, invalid;
};

static void
flush(struct imp *im)
{
	struct store_zone l, r;
	char err[512], won[BATCH];
	size_t i;
	long k;
	int rc;

	if (im->dry_run) {
		for (i = 0; i < im->n; i++) {
			memset(&r, 0, sizeof(r));
			r.serial = im->jobs[i].serial;
			r.updated_us = im->jobs[i].pushed_us;
			hash_hex(im->jobs[i].text, im->jobs[i].textlen, r.hash);
			if ((rc = store_get(im->st, im->jobs[i].zone, &l, 0)) <
			    0)
				die(EXIT_TEMP, "unable to read zone %s: %s",
				    im->jobs[i].zone, store_errmsg(im->st));
			if (peer_wins(&r, rc ? &l : NULL)) {
				printf("save %s %" PRIu32 "\n",
				    im->jobs[i].zone, im->jobs[i].serial);
				im->imported++;
			} else
				im->current++;
		}
	} else {
		k = peer_commit(im->st, im->spool, im->queues, im->nq,
		    im->jobs, im->n, NULL, NULL, won, err, sizeof(err));
		if (k < 0)
			die(EXIT_TEMP, "%s", err);
		for (i = 0; i < im->n; i++)
			log_debug("%s zone=%s serial=%" PRIu32, won[i] ?
			    "imported" : "current", im->jobs[i].zone,
			    im->jobs[i].serial);
		im->imported += (unsigned long)k;
		im->current += im->n - (size_t)k;
	}
	for (i = 0; i < im->n; i++)
		free(im->texts[i]);
	im->n = 0;
}

static int
has_column(sqlite3 *db, const char *col)
{
	sqlite3_stmt *s;
	const unsigned char *v;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info("
	    "'domains')", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW)
		if ((v = sqlite3_column_text(s, 0)) != NULL &&
		    strcmp((const char *)v, col) == 0)
			found = 1;
	sqlite3_finalize(s);
	return found;
}

/* Open the directdnsonly database at path, read-only, check it has zone
 * texts and prepare the read of its domains. Returns the statement. */
static sqlite3_stmt *
open_source(const char *path, sqlite3 **db)
{
	sqlite3_stmt *s;
	int rc;

	/* Read-only, and never created: a wrong path is an error. */
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		die(EXIT_USAGE, "unable to open %s: %s", path,
		    *db ? sqlite3_errmsg(*db) : "out of memory");
	sqlite3_busy_timeout(*db, 10000);
	if ((rc = has_column(*db, "domain")) <= 0)
		die(EXIT_USAGE, "%s is not a directdnsonly database: %s",
		    path, rc < 0 ? sqlite3_errmsg(*db) : "no domains table");
	if (has_column(*db, "zone_data") != 1 ||
	    has_column(*db, "zone_updated_at") != 1)
		die(EXIT_USAGE, "%s has no zone_data or zone_updated_at column"
		    " (directdnsonly before 2.x keeps no zone texts): nothing"
		    " to import", path);
	if (sqlite3_prepare_v2(*db, "SELECT domain, hostname, username,"
	    " zone_data, zone_updated_at FROM domains ORDER BY id", -1, &s,
	    NULL) != SQLITE_OK)
		die(EXIT_USAGE, "unable to read %s: %s", path,
		    sqlite3_errmsg(*db));
	return s;
}

/* Take the row s is on as a save job into im's batch (committed when it
 * is full), or count why it is skipped; now is the time of import. */
static void
import_row(struct imp *im, sqlite3_stmt *s, long long now)
{
	struct zone_info info;
	struct job *job;
	char name[ZONE_NAME_MAX + 1], zerr[256];
	const char *why, *dom, *text, *when;
	size_t plen;
	long long t;

	dom = (const char *)sqlite3_column_text(s, 0);
	text = (const char *)sqlite3_column_blob(s, 3);
	when = (const char *)sqlite3_column_text(s, 4);
	if (dom == NULL || zone_name_norm(dom, name, &why) < 0) {
		log_warn("skipped domain %s: %s", dom ? dom : "NULL",
		    dom ? why : "no name");
		im->invalid++;
		return;
	}
	if (sqlite3_column_type(s, 3) == SQLITE_NULL) {
		/* Never written by directdnsonly: nothing served. */
		log_debug("no zone_data zone=%s", name);
		im->notext++;
		return;
	}
	job = &im->jobs[im->n];
	memset(job, 0, sizeof(*job));
	job->action = JOB_SAVE;
	memcpy(job->zone, name, sizeof(name));
	if (owner(job->hostname, sqlite3_column_text(s, 1), 1) < 0 ||
	    owner(job->username, sqlite3_column_text(s, 2), 0) < 0)
		log_warn("zone %s: owner field not printable ASCII:"
		    " imported without it", name);
	if (text == NULL)
		text = "";
	if (zone_prepare(name, text, (size_t)sqlite3_column_bytes(s, 3),
	    &im->texts[im->n], &plen, &info, zerr, sizeof(zerr)) < 0) {
		log_warn("skipped zone %s: invalid zone_data: %s", name,
		    zerr);
		im->invalid++;
		return;
	}
	t = when ? parse_time(when) : -1;
	if (when != NULL && t < 0)
		log_warn("zone %s: unreadable zone_updated_at %s:"
		    " using the time of import", name, when);
	job->pushed_us = t > 0 ? t : now;
	job->serial = info.serial;
	job->text = im->texts[im->n];
	job->textlen = plen;
	if (++im->n == BATCH)
		flush(im);
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct imp *im;
	sqlite3 *db;
	sqlite3_stmt *s;
	char *queues[CONFIG_BACKENDS_MAX], *only[CONFIG_BACKENDS_MAX];
	char err[1024];
	const char *cpath = NULL;
	const char *missing;
	size_t nq, nonly = 0;
	long nsel;
	long long now;
	int c, rc, dry_run = 0;

	log_init("import-directdnsonly");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("import-directdnsonly");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	opterr = 0;
	while ((c = getopt(argc, argv, "Vb:c:hn")) != -1) {
		switch (c) {
		case 'b':
			if (nonly == CONFIG_BACKENDS_MAX)
				die(EXIT_USAGE, "too many -b options");
			only[nonly++] = optarg;
			break;
		case 'c':
			cpath = optarg;
			break;
		case 'V':
			version_exit("import-directdnsonly");
		case 'h':
			help();
			return 0;
		case 'n':
			dry_run = 1;
			break;
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		die_usage(USAGE);
	if ((im = calloc(1, sizeof(*im))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	im->dry_run = dry_run;

	if ((rc = appconf_load(&cfg, cpath, -1, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	if ((nsel = config_queues_only(cfg, only, nonly, queues,
	    CONFIG_BACKENDS_MAX, &missing)) < 0)
		die(EXIT_USAGE, "no enabled backend named %s", missing);
	nq = (size_t)nsel;
	s = open_source(argv[0], &db);
	if (!im->dry_run && spool_init(cfg->queue_location, queues, nq) < 0)
		die_sys(EXIT_TEMP, "unable to set up the spool %s",
		    cfg->queue_location);
	if ((im->st = store_open(cfg->db_location, err, sizeof(err))) == NULL)
		die(EXIT_TEMP, "%s", err);
	im->spool = cfg->queue_location;
	im->queues = queues;
	im->nq = nq;
	now = clock_wall_us();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		import_row(im, s, now);
	if (rc != SQLITE_DONE)
		die(EXIT_TEMP, "unable to read %s: %s", argv[0],
		    sqlite3_errmsg(db));
	flush(im);
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(im->st);
	log_info("%s %lu zone(s) from %s: %lu already current, %lu without"
	    " zone_data, %lu invalid", im->dry_run ? "would import" :
	    "imported", im->imported, argv[0], im->current, im->notext,
	    im->invalid);
	if (fflush(stdout) != 0)
		die_sys(EXIT_TEMP, "unable to write to stdout");
	rc = im->dry_run && im->imported > 0 ? EXIT_NO : 0;
	free(im);
	free(cfg);
	return rc;
}
