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

struct store *
store_open(const char *path, char *errmsg, size_t errlen)
{
	struct store *st;
	char dir[4096];
	const char *slash;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(errmsg, errlen, "out of memory");
		return NULL;
	}
	st->fd = -1;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(errmsg, errlen, "unable to open %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* WAL with synchronous=NORMAL: commits do not fsync; store_sync()
	 * syncs the file system once for a whole batch of commits. Small
	 * page cache: the store is read by key, not scanned. */
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-256;"
	    "PRAGMA foreign_keys=OFF;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(errmsg, errlen, "unable to set up %s: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(errmsg, errlen, "unable to create the schema in %s: %s",
		    path, sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_exec(st->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(errmsg, errlen, "unable to commit the schema in %s: %s",
		    path, sqlite3_errmsg(st->db));
		goto fail;
	}
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
		snprintf(errmsg, errlen, "unable to prepare statements on %s: %s",
		    path, sqlite3_errmsg(st->db));
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
		snprintf(errmsg, errlen, "unable to open %s: %s", dir,
		    strerror(errno));
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
