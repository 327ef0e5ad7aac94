/* config.h -- app.yml (directdnsonly's schema) with DADNS_* overrides */
/* SPDX-License-Identifier: ISC */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_PATH_MAX		1024
#define CONFIG_STR_MAX		256
#define CONFIG_BACKENDS_MAX	16
#define CONFIG_PEERS_MAX	16
#define CONFIG_SERVERS_MAX	16

enum backend_type { BACKEND_NSD = 1, BACKEND_BIND, BACKEND_COREDNS_MYSQL };

struct config_backend {
	char		 name[64];	/* instance name, also its queue name */
	enum backend_type type;
	int		 enabled;
	/* nsd and bind */
	char		 zones_dir[CONFIG_PATH_MAX];
	/* nsd */
	char		 nsd_conf[CONFIG_PATH_MAX];	/* for nsd-control -c */
	char		 control_socket[CONFIG_PATH_MAX];	/* unix socket */
	char		 pattern[64];		/* zonelist pattern, "da" */
	char		 long_pattern[64];	/* for names too long for
						 * "%s.db", "da-long" */
	char		 verify[128];	/* "addr@port": check served serial */
	/* bind */
	char		 named_conf[CONFIG_PATH_MAX];
	char		 rndc_conf[CONFIG_PATH_MAX];
	/* coredns_mysql */
	char		 host[CONFIG_STR_MAX];
	unsigned	 port;
	char		 database[CONFIG_STR_MAX];
	char		 username[CONFIG_STR_MAX];
	char		 password[CONFIG_STR_MAX];
	char		 table_name[64];	/* the records table */
	char		 zones_table[64];
	char		 socket[CONFIG_PATH_MAX];	/* unix socket, "" = TCP */
	int		 tls;		/* TLS to the server, required */
	int		 tls_verify;	/* check its certificate and name */
	char		 tls_ca[CONFIG_PATH_MAX];	/* CA file, "" = system */
	char		 tls_cert[CONFIG_PATH_MAX];	/* client certificate */
	char		 tls_key[CONFIG_PATH_MAX];	/* its key */
};

struct config_peer {
	char		 url[CONFIG_STR_MAX];
	char		 username[CONFIG_STR_MAX];
	char		 password[CONFIG_STR_MAX];
};

struct config_da_server {
	char		 name[CONFIG_STR_MAX];	/* DA's own server name */
	char		 hostname[CONFIG_STR_MAX];	/* connection address */
	unsigned	 port;
	char		 username[CONFIG_STR_MAX];
	char		 password[CONFIG_STR_MAX];
	int		 ssl;
};

struct config {
	char		 path[CONFIG_PATH_MAX];	/* file read, "" when none */
	int		 log_level;		/* enum log_level */
	char		 queue_location[CONFIG_PATH_MAX];	/* the spool */
	char		 db_location[CONFIG_PATH_MAX];	/* the store */
	struct {
		char	 auth_username[CONFIG_STR_MAX];
		char	 auth_password[CONFIG_STR_MAX];	/* "" = none */
		char	 listen_addr[64];
		unsigned listen_port;
		int	 ssl_enable;
		char	 ssl_cert[CONFIG_PATH_MAX];
		char	 ssl_key[CONFIG_PATH_MAX];
		char	 ssl_bundle[CONFIG_PATH_MAX];
		int	 proxy_support;
		int	 check_subdomain_owner;	/* exists=3 (1) or 2 (0) */
		int	 health_auth;	/* /health needs auth */
		size_t	 max_body;	/* bytes */
		unsigned max_connections;
		unsigned max_connections_per_ip;
		unsigned request_timeout;	/* seconds */
		unsigned auth_max_failures;	/* per source, 0 = no limit */
		unsigned auth_failure_window;	/* seconds */
		unsigned auth_lockout;	/* seconds */
		unsigned auth_tracked_sources;	/* table size */
		int	 allow_owner_change;	/* a save may move a zone's
						 * owner to another server */
	} app;
	struct {
		int	 enabled;
		unsigned interval_minutes;
		char	 auth_username[CONFIG_STR_MAX];
		char	 auth_password[CONFIG_STR_MAX];
		struct config_peer peers[CONFIG_PEERS_MAX];
		size_t	 npeers;
		unsigned max_skew_seconds;	/* changes dated later refused */
		unsigned max_delete_percent;	/* of live zones, per pass */
		unsigned max_deletes;	/* per pass; 0: the percentage */
	} peer_sync;
	struct {
		int	 enabled;
		int	 dry_run;
		unsigned interval_minutes;
		unsigned initial_delay_minutes;
		int	 verify_ssl;
		unsigned ipp;
		struct config_da_server servers[CONFIG_SERVERS_MAX];
		size_t	 nservers;
	} reconciliation;
	struct config_backend backends[CONFIG_BACKENDS_MAX];
	size_t		 nbackends;
	/* Keys and DADNS_DNS_BACKENDS_* variables nobody reads (typos?),
	 * ignored; the first one ("app.yml:7: app.listen_prot") for the
	 * programs to log as a warning. */
	char		 unknown[CONFIG_STR_MAX];
	size_t		 nunknown;
};

/*
 * Load the configuration: defaults, then the file (path, or when path is
 * NULL the first of app.yml/app.yaml in /etc/directdnsonly, ., ./config;
 * none found is fine), then DADNS_* environment overrides in both the
 * documented form (DADNS_APP_AUTH_PASSWORD) and the dotted form
 * (DADNS.APP.AUTH.PASSWORD), then *_FILE secrets. Returns 0, or -1 with a
 * message naming the file, line or key and the fault written into err.
 */
int config_load(struct config *cfg, const char *path, char *err,
    size_t errlen);

/* The enabled backends' names (queue names) into names[], at most max.
 * Returns the count. The pointers point into cfg. */
size_t config_queues(const struct config *cfg, char *names[], size_t max);

/* The enabled backends' queue names restricted to the nonly names in only
 * (all enabled ones when nonly is 0) into names[], at most max. Returns the
 * count, or -1 with *missing set to a name that is not an enabled backend.
 * The pointers point into cfg or only. */
long config_queues_only(const struct config *cfg, char *const only[],
    size_t nonly, char *names[], size_t max, const char **missing);

/* The backend named name, or NULL. */
const struct config_backend *config_backend(const struct config *cfg,
    const char *name);

/* Like config_load() on the text buf[0..len) as if read from a file called
 * name (used in messages and stored in cfg->path): defaults, the text, the
 * environment. Returns 0, or -1 with the message in err; cfg is changed
 * only on success (config_load() too). */
int config_load_buffer(struct config *cfg, const char *buf, size_t len,
    const char *name, char *err, size_t errlen);

#endif
