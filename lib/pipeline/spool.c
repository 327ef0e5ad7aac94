/* spool.c -- maildir-style job spool: tmp/, <queue>/new/, fail/, trigger */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "job.h"
#include "spool.h"

#define PATHLEN	4096
#define DONE_THREADS	4	/* removing jobs in parallel: 2.5x faster */
#define DONE_SERIAL_MAX	64	/* batches up to this size: one at a time */

int
spool_queue_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= SPOOL_QUEUE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
spool_init(const char *path, char *const queues[], size_t nq)
{
	char p[PATHLEN];
	size_t i;

	if (io_fmt(p, sizeof(p), "%s/tmp", path) < 0 ||
	    io_mkdir_p(p, 0750) < 0)
		return -1;
	for (i = 0; i < nq; i++) {
		if (!spool_queue_name_ok(queues[i])) {
			errno = EINVAL;
			return -1;
		}
		if (io_fmt(p, sizeof(p), "%s/%s/new", path, queues[i]) < 0 ||
		    io_mkdir_p(p, 0750) < 0)
			return -1;
		if (io_fmt(p, sizeof(p), "%s/%s/fail", path, queues[i]) < 0 ||
		    io_mkdir_p(p, 0750) < 0)
			return -1;
		if (io_fmt(p, sizeof(p), "%s/%s/trigger", path,
		    queues[i]) < 0)
			return -1;
		if (mkfifo(p, 0620) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* Up to this many jobs are synced one file at a time; a bigger batch is
 * cheaper with one syncfs(), which flushes the whole file system. */
#define SYNC_EACH_MAX	1


/* Remove job i from queues 0..nq-1 (all of them) and, with tmp set, from
 * tmp/. Errors are ignored: what is left is a job nobody acknowledged. */
static void
unlink_jobs(const char *path, char *const queues[], size_t nq,
    char *const names[], size_t n, size_t lastq, size_t lasti, int tmp)
{
	char dst[PATHLEN];
	size_t i, q;

	/* Queues 0..lastq-1 got every job; queue lastq got jobs
	 * 0..lasti-1. */
	for (q = 0; q <= lastq && q < nq; q++) {
		size_t upto = q < lastq ? n : lasti;

		for (i = 0; i < upto; i++) {
			if (io_fmt(dst, sizeof(dst), "%s/%s/new/%s", path,
			    queues[q], names[i]) == 0)
				unlink(dst);
		}
	}
	for (i = 0; tmp && i < n; i++) {
		if (io_fmt(dst, sizeof(dst), "%s/tmp/%s", path, names[i]) == 0)
			unlink(dst);
	}
}

int
spool_stage(const char *path, char *const queues[], size_t nq,
    char *const names[], char *const bufs[], const size_t lens[], size_t n)
{
	char tmp[PATHLEN], dst[PATHLEN];
	size_t i, q, linked_q = 0, linked_i = 0, written = 0;
	int fd, tmpfd, saved;

	if (io_fmt(tmp, sizeof(tmp), "%s/tmp", path) < 0)
		return -1;
	if ((tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		fd = openat(tmpfd, names[i],
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0 && errno == EEXIST) {
			/* A leftover of an interrupted commit of the same
			 * sequence number: its content is ours to replace. */
			unlinkat(tmpfd, names[i], 0);
			fd = openat(tmpfd, names[i],
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		}
		if (fd < 0)
			goto fail;
		written = i + 1;
		if (io_write_all(fd, bufs[i], lens[i]) < 0 ||
		    (n <= SYNC_EACH_MAX && fdatasync(fd) < 0)) {
			saved = errno;
			close(fd);
			errno = saved;
			goto fail;
		}
		if (close(fd) < 0)
			goto fail;
	}
	/* File contents are durable before any job becomes visible in a
	 * new/ directory. */
	if (n > SYNC_EACH_MAX && syncfs(tmpfd) < 0)
		goto fail;
	for (q = 0; q < nq; q++) {
		for (i = 0; i < n; i++) {
			if (io_fmt(dst, sizeof(dst), "%s/%s/new/%s", path,
			    queues[q], names[i]) < 0)
				goto unlink_links;
			if (io_fmt(tmp, sizeof(tmp), "%s/tmp/%s", path,
			    names[i]) < 0)
				goto unlink_links;
			/* A job of the same name left by a commit that never
			 * completed is replaced: the store did not keep it. */
			if (link(tmp, dst) < 0 && (errno != EEXIST ||
			    unlink(dst) < 0 || link(tmp, dst) < 0))
				goto unlink_links;
			linked_q = q;
			linked_i = i + 1;
		}
		linked_i = 0;
		linked_q = q + 1;
	}
	if (n > SYNC_EACH_MAX) {
		if (syncfs(tmpfd) < 0)
			goto unlink_links;
	} else {
		for (q = 0; q < nq; q++) {
			if (io_fmt(dst, sizeof(dst), "%s/%s/new", path,
			    queues[q]) < 0 || io_fsync_dir(dst) < 0)
				goto unlink_links;
		}
	}
	close(tmpfd);
	return 0;

unlink_links:
	saved = errno;
	/* Remove them so nothing unacknowledged runs. */
	unlink_jobs(path, queues, nq, names, n, linked_q, linked_i, 0);
	errno = saved;
fail:
	saved = errno;
	for (i = 0; i < written; i++)
		unlinkat(tmpfd, names[i], 0);
	close(tmpfd);
	errno = saved;
	return -1;
}

void
spool_unstage(const char *path, char *const queues[], size_t nq,
    char *const names[], size_t n)
{
	unlink_jobs(path, queues, nq, names, n, nq, 0, 1);
}

void
spool_release(const char *path, char *const queues[], size_t nq,
    char *const names[], size_t n)
{
	char p[PATHLEN];
	size_t i, q;

	for (i = 0; i < n; i++) {
		if (io_fmt(p, sizeof(p), "%s/tmp/%s", path, names[i]) == 0)
			unlink(p);
	}
	for (q = 0; q < nq; q++)
		spool_trigger(path, queues[q]);
}

int
spool_commit(const char *path, char *const queues[], size_t nq,
    char *const names[], char *const bufs[], const size_t lens[], size_t n)
{
	if (spool_stage(path, queues, nq, names, bufs, lens, n) < 0)
		return -1;
	spool_release(path, queues, nq, names, n);
	return 0;
}

int
spool_trigger(const char *path, const char *queue)
{
	char p[PATHLEN];
	int fd;

	if (io_fmt(p, sizeof(p), "%s/%s/trigger", path, queue) < 0)
		return -1;
	/* ENXIO: no runner has the FIFO open; it scans new/ when it starts. */
	if ((fd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	/* EAGAIN: the FIFO is full, a wake-up is pending anyway. */
	(void)!write(fd, "x", 1);
	close(fd);
	return 0;
}

int
spool_trigger_open(const char *path, const char *queue, int *keepfd)
{
	char p[PATHLEN];
	int fd, saved;

	if (io_fmt(p, sizeof(p), "%s/%s/trigger", path, queue) < 0)
		return -1;
	if ((fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	if ((*keepfd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void
spool_trigger_drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct spool_entry *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

long
spool_scan(const char *path, const char *queue, struct spool_entry **entp)
{
	char p[PATHLEN];
	struct spool_entry *ent = NULL, *nent;
	struct dirent *de;
	size_t n = 0, cap = 0;
	const char *zone;
	uint64_t seq;
	DIR *d;

	if (io_fmt(p, sizeof(p), "%s/%s/new", path, queue) < 0)
		return -1;
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= sizeof(ent->name))
			continue;
		if (job_name_parse(de->d_name, &seq, &zone) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nent = realloc(ent, cap * sizeof(*ent))) == NULL) {
				free(ent);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			ent = nent;
		}
		strcpy(ent[n].name, de->d_name);
		ent[n].seq = seq;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(ent, n, sizeof(*ent), entry_cmp);
	/* Zone pointers are set after sorting: the array moved. */
	for (size_t i = 0; i < n; i++)
		job_name_parse(ent[i].name, &seq, &ent[i].zone);
	*entp = ent;
	return (long)n;
}

int
spool_done(const char *path, const char *queue, const char *name)
{
	char p[PATHLEN];

	if (io_fmt(p, sizeof(p), "%s/%s/new/%s", path, queue, name) < 0)
		return -1;
	if (unlink(p) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* One stride of spool_done_many(). */
struct done_part {
	int		 dfd;
	const char *const *names;
	int		*err;
	size_t		 first, step, n;
};

static void *
done_part(void *arg)
{
	struct done_part *d = arg;
	size_t i;

	for (i = d->first; i < d->n; i += d->step)
		d->err[i] = unlinkat(d->dfd, d->names[i], 0) < 0 &&
		    errno != ENOENT ? errno : 0;
	return NULL;
}

size_t
spool_done_many(const char *path, const char *queue,
    const char *const names[], int err[], size_t n)
{
	struct done_part part[DONE_THREADS];
	pthread_t th[DONE_THREADS];
	char p[PATHLEN];
	size_t i, t, nt, bad = 0;
	int dfd, e;

	if (n == 0)
		return 0;
	if (io_fmt(p, sizeof(p), "%s/%s/new", path, queue) < 0 ||
	    (dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = errno ? errno : ENAMETOOLONG;
		for (i = 0; i < n; i++)
			err[i] = e;
		return n;
	}
	nt = n <= DONE_SERIAL_MAX ? 1 : DONE_THREADS;
	for (t = 0; t < nt; t++) {
		part[t].dfd = dfd;
		part[t].names = names;
		part[t].err = err;
		part[t].first = t;
		part[t].step = nt;
		part[t].n = n;
	}
	/* The first stride is this thread's; one that cannot start is
	 * done here too. */
	for (t = 1; t < nt; t++)
		if (pthread_create(&th[t], NULL, done_part, &part[t]) != 0) {
			done_part(&part[t]);
			part[t].step = 0;
		}
	done_part(&part[0]);
	for (t = 1; t < nt; t++)
		if (part[t].step != 0)
			pthread_join(th[t], NULL);
	close(dfd);
	for (i = 0; i < n; i++)
		if (err[i] != 0)
			bad++;
	return bad;
}

int
spool_fail(const char *path, const char *queue, const char *name,
    const char *reason)
{
	char from[PATHLEN], to[PATHLEN], why[PATHLEN], dir[PATHLEN];
	char line[1024];
	int n;

	if (io_fmt(from, sizeof(from), "%s/%s/new/%s", path, queue, name) < 0 ||
	    io_fmt(to, sizeof(to), "%s/%s/fail/%s", path, queue, name) < 0 ||
	    io_fmt(why, sizeof(why), "%s/%s/fail/%s.reason", path, queue,
	    name) < 0 ||
	    io_fmt(dir, sizeof(dir), "%s/%s/fail", path, queue) < 0)
		return -1;
	n = snprintf(line, sizeof(line), "%s\n", reason);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* The reason first: a job in fail/ always has its reason. */
	if (io_write_atomic(why, line, n, 0640) < 0)
		return -1;
	if (rename(from, to) < 0)
		return -1;
	return io_fsync_dir(dir);
}

long
spool_count(const char *path, const char *queue, const char *which)
{
	char p[PATHLEN];
	struct dirent *de;
	long n = 0;
	size_t len;
	DIR *d;

	if (io_fmt(p, sizeof(p), "%s/%s/%s", path, queue, which) < 0)
		return -1;
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = strlen(de->d_name);
		if (len > 7 && strcmp(de->d_name + len - 7, ".reason") == 0)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

long
spool_clean_tmp(const char *path, long max_age)
{
	char p[PATHLEN];
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	long n = 0;
	int dfd;
	DIR *d;

	if (io_fmt(p, sizeof(p), "%s/tmp", path) < 0)
		return -1;
	if ((d = opendir(p)) == NULL)
		return -1;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(sb.st_mode) && now - sb.st_mtime > max_age &&
		    unlinkat(dfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}
