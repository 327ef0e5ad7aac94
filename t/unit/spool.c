/* spool.c -- unit driver for lib/pipeline/spool.c, lib/pipeline/store.c, lib/pipeline/enqueue.c:
 * run in an empty directory; prints one line per failed check */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "enqueue.h"
#include "io.h"
#include "job.h"
#include "spool.h"
#include "store.h"

static struct job
mkjob(const char *zone, enum job_action action, const char *text)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.action = action;
	snprintf(j.zone, sizeof(j.zone), "%s", zone);
	snprintf(j.hostname, sizeof(j.hostname), "da1.example.net");
	j.pushed_us = clock_wall_us();
	j.serial = 7;
	j.text = text;
	j.textlen = text ? strlen(text) : 0;
	return j;
}

int
main(void)
{
	char *queues[] = { "nsd", "mysql-dc1" };
	char err[512];
	struct spool_entry *ent;
	struct store_zone z;
	struct store *st;
	struct job jobs[3];
	long long live, tomb;
	long n;
	int fd, keep;

	CHECK(spool_queue_name_ok("mysql-dc1") && !spool_queue_name_ok("../x")
	    && !spool_queue_name_ok("") && !spool_queue_name_ok("A"));
	CHECK(spool_init("sp", queues, 2) == 0);
	CHECK(spool_init("sp", queues, 2) == 0);	/* idempotent */
	st = store_open("store.db", err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return 1;

	fd = spool_trigger_open("sp", "nsd", &keep);
	CHECK(fd >= 0);
	jobs[0] = mkjob("a.test", JOB_SAVE, "text one");
	jobs[1] = mkjob("b.test", JOB_SAVE, "text two");
	jobs[2] = mkjob("a.test", JOB_DELETE, NULL);
	CHECK(enqueue_commit(st, "sp", queues, 2, jobs, 3, err,
	    sizeof(err)) == 0);
	CHECK(jobs[0].seq < jobs[1].seq && jobs[1].seq < jobs[2].seq);
	CHECK(spool_count("sp", "nsd", "new") == 3);
	CHECK(spool_count("sp", "mysql-dc1", "new") == 3);
	CHECK(spool_count("sp", "nsd", "fail") == 0);
	/* tmp/ is empty after a commit. */
	CHECK(spool_clean_tmp("sp", -1) == 0);
	/* The trigger was pulled. */
	{
		char b;

		CHECK(read(fd, &b, 1) == 1);
		spool_trigger_drain(fd);
		CHECK(read(fd, &b, 1) == -1 && errno == EAGAIN);
	}

	n = spool_scan("sp", "nsd", &ent);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(strcmp(ent[0].zone, "a.test") == 0 &&
		    strcmp(ent[1].zone, "b.test") == 0 &&
		    strcmp(ent[2].zone, "a.test") == 0);
		CHECK(ent[0].seq < ent[2].seq);
		CHECK(spool_fail("sp", "nsd", ent[1].name, "zone is bad") == 0);
		CHECK(spool_done("sp", "nsd", ent[0].name) == 0);
		CHECK(spool_done("sp", "nsd", ent[0].name) == 0);	/* gone */
	}
	free(ent);
	CHECK(spool_count("sp", "nsd", "new") == 1);
	CHECK(spool_count("sp", "nsd", "fail") == 1);

	/* The store holds a tombstone for a.test and b.test's text. */
	CHECK(store_get(st, "a.test", &z, 1) == 1);
	CHECK(z.deleted_us != 0 && z.text == NULL && z.hash[0] == '\0');
	store_zone_free(&z);
	CHECK(store_get(st, "b.test", &z, 1) == 1);
	CHECK(z.deleted_us == 0 && z.text != NULL &&
	    strcmp(z.text, "text two") == 0 && z.serial == 7 &&
	    strlen(z.hash) == 64 && strcmp(z.hostname, "da1.example.net") == 0);
	store_zone_free(&z);
	CHECK(store_get(st, "c.test", &z, 0) == 0);
	CHECK(store_count(st, &live, &tomb) == 0 && live == 1 && tomb == 1);

	/* A save with no owner keeps the stored owner; a new save revives a
	 * tombstone. */
	jobs[0] = mkjob("a.test", JOB_SAVE, "text three");
	jobs[0].hostname[0] = '\0';
	CHECK(enqueue_commit(st, "sp", queues, 1, jobs, 1, err,
	    sizeof(err)) == 0);
	CHECK(store_get(st, "a.test", &z, 1) == 1 && z.deleted_us == 0 &&
	    strcmp(z.hostname, "da1.example.net") == 0 &&
	    strcmp(z.text, "text three") == 0);
	store_zone_free(&z);
	CHECK(store_applied_set(st, "nsd", "a.test", "abc", 1) == 0);

	/* A queue whose new/ cannot take the link: nothing is left in any
	 * new/, tmp/ is empty, the caller gets an error. */
	CHECK(rename("sp/mysql-dc1/new", "sp/mysql-dc1/new.off") == 0);
	CHECK(io_write_atomic("sp/mysql-dc1/new", "x", 1, 0600) == 0);
	n = spool_count("sp", "nsd", "new");
	jobs[0] = mkjob("d.test", JOB_SAVE, "text four");
	CHECK(enqueue_commit(st, "sp", queues, 2, jobs, 1, err,
	    sizeof(err)) == -1);
	CHECK(strstr(err, "unable to write the jobs") != NULL);
	CHECK(spool_count("sp", "nsd", "new") == n);
	CHECK(spool_clean_tmp("sp", -1) == 0);

	store_close(st);
	close(fd);
	close(keep);
	if (failures == 0)
		printf("ok\n");
	return failures != 0;
}
