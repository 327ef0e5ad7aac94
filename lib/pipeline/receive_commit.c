/* receive_commit.c -- da-receive's group commit of concurrent requests */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "enqueue.h"
#include "job.h"
#include "log.h"
#include "receive.h"

const double rx_lat_le[NLAT] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1
};
const unsigned rx_batch_le[NBATCH] = { 1, 2, 4, 8, 16, 32, 64, 128 };
const double rx_ack_le[NACK] = {
	0.0001, 0.0002, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015, 0.002,
	0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1
};

/* Requests ready to commit queue here; the first to find no commit
 * running becomes the leader, commits everything queued in one store
 * transaction and one round of syncs, and wakes the others. */
struct pending {
	struct job	*jobs;
	size_t		 n;
	int		 done, rc;
	char		 err[256];
	struct pending	*next;
};
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct pending	*head, **tail;
	int		 busy;
} gc = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
    &gc.head, 0 };

/* Count value v in the histogram of n upper bounds le[] (seconds):
 * bucket[n] is the overflow. Called under rx.stats.mu. */
static void
hist_observe(const double *le, size_t n, unsigned long long *bucket,
    double *sum, double v)
{
	size_t i;

	for (i = 0; i < n && v > le[i]; i++)
		;
	bucket[i]++;
	*sum += v;
}

static void
observe_commit(size_t njobs, long long us)
{
	double sec = us / 1e6;
	size_t i;

	pthread_mutex_lock(&rx.stats.mu);
	for (i = 0; i < NBATCH && njobs > rx_batch_le[i]; i++)
		;
	rx.stats.batch_bucket[i]++;
	rx.stats.batches++;
	rx.stats.batch_jobs += njobs;
	hist_observe(rx_lat_le, NLAT, rx.stats.lat_bucket, &rx.stats.lat_sum,
	    sec);
	pthread_mutex_unlock(&rx.stats.mu);
}

/* The time from the request line to now. */
void
rx_observe_ack(const struct req *r)
{
	double sec = (clock_wall_us() - r->t0_us) / 1e6;

	pthread_mutex_lock(&rx.stats.mu);
	hist_observe(rx_ack_le, NACK, rx.stats.ack_bucket, &rx.stats.ack_sum,
	    sec);
	pthread_mutex_unlock(&rx.stats.mu);
}

/* Commit the queued requests of list: all in one go, and when that fails
 * and there were several, each alone so one bad request cannot fail the
 * others. */
static void
commit_list(struct pending *list)
{
	struct pending *p;
	struct job *all = NULL;
	size_t total = 0, nreq = 0, o = 0;
	char err[256];
	long long t0;
	int rc;

	for (p = list; p != NULL; p = p->next) {
		total += p->n;
		nreq++;
	}
	if (nreq > 1 && (all = malloc(total * sizeof(*all))) != NULL) {
		for (p = list; p != NULL; p = p->next) {
			memcpy(all + o, p->jobs, p->n * sizeof(*all));
			o += p->n;
		}
		t0 = clock_wall_us();
		rc = enqueue_commit(rx.wr, rx.set.spool, rx.queues, rx.nq,
		    all, total, err, sizeof(err));
		observe_commit(total, clock_wall_us() - t0);
		free(all);
		if (rc == 0) {
			for (p = list; p != NULL; p = p->next)
				p->rc = 0;
			return;
		}
		log_warn("batch of %zu jobs failed, committing one by one: %s",
		    total, err);
	}
	for (p = list; p != NULL; p = p->next) {
		t0 = clock_wall_us();
		p->rc = enqueue_commit(rx.wr, rx.set.spool, rx.queues, rx.nq,
		    p->jobs, p->n, p->err, sizeof(p->err));
		observe_commit(p->n, clock_wall_us() - t0);
	}
}

int
rx_commit_jobs(struct job *jobs, size_t n, char *err, size_t errlen)
{
	struct pending me, *list, *p, *next;

	memset(&me, 0, sizeof(me));
	me.jobs = jobs;
	me.n = n;
	me.rc = -1;
	pthread_mutex_lock(&gc.mu);
	*gc.tail = &me;
	gc.tail = &me.next;
	while (!me.done) {
		if (gc.busy) {
			pthread_cond_wait(&gc.cv, &gc.mu);
			continue;
		}
		list = gc.head;
		gc.head = NULL;
		gc.tail = &gc.head;
		gc.busy = 1;
		pthread_mutex_unlock(&gc.mu);
		commit_list(list);
		pthread_mutex_lock(&gc.mu);
		/* The owners read their entries only after this lock is
		 * released, so walking the list here is safe. */
		for (p = list; p != NULL; p = next) {
			next = p->next;
			p->done = 1;
		}
		gc.busy = 0;
		pthread_cond_broadcast(&gc.cv);
	}
	pthread_mutex_unlock(&gc.mu);
	if (me.rc < 0)
		snprintf(err, errlen, "%s", me.err);
	return me.rc;
}
