/* mysqldb.c -- one CoreDNS-MySQL database: connection, schema, zone writes */
/* SPDX-License-Identifier: ISC */
/*
 * Every statement is prepared; values travel only as bound parameters.
 * A zone write reads the zone's rows with a locking read (so concurrent
 * writers of one zone queue up), computes the difference with the wanted
 * rows and queues the deletes, TTL updates and inserts; mysqldb_commit()
 * sends each kind as one bulk statement (MariaDB array binding, or one
 * execution per row with servers that lack it), then commits. A zone's
 * rows thus change in one transaction, and so do all the zones of a batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mariadb/mysql.h>
#include <mariadb/errmsg.h>
#include <mariadb/mysqld_error.h>

#include "coredns.h"
#include "err.h"
#include "mysqldb.h"

#define SQL_MAX		1024	/* one statement's text */
#define BULK_MAX	2000	/* rows per bulk execution */
#define QCOLS_MAX	8	/* columns of a schema query */
#define QVAL_MAX	256	/* bytes of one schema value */

/* Minimum column sizes we accept: narrower ones refuse common zones. */
#define MIN_ZONE_NAME	64
#define MIN_HOSTNAME	63
#define MIN_TYPE	5
#define MIN_DATA	255

enum {
	S_FIND,			/* zone id and its rows, locked */
	S_ZONE_INSERT,
	S_REC_INSERT,
	S_REC_DELETE,
	S_REC_UPDATE,
	S_ZONE_DEL_RECS,
	S_ZONE_DEL,
	S_ZIDS,			/* ids of IN_MAX zones, locked */
	S_RECS,			/* rows of IN_MAX zone ids, locked */
	S_MAX
};

#define IN_MAX		64	/* parameters of S_ZIDS and S_RECS */

/* Deferred row changes of the open transaction, column-wise. */
struct pend {
	size_t		 n, cap;
	long long	*id;		/* insert: zone_id; else record id */
	long long	*ttl;
	const char	**host, **type, **data;
	unsigned long	*lhost, *ltype, *ldata;
};

/* A zone read ahead: its id and its rows db->ex[lo..hi). */
struct pz {
	const char	*name;
	long long	 id;
	size_t		 lo, hi;
	int		 created;
};

/* A row already in the table. */
struct exrow {
	long long	 zid;		/* its zone */
	long long	 id;
	long long	 ttl;
	long long	 online;
	size_t		 host, type, data;	/* offsets into exmem */
	int		 bad;		/* truncated or NULL: replace it */
};

struct mysqldb {
	struct mysqldb_conf c;
	char		*host, *socket, *database, *username, *password;
	char		*zones, *records, *tls_ca, *tls_cert, *tls_key;
	MYSQL		*my;
	MYSQL_STMT	*st[S_MAX];
	int		 bulk;		/* array binding works */
	char		 server[64];
	struct coredns_limits lim;
	size_t		 zone_name_max;
	struct pend	 ins, del, upd;
	/* fetch buffers for S_FIND */
	char		*fhost, *ftype, *fdata;
	size_t		 fhostsz, ftypesz, fdatasz;
	struct exrow	*ex;
	size_t		 nex, capex;
	char		*exmem;
	size_t		 exlen, excap;
	/* zones read ahead by mysqldb_prefetch(), sorted by name */
	struct pz	*pz;
	size_t		 npz, cappz;
	int		 cached;
};

/* How bad a server or client error is. */
static int
classify(unsigned e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_HANDSHAKE_ERR:
	case CR_SSL_CONNECTION_ERROR:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_SERVER_LOST_EXTENDED:
	case ER_SERVER_SHUTDOWN:
	case ER_CON_COUNT_ERROR:
	case ER_TOO_MANY_USER_CONNECTIONS:
	case ER_HOST_IS_BLOCKED:
	case ER_HOST_NOT_PRIVILEGED:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
	case ER_NET_READ_ERROR:
	case ER_NET_READ_INTERRUPTED:
	case ER_NET_ERROR_ON_WRITE:
	case ER_NET_WRITE_INTERRUPTED:
	case ER_CONNECTION_KILLED:
	case ER_QUERY_INTERRUPTED:
		return MYSQLDB_DOWN;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_DUP_ENTRY:
		return MYSQLDB_AGAIN;
	case ER_DATA_TOO_LONG:
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
	case ER_WARN_DATA_OUT_OF_RANGE:
	case ER_BAD_NULL_ERROR:
		return MYSQLDB_PERM;
	case ER_NO_SUCH_TABLE:
	case ER_BAD_FIELD_ERROR:
	case ER_TABLEACCESS_DENIED_ERROR:
	case ER_COLUMNACCESS_DENIED_ERROR:
		return MYSQLDB_SCHEMA;
	default:
		return MYSQLDB_TEMP;
	}
}

/* The status of a failed statement, with "what: server message (code)". */
static int
stmt_fail(struct mysqldb *db, MYSQL_STMT *st, const char *what, char *err,
    size_t errlen)
{
	unsigned e = st != NULL ? mysql_stmt_errno(st) : mysql_errno(db->my);

	err_set(err, errlen, "%s: %s (error %u)", what, st != NULL ?
	    mysql_stmt_error(st) : mysql_error(db->my), e);
	return classify(e);
}

static char *
dup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

struct mysqldb *
mysqldb_new(const struct mysqldb_conf *c)
{
	struct mysqldb *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->c = *c;
	db->host = dup(c->host);
	db->socket = dup(c->socket);
	db->database = dup(c->database);
	db->username = dup(c->username);
	db->password = dup(c->password);
	db->zones = dup(c->zones_table);
	db->records = dup(c->records_table);
	db->tls_ca = dup(c->tls_ca);
	db->tls_cert = dup(c->tls_cert);
	db->tls_key = dup(c->tls_key);
	if (db->host == NULL || db->socket == NULL || db->database == NULL ||
	    db->username == NULL || db->password == NULL || db->zones == NULL ||
	    db->records == NULL || db->tls_ca == NULL || db->tls_cert == NULL ||
	    db->tls_key == NULL) {
		mysqldb_free(db);
		errno = ENOMEM;
		return NULL;
	}
	if (db->c.timeout == 0)
		db->c.timeout = 30;
	return db;
}

static void
pend_free(struct pend *p)
{
	free(p->id);
	free(p->ttl);
	free(p->host);
	free(p->type);
	free(p->data);
	free(p->lhost);
	free(p->ltype);
	free(p->ldata);
	memset(p, 0, sizeof(*p));
}

void
mysqldb_free(struct mysqldb *db)
{
	if (db == NULL)
		return;
	mysqldb_disconnect(db);
	pend_free(&db->ins);
	pend_free(&db->del);
	pend_free(&db->upd);
	free(db->ex);
	free(db->exmem);
	free(db->pz);
	if (db->password != NULL)
		explicit_bzero(db->password, strlen(db->password));
	free(db->host);
	free(db->socket);
	free(db->database);
	free(db->username);
	free(db->password);
	free(db->zones);
	free(db->records);
	free(db->tls_ca);
	free(db->tls_cert);
	free(db->tls_key);
	free(db);
}

void
mysqldb_disconnect(struct mysqldb *db)
{
	size_t i;

	for (i = 0; i < S_MAX; i++) {
		if (db->st[i] != NULL)
			mysql_stmt_close(db->st[i]);
		db->st[i] = NULL;
	}
	if (db->my != NULL)
		mysql_close(db->my);
	db->my = NULL;
	free(db->fhost);
	free(db->ftype);
	free(db->fdata);
	db->fhost = db->ftype = db->fdata = NULL;
	db->ins.n = db->del.n = db->upd.n = 0;
	db->server[0] = '\0';
}

int
mysqldb_connected(const struct mysqldb *db)
{
	return db->my != NULL;
}

void
mysqldb_limits(const struct mysqldb *db, struct coredns_limits *lim)
{
	*lim = db->lim;
}

const char *
mysqldb_server(const struct mysqldb *db)
{
	return db->server;
}

/* ------------------------------------------------------------------ */
/* Schema */

struct colinfo {
	char		 table[QVAL_MAX];
	char		 name[QVAL_MAX];
	char		 type[QVAL_MAX];	/* DATA_TYPE, lower case */
	size_t		 maxlen;		/* characters, 0 if none */
	int		 notnull;
	int		 nodefault;
	int		 autoinc;
	int		 generated;
};

/*
 * Run sql (a constant text) with string parameters, fetching at most
 * QCOLS_MAX columns as strings of at most QVAL_MAX-1 bytes; fn is called
 * per row (NULL values are ""). Returns a status.
 */
static int
query(struct mysqldb *db, const char *sql, const char **params, size_t np,
    size_t ncols, void (*fn)(void *, char vals[][QVAL_MAX], const my_bool *),
    void *arg, char *err, size_t errlen)
{
	MYSQL_BIND pb[4], rb[QCOLS_MAX];
	char vals[QCOLS_MAX][QVAL_MAX];
	unsigned long plen[4], rlen[QCOLS_MAX];
	my_bool isnull[QCOLS_MAX];
	MYSQL_STMT *st;
	size_t i;
	int rc, r;

	if ((st = mysql_stmt_init(db->my)) == NULL)
		return stmt_fail(db, NULL, "unable to allocate a statement",
		    err, errlen);
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		r = stmt_fail(db, st, "unable to prepare a query", err, errlen);
		mysql_stmt_close(st);
		return r;
	}
	memset(pb, 0, sizeof(pb));
	for (i = 0; i < np && i < 4; i++) {
		plen[i] = (unsigned long)strlen(params[i]);
		pb[i].buffer_type = MYSQL_TYPE_STRING;
		pb[i].buffer = (void *)params[i];
		pb[i].buffer_length = plen[i];
		pb[i].length = &plen[i];
	}
	memset(rb, 0, sizeof(rb));
	for (i = 0; i < ncols && i < QCOLS_MAX; i++) {
		rb[i].buffer_type = MYSQL_TYPE_STRING;
		rb[i].buffer = vals[i];
		rb[i].buffer_length = QVAL_MAX - 1;
		rb[i].length = &rlen[i];
		rb[i].is_null = &isnull[i];
	}
	if ((np > 0 && mysql_stmt_bind_param(st, pb) != 0) ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, rb) != 0) {
		r = stmt_fail(db, st, "unable to read the schema", err,
		    errlen);
		mysql_stmt_close(st);
		return r;
	}
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		for (i = 0; i < ncols; i++) {
			if (isnull[i])
				vals[i][0] = '\0';
			else
				vals[i][rlen[i] < QVAL_MAX ? rlen[i] :
				    QVAL_MAX - 1] = '\0';
		}
		fn(arg, vals, isnull);
	}
	r = MYSQLDB_OK;
	if (rc != MYSQL_NO_DATA)
		r = stmt_fail(db, st, "unable to read the schema", err,
		    errlen);
	mysql_stmt_close(st);
	return r;
}

/* Run one constant statement without parameters or results. */
static int
exec_sql(struct mysqldb *db, const char *sql, const char *what, char *err,
    size_t errlen)
{
	MYSQL_STMT *st;
	int r = MYSQLDB_OK;

	if ((st = mysql_stmt_init(db->my)) == NULL)
		return stmt_fail(db, NULL, what, err, errlen);
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0 ||
	    mysql_stmt_execute(st) != 0)
		r = stmt_fail(db, st, what, err, errlen);
	mysql_stmt_close(st);
	return r;
}

struct tables {
	char		 engine[2][QVAL_MAX];
	int		 found[2];
	const char	*names[2];
};

static void
table_row(void *arg, char vals[][QVAL_MAX], const my_bool *isnull)
{
	struct tables *t = arg;
	int i;

	(void)isnull;
	for (i = 0; i < 2; i++)
		if (strcmp(vals[0], t->names[i]) == 0) {
			t->found[i] = 1;
			snprintf(t->engine[i], QVAL_MAX, "%s", vals[1]);
		}
}

struct columns {
	struct colinfo	 col[64];
	size_t		 n;
	size_t		 more;		/* columns beyond col[] */
};

static void
column_row(void *arg, char vals[][QVAL_MAX], const my_bool *isnull)
{
	struct columns *c = arg;
	struct colinfo *ci;
	size_t i;

	if (c->n == sizeof(c->col) / sizeof(c->col[0])) {
		c->more++;
		return;
	}
	ci = &c->col[c->n++];
	snprintf(ci->table, sizeof(ci->table), "%s", vals[0]);
	snprintf(ci->name, sizeof(ci->name), "%s", vals[1]);
	for (i = 0; vals[2][i] != '\0' && i + 1 < sizeof(ci->type); i++)
		ci->type[i] = vals[2][i] >= 'A' && vals[2][i] <= 'Z' ?
		    vals[2][i] - 'A' + 'a' : vals[2][i];
	ci->type[i] = '\0';
	ci->maxlen = isnull[3] ? 0 : strtoull(vals[3], NULL, 10);
	ci->notnull = strcasecmp(vals[4], "NO") == 0;
	ci->nodefault = isnull[5];
	ci->autoinc = strcasestr(vals[6], "auto_increment") != NULL;
	ci->generated = strcasestr(vals[6], "generated") != NULL;
}

struct count {
	long long	 n;
};

static void
count_row(void *arg, char vals[][QVAL_MAX], const my_bool *isnull)
{
	struct count *c = arg;

	(void)isnull;
	c->n = strtoll(vals[0], NULL, 10);
}

static int
is_int(const char *t)
{
	return strcmp(t, "int") == 0 || strcmp(t, "bigint") == 0 ||
	    strcmp(t, "mediumint") == 0 || strcmp(t, "smallint") == 0 ||
	    strcmp(t, "tinyint") == 0 || strcmp(t, "integer") == 0;
}

static int
is_text(const char *t)
{
	return strcmp(t, "varchar") == 0 || strcmp(t, "char") == 0 ||
	    strcmp(t, "text") == 0 || strcmp(t, "tinytext") == 0 ||
	    strcmp(t, "mediumtext") == 0 || strcmp(t, "longtext") == 0;
}

static const struct colinfo *
column(const struct columns *c, const char *table, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->col[i].table, table) == 0 &&
		    strcasecmp(c->col[i].name, name) == 0)
			return &c->col[i];
	return NULL;
}

/* The tables' DDL (etc/coredns_mysql.sql) for our table names. */
static int
create_tables(struct mysqldb *db, const struct tables *t, char *err,
    size_t errlen)
{
	char sql[SQL_MAX];
	int r;

	if (!t->found[0]) {
		snprintf(sql, sizeof(sql),
		    "CREATE TABLE IF NOT EXISTS `%s` ("
		    "`id` INT NOT NULL AUTO_INCREMENT, "
		    "`zone_name` VARCHAR(255) NOT NULL, "
		    "PRIMARY KEY (`id`), "
		    "UNIQUE KEY `zone_name` (`zone_name`)"
		    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", db->zones);
		if ((r = exec_sql(db, sql, "unable to create the zones table",
		    err, errlen)) != MYSQLDB_OK)
			return r;
	}
	if (!t->found[1]) {
		snprintf(sql, sizeof(sql),
		    "CREATE TABLE IF NOT EXISTS `%s` ("
		    "`id` INT NOT NULL AUTO_INCREMENT, "
		    "`zone_id` INT NOT NULL, "
		    "`hostname` VARCHAR(512) NOT NULL, "
		    "`type` VARCHAR(10) NOT NULL, "
		    "`data` VARCHAR(1024) NOT NULL, "
		    "`ttl` INT NOT NULL DEFAULT 120, "
		    "`online` INT NOT NULL DEFAULT 0, "
		    "PRIMARY KEY (`id`), "
		    "KEY `idx_lookup` (`zone_id`, `hostname`, `type`, "
		    "`online`), "
		    "FOREIGN KEY (`zone_id`) REFERENCES `%s` (`id`)"
		    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", db->records,
		    db->zones);
		if ((r = exec_sql(db, sql, "unable to create the records "
		    "table", err, errlen)) != MYSQLDB_OK)
			return r;
	}
	return MYSQLDB_OK;
}

/* Check one column the plugin reads or we write. */
static int
need(const struct columns *c, const char *table, const char *name,
    int text, size_t minlen, int autoinc, size_t *maxlen, char *err,
    size_t errlen)
{
	const struct colinfo *ci;

	if ((ci = column(c, table, name)) == NULL) {
		err_set(err, errlen, "table %s has no column %s", table, name);
		return -1;
	}
	if (text && !is_text(ci->type)) {
		err_set(err, errlen, "column %s.%s is %s, not a character type",
		    table, name, ci->type);
		return -1;
	}
	if (!text && !is_int(ci->type)) {
		err_set(err, errlen, "column %s.%s is %s, not an integer type",
		    table, name, ci->type);
		return -1;
	}
	if (text && ci->maxlen < minlen) {
		err_set(err, errlen, "column %s.%s holds %zu characters, fewer "
		    "than %zu", table, name, ci->maxlen, minlen);
		return -1;
	}
	if (autoinc && !ci->autoinc) {
		err_set(err, errlen, "column %s.%s is not AUTO_INCREMENT",
		    table, name);
		return -1;
	}
	if (maxlen != NULL)
		*maxlen = ci->maxlen;
	return 0;
}

/* Read what the database holds of our two tables into t and c. */
static int
schema_read(struct mysqldb *db, struct tables *t, struct columns *c,
    char *err, size_t errlen)
{
	const char *params[2] = { db->zones, db->records };
	int r;

	memset(t, 0, sizeof(*t));
	t->names[0] = db->zones;
	t->names[1] = db->records;
	memset(c, 0, sizeof(*c));
	if ((r = query(db, "SELECT TABLE_NAME, ENGINE FROM "
	    "information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
	    "TABLE_NAME IN (?, ?)", params, 2, 2, table_row, t, err,
	    errlen)) != MYSQLDB_OK)
		return r;
	return query(db, "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, "
	    "CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
	    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
	    "AND TABLE_NAME IN (?, ?)", params, 2, 7, column_row, c, err,
	    errlen);
}

/*
 * Check the tables present: InnoDB, the plugin's columns with usable
 * types, no other column we cannot fill, a unique key on zone_name
 * alone. Returns MYSQLDB_OK, MYSQLDB_SCHEMA with why set, or another
 * status with err set.
 */
static int
schema_check(struct mysqldb *db, const struct tables *t,
    const struct columns *c, char *why, size_t whylen, char *err,
    size_t errlen)
{
	static const char *known_z[] = { "id", "zone_name" };
	static const char *known_r[] = { "id", "zone_id", "hostname", "type",
	    "data", "ttl", "online" };
	struct count cnt;
	const char **known, *tn;
	size_t i, j, nknown;
	int r;

	for (i = 0; i < 2; i++) {
		if (t->found[i] && strcasecmp(t->engine[i], "InnoDB") != 0) {
			snprintf(why, whylen, "table %.64s uses the %.64s "
			    "engine; zone writes need InnoDB transactions",
			    t->names[i], t->engine[i]);
			return MYSQLDB_SCHEMA;
		}
	}
	if (t->found[0] && (need(c, db->zones, "id", 0, 0, 1, NULL, why,
	    whylen) < 0 || need(c, db->zones, "zone_name", 1, MIN_ZONE_NAME,
	    0, &db->zone_name_max, why, whylen) < 0))
		return MYSQLDB_SCHEMA;
	if (t->found[1] && (need(c, db->records, "id", 0, 0, 1, NULL, why,
	    whylen) < 0 || need(c, db->records, "zone_id", 0, 0, 0, NULL, why,
	    whylen) < 0 || need(c, db->records, "hostname", 1, MIN_HOSTNAME, 0,
	    &db->lim.hostname, why, whylen) < 0 || need(c, db->records,
	    "type", 1, MIN_TYPE, 0, &db->lim.type, why, whylen) < 0 ||
	    need(c, db->records, "data", 1, MIN_DATA, 0, &db->lim.data, why,
	    whylen) < 0 || need(c, db->records, "ttl", 0, 0, 0, NULL, why,
	    whylen) < 0 || need(c, db->records, "online", 0, 0, 0, NULL, why,
	    whylen) < 0))
		return MYSQLDB_SCHEMA;
	if (c->more > 0) {
		snprintf(why, whylen, "more columns than we can check");
		return MYSQLDB_SCHEMA;
	}
	/* Another column must take its default (or be generated). */
	for (i = 0; i < c->n; i++) {
		const struct colinfo *ci = &c->col[i];

		if (strcmp(ci->table, db->zones) == 0) {
			known = known_z;
			nknown = sizeof(known_z) / sizeof(known_z[0]);
		} else {
			known = known_r;
			nknown = sizeof(known_r) / sizeof(known_r[0]);
		}
		for (j = 0; j < nknown; j++)
			if (strcasecmp(ci->name, known[j]) == 0)
				break;
		if (j < nknown || !ci->notnull || !ci->nodefault ||
		    ci->autoinc || ci->generated)
			continue;
		snprintf(why, whylen, "column %.64s.%.64s is NOT NULL without "
		    "a default, so rows cannot be added", ci->table, ci->name);
		return MYSQLDB_SCHEMA;
	}
	if (!t->found[0])
		return MYSQLDB_OK;
	memset(&cnt, 0, sizeof(cnt));
	tn = db->zones;
	if ((r = query(db, "SELECT COUNT(*) FROM information_schema.STATISTICS "
	    "s WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = ? AND "
	    "s.NON_UNIQUE = 0 AND s.SEQ_IN_INDEX = 1 AND "
	    "s.COLUMN_NAME = 'zone_name' AND NOT EXISTS (SELECT 1 FROM "
	    "information_schema.STATISTICS x WHERE x.TABLE_SCHEMA = "
	    "s.TABLE_SCHEMA AND x.TABLE_NAME = s.TABLE_NAME AND "
	    "x.INDEX_NAME = s.INDEX_NAME AND x.SEQ_IN_INDEX = 2)", &tn, 1, 1,
	    count_row, &cnt, err, errlen)) != MYSQLDB_OK)
		return r;
	if (cnt.n < 1) {
		snprintf(why, whylen, "column %s.zone_name has no UNIQUE key of "
		    "its own", db->zones);
		return MYSQLDB_SCHEMA;
	}
	return MYSQLDB_OK;
}

/*
 * The two tables: check those present, create whichever is missing (the
 * DDL of etc/coredns_mysql.sql), check again.
 */
static int
schema(struct mysqldb *db, char *err, size_t errlen)
{
	struct tables t;
	struct columns *c;
	char why[512];
	int r, pass;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, errlen, "out of memory");
		return MYSQLDB_TEMP;
	}
	for (pass = 0; pass < 2; pass++) {
		if ((r = schema_read(db, &t, c, err, errlen)) != MYSQLDB_OK)
			break;
		why[0] = '\0';
		r = schema_check(db, &t, c, why, sizeof(why), err, errlen);
		if (r == MYSQLDB_SCHEMA)
			err_set(err, errlen, "database %s does not hold the "
			    "CoreDNS mysql plugin's schema "
			    "(etc/coredns_mysql.sql): %s", db->database, why);
		if (r != MYSQLDB_OK || (t.found[0] && t.found[1]))
			break;
		if (pass == 1) {
			err_set(err, errlen, "database %s: table %s is missing "
			    "after CREATE TABLE", db->database,
			    t.found[0] ? db->records : db->zones);
			r = MYSQLDB_SCHEMA;
			break;
		}
		if ((r = create_tables(db, &t, err, errlen)) != MYSQLDB_OK)
			break;
	}
	free(c);
	if (r != MYSQLDB_OK)
		return r;
	/* Values longer than our fetch buffers never come back intact;
	 * larger columns are used up to a sane size. */
	if (db->lim.hostname > 65535)
		db->lim.hostname = 65535;
	if (db->lim.type > 64)
		db->lim.type = 64;
	if (db->lim.data > 65535)
		db->lim.data = 65535;
	if (db->zone_name_max > 65535)
		db->zone_name_max = 65535;
	return MYSQLDB_OK;
}

/* ------------------------------------------------------------------ */
/* Connection */

/* Does the server take array binding (MariaDB 10.2 and later)? */
static int
bulk_supported(struct mysqldb *db)
{
	unsigned long caps = 0, ext = 0;

	if (mariadb_get_infov(db->my, MARIADB_CONNECTION_SERVER_CAPABILITIES,
	    &caps) != 0 || mariadb_get_infov(db->my,
	    MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext) != 0)
		return 0;
	return !(caps & CLIENT_MYSQL) &&
	    (ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) != 0;
}

static int
prepare_all(struct mysqldb *db, char *err, size_t errlen)
{
	char sql[S_MAX][SQL_MAX], qmarks[IN_MAX * 3 + 1];
	size_t i;

	strcpy(qmarks, "?");
	for (i = 1; i < IN_MAX; i++)
		strcat(qmarks, ", ?");
	snprintf(sql[S_FIND], SQL_MAX, "SELECT z.id, r.id, r.hostname, "
	    "r.type, r.data, r.ttl, r.online FROM `%s` z LEFT JOIN `%s` r ON "
	    "r.zone_id = z.id WHERE z.zone_name = ? FOR UPDATE", db->zones,
	    db->records);
	snprintf(sql[S_ZONE_INSERT], SQL_MAX, "INSERT INTO `%s` (zone_name) "
	    "VALUES (?)", db->zones);
	snprintf(sql[S_REC_INSERT], SQL_MAX, "INSERT INTO `%s` (zone_id, "
	    "hostname, type, data, ttl, online) VALUES (?, ?, ?, ?, ?, 1)",
	    db->records);
	snprintf(sql[S_REC_DELETE], SQL_MAX, "DELETE FROM `%s` WHERE id = ?",
	    db->records);
	snprintf(sql[S_REC_UPDATE], SQL_MAX, "UPDATE `%s` SET ttl = ?, "
	    "online = 1 WHERE id = ?", db->records);
	snprintf(sql[S_ZONE_DEL_RECS], SQL_MAX, "DELETE FROM `%s` WHERE "
	    "zone_id IN (SELECT id FROM `%s` WHERE zone_name = ?)",
	    db->records, db->zones);
	snprintf(sql[S_ZONE_DEL], SQL_MAX, "DELETE FROM `%s` WHERE "
	    "zone_name = ?", db->zones);
	snprintf(sql[S_ZIDS], SQL_MAX, "SELECT id, zone_name FROM `%s` WHERE "
	    "zone_name IN (%s) FOR UPDATE", db->zones, qmarks);
	snprintf(sql[S_RECS], SQL_MAX, "SELECT zone_id, id, hostname, type, "
	    "data, ttl, online FROM `%s` WHERE zone_id IN (%s) FOR UPDATE",
	    db->records, qmarks);
	for (i = 0; i < S_MAX; i++) {
		if ((db->st[i] = mysql_stmt_init(db->my)) == NULL)
			return stmt_fail(db, NULL, "unable to allocate a "
			    "statement", err, errlen);
		if (mysql_stmt_prepare(db->st[i], sql[i],
		    (unsigned long)strlen(sql[i])) != 0)
			return stmt_fail(db, db->st[i], "unable to prepare a "
			    "statement", err, errlen);
	}
	db->bulk = bulk_supported(db);
	db->fhostsz = db->lim.hostname * 4 + 1;
	db->ftypesz = db->lim.type * 4 + 1;
	db->fdatasz = db->lim.data * 4 + 1;
	if ((db->fhost = malloc(db->fhostsz)) == NULL ||
	    (db->ftype = malloc(db->ftypesz)) == NULL ||
	    (db->fdata = malloc(db->fdatasz)) == NULL) {
		err_set(err, errlen, "out of memory");
		return MYSQLDB_TEMP;
	}
	return MYSQLDB_OK;
}

int
mysqldb_connect(struct mysqldb *db, char *err, size_t errlen)
{
	unsigned int t = db->c.timeout, ct = db->c.connect_timeout ?
	    db->c.connect_timeout : db->c.timeout;
	my_bool on = 1, off = 0, verify = db->c.tls_verify ? 1 : 0;
	const char *host, *sock;
	const char *v;
	int r;

	mysqldb_disconnect(db);
	if (!coredns_ident_ok(db->zones) || !coredns_ident_ok(db->records)) {
		err_set(err, errlen, "invalid table name");
		return MYSQLDB_SCHEMA;
	}
	if ((db->my = mysql_init(NULL)) == NULL) {
		err_set(err, errlen, "out of memory");
		return MYSQLDB_TEMP;
	}
	mysql_optionsv(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(db->my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_optionsv(db->my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_optionsv(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(db->my, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_optionsv(db->my, MYSQL_REPORT_DATA_TRUNCATION, &on);
	/* Strict: a value that does not fit is an error, never cut. */
	mysql_optionsv(db->my, MYSQL_INIT_COMMAND,
	    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
	if (db->c.tls) {
		mysql_optionsv(db->my, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_optionsv(db->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
		    &verify);
		if (db->tls_ca[0] != '\0')
			mysql_optionsv(db->my, MYSQL_OPT_SSL_CA, db->tls_ca);
		if (db->tls_cert[0] != '\0')
			mysql_optionsv(db->my, MYSQL_OPT_SSL_CERT,
			    db->tls_cert);
		if (db->tls_key[0] != '\0')
			mysql_optionsv(db->my, MYSQL_OPT_SSL_KEY, db->tls_key);
	}
	host = db->host[0] != '\0' ? db->host : NULL;
	sock = db->socket[0] != '\0' ? db->socket : NULL;
	if (sock != NULL)
		host = "localhost";
	if (mysql_real_connect(db->my, host, db->username, db->password,
	    db->database, db->c.port, sock, 0) == NULL) {
		r = classify(mysql_errno(db->my));
		if (sock != NULL)
			err_set(err, errlen, "unable to connect to %s as %s: "
			    "%s (error %u)", sock, db->username,
			    mysql_error(db->my), mysql_errno(db->my));
		else
			err_set(err, errlen, "unable to connect to %s port %u "
			    "as %s: %s (error %u)", db->host, db->c.port,
			    db->username, mysql_error(db->my),
			    mysql_errno(db->my));
		mysqldb_disconnect(db);
		return r == MYSQLDB_OK ? MYSQLDB_DOWN : r;
	}
	if ((v = mysql_get_server_info(db->my)) != NULL)
		snprintf(db->server, sizeof(db->server), "%s", v);
	if (mysql_autocommit(db->my, 0) != 0) {
		r = stmt_fail(db, NULL, "unable to turn autocommit off", err,
		    errlen);
		goto fail;
	}
	if ((r = schema(db, err, errlen)) != MYSQLDB_OK)
		goto fail;
	/* End the schema queries' transaction. */
	if (mysql_commit(db->my) != 0) {
		r = stmt_fail(db, NULL, "unable to commit", err, errlen);
		goto fail;
	}
	if ((r = prepare_all(db, err, errlen)) != MYSQLDB_OK)
		goto fail;
	return MYSQLDB_OK;
fail:
	mysqldb_disconnect(db);
	return r;
}

/* ------------------------------------------------------------------ */
/* Deferred row changes */

static int
pend_grow(struct pend *p)
{
	size_t cap = p->cap ? p->cap * 2 : 256;

#define GROW(f)	do {							\
	void *np_ = reallocarray(p->f, cap, sizeof(*p->f));		\
	if (np_ == NULL)						\
		return -1;						\
	p->f = np_;							\
} while (0)
	GROW(id);
	GROW(ttl);
	GROW(host);
	GROW(type);
	GROW(data);
	GROW(lhost);
	GROW(ltype);
	GROW(ldata);
#undef GROW
	p->cap = cap;
	return 0;
}

static int
pend_add(struct pend *p, long long id, long long ttl,
    const struct coredns_row *r)
{
	if (p->n == p->cap && pend_grow(p) < 0)
		return -1;
	p->id[p->n] = id;
	p->ttl[p->n] = ttl;
	if (r != NULL) {
		p->host[p->n] = r->hostname;
		p->type[p->n] = r->type;
		p->data[p->n] = r->data;
		p->lhost[p->n] = (unsigned long)strlen(r->hostname);
		p->ltype[p->n] = (unsigned long)strlen(r->type);
		p->ldata[p->n] = (unsigned long)strlen(r->data);
	}
	p->n++;
	return 0;
}

/* One bound column: integers (long long[]) or strings (char *[]). */
struct bcol {
	int		 str;
	void		*base;
	unsigned long	*len;
};

/*
 * Execute st for rows [0..n) of the columns: in chunks of BULK_MAX with
 * array binding when the server takes it, else row by row.
 */
static int
bulk(struct mysqldb *db, MYSQL_STMT *st, const struct bcol *col,
    unsigned ncol, size_t n, const char *what, char *err, size_t errlen)
{
	MYSQL_BIND b[8];
	unsigned int asz;
	size_t off, k, j;
	int r;

	for (off = 0; off < n; off += k) {
		memset(b, 0, sizeof(b));
		if (db->bulk) {
			k = n - off < BULK_MAX ? n - off : BULK_MAX;
			for (j = 0; j < ncol; j++) {
				if (col[j].str) {
					b[j].buffer_type = MYSQL_TYPE_STRING;
					b[j].buffer = (const char **)
					    col[j].base + off;
					b[j].length = col[j].len + off;
				} else {
					b[j].buffer_type = MYSQL_TYPE_LONGLONG;
					b[j].buffer = (long long *)
					    col[j].base + off;
				}
			}
			asz = (unsigned int)k;
			if (mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE,
			    &asz) != 0)
				return stmt_fail(db, st, what, err, errlen);
		} else {
			k = 1;
			for (j = 0; j < ncol; j++) {
				if (col[j].str) {
					b[j].buffer_type = MYSQL_TYPE_STRING;
					b[j].buffer = ((char **)
					    col[j].base)[off];
					b[j].buffer_length = col[j].len[off];
					b[j].length = col[j].len + off;
				} else {
					b[j].buffer_type = MYSQL_TYPE_LONGLONG;
					b[j].buffer = (long long *)
					    col[j].base + off;
				}
			}
		}
		r = mysql_stmt_bind_param(st, b) != 0 ||
		    mysql_stmt_execute(st) != 0 ?
		    stmt_fail(db, st, what, err, errlen) : MYSQLDB_OK;
		if (db->bulk) {
			/* Back to one row for the statement's other uses. */
			asz = 0;
			mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &asz);
		}
		if (r != MYSQLDB_OK)
			return r;
	}
	return MYSQLDB_OK;
}

static int
flush(struct mysqldb *db, char *err, size_t errlen)
{
	struct bcol c[5];
	int r;

	if (db->del.n > 0) {
		c[0] = (struct bcol){ 0, db->del.id, NULL };
		if ((r = bulk(db, db->st[S_REC_DELETE], c, 1, db->del.n,
		    "unable to delete records", err, errlen)) != MYSQLDB_OK)
			return r;
		db->del.n = 0;
	}
	if (db->upd.n > 0) {
		c[0] = (struct bcol){ 0, db->upd.ttl, NULL };
		c[1] = (struct bcol){ 0, db->upd.id, NULL };
		if ((r = bulk(db, db->st[S_REC_UPDATE], c, 2, db->upd.n,
		    "unable to update records", err, errlen)) != MYSQLDB_OK)
			return r;
		db->upd.n = 0;
	}
	if (db->ins.n > 0) {
		c[0] = (struct bcol){ 0, db->ins.id, NULL };
		c[1] = (struct bcol){ 1, db->ins.host, db->ins.lhost };
		c[2] = (struct bcol){ 1, db->ins.type, db->ins.ltype };
		c[3] = (struct bcol){ 1, db->ins.data, db->ins.ldata };
		c[4] = (struct bcol){ 0, db->ins.ttl, NULL };
		if ((r = bulk(db, db->st[S_REC_INSERT], c, 5, db->ins.n,
		    "unable to insert records", err, errlen)) != MYSQLDB_OK)
			return r;
		db->ins.n = 0;
	}
	return MYSQLDB_OK;
}

/* ------------------------------------------------------------------ */
/* Zone writes */

static int
ex_add(struct mysqldb *db, const struct exrow *e, const char *h,
    unsigned long hl, const char *t, unsigned long tl, const char *d,
    unsigned long dl)
{
	size_t need = (size_t)hl + tl + dl + 3, cap;
	struct exrow *nex;
	char *p;

	if (db->nex == db->capex) {
		cap = db->capex ? db->capex * 2 : 64;
		if ((nex = reallocarray(db->ex, cap, sizeof(*nex))) == NULL)
			return -1;
		db->ex = nex;
		db->capex = cap;
	}
	if (db->exlen + need > db->excap) {
		cap = db->excap ? db->excap : 8192;
		while (cap < db->exlen + need)
			cap *= 2;
		if ((p = realloc(db->exmem, cap)) == NULL)
			return -1;
		db->exmem = p;
		db->excap = cap;
	}
	db->ex[db->nex] = *e;
	db->ex[db->nex].host = db->exlen;
	memcpy(db->exmem + db->exlen, h, hl);
	db->exmem[db->exlen + hl] = '\0';
	db->exlen += hl + 1;
	db->ex[db->nex].type = db->exlen;
	memcpy(db->exmem + db->exlen, t, tl);
	db->exmem[db->exlen + tl] = '\0';
	db->exlen += tl + 1;
	db->ex[db->nex].data = db->exlen;
	memcpy(db->exmem + db->exlen, d, dl);
	db->exmem[db->exlen + dl] = '\0';
	db->exlen += dl + 1;
	db->nex++;
	return 0;
}

/*
 * Execute st (parameters bound) and append the rows it returns -- zone
 * id, record id (NULL for a zone without records), hostname, type, data,
 * ttl, online -- to db->ex. *zid is set to the last zone id seen (0 when
 * none). Returns a status.
 */
static int
fetch(struct mysqldb *db, MYSQL_STMT *st, long long *zid, char *err,
    size_t errlen)
{
	MYSQL_BIND b[7];
	unsigned long hl, tl, dl;
	long long z, rid, ttl, online;
	my_bool nrid, nh, nt, nd, nttl, non, eh, et, ed;
	struct exrow e;
	int rc, r;

	*zid = 0;
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &z;
	b[1].buffer_type = MYSQL_TYPE_LONGLONG;
	b[1].buffer = &rid;
	b[1].is_null = &nrid;
	b[2].buffer_type = MYSQL_TYPE_STRING;
	b[2].buffer = db->fhost;
	b[2].buffer_length = db->fhostsz - 1;
	b[2].length = &hl;
	b[2].is_null = &nh;
	b[2].error = &eh;
	b[3].buffer_type = MYSQL_TYPE_STRING;
	b[3].buffer = db->ftype;
	b[3].buffer_length = db->ftypesz - 1;
	b[3].length = &tl;
	b[3].is_null = &nt;
	b[3].error = &et;
	b[4].buffer_type = MYSQL_TYPE_STRING;
	b[4].buffer = db->fdata;
	b[4].buffer_length = db->fdatasz - 1;
	b[4].length = &dl;
	b[4].is_null = &nd;
	b[4].error = &ed;
	b[5].buffer_type = MYSQL_TYPE_LONGLONG;
	b[5].buffer = &ttl;
	b[5].is_null = &nttl;
	b[6].buffer_type = MYSQL_TYPE_LONGLONG;
	b[6].buffer = &online;
	b[6].is_null = &non;
	if (mysql_stmt_execute(st) != 0 || mysql_stmt_bind_result(st, b) != 0)
		return stmt_fail(db, st, "unable to read the zone's records",
		    err, errlen);
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		*zid = z;
		if (nrid)
			continue;	/* a zone without records */
		memset(&e, 0, sizeof(e));
		e.zid = z;
		e.id = rid;
		e.ttl = nttl ? -1 : ttl;
		e.online = non ? 0 : online;
		e.bad = nh || nt || nd || (rc == MYSQL_DATA_TRUNCATED &&
		    (eh || et || ed));
		if (e.bad)
			hl = tl = dl = 0;
		if (ex_add(db, &e, db->fhost, hl, db->ftype, tl, db->fdata,
		    dl) < 0) {
			mysql_stmt_free_result(st);
			err_set(err, errlen, "out of memory");
			return MYSQLDB_TEMP;
		}
	}
	r = MYSQLDB_OK;
	if (rc != MYSQL_NO_DATA)
		r = stmt_fail(db, st, "unable to read the zone's records", err,
		    errlen);
	mysql_stmt_free_result(st);
	return r;
}

/*
 * The zone's id (0 when it has no row) and its records into db->ex,
 * locking them. Returns a status.
 */
static int
find(struct mysqldb *db, const char *zone, long long *zid, char *err,
    size_t errlen)
{
	MYSQL_STMT *st = db->st[S_FIND];
	MYSQL_BIND p[1];
	unsigned long zl = (unsigned long)strlen(zone);

	db->nex = 0;
	db->exlen = 0;
	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_STRING;
	p[0].buffer = (void *)zone;
	p[0].buffer_length = zl;
	p[0].length = &zl;
	if (mysql_stmt_bind_param(st, p) != 0)
		return stmt_fail(db, st, "unable to read the zone's records",
		    err, errlen);
	return fetch(db, st, zid, err, errlen);
}

static int
zone_insert(struct mysqldb *db, const char *zone, long long *zid, char *err,
    size_t errlen)
{
	MYSQL_STMT *st = db->st[S_ZONE_INSERT];
	MYSQL_BIND p[1];
	unsigned long zl = (unsigned long)strlen(zone);

	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_STRING;
	p[0].buffer = (void *)zone;
	p[0].buffer_length = zl;
	p[0].length = &zl;
	if (mysql_stmt_bind_param(st, p) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "unable to add the zone", err, errlen);
	*zid = (long long)mysql_stmt_insert_id(st);
	return MYSQLDB_OK;
}

/* Existing rows in the order of coredns_row_cmp(). */
static struct mysqldb *sort_db;

static int
ex_cmp(const void *a, const void *b)
{
	const struct exrow *x = a, *y = b;
	const char *m = sort_db->exmem;
	int c;

	if (x->zid != y->zid)
		return x->zid < y->zid ? -1 : 1;
	if (x->bad != y->bad)
		return x->bad ? 1 : -1;
	if ((c = strcmp(m + x->host, m + y->host)) != 0)
		return c;
	if ((c = strcmp(m + x->type, m + y->type)) != 0)
		return c;
	if ((c = strcmp(m + x->data, m + y->data)) != 0)
		return c;
	/* Among equal rows the one to keep first: online, same TTL. */
	if ((x->online != 0) != (y->online != 0))
		return x->online != 0 ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
key_cmp(const struct coredns_row *r, const char *m, const struct exrow *e)
{
	int c;

	if (e->bad)
		return -1;
	if ((c = strcmp(r->hostname, m + e->host)) != 0)
		return c;
	if ((c = strcmp(r->type, m + e->type)) != 0)
		return c;
	return strcmp(r->data, m + e->data);
}

static int
pz_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pz *)a)->name,
	    ((const struct pz *)b)->name);
}

/* Bind up to IN_MAX strings (padded with the first) to st. */
static int
bind_names(MYSQL_STMT *st, const char **names, size_t n,
    unsigned long *len, MYSQL_BIND *p)
{
	size_t i, k;

	memset(p, 0, IN_MAX * sizeof(*p));
	for (i = 0; i < IN_MAX; i++) {
		k = i < n ? i : 0;
		len[i] = (unsigned long)strlen(names[k]);
		p[i].buffer_type = MYSQL_TYPE_STRING;
		p[i].buffer = (void *)names[k];
		p[i].buffer_length = len[i];
		p[i].length = &len[i];
	}
	return mysql_stmt_bind_param(st, p) == 0 ? 0 : -1;
}

/* The ids of the zones db->pz[from..to) that have one, locked. */
static int
read_ids(struct mysqldb *db, size_t from, size_t to, char *err,
    size_t errlen)
{
	MYSQL_STMT *st = db->st[S_ZIDS];
	MYSQL_BIND p[IN_MAX], b[2];
	const char *names[IN_MAX];
	unsigned long len[IN_MAX], nl;
	char name[ZONE_NAME_MAX + 2];
	long long id;
	struct pz key, *hit;
	size_t i, k, n;
	int rc, r;

	for (i = from; i < to; i += n) {
		n = to - i < IN_MAX ? to - i : IN_MAX;
		for (k = 0; k < n; k++)
			names[k] = db->pz[i + k].name;
		memset(b, 0, sizeof(b));
		b[0].buffer_type = MYSQL_TYPE_LONGLONG;
		b[0].buffer = &id;
		b[1].buffer_type = MYSQL_TYPE_STRING;
		b[1].buffer = name;
		b[1].buffer_length = sizeof(name) - 1;
		b[1].length = &nl;
		if (bind_names(st, names, n, len, p) < 0 ||
		    mysql_stmt_execute(st) != 0 ||
		    mysql_stmt_bind_result(st, b) != 0)
			return stmt_fail(db, st, "unable to read zone ids", err,
			    errlen);
		while ((rc = mysql_stmt_fetch(st)) == 0) {
			name[nl < sizeof(name) ? nl : sizeof(name) - 1] = '\0';
			/* The collation matched it: Example.COM. is ours. */
			for (k = 0; name[k] != '\0'; k++)
				if (name[k] >= 'A' && name[k] <= 'Z')
					name[k] += 'a' - 'A';
			key.name = name;
			hit = bsearch(&key, db->pz + from, to - from,
			    sizeof(*db->pz), pz_cmp);
			if (hit != NULL)
				hit->id = id;
		}
		r = rc == MYSQL_NO_DATA || rc == MYSQL_DATA_TRUNCATED ?
		    MYSQLDB_OK : stmt_fail(db, st, "unable to read zone ids",
		    err, errlen);
		mysql_stmt_free_result(st);
		if (r != MYSQLDB_OK)
			return r;
	}
	return MYSQLDB_OK;
}

int
mysqldb_prefetch(struct mysqldb *db, const char **names, size_t n,
    char *err, size_t errlen)
{
	MYSQL_STMT *st;
	MYSQL_BIND p[IN_MAX];
	struct bcol c[1];
	const char **missing = NULL;
	long long ids[IN_MAX], zid;
	unsigned long *ml;
	size_t i, k, m, nm = 0;
	int r;

	db->cached = 0;
	db->npz = 0;
	db->nex = 0;
	db->exlen = 0;
	if (db->my == NULL) {
		err_set(err, errlen, "not connected");
		return MYSQLDB_DOWN;
	}
	if (n == 0)
		return MYSQLDB_OK;
	if (n > db->cappz) {
		struct pz *np = reallocarray(db->pz, n, sizeof(*np));

		if (np == NULL)
			goto nomem;
		db->pz = np;
		db->cappz = n;
	}
	for (i = 0; i < n; i++) {
		memset(&db->pz[i], 0, sizeof(db->pz[i]));
		db->pz[i].name = names[i];
	}
	db->npz = n;
	qsort(db->pz, n, sizeof(*db->pz), pz_cmp);

	/* Ids of the zones there, then add the others in one go. */
	if ((r = read_ids(db, 0, n, err, errlen)) != MYSQLDB_OK)
		goto fail;
	if ((missing = calloc(n, sizeof(*missing))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (db->pz[i].id == 0 && strlen(db->pz[i].name) <=
		    db->zone_name_max)
			missing[nm++] = db->pz[i].name;
	if (nm > 0) {
		if ((ml = calloc(nm, sizeof(*ml))) == NULL)
			goto nomem;
		for (i = 0; i < nm; i++)
			ml[i] = (unsigned long)strlen(missing[i]);
		c[0] = (struct bcol){ 1, missing, ml };
		r = bulk(db, db->st[S_ZONE_INSERT], c, 1, nm,
		    "unable to add zones", err, errlen);
		free(ml);
		if (r != MYSQLDB_OK)
			goto fail;
		for (i = 0; i < n; i++)
			if (db->pz[i].id == 0)
				db->pz[i].created = 1;
		if ((r = read_ids(db, 0, n, err, errlen)) != MYSQLDB_OK)
			goto fail;
	}

	/* The rows of the zones that were there. */
	st = db->st[S_RECS];
	for (i = 0; i < n; ) {
		for (m = 0; i < n && m < IN_MAX; i++)
			if (db->pz[i].id != 0 && !db->pz[i].created)
				ids[m++] = db->pz[i].id;
		if (m == 0)
			break;
		memset(p, 0, sizeof(p));
		for (k = 0; k < IN_MAX; k++) {
			p[k].buffer_type = MYSQL_TYPE_LONGLONG;
			p[k].buffer = &ids[k < m ? k : 0];
		}
		if (mysql_stmt_bind_param(st, p) != 0) {
			r = stmt_fail(db, st, "unable to read records", err,
			    errlen);
			goto fail;
		}
		if ((r = fetch(db, st, &zid, err, errlen)) != MYSQLDB_OK)
			goto fail;
	}
	sort_db = db;
	if (db->nex > 1)
		qsort(db->ex, db->nex, sizeof(*db->ex), ex_cmp);
	for (i = 0; i < n; i++) {
		/* db->pz is sorted by name, db->ex by zone id: search. */
		size_t lo = 0, hi = db->nex, mid;

		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (db->ex[mid].zid < db->pz[i].id)
				lo = mid + 1;
			else
				hi = mid;
		}
		db->pz[i].lo = lo;
		for (hi = lo; hi < db->nex && db->ex[hi].zid == db->pz[i].id;
		    hi++)
			;
		db->pz[i].hi = hi;
	}
	free(missing);
	db->cached = 1;
	return MYSQLDB_OK;
nomem:
	err_set(err, errlen, "out of memory");
	r = MYSQLDB_TEMP;
fail:
	free(missing);
	db->npz = 0;
	db->nex = 0;
	return r;
}

int
mysqldb_zone_put(struct mysqldb *db, const struct coredns_zone *z,
    struct mysqldb_counts *c, char *err, size_t errlen)
{
	struct mysqldb_counts cnt;
	struct pz key, *hit;
	long long zid;
	size_t i = 0, j = 0, end;
	const char *m;
	int r, k, tries;

	memset(&cnt, 0, sizeof(cnt));
	if (db->my == NULL) {
		err_set(err, errlen, "not connected");
		return MYSQLDB_DOWN;
	}
	if (strlen(z->name) > db->zone_name_max) {
		err_set(err, errlen, "zone name %s longer than column "
		    "%s.zone_name (%zu)", z->name, db->zones,
		    db->zone_name_max);
		return MYSQLDB_PERM;
	}
	key.name = z->name;
	if (db->cached && (hit = bsearch(&key, db->pz, db->npz,
	    sizeof(*db->pz), pz_cmp)) != NULL && hit->id != 0) {
		zid = hit->id;
		cnt.created = hit->created;
		j = hit->lo;
		end = hit->hi;
		hit->id = 0;	/* once per transaction */
	} else for (tries = 0;; tries++) {
		if ((r = find(db, z->name, &zid, err, errlen)) != MYSQLDB_OK)
			return r;
		sort_db = db;
		if (db->nex > 1)
			qsort(db->ex, db->nex, sizeof(*db->ex), ex_cmp);
		j = 0;
		end = db->nex;
		if (zid != 0)
			break;
		r = zone_insert(db, z->name, &zid, err, errlen);
		/* A concurrent writer added it first: read it again. */
		if (r != MYSQLDB_OK && tries == 0 &&
		    mysql_stmt_errno(db->st[S_ZONE_INSERT]) == ER_DUP_ENTRY)
			continue;
		if (r != MYSQLDB_OK)
			return r;
		cnt.created = 1;
		break;
	}

	m = db->exmem;
	while (i < z->nrows || j < end) {
		const struct coredns_row *want = i < z->nrows ? &z->rows[i] :
		    NULL;
		const struct exrow *have = j < end ? &db->ex[j] : NULL;

		k = want == NULL ? 1 : have == NULL ? -1 :
		    key_cmp(want, m, have);
		if (k < 0) {
			if (pend_add(&db->ins, zid, want->ttl, want) < 0)
				goto nomem;
			cnt.inserted++;
			i++;
			continue;
		}
		if (k > 0) {
			if (pend_add(&db->del, have->id, 0, NULL) < 0)
				goto nomem;
			cnt.deleted++;
			j++;
			continue;
		}
		if (have->ttl != (long long)want->ttl || have->online != 1) {
			if (pend_add(&db->upd, have->id, want->ttl, NULL) < 0)
				goto nomem;
			cnt.updated++;
		} else
			cnt.kept++;
		/* Duplicates of a kept row go. */
		for (j++; j < end && key_cmp(want, m, &db->ex[j]) == 0;
		    j++) {
			if (pend_add(&db->del, db->ex[j].id, 0, NULL) < 0)
				goto nomem;
			cnt.deleted++;
		}
		i++;
	}
	if (c != NULL)
		*c = cnt;
	return MYSQLDB_OK;
nomem:
	err_set(err, errlen, "out of memory");
	return MYSQLDB_TEMP;
}

int
mysqldb_zone_delete(struct mysqldb *db, const char *zone, int *existed,
    char *err, size_t errlen)
{
	MYSQL_BIND p[1];
	unsigned long zl = (unsigned long)strlen(zone);
	int r;

	*existed = 0;
	if (db->my == NULL) {
		err_set(err, errlen, "not connected");
		return MYSQLDB_DOWN;
	}
	/* Rows queued for other zones reach the table first. */
	if ((r = flush(db, err, errlen)) != MYSQLDB_OK)
		return r;
	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_STRING;
	p[0].buffer = (void *)zone;
	p[0].buffer_length = zl;
	p[0].length = &zl;
	if (mysql_stmt_bind_param(db->st[S_ZONE_DEL_RECS], p) != 0 ||
	    mysql_stmt_execute(db->st[S_ZONE_DEL_RECS]) != 0)
		return stmt_fail(db, db->st[S_ZONE_DEL_RECS], "unable to "
		    "delete the zone's records", err, errlen);
	if (mysql_stmt_bind_param(db->st[S_ZONE_DEL], p) != 0 ||
	    mysql_stmt_execute(db->st[S_ZONE_DEL]) != 0)
		return stmt_fail(db, db->st[S_ZONE_DEL], "unable to delete the "
		    "zone", err, errlen);
	*existed = mysql_stmt_affected_rows(db->st[S_ZONE_DEL]) > 0;
	return MYSQLDB_OK;
}

int
mysqldb_commit(struct mysqldb *db, char *err, size_t errlen)
{
	int r;

	if (db->my == NULL) {
		err_set(err, errlen, "not connected");
		return MYSQLDB_DOWN;
	}
	if ((r = flush(db, err, errlen)) != MYSQLDB_OK) {
		mysqldb_rollback(db);
		return r;
	}
	if (mysql_commit(db->my) != 0) {
		r = stmt_fail(db, NULL, "unable to commit", err, errlen);
		mysqldb_rollback(db);
		return r;
	}
	db->cached = 0;
	db->npz = 0;
	return MYSQLDB_OK;
}

void
mysqldb_rollback(struct mysqldb *db)
{
	db->cached = 0;
	db->npz = 0;
	db->ins.n = db->del.n = db->upd.n = 0;
	if (db->my != NULL)
		(void)mysql_rollback(db->my);
}
