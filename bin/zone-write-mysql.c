/* zone-write-mysql.c -- write zones to one CoreDNS-MySQL database */
/* SPDX-License-Identifier: ISC */
#define USAGE "zone-write-mysql [-V] [-c app.yml] [-b backend] [-d fd] " \
	"[-v|-q] save ZONE | delete ZONE | run"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "coredns.h"
#include "job.h"
#include "log.h"
#include "mysqldb.h"
#include "runner.h"
#include "writer.h"
#include "zone.h"

#define BATCH_MAX	1000	/* jobs per batch in run mode */
#define TX_ZONES	1000	/* zones per transaction */
#define TIMEOUT_S	30	/* one read or write */
#define CONNECT_S	5	/* one connection attempt */
#define WAIT_MIN_MS	250	/* first pause before reconnecting */
#define WAIT_MAX_MS	5000	/* longest pause between attempts */
#define AGAIN_MAX	8	/* runs of a transaction lost to a lock */

struct zwm {
	const struct config_backend *be;
	struct mysqldb	*db;
	struct coredns_limits lim;	/* of the last connection */
	int		 oneshot;	/* one attempt, no waiting */
	int		 down;		/* an outage was reported */
};

/* Per-item state of one batch. */
struct work {
	struct coredns_zone zone;	/* rows (save) */
	int		 parsed;
};

/* Sleep ms, in short steps. Returns -1 when asked to stop. */
static int
pause_ms(long ms)
{
	long step;

	while (ms > 0 && !writer_stopped()) {
		step = ms < 100 ? ms : 100;
		poll(NULL, 0, (int)step);
		ms -= step;
	}
	return writer_stopped() ? -1 : 0;
}

static const char *
where(const struct config_backend *be)
{
	static char buf[CONFIG_PATH_MAX + CONFIG_STR_MAX + 64];

	if (be->socket[0] != '\0')
		snprintf(buf, sizeof(buf), "%s on %s", be->database,
		    be->socket);
	else
		snprintf(buf, sizeof(buf), "%s on %s port %u", be->database,
		    be->host, be->port);
	return buf;
}

/*
 * Connect when not connected. In run mode an unreachable database is
 * waited for (the queue keeps its jobs and their retry counts) until it
 * answers or a signal comes. A schema we do not understand ends the
 * program with 100: nothing will work until an operator looks.
 * Returns 0 when connected, -1 with err set otherwise.
 */
static int
ensure(struct zwm *w, char *err, size_t errlen)
{
	long delay = WAIT_MIN_MS;
	int st;

	while (!mysqldb_connected(w->db)) {
		st = mysqldb_connect(w->db, err, errlen);
		if (st == MYSQLDB_OK) {
			mysqldb_limits(w->db, &w->lim);
			if (w->down)
				log_info("database %s answers again",
				    where(w->be));
			log_debug("connected to %s (server %s)",
			    where(w->be), mysqldb_server(w->db));
			w->down = 0;
			return 0;
		}
		if (st == MYSQLDB_SCHEMA)
			die(EXIT_USAGE, "backend %s: %s", w->be->name, err);
		if (w->oneshot)
			return -1;
		if (!w->down)
			log_warn("database %s unreachable, holding the queue "
			    "until it answers: %s", where(w->be), err);
		else
			log_debug("still unreachable: %s", err);
		w->down = 1;
		if (pause_ms(delay) < 0) {
			snprintf(err, errlen, "stopped while waiting for the "
			    "database");
			return -1;
		}
		delay = delay * 2 > WAIT_MAX_MS ? WAIT_MAX_MS : delay * 2;
	}
	return 0;
}

/*
 * Write items[0..n) (those still RUNNER_OK) in one transaction. Returns
 * a mysqldb status; on failure *bad is the index of the item at fault
 * (n when the commit failed) and err holds the reason.
 */
static int
write_tx(struct zwm *w, struct runner_item *it, struct work *wk, size_t n,
    size_t *bad, char *err, size_t errlen)
{
	struct mysqldb_counts c, sum;
	char fqdn[ZONE_NAME_MAX + 2];
	const char *names[TX_ZONES];
	size_t i, nz = 0, nn = 0;
	long long t0 = clock_ms();
	int st, existed;

	memset(&sum, 0, sizeof(sum));
	/* The saved zones' ids and rows in a few statements. */
	for (i = 0; i < n; i++)
		if (it[i].result == RUNNER_OK && it[i].job.action == JOB_SAVE)
			names[nn++] = wk[i].zone.name;
	*bad = n;
	if (nn > 1 && (st = mysqldb_prefetch(w->db, names, nn, err,
	    errlen)) != MYSQLDB_OK) {
		mysqldb_rollback(w->db);
		return st;
	}
	for (i = 0; i < n; i++) {
		if (it[i].result != RUNNER_OK)
			continue;
		*bad = i;
		if (it[i].job.action == JOB_SAVE) {
			st = mysqldb_zone_put(w->db, &wk[i].zone, &c, err,
			    errlen);
			sum.inserted += c.inserted;
			sum.updated += c.updated;
			sum.deleted += c.deleted;
			sum.kept += c.kept;
		} else {
			snprintf(fqdn, sizeof(fqdn), "%s.", it[i].job.zone);
			st = mysqldb_zone_delete(w->db, fqdn, &existed, err,
			    errlen);
		}
		if (st != MYSQLDB_OK) {
			mysqldb_rollback(w->db);
			return st;
		}
		nz++;
	}
	if (nz == 0)
		return MYSQLDB_OK;
	*bad = n;
	if ((st = mysqldb_commit(w->db, err, errlen)) != MYSQLDB_OK)
		return st;
	log_debug("transaction zones=%zu rows inserted=%zu updated=%zu "
	    "deleted=%zu kept=%zu ms=%lld", nz, sum.inserted, sum.updated,
	    sum.deleted, sum.kept, clock_ms() - t0);
	return MYSQLDB_OK;
}

/* Mark the items of a committed transaction as applied now. */
static void
applied(struct runner_item *it, size_t n)
{
	long long now = clock_wall_us();
	size_t i;

	for (i = 0; i < n; i++)
		if (it[i].result == RUNNER_OK)
			it[i].applied_us = now;
}

static enum runner_result
result_of(int st)
{
	return st == MYSQLDB_PERM ? RUNNER_PERM : RUNNER_TEMP;
}

/*
 * Write a chunk of items: all in one transaction; when that fails for a
 * reason other than the connection, one transaction per zone so a bad
 * zone fails alone. A lost connection is re-established (run mode) and
 * the transaction tried again: the jobs carry full state.
 */
static void
write_chunk(struct zwm *w, struct runner_item *it, struct work *wk, size_t n)
{
	char err[1024];
	size_t bad, i;
	int st, tries, reconnected = 0;

	for (tries = 0;; tries++) {
		if (ensure(w, err, sizeof(err)) < 0)
			goto temp;
		st = write_tx(w, it, wk, n, &bad, err, sizeof(err));
		if (st == MYSQLDB_OK) {
			applied(it, n);
			return;
		}
		if (st == MYSQLDB_AGAIN && tries < AGAIN_MAX) {
			/* Lost a lock race with another writer: the server
			 * rolled back; go again after a short random pause. */
			log_debug("database %s: %s: trying again", where(w->be),
			    err);
			(void)pause_ms(5 + random() % 50);
			continue;
		}
		if (st != MYSQLDB_DOWN && st != MYSQLDB_SCHEMA)
			break;
		/* The connection went away, or the tables changed under
		 * us: a new connection (which checks the schema again)
		 * gets one more try. */
		log_warn("database %s: %s", where(w->be), err);
		mysqldb_disconnect(w->db);
		if (reconnected++ > 0)
			goto temp;
	}
	if (n == 1) {
		runner_fail(&it[0], result_of(st), "%s", err);
		return;
	}
	log_debug("transaction of %zu zones failed at %s (%s): one zone at a "
	    "time", n, bad < n ? it[bad].job.zone : "commit", err);
	for (i = 0; i < n; i++) {
		if (it[i].result != RUNNER_OK)
			continue;
		write_chunk(w, &it[i], &wk[i], 1);
	}
	return;
temp:
	for (i = 0; i < n; i++)
		if (it[i].result == RUNNER_OK)
			runner_fail(&it[i], RUNNER_TEMP, "%s", err);
}

/*
 * The backend: turn the saves of a batch into rows (a zone that does not
 * validate fails alone and permanently), then write the batch in
 * transactions of up to TX_ZONES zones.
 */
static void
mysql_apply(void *ctx, struct runner_item *it, size_t n)
{
	struct zwm *w = ctx;
	struct work *wk;
	char err[1024];
	size_t i, k;

	if ((wk = calloc(n, sizeof(*wk))) == NULL) {
		for (i = 0; i < n; i++)
			runner_fail(&it[i], RUNNER_TEMP, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if (it[i].job.action != JOB_SAVE)
			continue;
		if (coredns_zone_parse(&wk[i].zone, it[i].job.zone,
		    it[i].job.text, it[i].job.textlen, &w->lim, err,
		    sizeof(err)) < 0) {
			runner_fail(&it[i], RUNNER_PERM, "invalid zone "
			    "data: %s", err);
			continue;
		}
		wk[i].parsed = 1;
		it[i].job.serial = wk[i].zone.serial;
	}
	/* The columns of this connection may be narrower than last time. */
	if (ensure(w, err, sizeof(err)) == 0) {
		for (i = 0; i < n; i++)
			if (wk[i].parsed && !coredns_zone_fits(&wk[i].zone,
			    &w->lim, err, sizeof(err)))
				runner_fail(&it[i], RUNNER_PERM, "invalid zone "
				    "data: %s", err);
	}
	for (i = 0; i < n; i += k) {
		k = n - i < TX_ZONES ? n - i : TX_ZONES;
		write_chunk(w, &it[i], &wk[i], k);
	}
	for (i = 0; i < n; i++)
		if (wk[i].parsed)
			coredns_zone_free(&wk[i].zone);
	free(wk);
}

/* Set up the coredns_mysql backend be: a connection (made later) with
 * the columns' default sizes. The password lives on in the connection
 * only: it is wiped from cfg. */
static void *
mysql_open(struct config *cfg, const struct config_backend *be, int oneshot)
{
	struct mysqldb_conf mc;
	struct zwm *w;
	size_t i;

	srandom((unsigned)getpid() ^ (unsigned)clock_wall_us());
	if ((w = calloc(1, sizeof(*w))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	w->be = be;
	w->oneshot = oneshot;
	w->lim.hostname = COREDNS_HOSTNAME_MAX;
	w->lim.type = COREDNS_TYPE_MAX;
	w->lim.data = COREDNS_DATA_MAX;
	memset(&mc, 0, sizeof(mc));
	mc.host = be->host;
	mc.port = be->port;
	mc.socket = be->socket;
	mc.database = be->database;
	mc.username = be->username;
	mc.password = be->password;
	mc.zones_table = be->zones_table;
	mc.records_table = be->table_name;
	mc.tls = be->tls;
	mc.tls_verify = be->tls_verify;
	mc.tls_ca = be->tls_ca;
	mc.tls_cert = be->tls_cert;
	mc.tls_key = be->tls_key;
	mc.timeout = TIMEOUT_S;
	mc.connect_timeout = CONNECT_S;
	if ((w->db = mysqldb_new(&mc)) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	for (i = 0; i < cfg->nbackends; i++)
		explicit_bzero(cfg->backends[i].password,
		    sizeof(cfg->backends[i].password));
	return w;
}

/* Before the queue runner: connect now to report a bad schema at once;
 * an unreachable database is waited for when the first jobs come. */
static void
mysql_running(void *ctx)
{
	struct zwm *w = ctx;
	char err[1024];

	w->oneshot = 1;
	if (ensure(w, err, sizeof(err)) < 0) {
		log_warn("database %s unreachable, holding the queue until it "
		    "answers: %s", where(w->be), err);
		w->down = 1;
	}
	w->oneshot = 0;
	log_info("running queue=%s database=%s user=%s tables=%s,%s tls=%s",
	    w->be->name, where(w->be), w->be->username, w->be->zones_table,
	    w->be->table_name, w->be->tls ? (w->be->tls_verify ? "verify" :
	    "no-verify") : "off");
}

static void
mysql_close(void *ctx)
{
	struct zwm *w = ctx;

	mysqldb_free(w->db);
	free(w);
}

static const struct writer_ops mysql_ops = {
	.prog = "zone-write-mysql",
	.usage = USAGE,
	.backend_help = "the coredns_mysql backend of app.yml to write "
	    "(default: the\n              only enabled one)",
	.help = "save ZONE     validate the zone text on stdin and make the "
	    "database's rows\n"
	    "              of ZONE exactly its records, in one transaction\n"
	    "delete ZONE   remove ZONE and its records (absent is fine)\n"
	    "run           apply the backend's queue until SIGTERM; while "
	    "the database\n"
	    "              is unreachable, wait for it and keep the queue\n",
	.type = BACKEND_COREDNS_MYSQL,
	.type_word = "coredns_mysql",
	.batch_max = BATCH_MAX,
	.open = mysql_open,
	.apply = mysql_apply,
	.running = mysql_running,
	.close = mysql_close,
};

int
main(int argc, char *argv[])
{
	return writer_main(argc, argv, &mysql_ops);
}
