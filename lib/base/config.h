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
#define CONFIG_UNKNOWN_MAX	8
#define CONFIG_VIPS_MAX		20	/* VRRP addresses per advert */
#define CONFIG_VRRP_INST_MAX	16	/* vrrp.instances */
#define CONFIG_VRRP_GROUPS_MAX	8	/* vrrp.sync_groups */
#define CONFIG_VRRP_PEERS_MAX	16	/* unicast_peers, allow_peers */
#define CONFIG_FAULTS_MAX	64	/* fault lines a check keeps */
#define CONFIG_WHERE_MAX	512	/* keys whose place a check keeps */
#define CONFIG_SECONDARIES_MAX	8	/* secondaries of one backend */
#define CONFIG_CATALOG_DEFAULT	"catalog.invalid"

enum backend_type { BACKEND_NSD = 1, BACKEND_BIND, BACKEND_COREDNS_MYSQL,
    BACKEND_KNOT };

/* A secondary of a backend's primary: notified of every zone dadns adds
 * and of the catalog zone, and allowed to transfer them, with its TSIG
 * key when tsig_key is not empty. */
struct config_secondary {
	char		 address[64];	/* as written: ADDR, ADDR@PORT... */
	char		 addr[48];	/* numeric, without the port */
	unsigned	 port;		/* 53 when not written */
	char		 tsig_key[256];	/* key name, lower case, "" = none */
	char		 tsig_algorithm[16];	/* "hmac-sha256" */
	char		 tsig_secret[CONFIG_STR_MAX];	/* base64 */
};

struct config_backend {
	char		 name[64];	/* instance name, also its queue name */
	enum backend_type type;
	int		 enabled;
	/* nsd, bind and knot */
	char		 zones_dir[CONFIG_PATH_MAX];
	/* nsd */
	char		 nsd_conf[CONFIG_PATH_MAX];	/* for nsd-control -c */
	char		 control_socket[CONFIG_PATH_MAX];	/* unix socket
						 * (nsd, knot) */
	char		 nsd_main_conf[CONFIG_PATH_MAX];	/* includes an
						 * nsd_conf without server: */
	char		 pattern[64];		/* zonelist pattern, "da" */
	char		 long_pattern[64];	/* for names too long for
						 * "%s.db", "da-long" */
	char		 verify[128];	/* "addr@port": check served serial */
	/* knot */
	char		 knot_conf[CONFIG_PATH_MAX];	/* the zone list dadns
						 * writes, knot.conf includes */
	char		 knot_template[64];	/* template of its zones */
	/* bind */
	char		 named_conf[CONFIG_PATH_MAX];
	char		 rndc_conf[CONFIG_PATH_MAX];
	int		 rndc_program;	/* run the rndc program, not the
					 * control channel in-process */
	unsigned	 bulk_min;	/* new zones of one batch that go
					 * into the zone list and one
					 * reconfig; 0: never */
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
	/* nsd, bind: secondaries and the catalog zone (RFC 9432) */
	struct config_secondary secondaries[CONFIG_SECONDARIES_MAX];
	size_t		 nsecondaries;
	char		 catalog_zone[256];	/* lower case, "" = none */
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

/* One item of vrrp.instances: a virtual router of its own. A number 0, an
 * empty string and a preempt of -1 mean "not set here": the vrrp: key
 * of the same name (the default of every instance) holds. */
struct config_vrrp_instance {
	char		 name[64];
	char		 interface[64];
	unsigned	 vrid, priority, advert, preempt_delay, version;
	int		 preempt;
	char		 vips[CONFIG_VIPS_MAX * 48];	/* one family */
	char		 auth_pass[CONFIG_STR_MAX];
	char		 check[128];
	char		 check_name[CONFIG_STR_MAX];
	char		 check_type[16];
	unsigned	 check_interval, check_timeout, check_fall, check_rise;
	char		 check_cmd[CONFIG_PATH_MAX];
	char		 notify[CONFIG_PATH_MAX];
	char		 notify_master[CONFIG_PATH_MAX];
	char		 notify_backup[CONFIG_PATH_MAX];
	char		 notify_fault[CONFIG_PATH_MAX];
	char		 unicast_src[64];
	char		 unicast_peers[CONFIG_VRRP_PEERS_MAX * 48];
	char		 allow_peers[CONFIG_VRRP_PEERS_MAX * 48];
};

/* One item of vrrp.sync_groups: instances that change state together. */
struct config_vrrp_group {
	char		 name[64];
	char		 instances[CONFIG_VRRP_INST_MAX * 64];	/* "A B" */
	char		 notify[CONFIG_PATH_MAX];
	char		 notify_master[CONFIG_PATH_MAX];
	char		 notify_backup[CONFIG_PATH_MAX];
	char		 notify_fault[CONFIG_PATH_MAX];
};

/* The vrrp: section (vrrp-watch). A number 0, an empty string and a
 * preempt of -1 mean "not in the file": the program's default holds. */
struct config_vrrp {
	char		 interface[64];
	unsigned	 vrid, priority, advert, preempt_delay, version;
	int		 preempt;
	char		 vips[CONFIG_VIPS_MAX * 48];	/* "A/LEN A" */
	char		 auth_pass[CONFIG_STR_MAX];
	char		 check[128];		/* ADDR[:PORT] */
	char		 check_name[CONFIG_STR_MAX];
	char		 check_type[16];
	unsigned	 check_interval, check_timeout, check_fall, check_rise;
	char		 check_cmd[CONFIG_PATH_MAX];
	char		 notify[CONFIG_PATH_MAX];
	char		 status[CONFIG_PATH_MAX];
	char		 notify_master[CONFIG_PATH_MAX];
	char		 notify_backup[CONFIG_PATH_MAX];
	char		 notify_fault[CONFIG_PATH_MAX];
	char		 unicast_src[64];
	char		 unicast_peers[CONFIG_VRRP_PEERS_MAX * 48];
	char		 allow_peers[CONFIG_VRRP_PEERS_MAX * 48];
	char		 metrics_listen[64];	/* ADDR:PORT, "" = none */
	char		 metrics_file[CONFIG_PATH_MAX];	/* "" = none */
	struct config_vrrp_instance instances[CONFIG_VRRP_INST_MAX];
	size_t		 ninstances;
	struct config_vrrp_group groups[CONFIG_VRRP_GROUPS_MAX];
	size_t		 ngroups;
};

/* Keys and variables nobody reads (typos?), ignored: how many, and the
 * first CONFIG_UNKNOWN_MAX as lines for the programs to log as warnings
 * ("app.yml:7: unknown key app.listen_prot ignored"). */
struct config_unknown {
	size_t		 n;
	char		 line[CONFIG_UNKNOWN_MAX][CONFIG_STR_MAX];
};

struct config {
	char		 path[CONFIG_PATH_MAX];	/* file read, "" when none */
	int		 log_level;		/* enum log_level */
	char		 queue_location[CONFIG_PATH_MAX];	/* the spool */
	char		 db_location[CONFIG_PATH_MAX];	/* the store */
	char		 metrics_dir[CONFIG_PATH_MAX];	/* textfile metrics,
							 * "" = none */
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
		char	 metrics_username[CONFIG_STR_MAX];	/* /metrics */
		char	 metrics_password[CONFIG_STR_MAX];	/* "" = none */
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
	struct config_vrrp vrrp;
	struct config_unknown unknown;
};

/*
 * What a check (config_check()) found: every fault as one line, "FILE:LINE:
 * KEY: fault" (or "VARIABLE: fault" for the environment), and where each
 * key read came from, for the faults found later by whoever looks at the
 * configuration as a whole.
 */
struct config_faults {
	size_t		 n;		/* faults found */
	char		 line[CONFIG_FAULTS_MAX][512];	/* the first ones */
	int		 stopped;	/* the last one ended the reading */
	size_t		 nwhere;
	struct {
		char	 key[128];	/* "app.auth_password", "vrrp" */
		unsigned long line;	/* in the file; 0 from a variable */
		char	 env[96];	/* the variable, or "" */
	}		 where[CONFIG_WHERE_MAX];
};

/* A value of app.yml as read, for the modules that read a section of
 * their own (dns_proxy:). Aliases share the anchored node. */
struct config_node;

enum config_kind { CONFIG_SCALAR, CONFIG_MAP, CONFIG_LIST };

/* A section read by another module: fn gets the section's value (NULL
 * when the file has none), the file's name, the configuration being
 * loaded and arg. Returns 0, or -1 with a message in err. */
typedef int (*config_section_fn)(const struct config_node *v,
    const char *file, struct config *cfg, void *arg, char *err,
    size_t errlen);

/* The app.yml to read: path when not NULL, else $DADNS_CONFIG, else the
 * first of app.yml/app.yaml in /etc/directdnsonly, ., ./config that
 * exists. Returns it (static storage for the search), or NULL when none
 * exists. */
const char *config_find(const char *path);

/*
 * Load the configuration: defaults, then the file (config_find(path);
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

/* Like config_load() on the file at path, calling fn (see
 * config_section_fn) with the value of the top-level key section while
 * the file is read. Returns 0, or -1 with the message in err. */
int config_load_section(struct config *cfg, const char *path,
    const char *section, config_section_fn fn, void *arg, char *err,
    size_t errlen);

/*
 * Like config_load_section() (fn and arg may be NULL), but as a checker
 * reads: it goes on after a fault, and every fault, unknown keys and
 * variables included, is a line in f (cleared first); a section module
 * may add its own with config_fault_add(). cfg receives what could be
 * read, unless f->stopped (the file could not be read through). Returns
 * 0 when there is no fault, else -1.
 */
int config_check(struct config *cfg, const char *path, const char *section,
    config_section_fn fn, void *arg, struct config_faults *f);

/* Add one fault line to f, keeping the first CONFIG_FAULTS_MAX. */
void config_fault_add(struct config_faults *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Where the check that filled f read key ("app.auth_password",
 * "vrrp"): returns 1 with *line (0 for a variable) and *env ("" for the
 * file), or 0 when the key was not set. */
int config_where(const struct config_faults *f, const char *key,
    unsigned long *line, const char **env);

/* The kind of node n (enum config_kind). */
int config_node_kind(const struct config_node *n);

/* The 1-based line of n in its file. */
unsigned long config_node_line(const struct config_node *n);

/* A scalar's text as written ("" for an empty value, "~" for ~); "" for
 * a mapping or a list. */
const char *config_node_text(const struct config_node *n);

/* The number of pairs of a mapping or items of a list; 0 for a scalar. */
size_t config_node_count(const struct config_node *n);

/* The key of pair i of mapping n. */
const struct config_node *config_node_key(const struct config_node *n,
    size_t i);

/* The value of pair i of mapping n, or item i of list n. */
const struct config_node *config_node_value(const struct config_node *n,
    size_t i);

/* The override of the dotted key ("dns_proxy.qps_limit"): the variable
 * DADNS_DNS_PROXY_QPS_LIMIT, else DADNS.DNS_PROXY.QPS_LIMIT; an empty one
 * counts as unset. Returns the value with the variable's name in
 * name[0..size), or NULL. */
const char *config_env(const char *key, char *name, size_t size);

/* Count one ignored key or variable in u, keeping the warning line
 * ("app.yml:7: unknown key app.listen_prot ignored") among the first. */
void config_unknown_add(struct config_unknown *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
