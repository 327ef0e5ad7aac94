/* queue-push.c -- durably put one zone job into the store and every queue */
/* SPDX-License-Identifier: ISC */
#define USAGE "queue-push [-V] [-c app.yml] [-b backend]... [-o hostname] " \
	"[-u username] [-t pushed_us] save ZONE < text | delete ZONE"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "appconf.h"
#include "config.h"
#include "enqueue.h"
#include "io.h"
#include "job.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "version.h"
#include "zone.h"

#define TIMEOUT	60	/* seconds for the whole run */

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V           print the version and exit\n"
	    "  -c FILE      app.yml to read (default: DADNS_CONFIG or the"
	    " usual places)\n"
	    "  -b NAME      only this backend's queue (repeatable; default:"
	    " every enabled backend)\n"
	    "  -o HOSTNAME  DirectAdmin server that owns the zone\n"
	    "  -u USERNAME  DirectAdmin user that owns the zone\n"
	    "  -t US        push time in microseconds since the epoch"
	    " (default: now)\n"
	    "Prints the job name on stdout.\n", USAGE);
}

/* The run took longer than TIMEOUT: a temporary failure, nothing acked. */
static void
on_alarm(int sig)
{
	static const char msg[] = "queue-push: fatal: timed out after 60"
	    " seconds\n";
	ssize_t w;

	(void)sig;
	w = write(2, msg, sizeof(msg) - 1);
	(void)w;
	_exit(EXIT_TEMP);
}

static void
copy_owner(char *dst, const char *src, const char *what)
{
	size_t i, n = strlen(src);

	if (n > JOB_NAME_MAX)
		die(EXIT_USAGE, "%s too long", what);
	for (i = 0; i < n; i++)
		if (src[i] <= ' ' || src[i] > '~')
			die(EXIT_USAGE, "invalid character in %s", what);
	memcpy(dst, src, n + 1);
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct store *st;
	struct job job;
	char cerr[512], zone[ZONE_NAME_MAX + 1], name[320];
	char *queues[CONFIG_BACKENDS_MAX], *only[CONFIG_BACKENDS_MAX];
	char *text = NULL, *prepared = NULL;
	const char *cpath = NULL, *why, *owner = "", *user = "";
	const char *missing;
	size_t nq, nonly = 0, textlen, plen;
	long nsel;
	int rc;
	struct zone_info info;
	long long pushed = 0;
	int c;

	log_init("queue-push");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("queue-push");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	while ((c = getopt(argc, argv, "Vb:c:ho:t:u:")) != -1) {
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
			version_exit("queue-push");
		case 'h':
			help();
			return 0;
		case 'o':
			owner = optarg;
			break;
		case 't':
			pushed = strtoll(optarg, NULL, 10);
			if (pushed <= 0)
				die(EXIT_USAGE, "invalid push time: %s",
				    optarg);
			break;
		case 'u':
			user = optarg;
			break;
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || (strcmp(argv[0], "save") != 0 &&
	    strcmp(argv[0], "delete") != 0))
		die_usage(USAGE);
	signal(SIGALRM, on_alarm);
	alarm(TIMEOUT);

	memset(&job, 0, sizeof(job));
	job.action = strcmp(argv[0], "save") == 0 ? JOB_SAVE : JOB_DELETE;
	if (zone_name_norm(argv[1], zone, &why) < 0)
		die(EXIT_USAGE, "invalid zone name %s: %s", argv[1], why);
	strcpy(job.zone, zone);
	copy_owner(job.hostname, owner, "hostname");
	copy_owner(job.username, user, "username");
	job.pushed_us = pushed ? pushed : clock_wall_us();

	if ((rc = appconf_load(&cfg, cpath, -1, cerr, sizeof(cerr))) != 0)
		die(rc, "%s", cerr);
	if ((nsel = config_queues_only(cfg, only, nonly, queues,
	    CONFIG_BACKENDS_MAX, &missing)) < 0)
		die(EXIT_USAGE, "no enabled backend named %s", missing);
	nq = (size_t)nsel;

	if (job.action == JOB_SAVE) {
		if (io_read_all(0, ZONE_TEXT_MAX, &text, &textlen) < 0) {
			if (errno == EFBIG)
				die(EXIT_USAGE, "zone text larger than %d"
				    " bytes", ZONE_TEXT_MAX);
			die_sys(EXIT_TEMP, "unable to read the zone text");
		}
		if (zone_prepare(zone, text, textlen, &prepared, &plen, &info,
		    cerr, sizeof(cerr)) < 0)
			die(EXIT_USAGE, "invalid zone data for %s: %s", zone,
			    cerr);
		job.text = prepared;
		job.textlen = plen;
		job.serial = info.serial;
	}

	if (spool_init(cfg->queue_location, queues, nq) < 0)
		die_sys(EXIT_TEMP, "unable to set up the spool %s",
		    cfg->queue_location);
	if ((st = store_open(cfg->db_location, cerr, sizeof(cerr))) == NULL)
		die(EXIT_TEMP, "%s", cerr);
	if (enqueue_commit(st, cfg->queue_location, queues, nq, &job, 1,
	    cerr, sizeof(cerr)) < 0)
		die(EXIT_TEMP, "%s", cerr);
	if (job_name(&job, name, sizeof(name)) == 0)
		printf("%s\n", name);
	store_close(st);
	free(text);
	free(prepared);
	free(cfg);
	if (fflush(stdout) != 0)
		die_sys(EXIT_TEMP, "unable to write to stdout");
	return 0;
}
