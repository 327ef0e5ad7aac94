/* mysqldb.h -- one CoreDNS-MySQL database: connection, schema, zone writes */
/* SPDX-License-Identifier: ISC */
#ifndef MYSQLDB_H
#define MYSQLDB_H

#include <stddef.h>

struct coredns_limits;
struct coredns_zone;
struct mysqldb;

/* Where and how to connect. The strings are copied by mysqldb_new(). */
struct mysqldb_conf {
	const char	*host;		/* name or address; "localhost" means
					 * the default unix socket */
	unsigned	 port;
	const char	*socket;	/* unix socket path, NULL or "" for
					 * host and port */
	const char	*database;
	const char	*username;
	const char	*password;
	const char	*zones_table;	/* SQL identifiers (coredns_ident_ok) */
	const char	*records_table;
	int		 tls;		/* require TLS */
	int		 tls_verify;	/* check the server's certificate */
	const char	*tls_ca, *tls_cert, *tls_key;	/* files or "" */
	unsigned	 timeout;	/* seconds for a read or a write */
	unsigned	 connect_timeout;	/* seconds, 0: timeout */
};

enum mysqldb_status {
	MYSQLDB_OK = 0,
	MYSQLDB_DOWN,		/* no usable connection: reconnect later */
	MYSQLDB_AGAIN,		/* the server rolled the transaction back
				 * (deadlock, lock wait timeout, a racing
				 * insert): run it again now */
	MYSQLDB_TEMP,		/* this attempt failed (full disk,
				 * read-only server...): try again later */
	MYSQLDB_PERM,		/* the server refused the data */
	MYSQLDB_SCHEMA		/* the tables are not the plugin's schema */
};

/* What one zone write changed. */
struct mysqldb_counts {
	size_t		 inserted, updated, deleted, kept;
	int		 created;	/* the zone row was new */
};

/* A handle for conf (copied), not yet connected. Returns NULL on ENOMEM. */
struct mysqldb *mysqldb_new(const struct mysqldb_conf *conf);

/* Disconnect and free. */
void mysqldb_free(struct mysqldb *db);

/*
 * Connect, check the two tables (creating whichever is missing with the
 * DDL of etc/coredns_mysql.sql) and prepare the statements. Returns
 * MYSQLDB_OK, MYSQLDB_DOWN (server unreachable, refused the login or the
 * database), MYSQLDB_SCHEMA (a table lacks a column the plugin reads, or
 * has one we cannot fill, or is not transactional) or MYSQLDB_TEMP, with
 * a message in err that never contains the password.
 */
int mysqldb_connect(struct mysqldb *db, char *err, size_t errlen);

/* Drop the connection (a later mysqldb_connect() makes a new one). */
void mysqldb_disconnect(struct mysqldb *db);

/* 1 when connected, else 0. */
int mysqldb_connected(const struct mysqldb *db);

/* The column sizes of the connected database's tables into lim. */
void mysqldb_limits(const struct mysqldb *db, struct coredns_limits *lim);

/* Server version string of the connection, or "". */
const char *mysqldb_server(const struct mysqldb *db);

/*
 * Read ahead, in the open transaction, the n zones names[] (with the
 * trailing dot, each once) for the mysqldb_zone_put() calls that follow:
 * their ids and rows in a few statements, locked, and a row for each zone
 * that has none. names must stay valid until the commit or rollback.
 * Returns a status.
 */
int mysqldb_prefetch(struct mysqldb *db, const char **names, size_t n,
    char *err, size_t errlen);

/*
 * Make the zone's rows in the open transaction exactly z's rows: create
 * the zone row if missing, then keep equal rows, update TTL and online
 * of rows that differ only there, delete the rest and insert the new
 * ones. Row changes may be deferred until mysqldb_commit(), so z must
 * stay valid until then; a zone is written at most once per transaction.
 * Returns a status; err is set unless MYSQLDB_OK.
 */
int mysqldb_zone_put(struct mysqldb *db, const struct coredns_zone *z,
    struct mysqldb_counts *c, char *err, size_t errlen);

/* Remove zone_fqdn (with the trailing dot) and its records in the open
 * transaction; *existed is set to 0 or 1. Returns a status. */
int mysqldb_zone_delete(struct mysqldb *db, const char *zone_fqdn,
    int *existed, char *err, size_t errlen);

/* Apply the deferred row changes and commit: every zone written since
 * the last commit or rollback becomes visible at once. Returns a
 * status; on failure nothing of the transaction remains. */
int mysqldb_commit(struct mysqldb *db, char *err, size_t errlen);

/* Abandon the open transaction and the deferred row changes. */
void mysqldb_rollback(struct mysqldb *db);

#endif
