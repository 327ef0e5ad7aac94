/* store.c -- the desired state: one sqlite row per zone, WAL, tombstones */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sqlite3.h>

#include "err.h"
#include "hash.h"
#include "store.h"

struct store {
	sqlite3		*db;
	int		 fd;		/* the database's directory */
	char		 wal[4096];	/* the write-ahead log's path */
	sqlite3_stmt	*begin, *commit, *rollback, *next_seq, *put, *tomb;
	sqlite3_stmt	*get, *get_text, *count, *applied;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('seq', 0);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', 1);"
    "CREATE TABLE IF NOT EXISTS zones ("
    " name TEXT PRIMARY KEY,"
    " hostname TEXT NOT NULL DEFAULT '',"
    " username TEXT NOT NULL DEFAULT '',"
    " serial INTEGER NOT NULL DEFAULT 0,"
    " updated_us INTEGER NOT NULL DEFAULT 0,"
    " deleted_us INTEGER NOT NULL DEFAULT 0,"
    " seq INTEGER NOT NULL,"
    " hash TEXT NOT NULL DEFAULT '',"
    " text TEXT);"
    "CREATE INDEX IF NOT EXISTS zones_seq ON zones(seq);"
    "CREATE TABLE IF NOT EXISTS applied ("
    " backend TEXT NOT NULL, name TEXT NOT NULL,"
    " hash TEXT NOT NULL, applied_us INTEGER NOT NULL,"
    " PRIMARY KEY (backend, name));";

static const char sql_put[] =
    "INSERT INTO zones(name, hostname, username, serial, updated_us,"
    " deleted_us, seq, hash, text) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)"
    " ON CONFLICT(name) DO UPDATE SET"
    " hostname = CASE WHEN excluded.hostname <> '' THEN excluded.hostname"
    "  ELSE hostname END,"
    " username = CASE WHEN excluded.username <> '' THEN excluded.username"
    "  ELSE username END,"
    " serial = excluded.serial, updated_us = excluded.updated_us,"
    " deleted_us = 0, seq = excluded.seq, hash = excluded.hash,"
    " text = excluded.text";

static const char sql_tomb[] =
    "INSERT INTO zones(name, hostname, username, updated_us, deleted_us,"
    " seq, hash, text) VALUES (?1, ?2, ?3, ?4, ?4, ?5, '', NULL)"
    " ON CONFLICT(name) DO UPDATE SET"
    " deleted_us = excluded.deleted_us, updated_us = excluded.updated_us,"
    " seq = excluded.seq, hash = '', text = NULL";

static const char sql_get[] =
    "SELECT hostname, username, serial, updated_us, deleted_us, seq, hash"
    " FROM zones WHERE name = ?1";

static const char sql_get_text[] =
    "SELECT hostname, username, serial, updated_us, deleted_us, seq, hash,"
    " text FROM zones WHERE name = ?1";

static const char sql_count[] =
    "SELECT count(*) FILTER (WHERE deleted_us = 0),"
    " count(*) FILTER (WHERE deleted_us <> 0) FROM zones";

static const char sql_applied[] =
    "INSERT INTO applied(backend, name, hash, applied_us)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(backend, name) DO UPDATE SET"
    " hash = excluded.hash, applied_us = excluded.applied_us";

static int
prepare(struct store *st, sqlite3_stmt **stmt, const char *sql)
{
	return sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    stmt, NULL) == SQLITE_OK ? 0 : -1;
}

/* Run a statement without results and reset it. */
static int
step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Switch to WAL and create the schema. Two processes opening a new store
 * at once can get SQLITE_BUSY without the busy handler being called (the
 * change of journal mode needs an exclusive lock): try again a while. */
static int
setup(struct store *st, const char *path, char *errmsg, size_t errlen)
{
	int attempt, rc = SQLITE_OK;
	const char *what = "set up";

	for (attempt = 0; attempt < 200; attempt++) {
		if (attempt > 0)
			usleep(20000);
		what = "set up";
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-256;"
		    "PRAGMA foreign_keys=OFF;", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL,
			    NULL, NULL);
		if (rc == SQLITE_OK) {
			what = "create the schema in";
			rc = sqlite3_exec(st->db, schema, NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				rc = sqlite3_exec(st->db, "COMMIT;", NULL,
				    NULL, NULL);
			if (rc != SQLITE_OK)
				sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL,
				    NULL);
		}
		if (rc == SQLITE_OK)
			return 0;
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
	}
	err_set(errmsg, errlen, "unable to %s %s: %s", what, path,
	    sqlite3_errmsg(st->db));
	return -1;
}

struct store *
store_open(const char *path, char *errmsg, size_t errlen)
{
	struct store *st;
	char dir[4096];
	const char *slash;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		err_set(errmsg, errlen, "out of memory");
		return NULL;
	}
	st->fd = -1;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(errmsg, errlen, "unable to open %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* WAL with synchronous=NORMAL: commits do not fsync; store_sync()
	 * syncs the log once for a whole batch of commits. Small page cache:
	 * the store is read by key, not scanned. */
	if (setup(st, path, errmsg, errlen) < 0)
		goto fail;
	if (prepare(st, &st->begin, "BEGIN IMMEDIATE") < 0 ||
	    prepare(st, &st->commit, "COMMIT") < 0 ||
	    prepare(st, &st->rollback, "ROLLBACK") < 0 ||
	    prepare(st, &st->next_seq, "UPDATE meta SET value = value + 1"
	    " WHERE key = 'seq' RETURNING value") < 0 ||
	    prepare(st, &st->put, sql_put) < 0 ||
	    prepare(st, &st->tomb, sql_tomb) < 0 ||
	    prepare(st, &st->get, sql_get) < 0 ||
	    prepare(st, &st->get_text, sql_get_text) < 0 ||
	    prepare(st, &st->count, sql_count) < 0 ||
	    prepare(st, &st->applied, sql_applied) < 0) {
		err_set(errmsg, errlen, "unable to prepare statements on %s:"
		    " %s", path, sqlite3_errmsg(st->db));
		goto fail;
	}
	snprintf(st->wal, sizeof(st->wal), "%s-wal", path);
	slash = strrchr(path, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + 1),
		    path);
	if ((st->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_set_sys(errmsg, errlen, "unable to open %s", dir);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->begin);
	sqlite3_finalize(st->commit);
	sqlite3_finalize(st->rollback);
	sqlite3_finalize(st->next_seq);
	sqlite3_finalize(st->put);
	sqlite3_finalize(st->tomb);
	sqlite3_finalize(st->get);
	sqlite3_finalize(st->get_text);
	sqlite3_finalize(st->count);
	sqlite3_finalize(st->applied);
	sqlite3_close(st->db);
	if (st->fd >= 0)
		close(st->fd);
	free(st);
}

int
store_begin(struct store *st)
{
	return step_done(st->begin);
}

int
store_commit(struct store *st)
{
	return step_done(st->commit);
}

int
store_rollback(struct store *st)
{
	return step_done(st->rollback);
}

int
store_sync(struct store *st)
{
	int fd, rc, saved;

	/* Commits only append to the WAL: syncing that one file makes them
	 * durable without flushing the rest of the file system. */
	if ((fd = open(st->wal, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? syncfs(st->fd) : -1;
	rc = fdatasync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
store_apply_job(struct store *st, struct job *job)
{
	char hash[HASH_HEX_LEN + 1];
	sqlite3_stmt *s;

	if (sqlite3_step(st->next_seq) != SQLITE_ROW) {
		sqlite3_reset(st->next_seq);
		return -1;
	}
	job->seq = (uint64_t)sqlite3_column_int64(st->next_seq, 0);
	sqlite3_reset(st->next_seq);
	if (job->action == JOB_SAVE) {
		s = st->put;
		hash_hex(job->text, job->textlen, hash);
		sqlite3_bind_text(s, 1, job->zone, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, job->hostname, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, job->username, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, job->serial);
		sqlite3_bind_int64(s, 5, job->pushed_us);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)job->seq);
		sqlite3_bind_text(s, 7, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 8, job->text, (int)job->textlen,
		    SQLITE_STATIC);
	} else {
		s = st->tomb;
		sqlite3_bind_text(s, 1, job->zone, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, job->hostname, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, job->username, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, job->pushed_us);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)job->seq);
	}
	return step_done(s);
}

static void
column_copy(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

int
store_get(struct store *st, const char *zone, struct store_zone *out,
    int with_text)
{
	sqlite3_stmt *s = with_text ? st->get_text : st->get;
	const void *text;
	int rc, n;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(s, 1, zone, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return -1;
	}
	snprintf(out->name, sizeof(out->name), "%s", zone);
	column_copy(s, 0, out->hostname, sizeof(out->hostname));
	column_copy(s, 1, out->username, sizeof(out->username));
	out->serial = (uint32_t)sqlite3_column_int64(s, 2);
	out->updated_us = sqlite3_column_int64(s, 3);
	out->deleted_us = sqlite3_column_int64(s, 4);
	out->seq = (uint64_t)sqlite3_column_int64(s, 5);
	column_copy(s, 6, out->hash, sizeof(out->hash));
	if (with_text && (text = sqlite3_column_blob(s, 7)) != NULL) {
		n = sqlite3_column_bytes(s, 7);
		if ((out->text = malloc(n + 1)) == NULL) {
			sqlite3_reset(s);
			return -1;
		}
		memcpy(out->text, text, n);
		out->text[n] = '\0';
		out->textlen = n;
	}
	sqlite3_reset(s);
	return 1;
}

void
store_zone_free(struct store_zone *z)
{
	free(z->text);
	z->text = NULL;
	z->textlen = 0;
}

int
store_count(struct store *st, long long *live, long long *tombstones)
{
	int rc = sqlite3_step(st->count);

	if (rc == SQLITE_ROW) {
		*live = sqlite3_column_int64(st->count, 0);
		*tombstones = sqlite3_column_int64(st->count, 1);
	}
	sqlite3_reset(st->count);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_applied_set(struct store *st, const char *backend, const char *zone,
    const char *hash, long long when_us)
{
	sqlite3_bind_text(st->applied, 1, backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->applied, 2, zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->applied, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->applied, 4, when_us);
	return step_done(st->applied);
}

const char *
store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

/* ------------------------------------------------------------------ */
/* Streaming, owners, reconcile's state */

#define ITER_PAGE	512

struct store_iter {
	struct store	*st;
	sqlite3_stmt	*stmt;
	int		 with_text;
	size_t		 page;
	struct store_zone *rows;	/* the current page */
	size_t		 nrows, next;
	int		 done;		/* the last page is loaded */
	char		 after[JOB_NAME_MAX + 1];
};

static const char sql_iter[] =
    "SELECT name, hostname, username, serial, updated_us, deleted_us, seq,"
    " hash, CASE WHEN ?3 THEN text END FROM zones WHERE name > ?1"
    " ORDER BY name LIMIT ?2";

static void
iter_clear(struct store_iter *it)
{
	size_t i;

	for (i = 0; i < it->nrows; i++)
		store_zone_free(&it->rows[i]);
	it->nrows = it->next = 0;
}

/* Load the page after it->after; the statement is reset before return. */
static int
iter_load(struct store_iter *it)
{
	struct store_zone *z;
	const void *text;
	int rc = SQLITE_DONE, n;

	iter_clear(it);
	sqlite3_bind_text(it->stmt, 1, it->after, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(it->stmt, 2, (sqlite3_int64)it->page);
	sqlite3_bind_int(it->stmt, 3, it->with_text);
	while (it->nrows < it->page &&
	    (rc = sqlite3_step(it->stmt)) == SQLITE_ROW) {
		z = &it->rows[it->nrows];
		memset(z, 0, sizeof(*z));
		column_copy(it->stmt, 0, z->name, sizeof(z->name));
		column_copy(it->stmt, 1, z->hostname, sizeof(z->hostname));
		column_copy(it->stmt, 2, z->username, sizeof(z->username));
		z->serial = (uint32_t)sqlite3_column_int64(it->stmt, 3);
		z->updated_us = sqlite3_column_int64(it->stmt, 4);
		z->deleted_us = sqlite3_column_int64(it->stmt, 5);
		z->seq = (uint64_t)sqlite3_column_int64(it->stmt, 6);
		column_copy(it->stmt, 7, z->hash, sizeof(z->hash));
		if (it->with_text &&
		    (text = sqlite3_column_blob(it->stmt, 8)) != NULL) {
			n = sqlite3_column_bytes(it->stmt, 8);
			if ((z->text = malloc(n + 1)) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			memcpy(z->text, text, n);
			z->text[n] = '\0';
			z->textlen = n;
		}
		it->nrows++;
	}
	sqlite3_reset(it->stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		iter_clear(it);
		return -1;
	}
	if (it->nrows < it->page)
		it->done = 1;
	if (it->nrows > 0)
		memcpy(it->after, it->rows[it->nrows - 1].name,
		    sizeof(it->after));
	return 0;
}

struct store_iter *
store_iter_begin(struct store *st, const char *after, size_t page,
    int with_text)
{
	struct store_iter *it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	it->st = st;
	it->with_text = with_text != 0;
	it->page = page > 0 ? page : ITER_PAGE;
	snprintf(it->after, sizeof(it->after), "%s", after ? after : "");
	if ((it->rows = calloc(it->page, sizeof(*it->rows))) == NULL ||
	    sqlite3_prepare_v3(st->db, sql_iter, -1,
	    SQLITE_PREPARE_PERSISTENT, &it->stmt, NULL) != SQLITE_OK) {
		free(it->rows);
		free(it);
		return NULL;
	}
	return it;
}

int
store_iter_next(struct store_iter *it, struct store_zone *out)
{
	if (it->next == it->nrows) {
		if (it->done) {
			iter_clear(it);
			return 0;
		}
		if (iter_load(it) < 0)
			return -1;
		if (it->nrows == 0)
			return 0;
	}
	*out = it->rows[it->next++];
	return 1;
}

void
store_iter_end(struct store_iter *it)
{
	if (it == NULL)
		return;
	iter_clear(it);
	sqlite3_finalize(it->stmt);
	free(it->rows);
	free(it);
}

/* Run one statement with text and integer parameters ("t" and "i" in
 * types, bound in order); returns sqlite's step result, or -1. With row
 * set, the first row's first column is stored there. */
static int
exec1(struct store *st, const char *sql, const char *types,
    const char *const s[], const long long n[], long long *row)
{
	sqlite3_stmt *stmt;
	int rc, i, si = 0, ni = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 't')
			sqlite3_bind_text(stmt, i + 1, s[si++], -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_int64(stmt, i + 1, n[ni++]);
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && row != NULL)
		*row = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc;
}

int
store_owner_set(struct store *st, const char *zone, const char *hostname)
{
	const char *s[2] = { hostname, zone };

	if (exec1(st, "UPDATE zones SET hostname = ?1 WHERE name = ?2 AND"
	    " hostname <> ?1", "tt", s, NULL, NULL) != SQLITE_DONE)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

static const char recon_schema[] =
    "CREATE TABLE IF NOT EXISTS reconcile_orphans ("
    " name TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
    " first_pass INTEGER NOT NULL, last_pass INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS reconcile_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " pass INTEGER NOT NULL DEFAULT 0,"
    " started_us INTEGER NOT NULL DEFAULT 0,"
    " finished_us INTEGER NOT NULL DEFAULT 0,"
    " ok INTEGER NOT NULL DEFAULT 0, summary TEXT);"
    "INSERT OR IGNORE INTO reconcile_state(id) VALUES (1);";

static int
recon_init(struct store *st)
{
	return sqlite3_exec(st->db, recon_schema, NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

int
store_orphan_pass(struct store *st, long long *pass)
{
	if (recon_init(st) < 0 || exec1(st, "SELECT pass + 1 FROM"
	    " reconcile_state WHERE id = 1", "", NULL, NULL, pass) !=
	    SQLITE_ROW)
		return -1;
	return 0;
}

int
store_orphan_mark(struct store *st, const char *zone, const char *hostname,
    long long pass, int mark)
{
	const char *s[2] = { zone, hostname };
	long long n[1] = { pass - 1 }, seen = 0;
	int rc;

	/* Confirmed: the previous pass saw it, owned by the same server. */
	rc = exec1(st, "SELECT count(*) FROM reconcile_orphans WHERE"
	    " name = ?1 AND hostname = ?2 AND last_pass = ?3", "tti", s, n,
	    &seen);
	if (rc != SQLITE_ROW)
		return -1;
	if (mark) {
		n[0] = pass;
		if (exec1(st, "INSERT INTO reconcile_orphans(name, hostname,"
		    " first_pass, last_pass) VALUES (?1, ?2, ?3, ?3)"
		    " ON CONFLICT(name) DO UPDATE SET"
		    " first_pass = CASE WHEN hostname = excluded.hostname AND"
		    "  last_pass = excluded.last_pass - 1 THEN first_pass"
		    "  ELSE excluded.first_pass END,"
		    " hostname = excluded.hostname,"
		    " last_pass = excluded.last_pass", "tti", s, n, NULL) !=
		    SQLITE_DONE)
			return -1;
	}
	return seen > 0 ? 1 : 0;
}

int
store_orphan_prune(struct store *st, long long pass)
{
	long long n[1] = { pass };

	if (exec1(st, "DELETE FROM reconcile_orphans WHERE last_pass <> ?1",
	    "i", NULL, n, NULL) != SQLITE_DONE ||
	    exec1(st, "UPDATE reconcile_state SET pass = ?1 WHERE id = 1",
	    "i", NULL, n, NULL) != SQLITE_DONE)
		return -1;
	return 0;
}

int
store_recon_last_set(struct store *st, long long started_us,
    long long finished_us, int ok, const char *json)
{
	const char *s[1] = { json };
	long long n[3] = { started_us, finished_us, ok != 0 };

	if (recon_init(st) < 0)
		return -1;
	return exec1(st, "UPDATE reconcile_state SET started_us = ?1,"
	    " finished_us = ?2, ok = ?3, summary = ?4 WHERE id = 1", "iiit",
	    s, n, NULL) == SQLITE_DONE ? 0 : -1;
}

int
store_recon_last_get(struct store *st, long long *started_us,
    long long *finished_us, int *ok, char **json)
{
	sqlite3_stmt *stmt;
	const unsigned char *v;
	int rc;

	*json = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT started_us, finished_us, ok,"
	    " summary FROM reconcile_state WHERE id = 1 AND finished_us <> 0",
	    -1, &stmt, NULL) != SQLITE_OK) {
		/* No table: reconcile never ran on this store. */
		return strstr(sqlite3_errmsg(st->db), "no such table") ? 0 :
		    -1;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*started_us = sqlite3_column_int64(stmt, 0);
		*finished_us = sqlite3_column_int64(stmt, 1);
		*ok = sqlite3_column_int(stmt, 2);
		v = sqlite3_column_text(stmt, 3);
		if ((*json = strdup(v ? (const char *)v : "{}")) == NULL)
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Peer sync: instance id, changes by sequence, peers' high-water marks */

static const char peer_schema[] =
    "CREATE TABLE IF NOT EXISTS peer_self ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), instance TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS peer_state ("
    " url TEXT PRIMARY KEY, instance TEXT NOT NULL DEFAULT '',"
    " since INTEGER NOT NULL DEFAULT 0,"
    " ok_us INTEGER NOT NULL DEFAULT 0,"
    " fail_us INTEGER NOT NULL DEFAULT 0,"
    " failures INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '');";

static int
peer_init(struct store *st)
{
	return sqlite3_exec(st->db, peer_schema, NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

int
store_instance_id(struct store *st, char out[STORE_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[STORE_ID_LEN / 2];
	char id[STORE_ID_LEN + 1];
	sqlite3_stmt *stmt;
	const unsigned char *v;
	size_t i;
	int rc;

	if (getentropy(rnd, sizeof(rnd)) < 0)
		return -1;
	for (i = 0; i < sizeof(rnd); i++) {
		id[2 * i] = hex[rnd[i] >> 4];
		id[2 * i + 1] = hex[rnd[i] & 15];
	}
	id[STORE_ID_LEN] = '\0';
	/* The first one to insert wins; every later call reads it back. */
	if (peer_init(st) < 0 || sqlite3_prepare_v2(st->db,
	    "INSERT OR IGNORE INTO peer_self(id, instance) VALUES (1, ?1)",
	    -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE || sqlite3_prepare_v2(st->db,
	    "SELECT instance FROM peer_self WHERE id = 1", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && (v = sqlite3_column_text(stmt, 0)) != NULL)
		snprintf(out, STORE_ID_LEN + 1, "%s", (const char *)v);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

static const char sql_changes[] =
    "SELECT name, hostname, username, serial, updated_us, deleted_us, seq,"
    " hash, CASE WHEN ?3 THEN text END FROM zones WHERE seq > ?1"
    " ORDER BY seq LIMIT ?2";

long
store_changes(struct store *st, uint64_t since, size_t limit, int with_text,
    store_change_fn fn, void *arg)
{
	struct store_zone z;
	sqlite3_stmt *stmt;
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql_changes, -1, &stmt, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)since);
	sqlite3_bind_int64(stmt, 2, limit ? (sqlite3_int64)limit : -1);
	sqlite3_bind_int(stmt, 3, with_text != 0);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&z, 0, sizeof(z));
		column_copy(stmt, 0, z.name, sizeof(z.name));
		column_copy(stmt, 1, z.hostname, sizeof(z.hostname));
		column_copy(stmt, 2, z.username, sizeof(z.username));
		z.serial = (uint32_t)sqlite3_column_int64(stmt, 3);
		z.updated_us = sqlite3_column_int64(stmt, 4);
		z.deleted_us = sqlite3_column_int64(stmt, 5);
		z.seq = (uint64_t)sqlite3_column_int64(stmt, 6);
		column_copy(stmt, 7, z.hash, sizeof(z.hash));
		if (with_text && sqlite3_column_type(stmt, 8) != SQLITE_NULL) {
			/* Points into sqlite's row, valid until the next
			 * step: the callback must not keep it. */
			z.text = (char *)sqlite3_column_blob(stmt, 8);
			z.textlen = (size_t)sqlite3_column_bytes(stmt, 8);
			if (z.text == NULL)
				z.text = (char *)"";
		}
		n++;
		if (fn(arg, &z) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? n : -1;
}

static int guard_get(struct store *, const char *, struct store_peer *);
static int guard_set(struct store *, const char *, const struct store_peer *);

int
store_peer_get(struct store *st, const char *url, struct store_peer *p)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(p, 0, sizeof(*p));
	if (peer_init(st) < 0 || sqlite3_prepare_v2(st->db,
	    "SELECT instance, since, ok_us, fail_us, failures, error"
	    " FROM peer_state WHERE url = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, url, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		column_copy(stmt, 0, p->instance, sizeof(p->instance));
		p->since = (uint64_t)sqlite3_column_int64(stmt, 1);
		p->ok_us = sqlite3_column_int64(stmt, 2);
		p->fail_us = sqlite3_column_int64(stmt, 3);
		p->failures = (unsigned)sqlite3_column_int64(stmt, 4);
		column_copy(stmt, 5, p->error, sizeof(p->error));
	}
	sqlite3_finalize(stmt);
	if ((rc == SQLITE_ROW || rc == SQLITE_DONE) &&
	    guard_get(st, url, p) < 0)
		return -1;
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_peer_set(struct store *st, const char *url, const struct store_peer *p)
{
	sqlite3_stmt *stmt;
	int rc;

	if (peer_init(st) < 0 || sqlite3_prepare_v2(st->db,
	    "INSERT INTO peer_state(url, instance, since, ok_us, fail_us,"
	    " failures, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(url) DO UPDATE SET instance = excluded.instance,"
	    " since = excluded.since, ok_us = excluded.ok_us,"
	    " fail_us = excluded.fail_us, failures = excluded.failures,"
	    " error = excluded.error", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, p->instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)p->since);
	sqlite3_bind_int64(stmt, 4, p->ok_us);
	sqlite3_bind_int64(stmt, 5, p->fail_us);
	sqlite3_bind_int64(stmt, 6, p->failures);
	sqlite3_bind_text(stmt, 7, p->error, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? guard_set(st, url, p) : -1;
}

/* ------------------------------------------------------------------ */
/* Guards: a peer's pass, held deletes, refused changes, owner changes */

static const char guard_schema[] =
    "CREATE TABLE IF NOT EXISTS peer_guard ("
    " url TEXT PRIMARY KEY, pass INTEGER NOT NULL DEFAULT 0,"
    " seen INTEGER NOT NULL DEFAULT 0,"
    " refused INTEGER NOT NULL DEFAULT 0,"
    " refused_zone TEXT NOT NULL DEFAULT '',"
    " refused_dated_us INTEGER NOT NULL DEFAULT 0,"
    " refused_us INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS peer_held ("
    " url TEXT NOT NULL, name TEXT NOT NULL, last_pass INTEGER NOT NULL,"
    " PRIMARY KEY (url, name));"
    "CREATE TABLE IF NOT EXISTS owner_changes ("
    " source TEXT PRIMARY KEY, changed INTEGER NOT NULL DEFAULT 0,"
    " refused INTEGER NOT NULL DEFAULT 0);";

static int
guard_init(struct store *st)
{
	return sqlite3_exec(st->db, guard_schema, NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

static int
guard_get(struct store *st, const char *url, struct store_peer *p)
{
	sqlite3_stmt *stmt;
	int rc;

	if (guard_init(st) < 0 || sqlite3_prepare_v2(st->db,
	    "SELECT pass, seen, refused, refused_zone, refused_dated_us,"
	    " refused_us FROM peer_guard WHERE url = ?1", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, url, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		p->pass = sqlite3_column_int64(stmt, 0);
		p->seen = (uint64_t)sqlite3_column_int64(stmt, 1);
		p->refused = (unsigned long long)sqlite3_column_int64(stmt, 2);
		column_copy(stmt, 3, p->refused_zone,
		    sizeof(p->refused_zone));
		p->refused_dated_us = sqlite3_column_int64(stmt, 4);
		p->refused_us = sqlite3_column_int64(stmt, 5);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
guard_set(struct store *st, const char *url, const struct store_peer *p)
{
	const char *s[2] = { url, p->refused_zone };
	long long n[5] = { p->pass, (long long)p->seen, (long long)p->refused,
	    p->refused_dated_us, p->refused_us };
	sqlite3_stmt *stmt;
	int rc, i;

	if (guard_init(st) < 0 || sqlite3_prepare_v2(st->db,
	    "INSERT INTO peer_guard(url, pass, seen, refused, refused_zone,"
	    " refused_dated_us, refused_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(url) DO UPDATE SET pass = excluded.pass,"
	    " seen = excluded.seen, refused = excluded.refused,"
	    " refused_zone = excluded.refused_zone,"
	    " refused_dated_us = excluded.refused_dated_us,"
	    " refused_us = excluded.refused_us", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, s[0], -1, SQLITE_STATIC);
	for (i = 0; i < 3; i++)
		sqlite3_bind_int64(stmt, i + 2, n[i]);
	sqlite3_bind_text(stmt, 5, s[1], -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, n[3]);
	sqlite3_bind_int64(stmt, 7, n[4]);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_peer_held(struct store *st, const char *url, const char *zone,
    long long pass, int mark)
{
	const char *s[2] = { url, zone };
	long long n[1] = { pass - 1 }, seen = 0;

	if (guard_init(st) < 0 || exec1(st, "SELECT count(*) FROM peer_held"
	    " WHERE url = ?1 AND name = ?2 AND last_pass = ?3", "tti", s, n,
	    &seen) != SQLITE_ROW)
		return -1;
	n[0] = pass;
	if (mark && exec1(st, "INSERT INTO peer_held(url, name, last_pass)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT(url, name) DO UPDATE SET"
	    " last_pass = excluded.last_pass", "tti", s, n, NULL) !=
	    SQLITE_DONE)
		return -1;
	return seen > 0 ? 1 : 0;
}

int
store_peer_held_prune(struct store *st, const char *url, long long pass)
{
	const char *s[1] = { url };
	long long n[1] = { pass };

	if (guard_init(st) < 0 || exec1(st, "DELETE FROM peer_held WHERE"
	    " url = ?1 AND last_pass <> ?2", "ti", s, n, NULL) != SQLITE_DONE)
		return -1;
	return 0;
}

int
store_owner_count(struct store *st, const char *source, int refused)
{
	const char *s[1] = { source };

	if (guard_init(st) < 0 || exec1(st, refused ?
	    "INSERT INTO owner_changes(source, refused) VALUES (?1, 1)"
	    " ON CONFLICT(source) DO UPDATE SET refused = refused + 1" :
	    "INSERT INTO owner_changes(source, changed) VALUES (?1, 1)"
	    " ON CONFLICT(source) DO UPDATE SET changed = changed + 1", "t",
	    s, NULL, NULL) != SQLITE_DONE)
		return -1;
	return 0;
}

int
store_owner_counts(struct store *st, const char *source,
    unsigned long long *changed, unsigned long long *refused)
{
	const char *s[1] = { source };
	long long v = 0;
	int rc;

	*changed = *refused = 0;
	if (guard_init(st) < 0)
		return -1;
	rc = exec1(st, "SELECT changed FROM owner_changes WHERE source = ?1",
	    "t", s, NULL, &v);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	*changed = rc == SQLITE_ROW ? (unsigned long long)v : 0;
	rc = exec1(st, "SELECT refused FROM owner_changes WHERE source = ?1",
	    "t", s, NULL, &v);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	*refused = rc == SQLITE_ROW ? (unsigned long long)v : 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Secondaries: the zones a backend serves, its catalog's last state */

static const char cat_schema[] =
    "CREATE TABLE IF NOT EXISTS catalog_state ("
    " backend TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
    " serial INTEGER NOT NULL DEFAULT 0,"
    " members TEXT NOT NULL DEFAULT '',"
    " options TEXT NOT NULL DEFAULT '',"
    " updated_us INTEGER NOT NULL DEFAULT 0);";

static int
cat_init(struct store *st)
{
	return sqlite3_exec(st->db, cat_schema, NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

long
store_served_each(struct store *st, const char *backend,
    int (*fn)(void *, const char *), void *arg)
{
	sqlite3_stmt *stmt;
	const unsigned char *v;
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT z.name FROM zones z JOIN"
	    " applied a ON a.backend = ?1 AND a.name = z.name"
	    " WHERE z.deleted_us = 0 AND a.hash <> '' ORDER BY z.name", -1,
	    &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, backend, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((v = sqlite3_column_text(stmt, 0)) == NULL)
			continue;
		n++;
		if (fn(arg, (const char *)v) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? n : -1;
}

int
store_catalog_get(struct store *st, const char *backend,
    struct store_catalog *c)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(c, 0, sizeof(*c));
	if (cat_init(st) < 0 || sqlite3_prepare_v2(st->db, "SELECT name,"
	    " serial, members, options FROM catalog_state WHERE backend = ?1",
	    -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(stmt, 1, backend, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		column_copy(stmt, 0, c->name, sizeof(c->name));
		c->serial = (uint32_t)sqlite3_column_int64(stmt, 1);
		column_copy(stmt, 2, c->members, sizeof(c->members));
		column_copy(stmt, 3, c->options, sizeof(c->options));
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_catalog_set(struct store *st, const char *backend,
    const struct store_catalog *c, long long when_us)
{
	const char *s[4] = { backend, c->name, c->members, c->options };
	long long n[2] = { c->serial, when_us };

	if (cat_init(st) < 0)
		return -1;
	return exec1(st, "INSERT INTO catalog_state(backend, name, members,"
	    " options, serial, updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT(backend) DO UPDATE SET name = excluded.name,"
	    " members = excluded.members, options = excluded.options,"
	    " serial = excluded.serial, updated_us = excluded.updated_us",
	    "ttttii", s, n, NULL) == SQLITE_DONE ? 0 : -1;
}
