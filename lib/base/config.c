/* config.c -- app.yml (directdnsonly's schema) with DADNS_* overrides */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "err.h"
#include "netaddr.h"
#include "log.h"

#define FILE_MAX	(1024 * 1024)	/* largest app.yml */
#define SECRET_MAX	4096		/* largest *_FILE secret */
#define DEPTH_MAX	8		/* deepest nesting of collections */
#define NODES_MAX	65536		/* YAML nodes in one file */
#define ANCHORS_MAX	256		/* YAML anchors in one file */
#define ITEMS_MAX	1024		/* pairs in a mapping, items in a list */
#define VISITS_MAX	100000		/* pairs walked, merges included */
#define KEY_MAX		128		/* longest key name part */
#define NAME_MAX_	63		/* longest backend or pattern name */

extern char **environ;

static const char *search_path[] = {
	"/etc/directdnsonly/app.yml",
	"/etc/directdnsonly/app.yaml",
	"./app.yml",
	"./app.yaml",
	"./config/app.yml",
	"./config/app.yaml",
};

/*
 * The YAML text as a tree. Aliases point at the anchored node, so a node
 * may have several parents; all nodes sit on one list for freeing.
 */
enum { N_SCALAR, N_MAP, N_SEQ };

struct node {
	struct node	*all;		/* next allocated node */
	int		 kind;
	int		 null;		/* plain empty, ~ or null */
	unsigned long	 line;		/* 1-based */
	char		*val;		/* scalar text, NUL-terminated */
	size_t		 len;
	struct node	**kids;		/* map: key, value, key, value... */
	size_t		 nkids;
	size_t		 cap;
	unsigned	 height;	/* collection levels at and below */
};

struct anchor {
	char		*name;
	struct node	*node;
};

/* Where a value came from, for messages. */
struct src {
	const char	*file;		/* YAML file name, or NULL */
	unsigned long	 line;
	const char	*env;		/* variable name, or NULL */
};

/* The loader's state. */
struct ld {
	struct config	*cfg;
	const char	*file;		/* name of the YAML text */
	char		*err;
	size_t		 errlen;
	struct node	*all;		/* every node */
	size_t		 nnodes;
	struct anchor	 anchors[ANCHORS_MAX];
	size_t		 nanchors;
	const struct node *map;		/* mapping being walked */
	long		 budget;	/* pairs still allowed to walk */
	unsigned	 bmask[CONFIG_BACKENDS_MAX];	/* fields set */
	unsigned long	 bline[CONFIG_BACKENDS_MAX];
	unsigned long	 pline[CONFIG_PEERS_MAX];
	unsigned long	 sline[CONFIG_SERVERS_MAX];
	unsigned	 qmask[CONFIG_BACKENDS_MAX][CONFIG_SECONDARIES_MAX];
	unsigned long	 qline[CONFIG_BACKENDS_MAX][CONFIG_SECONDARIES_MAX];
	const char	*section;	/* read by another module, or NULL */
	config_section_fn section_fn;
	void		*section_arg;
	int		 section_seen;
	struct config_faults *faults;	/* a check goes on: config_check() */
};

enum ftype {
	T_STR,		/* string that fits the field */
	T_NAME,		/* 1-63 of [a-z0-9_-] */
	T_IDENT,	/* 1-63 of [A-Za-z0-9_], an SQL identifier */
	T_BOOL,		/* int 0 or 1 */
	T_UINT,		/* unsigned in min..max */
	T_SIZE,		/* size_t in min..max */
	T_LEVEL,	/* int enum log_level */
	T_ADDR,		/* numeric IPv4 or IPv6 address */
	T_VERIFY,	/* "", an address as netaddr_parse() reads it */
	T_BTYPE,	/* enum backend_type */
	T_DSTYPE,	/* datastore.type: sqlite only, stored nowhere */
	T_URL,		/* http:// or https:// URL */
	T_VIPS,		/* IPv4 addresses with an optional /LEN, a list */
	T_ADDRS,	/* numeric addresses of one family, a list */
	T_WORD,		/* 1-63 of [A-Za-z0-9_.-] */
	T_WORDS,	/* T_WORDs, a list */
	T_DNAME,	/* "", or a domain name: lower-cased, no final dot */
	T_TSIGALG,	/* a TSIG algorithm of tsig_algs[] */
	T_B64		/* base64 of a TSIG secret, never shown */
};

#define F_SECRET	0x1	/* a <key>_file sibling may hold the value */
#define F_NOENV		0x2	/* VRRP_* variables, no DADNS_* */

struct field {
	const char	*name;
	enum ftype	 type;
	size_t		 off;
	size_t		 size;
	unsigned long long min, max;
	int		 flags;
};

#define C(m)	offsetof(struct config, m), sizeof(((struct config *)0)->m)
#define B(m)	offsetof(struct config_backend, m), \
		sizeof(((struct config_backend *)0)->m)
#define P(m)	offsetof(struct config_peer, m), \
		sizeof(((struct config_peer *)0)->m)
#define S(m)	offsetof(struct config_da_server, m), \
		sizeof(((struct config_da_server *)0)->m)
#define Q(m)	offsetof(struct config_secondary, m), \
		sizeof(((struct config_secondary *)0)->m)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Every scalar key outside the lists, with its full dotted name. */
static const struct field keys[] = {
	{ "log_level", T_LEVEL, C(log_level), 0, 0, 0 },
	{ "queue_location", T_STR, C(queue_location), 0, 0, 0 },
	{ "datastore.type", T_DSTYPE, 0, 0, 0, 0, 0 },
	{ "datastore.db_location", T_STR, C(db_location), 0, 0, 0 },
	{ "metrics_dir", T_STR, C(metrics_dir), 0, 0, 0 },
	{ "app.auth_username", T_STR, C(app.auth_username), 0, 0, 0 },
	{ "app.auth_password", T_STR, C(app.auth_password), 0, 0, F_SECRET },
	{ "app.listen_addr", T_ADDR, C(app.listen_addr), 0, 0, 0 },
	{ "app.listen_port", T_UINT, C(app.listen_port), 1, 65535, 0 },
	{ "app.ssl_enable", T_BOOL, C(app.ssl_enable), 0, 0, 0 },
	{ "app.ssl_cert", T_STR, C(app.ssl_cert), 0, 0, 0 },
	{ "app.ssl_key", T_STR, C(app.ssl_key), 0, 0, 0 },
	{ "app.ssl_bundle", T_STR, C(app.ssl_bundle), 0, 0, 0 },
	{ "app.proxy_support", T_BOOL, C(app.proxy_support), 0, 0, 0 },
	{ "app.check_subdomain_owner_in_cluster_domainowners", T_BOOL,
	    C(app.check_subdomain_owner), 0, 0, 0 },
	{ "app.health_auth", T_BOOL, C(app.health_auth), 0, 0, 0 },
	{ "app.max_body", T_SIZE, C(app.max_body), 1024, 1073741824, 0 },
	{ "app.max_connections", T_UINT, C(app.max_connections), 1, 100000,
	    0 },
	{ "app.max_connections_per_ip", T_UINT, C(app.max_connections_per_ip),
	    1, 100000, 0 },
	{ "app.request_timeout", T_UINT, C(app.request_timeout), 1, 3600, 0 },
	{ "app.auth_max_failures", T_UINT, C(app.auth_max_failures), 0,
	    1000000, 0 },
	{ "app.auth_failure_window", T_UINT, C(app.auth_failure_window), 1,
	    86400, 0 },
	{ "app.auth_lockout", T_UINT, C(app.auth_lockout), 1, 86400, 0 },
	{ "app.auth_tracked_sources", T_UINT, C(app.auth_tracked_sources), 16,
	    1048576, 0 },
	{ "app.allow_owner_change", T_BOOL, C(app.allow_owner_change), 0, 0,
	    0 },
	{ "app.metrics_username", T_STR, C(app.metrics_username), 0, 0, 0 },
	{ "app.metrics_password", T_STR, C(app.metrics_password), 0, 0,
	    F_SECRET },
	{ "peer_sync.enabled", T_BOOL, C(peer_sync.enabled), 0, 0, 0 },
	{ "peer_sync.interval_minutes", T_UINT, C(peer_sync.interval_minutes),
	    1, 10080, 0 },
	{ "peer_sync.auth_username", T_STR, C(peer_sync.auth_username), 0, 0,
	    0 },
	{ "peer_sync.auth_password", T_STR, C(peer_sync.auth_password), 0, 0,
	    F_SECRET },
	{ "peer_sync.max_skew_seconds", T_UINT, C(peer_sync.max_skew_seconds),
	    0, 604800, 0 },
	{ "peer_sync.max_delete_percent", T_UINT,
	    C(peer_sync.max_delete_percent), 0, 100, 0 },
	{ "peer_sync.max_deletes", T_UINT, C(peer_sync.max_deletes), 0,
	    10000000, 0 },
	{ "reconciliation.enabled", T_BOOL, C(reconciliation.enabled), 0, 0,
	    0 },
	{ "reconciliation.dry_run", T_BOOL, C(reconciliation.dry_run), 0, 0,
	    0 },
	{ "reconciliation.interval_minutes", T_UINT,
	    C(reconciliation.interval_minutes), 1, 10080, 0 },
	{ "reconciliation.initial_delay_minutes", T_UINT,
	    C(reconciliation.initial_delay_minutes), 0, 10080, 0 },
	{ "reconciliation.verify_ssl", T_BOOL, C(reconciliation.verify_ssl), 0,
	    0, 0 },
	{ "reconciliation.ipp", T_UINT, C(reconciliation.ipp), 1, 100000, 0 },
	{ "vrrp.interface", T_STR, C(vrrp.interface), 0, 0, F_NOENV },
	{ "vrrp.vrid", T_UINT, C(vrrp.vrid), 1, 255, F_NOENV },
	{ "vrrp.priority", T_UINT, C(vrrp.priority), 1, 255, F_NOENV },
	{ "vrrp.advert", T_UINT, C(vrrp.advert), 1, 4095, F_NOENV },
	{ "vrrp.preempt", T_BOOL, C(vrrp.preempt), 0, 0, F_NOENV },
	{ "vrrp.preempt_delay", T_UINT, C(vrrp.preempt_delay), 0, 100000,
	    F_NOENV },
	{ "vrrp.vips", T_VIPS, C(vrrp.vips), 0, 0, F_NOENV },
	{ "vrrp.version", T_UINT, C(vrrp.version), 2, 3, F_NOENV },
	{ "vrrp.auth_pass", T_STR, C(vrrp.auth_pass), 0, 0,
	    F_SECRET | F_NOENV },
	{ "vrrp.check", T_VERIFY, C(vrrp.check), 0, 0, F_NOENV },
	{ "vrrp.check_name", T_STR, C(vrrp.check_name), 0, 0, F_NOENV },
	{ "vrrp.check_type", T_STR, C(vrrp.check_type), 0, 0, F_NOENV },
	{ "vrrp.check_interval", T_UINT, C(vrrp.check_interval), 10, 600000,
	    F_NOENV },
	{ "vrrp.check_timeout", T_UINT, C(vrrp.check_timeout), 1, 600000,
	    F_NOENV },
	{ "vrrp.check_fall", T_UINT, C(vrrp.check_fall), 1, 1000, F_NOENV },
	{ "vrrp.check_rise", T_UINT, C(vrrp.check_rise), 1, 1000, F_NOENV },
	{ "vrrp.check_cmd", T_STR, C(vrrp.check_cmd), 0, 0, F_NOENV },
	{ "vrrp.notify", T_STR, C(vrrp.notify), 0, 0, F_NOENV },
	{ "vrrp.status", T_STR, C(vrrp.status), 0, 0, F_NOENV },
	{ "vrrp.notify_master", T_STR, C(vrrp.notify_master), 0, 0, F_NOENV },
	{ "vrrp.notify_backup", T_STR, C(vrrp.notify_backup), 0, 0, F_NOENV },
	{ "vrrp.notify_fault", T_STR, C(vrrp.notify_fault), 0, 0, F_NOENV },
	{ "vrrp.unicast_src", T_ADDR, C(vrrp.unicast_src), 0, 0, F_NOENV },
	{ "vrrp.unicast_peers", T_ADDRS, C(vrrp.unicast_peers), 0, 0,
	    F_NOENV },
	{ "vrrp.allow_peers", T_ADDRS, C(vrrp.allow_peers), 0, 0, F_NOENV },
	{ "vrrp.metrics_listen", T_VERIFY, C(vrrp.metrics_listen), 0, 0,
	    F_NOENV },
	{ "vrrp.metrics_file", T_STR, C(vrrp.metrics_file), 0, 0, F_NOENV },
};

#define I(m)	offsetof(struct config_vrrp_instance, m), \
		sizeof(((struct config_vrrp_instance *)0)->m)
#define G(m)	offsetof(struct config_vrrp_group, m), \
		sizeof(((struct config_vrrp_group *)0)->m)

/* The keys of one item of vrrp.instances. */
static const struct field ifields[] = {
	{ "name", T_WORD, I(name), 0, 0, 0 },
	{ "interface", T_STR, I(interface), 0, 0, 0 },
	{ "vrid", T_UINT, I(vrid), 1, 255, 0 },
	{ "priority", T_UINT, I(priority), 1, 255, 0 },
	{ "advert", T_UINT, I(advert), 1, 4095, 0 },
	{ "preempt", T_BOOL, I(preempt), 0, 0, 0 },
	{ "preempt_delay", T_UINT, I(preempt_delay), 0, 100000, 0 },
	{ "vips", T_VIPS, I(vips), 0, 0, 0 },
	{ "version", T_UINT, I(version), 2, 3, 0 },
	{ "auth_pass", T_STR, I(auth_pass), 0, 0, F_SECRET },
	{ "check", T_VERIFY, I(check), 0, 0, 0 },
	{ "check_name", T_STR, I(check_name), 0, 0, 0 },
	{ "check_type", T_STR, I(check_type), 0, 0, 0 },
	{ "check_interval", T_UINT, I(check_interval), 10, 600000, 0 },
	{ "check_timeout", T_UINT, I(check_timeout), 1, 600000, 0 },
	{ "check_fall", T_UINT, I(check_fall), 1, 1000, 0 },
	{ "check_rise", T_UINT, I(check_rise), 1, 1000, 0 },
	{ "check_cmd", T_STR, I(check_cmd), 0, 0, 0 },
	{ "notify", T_STR, I(notify), 0, 0, 0 },
	{ "notify_master", T_STR, I(notify_master), 0, 0, 0 },
	{ "notify_backup", T_STR, I(notify_backup), 0, 0, 0 },
	{ "notify_fault", T_STR, I(notify_fault), 0, 0, 0 },
	{ "unicast_src", T_ADDR, I(unicast_src), 0, 0, 0 },
	{ "unicast_peers", T_ADDRS, I(unicast_peers), 0, 0, 0 },
	{ "allow_peers", T_ADDRS, I(allow_peers), 0, 0, 0 },
};

/* The keys of one item of vrrp.sync_groups. */
static const struct field gfields[] = {
	{ "name", T_WORD, G(name), 0, 0, 0 },
	{ "instances", T_WORDS, G(instances), 0, 0, 0 },
	{ "notify", T_STR, G(notify), 0, 0, 0 },
	{ "notify_master", T_STR, G(notify_master), 0, 0, 0 },
	{ "notify_backup", T_STR, G(notify_backup), 0, 0, 0 },
	{ "notify_fault", T_STR, G(notify_fault), 0, 0, 0 },
};

/* The fields of dns.backends.<name>; the index is the bit in ld.bmask. */
enum {
	BF_ENABLED, BF_TYPE, BF_ZONES_DIR, BF_NSD_CONF, BF_CONTROL_SOCKET,
	BF_PATTERN, BF_VERIFY, BF_NAMED_CONF, BF_RNDC_CONF, BF_HOST, BF_PORT,
	BF_DATABASE, BF_USERNAME, BF_PASSWORD, BF_TABLE_NAME, BF_ZONES_TABLE,
	BF_SOCKET, BF_TLS, BF_TLS_VERIFY, BF_TLS_CA, BF_TLS_CERT, BF_TLS_KEY,
	BF_LONG_PATTERN, BF_NSD_MAIN_CONF, BF_CATALOG_ZONE, BF_RNDC_PROGRAM,
	BF_KNOT_CONF, BF_KNOT_TEMPLATE, BF_BULK_MIN
};

static const struct field bfields[] = {
	{ "enabled", T_BOOL, B(enabled), 0, 0, 0 },
	{ "type", T_BTYPE, B(type), 0, 0, 0 },
	{ "zones_dir", T_STR, B(zones_dir), 0, 0, 0 },
	{ "nsd_conf", T_STR, B(nsd_conf), 0, 0, 0 },
	{ "control_socket", T_STR, B(control_socket), 0, 0, 0 },
	{ "pattern", T_NAME, B(pattern), 0, 0, 0 },
	{ "verify", T_VERIFY, B(verify), 0, 0, 0 },
	{ "named_conf", T_STR, B(named_conf), 0, 0, 0 },
	{ "rndc_conf", T_STR, B(rndc_conf), 0, 0, 0 },
	{ "host", T_STR, B(host), 0, 0, 0 },
	{ "port", T_UINT, B(port), 1, 65535, 0 },
	{ "database", T_STR, B(database), 0, 0, 0 },
	{ "username", T_STR, B(username), 0, 0, 0 },
	{ "password", T_STR, B(password), 0, 0, F_SECRET },
	{ "table_name", T_IDENT, B(table_name), 0, 0, 0 },
	{ "zones_table", T_IDENT, B(zones_table), 0, 0, 0 },
	{ "socket", T_STR, B(socket), 0, 0, 0 },
	{ "tls", T_BOOL, B(tls), 0, 0, 0 },
	{ "tls_verify", T_BOOL, B(tls_verify), 0, 0, 0 },
	{ "tls_ca", T_STR, B(tls_ca), 0, 0, 0 },
	{ "tls_cert", T_STR, B(tls_cert), 0, 0, 0 },
	{ "tls_key", T_STR, B(tls_key), 0, 0, 0 },
	{ "long_pattern", T_NAME, B(long_pattern), 0, 0, 0 },
	{ "nsd_main_conf", T_STR, B(nsd_main_conf), 0, 0, 0 },
	{ "catalog_zone", T_DNAME, B(catalog_zone), 0, 0, 0 },
	{ "rndc_program", T_BOOL, B(rndc_program), 0, 0, 0 },
	{ "knot_conf", T_STR, B(knot_conf), 0, 0, 0 },
	{ "template", T_NAME, B(knot_template), 0, 0, 0 },
	{ "bulk_min", T_UINT, B(bulk_min), 0, 1000000, 0 },
};

/* The fields of an entry of dns.backends.<name>.secondaries; the index is
 * the bit in ld.qmask. */
enum { QF_ADDRESS, QF_TSIG_KEY, QF_TSIG_ALGORITHM, QF_TSIG_SECRET };
#define QM_WRITTEN	(1U << 31)	/* the entry has an address key */

static const struct field qfields[] = {
	{ "address", T_VERIFY, Q(address), 0, 0, 0 },
	{ "tsig_key", T_DNAME, Q(tsig_key), 0, 0, 0 },
	{ "tsig_algorithm", T_TSIGALG, Q(tsig_algorithm), 0, 0, 0 },
	{ "tsig_secret", T_B64, Q(tsig_secret), 0, 0, F_SECRET },
};

/* The TSIG algorithms NSD, BIND and Knot all know (hmac-md5 is not
 * taken: broken). */
static const char *tsig_algs[] = {
	"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"
};

static const struct field pfields[] = {
	{ "url", T_URL, P(url), 0, 0, 0 },
	{ "username", T_STR, P(username), 0, 0, 0 },
	{ "password", T_STR, P(password), 0, 0, F_SECRET },
};

static const struct field sfields[] = {
	{ "name", T_STR, S(name), 0, 0, 0 },
	{ "hostname", T_STR, S(hostname), 0, 0, 0 },
	{ "port", T_UINT, S(port), 1, 65535, 0 },
	{ "username", T_STR, S(username), 0, 0, 0 },
	{ "password", T_STR, S(password), 0, 0, F_SECRET },
	{ "ssl", T_BOOL, S(ssl), 0, 0, 0 },
};

static const char *sections[] = {
	"app", "datastore", "dns", "peer_sync", "reconciliation", "vrrp"
};

/* Sections other modules read (proxyconf.c): known, not walked here. */
static const char *foreign[] = { "dns_proxy" };

/* directdnsonly's keys that do nothing; accepted and ignored. */
static const char *dead[] = {
	"timezone", "environment", "app.log_to", "app.token_valid_for_days",
	"app.queue_location", "app.log_level", "app.proxy_support_base",
	"dns.default_backend", "datastore.host", "datastore.port",
	"datastore.name", "datastore.user", "datastore.pass"
};

/* A field table with where its values go, for the walkers. */
struct fctx {
	const struct field *fields;
	size_t		 n;
	void		*base;
	unsigned	*mask;		/* bits of fields set, or NULL */
	const char	*prefix;	/* "dns.backends.nsd." */
};

typedef int (*pair_fn)(struct ld *, const struct node *,
    const struct node *, void *);

static int walk_map(struct ld *, const struct node *, const char *, pair_fn,
    void *);

/* Write "file:line: key: msg", "VAR: msg" or "key: msg" into err. */
static int __attribute__((format(printf, 4, 5)))
bad(struct ld *ld, const struct src *src, const char *key,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ld->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src != NULL && src->env != NULL)
		snprintf(ld->err, ld->errlen, "%s: %s", src->env, msg);
	else if (src != NULL && src->file != NULL && key != NULL)
		snprintf(ld->err, ld->errlen, "%s:%lu: %s: %s", src->file,
		    src->line, key, msg);
	else if (src != NULL && src->file != NULL)
		snprintf(ld->err, ld->errlen, "%s:%lu: %s", src->file,
		    src->line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", key, msg);
	return -1;
}

void
config_fault_add(struct config_faults *f, const char *fmt, ...)
{
	va_list ap;

	if (f->n++ >= CONFIG_FAULTS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(f->line[f->n - 1], sizeof(f->line[0]), fmt, ap);
	va_end(ap);
}

/*
 * r as it is, except in a check (config_check()): there the fault of
 * r == -1, its message in ld->err, is noted and the load goes on (returns
 * 0), unless the file is too complex to walk on.
 */
static int
keep(struct ld *ld, int r)
{
	if (r == 0 || ld->faults == NULL || ld->budget < 0 ||
	    ld->err[0] == '\0')
		return r;
	config_fault_add(ld->faults, "%s", ld->err);
	ld->err[0] = '\0';
	return 0;
}

/* In a check, remember where key was set (a later place replaces it). */
static void
where_add(struct ld *ld, const struct src *src, const char *key)
{
	struct config_faults *f = ld->faults;
	size_t i;

	if (f == NULL || key == NULL)
		return;
	for (i = 0; i < f->nwhere; i++)
		if (strcmp(f->where[i].key, key) == 0)
			break;
	if (i == CONFIG_WHERE_MAX)
		return;
	if (i == f->nwhere)
		f->nwhere++;
	snprintf(f->where[i].key, sizeof(f->where[i].key), "%s", key);
	f->where[i].line = src->env == NULL ? src->line : 0;
	snprintf(f->where[i].env, sizeof(f->where[i].env), "%s",
	    src->env != NULL ? src->env : "");
}

/* Quote s for a message: printable ASCII as is, the rest escaped, long
 * values cut. */
static const char *
show(char *buf, size_t size, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		if (o + 8 >= size || i == 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else
			buf[o++] = c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void
config_unknown_add(struct config_unknown *u, const char *fmt, ...)
{
	va_list ap;

	if (u->n++ >= CONFIG_UNKNOWN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(u->line[u->n - 1], sizeof(u->line[0]), fmt, ap);
	va_end(ap);
}

static int
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int
ident_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Parse len decimal digits. Returns 0, -1 when not a number, -2 when it
 * does not fit. */
static int
parse_uint(const char *s, size_t len, unsigned long long *vp)
{
	unsigned long long v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; i < len; i++) {
		if (v > (~0ULL - 9) / 10)
			return -2;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*vp = v;
	return 0;
}

static int
parse_bool(const char *s, size_t len)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
			return 1;
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
			return 0;
	}
	return -1;
}

static int
addr_ok(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* "", or an address in netaddr_parse()'s syntax (port 53 when absent). */
static int
verify_ok(const char *s, size_t len)
{
	char addr[INET6_ADDRSTRLEN + 8];
	union netaddr_sa sa;

	if (len == 0)
		return 1;
	if (len >= sizeof(addr))
		return 0;
	memcpy(addr, s, len);
	addr[len] = '\0';
	return netaddr_parse(addr, 53, &sa) >= 0;
}

/* http:// or https:// with a host, no spaces. Returns the length without
 * trailing slashes, or 0 when not a URL. */
static size_t
url_len(const char *s, size_t len)
{
	size_t i, skip;

	if (len > 7 && strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (len > 8 && strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == ' ')
			return 0;
	while (len > skip && s[len - 1] == '/')
		len--;
	if (len == skip || s[skip] == '/')
		return 0;
	return len;
}

/*
 * A domain name: labels of 1-63 of a-z 0-9 _ - (any case), at most 253
 * octets, one final dot allowed. Writes it lower-cased without the dot
 * into out (size > 253). Returns 1, or 0 when it is not such a name.
 */
static int
dname_ok(const char *s, size_t len, char *out)
{
	size_t i, label = 0;
	char c;

	if (len > 1 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-') {
			if (++label > 63)
				return 0;
		} else
			return 0;
		out[i] = c;
	}
	if (label == 0)
		return 0;
	out[len] = '\0';
	return 1;
}

/* The bytes that base64 text s (len) decodes to, or -1 when it is not
 * padded base64 of the standard alphabet. */
static long
b64_size(const char *s, size_t len)
{
	size_t i, pad = 0;
	char c;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '=') {
			if (i < len - 2)
				return -1;
			pad++;
		} else if (pad > 0 || !((c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/'))
			return -1;
	}
	return (long)(len / 4 * 3 - pad);
}

/* Copy the checked text v (len bytes) into the string field at p. */
static int
put_text(char *p, const char *v, size_t len)
{
	memcpy(p, v, len);
	p[len] = '\0';
	return 0;
}

/* One VIP, "A.B.C.D[/LEN]" or "IPV6[/LEN]": unicast, not unspecified.
 * Returns 4 or 6 for its family, 0 when it is not one. */
static int
vip_ok(const char *s, size_t len, char *addr, size_t size)
{
	unsigned long long plen;
	const char *slash;
	struct in_addr a;
	struct in6_addr a6;
	size_t alen;

	slash = memchr(s, '/', len);
	alen = slash != NULL ? (size_t)(slash - s) : len;
	if (alen >= size)
		return 0;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (slash != NULL && (parse_uint(slash + 1, len - alen - 1,
	    &plen) != 0 || plen < 1 || plen > 128))
		return 0;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return !IN6_IS_ADDR_UNSPECIFIED(&a6) &&
		    !IN6_IS_ADDR_MULTICAST(&a6) ? 6 : 0;
	if (slash != NULL && plen > 32)
		return 0;
	return inet_pton(AF_INET, addr, &a) == 1 && a.s_addr != 0 &&
	    !IN_MULTICAST(ntohl(a.s_addr)) ? 4 : 0;
}

/* One item of an address list: numeric, v4 or v6. Returns 4, 6 or 0. */
static int
peer_ok(const char *s, size_t len, char *addr, size_t size)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (len >= size)
		return 0;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		return 4;
	return inet_pton(AF_INET6, addr, buf) == 1 ? 6 : 0;
}

/* A word of [A-Za-z0-9_.-], 1-63 bytes: an instance or group name. */
static int
word_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* VIPs (T_VIPS), addresses (T_ADDRS) or names (T_WORDS) separated by
 * spaces or commas: each valid, none twice, addresses of one family, at
 * most CONFIG_VIPS_MAX. Stored separated by single spaces. */
static int
set_vips(struct ld *ld, const struct src *src, const char *key,
    const struct field *f, char *p, const char *v, size_t len)
{
	char seen[CONFIG_VIPS_MAX][NAME_MAX_ + 1];
	char q[160];
	size_t i = 0, w, n = 0, o = 0, k;
	int fam = 0, fa;

	for (;;) {
		while (i < len && (v[i] == ' ' || v[i] == ','))
			i++;
		if (i == len)
			break;
		for (w = i; w < len && v[w] != ' ' && v[w] != ','; w++)
			;
		k = n < CONFIG_VIPS_MAX ? n : 0;
		if (f->type == T_WORDS) {
			if (!word_ok(v + i, w - i))
				return bad(ld, src, key, "invalid name: %s "
				    "(1-63 of A-Z a-z 0-9 _ . -)",
				    show(q, sizeof(q), v + i, w - i));
			fa = 0;
			snprintf(seen[k], sizeof(seen[k]), "%.*s",
			    (int)(w - i), v + i);
		} else if (f->type == T_ADDRS) {
			if ((fa = peer_ok(v + i, w - i, seen[k],
			    sizeof(seen[0]))) == 0)
				return bad(ld, src, key, "not a numeric IPv4 or"
				    " IPv6 address: %s", show(q, sizeof(q),
				    v + i, w - i));
		} else if ((fa = vip_ok(v + i, w - i, seen[k],
		    sizeof(seen[0]))) == 0)
			return bad(ld, src, key, "not an IPv4 or IPv6 "
			    "address[/LEN]: %s", show(q, sizeof(q), v + i,
			    w - i));
		if (fam != 0 && fa != fam)
			return bad(ld, src, key, "mixes IPv4 and IPv6: %s",
			    show(q, sizeof(q), v + i, w - i));
		fam = fa;
		if (n == CONFIG_VIPS_MAX)
			return bad(ld, src, key, "too many VIPs (at most %d)",
			    CONFIG_VIPS_MAX);
		for (k = 0; k < n; k++)
			if (strcmp(seen[k], seen[n]) == 0)
				return bad(ld, src, key, "duplicate VIP %s",
				    show(q, sizeof(q), v + i, w - i));
		if (o + (w - i) + 2 > f->size)
			return bad(ld, src, key, "too long (at most %zu bytes)",
			    f->size - 1);
		if (n++ > 0)
			p[o++] = ' ';
		memcpy(p + o, v + i, w - i);
		o += w - i;
		i = w;
	}
	p[o] = '\0';
	return 0;
}

/* The field types stored as text: check v and copy it. */
static int
set_text(struct ld *ld, const struct src *src, const char *key,
    const struct field *f, char *p, const char *v, size_t len)
{
	char q[160], nm[256];
	size_t i;

	switch (f->type) {
	case T_NAME:
		if (!name_ok(v, len))
			return bad(ld, src, key,
			    "invalid name: %s (1-63 of a-z 0-9 _ -)",
			    show(q, sizeof(q), v, len));
		return put_text(p, v, len);
	case T_IDENT:
		if (!ident_ok(v, len))
			return bad(ld, src, key,
			    "invalid table name: %s (1-63 of A-Z a-z 0-9 _)",
			    show(q, sizeof(q), v, len));
		return put_text(p, v, len);
	case T_ADDR:
		if (len >= f->size || !addr_ok(v))
			return bad(ld, src, key,
			    "not a numeric IPv4 or IPv6 address: %s",
			    show(q, sizeof(q), v, len));
		return put_text(p, v, len);
	case T_VERIFY:
		if (len >= f->size || !verify_ok(v, len))
			return bad(ld, src, key, "not ADDR, ADDR:PORT or "
			    "ADDR@PORT (numeric address, port 1-65535): %s",
			    show(q, sizeof(q), v, len));
		return put_text(p, v, len);
	case T_URL:
		if ((i = url_len(v, len)) == 0)
			return bad(ld, src, key, "not an http:// or https:// "
			    "URL: %s", show(q, sizeof(q), v, len));
		if (i >= f->size)
			return bad(ld, src, key, "too long (at most %zu bytes)",
			    f->size - 1);
		return put_text(p, v, i);
	case T_VIPS:
	case T_ADDRS:
	case T_WORDS:
		return set_vips(ld, src, key, f, p, v, len);
	case T_WORD:
		if (!word_ok(v, len))
			return bad(ld, src, key, "invalid name: %s "
			    "(1-63 of A-Z a-z 0-9 _ . -)",
			    show(q, sizeof(q), v, len));
		return put_text(p, v, len);
	case T_DNAME:
		if (len == 0)
			return put_text(p, v, 0);
		if (len > 254 || !dname_ok(v, len, nm) || strlen(nm) >= f->size)
			return bad(ld, src, key, "not a domain name: %s "
			    "(labels of 1-63 of a-z 0-9 _ -, at most 253 "
			    "octets)", show(q, sizeof(q), v, len));
		return put_text(p, nm, strlen(nm));
	case T_TSIGALG:
		for (i = 0; i < NELEM(tsig_algs); i++)
			if (strlen(tsig_algs[i]) == len &&
			    strncasecmp(v, tsig_algs[i], len) == 0)
				return put_text(p, tsig_algs[i], len);
		if (len == 8 && strncasecmp(v, "hmac-md5", 8) == 0)
			return bad(ld, src, key, "hmac-md5 is not accepted "
			    "(broken); use hmac-sha256");
		return bad(ld, src, key, "unknown TSIG algorithm: %s "
		    "(hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, "
		    "hmac-sha512)", show(q, sizeof(q), v, len));
	case T_B64:
		/* A secret: never shown. */
		if ((i = (size_t)b64_size(v, len)) == (size_t)-1)
			return bad(ld, src, key, "not base64 (A-Z a-z 0-9 + /, "
			    "padded with = to a multiple of 4 characters)");
		if (i < 16 || i > 128 || len >= f->size)
			return bad(ld, src, key, "decodes to %zu bytes; a TSIG "
			    "secret takes 16 to 128 (tsig-keygen makes 32)",
			    i);
		return put_text(p, v, len);
	default:
		if (len >= f->size)
			return bad(ld, src, key, "too long (at most %zu bytes)",
			    f->size - 1);
		return put_text(p, v, len);
	}
}

/* T_LEVEL: a log level word, loguru's included. */
static int
set_level(struct ld *ld, const struct src *src, const char *key, int *p,
    const char *v, size_t len)
{
	char q[160], word[16];
	int b = -1;

	if (len < sizeof(word)) {
		memcpy(word, v, len);
		word[len] = '\0';
		/* loguru's SUCCESS sits between INFO and WARNING. */
		b = strcasecmp(word, "success") == 0 ? LOG_INFO :
		    log_level_parse(word);
	}
	if (b == -1)
		return bad(ld, src, key, "unknown level: %s "
		    "(debug, info, warning, error)",
		    show(q, sizeof(q), v, len));
	*p = b;
	return 0;
}

/* The field types stored as numbers or keywords. */
static int
set_value(struct ld *ld, const struct src *src, const char *key,
    const struct field *f, char *p, const char *v, size_t len)
{
	char q[160];
	unsigned long long u;
	int b, r;

	switch (f->type) {
	case T_BOOL:
		if ((b = parse_bool(v, len)) == -1)
			return bad(ld, src, key, "not a boolean: %s "
			    "(true, false, yes, no, on, off, 1, 0)",
			    show(q, sizeof(q), v, len));
		*(int *)p = b;
		return 0;
	case T_UINT:
	case T_SIZE:
		if ((r = parse_uint(v, len, &u)) == -1)
			return bad(ld, src, key, "not a number: %s",
			    show(q, sizeof(q), v, len));
		if (r == -2 || u < f->min || u > f->max)
			return bad(ld, src, key, "out of range (%llu-%llu): %s",
			    f->min, f->max,
			    len <= 40 ? v : show(q, sizeof(q), v, len));
		if (f->type == T_UINT)
			*(unsigned *)p = (unsigned)u;
		else
			*(size_t *)p = (size_t)u;
		return 0;
	case T_LEVEL:
		return set_level(ld, src, key, (int *)p, v, len);
	case T_BTYPE:
		if (len == 3 && strncasecmp(v, "nsd", 3) == 0)
			*(enum backend_type *)p = BACKEND_NSD;
		else if (len == 4 && strncasecmp(v, "bind", 4) == 0)
			*(enum backend_type *)p = BACKEND_BIND;
		else if (len == 13 && strncasecmp(v, "coredns_mysql", 13) == 0)
			*(enum backend_type *)p = BACKEND_COREDNS_MYSQL;
		else if (len == 4 && strncasecmp(v, "knot", 4) == 0)
			*(enum backend_type *)p = BACKEND_KNOT;
		else
			return bad(ld, src, key, "unknown type: %s "
			    "(nsd, bind, knot, coredns_mysql)",
			    show(q, sizeof(q), v, len));
		return 0;
	case T_DSTYPE:
		if (len == 6 && strncasecmp(v, "sqlite", 6) == 0)
			return 0;
		if (len == 5 && strncasecmp(v, "mysql", 5) == 0)
			return bad(ld, src, key,
			    "not supported: \"mysql\" (only sqlite)");
		return bad(ld, src, key, "unknown datastore type: %s "
		    "(only sqlite)", show(q, sizeof(q), v, len));
	default:
		return bad(ld, src, key, "internal error: unknown field type");
	}
}

/* Check value v (len bytes, NUL-terminated) against field f and store it
 * at base. Returns 0, or -1 with a message naming src and key. */
static int
set_field(struct ld *ld, const struct src *src, const char *key,
    const struct field *f, void *base, const char *v, size_t len)
{
	char *p = (char *)base + f->off;
	size_t i;

	if (memchr(v, '\0', len) != NULL)
		return bad(ld, src, key, "contains a NUL byte");
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return bad(ld, src, key,
			    "contains a control character");
	switch (f->type) {
	case T_STR:
	case T_NAME:
	case T_IDENT:
	case T_ADDR:
	case T_VERIFY:
	case T_URL:
	case T_VIPS:
	case T_ADDRS:
	case T_WORD:
	case T_WORDS:
	case T_DNAME:
	case T_TSIGALG:
	case T_B64:
		if (set_text(ld, src, key, f, p, v, len) == -1)
			return -1;
		break;
	default:
		if (set_value(ld, src, key, f, p, v, len) == -1)
			return -1;
		break;
	}
	where_add(ld, src, key);
	return 0;
}

/*
 * Read a secret file: at most SECRET_MAX bytes, one trailing newline
 * ("\n" or "\r\n") removed. Returns 0, or -1 with a message naming src.
 */
static int
read_secret(struct ld *ld, const struct src *src, const char *key,
    const char *path, char *buf, size_t *lenp)
{
	char q[160];
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return bad(ld, src, key, "%s: %s",
		    show(q, sizeof(q), path, strlen(path)), strerror(errno));
	for (;;) {
		n = read(fd, buf + len, SECRET_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			bad(ld, src, key, "%s: %s",
			    show(q, sizeof(q), path, strlen(path)),
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SECRET_MAX) {
			close(fd);
			return bad(ld, src, key, "%s: larger than %d bytes",
			    show(q, sizeof(q), path, strlen(path)),
			    SECRET_MAX);
		}
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	*lenp = len;
	return 0;
}

/* Read a secret file named by env variable var into field f. */
static int
set_from_file(struct ld *ld, const struct src *src, const char *key,
    const struct field *f, void *base, const char *path)
{
	char buf[SECRET_MAX + 2];
	size_t len = 0;
	int r;

	if (read_secret(ld, src, key, path, buf, &len) == -1)
		return -1;
	r = set_field(ld, src, key, f, base, buf, len);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* ------------------------------------------------------------------ */
/* YAML to tree */

static struct node *
node_new(struct ld *ld, int kind, unsigned long line)
{
	struct node *n;

	if (ld->nnodes >= NODES_MAX) {
		bad(ld, &(struct src){ ld->file, line, NULL }, NULL,
		    "too many YAML nodes (at most %d)", NODES_MAX);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		bad(ld, &(struct src){ ld->file, line, NULL }, NULL,
		    "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->line = line;
	n->height = kind == N_SCALAR ? 0 : 1;
	n->all = ld->all;
	ld->all = n;
	ld->nnodes++;
	return n;
}

static void
nodes_free(struct ld *ld)
{
	struct node *n, *next;
	size_t i;

	for (n = ld->all; n != NULL; n = next) {
		next = n->all;
		if (n->val != NULL) {
			explicit_bzero(n->val, n->len);
			free(n->val);
		}
		free(n->kids);
		free(n);
	}
	ld->all = NULL;
	for (i = 0; i < ld->nanchors; i++)
		free(ld->anchors[i].name);
	ld->nanchors = 0;
}

/* Append kid to the collection parent. */
static int
node_add(struct ld *ld, struct node *parent, struct node *kid)
{
	struct node **k;
	size_t cap, items;

	items = parent->kind == N_MAP ? parent->nkids / 2 : parent->nkids;
	if (items >= ITEMS_MAX)
		return bad(ld, &(struct src){ ld->file, kid->line, NULL },
		    NULL, "more than %d entries in one %s", ITEMS_MAX,
		    parent->kind == N_MAP ? "mapping" : "list");
	if (parent->nkids == parent->cap) {
		cap = parent->cap == 0 ? 8 : parent->cap * 2;
		if ((k = reallocarray(parent->kids, cap, sizeof(*k))) == NULL)
			return bad(ld, &(struct src){ ld->file, kid->line,
			    NULL }, NULL, "out of memory");
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	if (kid->height + 1 > parent->height)
		parent->height = kid->height + 1;
	return 0;
}

static int
anchor_add(struct ld *ld, const char *name, struct node *n)
{
	size_t i;

	/* A redefined anchor replaces the old one (YAML 1.1). */
	for (i = 0; i < ld->nanchors; i++)
		if (strcmp(ld->anchors[i].name, name) == 0) {
			ld->anchors[i].node = n;
			return 0;
		}
	if (ld->nanchors == ANCHORS_MAX)
		return bad(ld, &(struct src){ ld->file, n->line, NULL }, NULL,
		    "more than %d YAML anchors", ANCHORS_MAX);
	if ((ld->anchors[ld->nanchors].name = strdup(name)) == NULL)
		return bad(ld, &(struct src){ ld->file, n->line, NULL }, NULL,
		    "out of memory");
	ld->anchors[ld->nanchors++].node = n;
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
keycmp(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a;
	const struct node *y = *(const struct node *const *)b;
	size_t i, n = x->len < y->len ? x->len : y->len;
	int d;

	for (i = 0; i < n; i++)
		if ((d = lower((unsigned char)x->val[i]) -
		    lower((unsigned char)y->val[i])) != 0)
			return d;
	return (x->len > y->len) - (x->len < y->len);
}

/* Keys are scalars and unique (ignoring case) within one mapping. */
static int
map_check(struct ld *ld, const struct node *map)
{
	struct node **k;
	char q[160];
	size_t i, n = map->nkids / 2;
	unsigned long line;

	for (i = 0; i < map->nkids; i += 2)
		if (map->kids[i]->kind != N_SCALAR)
			return bad(ld, &(struct src){ ld->file,
			    map->kids[i]->line, NULL }, NULL,
			    "a key must be a plain value");
	if (n < 2)
		return 0;
	if ((k = calloc(n, sizeof(*k))) == NULL)
		return bad(ld, &(struct src){ ld->file, map->line, NULL },
		    NULL, "out of memory");
	for (i = 0; i < n; i++)
		k[i] = map->kids[2 * i];
	qsort(k, n, sizeof(*k), keycmp);
	for (i = 1; i < n; i++)
		if (keycmp(&k[i - 1], &k[i]) == 0) {
			line = k[i]->line > k[i - 1]->line ? k[i]->line :
			    k[i - 1]->line;
			bad(ld, &(struct src){ ld->file, line, NULL }, NULL,
			    "duplicate key %s",
			    show(q, sizeof(q), k[i]->val, k[i]->len));
			free(k);
			return -1;
		}
	free(k);
	return 0;
}

static int
is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    ev->data.scalar.tag != NULL)
		return 0;
	return len == 0 || (len == 1 && v[0] == '~') ||
	    (len == 4 && (memcmp(v, "null", 4) == 0 ||
	    memcmp(v, "Null", 4) == 0 || memcmp(v, "NULL", 4) == 0));
}

/* The tree builder's state between events. */
struct yl {
	struct node	*stack[DEPTH_MAX];	/* open collections */
	char		*pending[DEPTH_MAX];	/* their anchors */
	size_t		 depth;
	int		 docs;
	int		 done;
	struct node	*root;
};

/* The node an alias event stands for, or NULL with a message. */
static struct node *
alias_node(struct ld *ld, struct yl *y, const yaml_event_t *ev,
    unsigned long line)
{
	struct node *n;
	size_t i;

	for (i = 0; i < ld->nanchors; i++)
		if (strcmp(ld->anchors[i].name,
		    (char *)ev->data.alias.anchor) == 0)
			break;
	if (i == ld->nanchors) {
		bad(ld, &(struct src){ ld->file, line, NULL }, NULL,
		    "unknown YAML alias *%s", (char *)ev->data.alias.anchor);
		return NULL;
	}
	n = ld->anchors[i].node;
	if (y->depth + n->height > DEPTH_MAX) {
		bad(ld, &(struct src){ ld->file, line, NULL }, NULL,
		    "nested deeper than %d levels", DEPTH_MAX);
		return NULL;
	}
	return n;
}

/* The scalar node of a scalar event, or NULL with a message. */
static struct node *
scalar_node(struct ld *ld, const yaml_event_t *ev, unsigned long line)
{
	struct node *n;

	if ((n = node_new(ld, N_SCALAR, line)) == NULL)
		return NULL;
	n->len = ev->data.scalar.length;
	if ((n->val = malloc(n->len + 1)) == NULL) {
		bad(ld, NULL, ld->file, "out of memory");
		return NULL;
	}
	memcpy(n->val, ev->data.scalar.value, n->len);
	n->val[n->len] = '\0';
	n->null = is_null(ev);
	return n;
}

/* A collection ends: check it and register its anchor. */
static int
collection_end(struct ld *ld, struct yl *y)
{
	struct node *n;
	int r = 0;

	n = y->stack[--y->depth];
	/* Its height is final only now: pass it up. */
	if (y->depth > 0 && n->height + 1 > y->stack[y->depth - 1]->height)
		y->stack[y->depth - 1]->height = n->height + 1;
	if (n->kind == N_MAP && map_check(ld, n) == -1)
		r = -1;
	/* Registered only now, so it cannot contain itself. */
	else if (y->pending[y->depth] != NULL)
		r = anchor_add(ld, y->pending[y->depth], n);
	free(y->pending[y->depth]);
	return r;
}

/* Hang the new node n under the open collection (or make it the root),
 * register a scalar's or alias's anchor, open a collection. */
static int
place(struct ld *ld, struct yl *y, const yaml_event_t *ev, struct node *n,
    const char *anchor)
{
	if (y->depth == 0)
		y->root = n;
	else if (node_add(ld, y->stack[y->depth - 1], n) == -1)
		return -1;
	if (anchor != NULL && anchor_add(ld, anchor, n) == -1)
		return -1;
	if (ev->type != YAML_SEQUENCE_START_EVENT &&
	    ev->type != YAML_MAPPING_START_EVENT)
		return 0;
	anchor = (const char *)(ev->type == YAML_MAPPING_START_EVENT ?
	    ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
	y->pending[y->depth] = NULL;
	if (anchor != NULL && (y->pending[y->depth] = strdup(anchor)) ==
	    NULL)
		return bad(ld, NULL, ld->file, "out of memory");
	y->stack[y->depth++] = n;
	return 0;
}

/* One parser event into the tree. */
static int
yaml_event(struct ld *ld, struct yl *y, const yaml_event_t *ev)
{
	unsigned long line = ev->start_mark.line + 1;
	struct node *n = NULL;
	const char *anchor = NULL;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		y->done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++y->docs > 1)
			return bad(ld, &(struct src){ ld->file, line, NULL },
			    NULL, "more than one YAML document");
		return 0;
	case YAML_ALIAS_EVENT:
		if ((n = alias_node(ld, y, ev, line)) == NULL)
			return -1;
		break;
	case YAML_SCALAR_EVENT:
		if ((n = scalar_node(ld, ev, line)) == NULL)
			return -1;
		anchor = (const char *)ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (y->depth == DEPTH_MAX)
			return bad(ld, &(struct src){ ld->file, line, NULL },
			    NULL, "nested deeper than %d levels", DEPTH_MAX);
		if ((n = node_new(ld, ev->type == YAML_MAPPING_START_EVENT ?
		    N_MAP : N_SEQ, line)) == NULL)
			return -1;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return collection_end(ld, y);
	default:
		return 0;
	}
	return place(ld, y, ev, n, anchor);
}

/*
 * Parse buf into a tree of nodes at *rootp (NULL for an empty file).
 * The nesting of collections, aliases included, is limited to DEPTH_MAX.
 */
static int
yaml_load(struct ld *ld, const char *buf, size_t len, struct node **rootp)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct yl y;
	unsigned long line;
	int rc = 0;

	memset(&y, 0, sizeof(y));
	*rootp = NULL;
	if (!yaml_parser_initialize(&p))
		return bad(ld, NULL, ld->file, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!y.done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			line = p.problem_mark.line + 1;
			if (p.error == YAML_MEMORY_ERROR)
				bad(ld, NULL, ld->file, "out of memory");
			else
				bad(ld, &(struct src){ ld->file, line, NULL },
				    NULL, "YAML syntax error: %s%s%s",
				    p.problem != NULL ? p.problem : "unknown",
				    p.context != NULL ? " " : "",
				    p.context != NULL ? p.context : "");
			rc = -1;
			break;
		}
		rc = yaml_event(ld, &y, &ev);
		yaml_event_delete(&ev);
	}
	while (y.depth > 0)
		free(y.pending[--y.depth]);
	yaml_parser_delete(&p);
	*rootp = y.root;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Tree to config */

static const struct field *
find_field(const struct field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* The secret field whose <name>_file sibling name is. */
static const struct field *
find_secret(const struct field *f, size_t n, const char *name)
{
	char base[KEY_MAX * 2];
	size_t len = strlen(name);

	if (len < 6 || len >= sizeof(base) ||
	    strcmp(name + len - 5, "_file") != 0)
		return NULL;
	memcpy(base, name, len - 5);
	base[len - 5] = '\0';
	f = find_field(f, n, base);
	return f != NULL && (f->flags & F_SECRET) ? f : NULL;
}

static int
in_list(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* The key lower-cased into buf; -1 when it cannot be one of ours. */
static int
key_name(const struct node *k, char *buf, size_t size)
{
	size_t i;

	if (k->len == 0 || k->len >= size)
		return -1;
	for (i = 0; i < k->len; i++) {
		if (!((k->val[i] >= 'a' && k->val[i] <= 'z') ||
		    (k->val[i] >= 'A' && k->val[i] <= 'Z') ||
		    (k->val[i] >= '0' && k->val[i] <= '9') ||
		    k->val[i] == '_' || k->val[i] == '-'))
			return -1;
		buf[i] = k->val[i] >= 'A' && k->val[i] <= 'Z' ?
		    k->val[i] - 'A' + 'a' : k->val[i];
	}
	buf[i] = '\0';
	return 0;
}

static void
unknown_key(struct ld *ld, const struct node *k, const char *prefix)
{
	char q[160];
	size_t i;

	for (i = 0; i < k->len && i < 80; i++)
		if (k->val[i] <= ' ' || k->val[i] >= 0x7f || k->val[i] == '"')
			break;
	if (ld->faults != NULL)
		config_fault_add(ld->faults, "%s:%lu: %s%s: unknown key",
		    ld->file, k->line, prefix, i == k->len ? k->val :
		    show(q, sizeof(q), k->val, k->len));
	else if (i == k->len)
		config_unknown_add(&ld->cfg->unknown,
		    "%s:%lu: unknown key %s%s ignored", ld->file, k->line,
		    prefix, k->val);
	else
		config_unknown_add(&ld->cfg->unknown,
		    "%s:%lu: unknown key %s%s ignored", ld->file, k->line,
		    prefix, show(q, sizeof(q), k->val, k->len));
}

/* Whether the mapping being walked has key name with a value. */
static int
own_has(const struct node *map, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < map->nkids; i += 2)
		if (map->kids[i]->len == len &&
		    strncasecmp(map->kids[i]->val, name, len) == 0 &&
		    !(map->kids[i + 1]->kind == N_SCALAR &&
		    map->kids[i + 1]->null))
			return 1;
	return 0;
}

/* A list of scalars into field f as one value, the items joined by
 * spaces. */
static int
set_list(struct ld *ld, const struct field *f, const char *key, void *base,
    const struct node *v)
{
	struct src src = { ld->file, v->line, NULL };
	char joined[1024];
	size_t i, len = 0;

	for (i = 0; i < v->nkids; i++) {
		src.line = v->kids[i]->line;
		if (v->kids[i]->kind != N_SCALAR || v->kids[i]->null)
			return bad(ld, &src, key, "expected a list of values");
		if (len + v->kids[i]->len + 2 > sizeof(joined))
			return bad(ld, &src, key, "too long (at most %zu "
			    "bytes)", sizeof(joined) - 1);
		if (len > 0)
			joined[len++] = ' ';
		memcpy(joined + len, v->kids[i]->val, v->kids[i]->len);
		len += v->kids[i]->len;
	}
	joined[len] = '\0';
	src.line = v->line;
	return set_field(ld, &src, key, f, base, joined, len);
}

/* A scalar value from the tree into field f; null keeps the default. */
static int
set_node(struct ld *ld, const struct field *f, const char *key, void *base,
    const struct node *v)
{
	struct src src = { ld->file, v->line, NULL };

	if (v->kind == N_SEQ && (f->type == T_VIPS || f->type == T_ADDRS ||
	    f->type == T_WORDS))
		return set_list(ld, f, key, base, v);
	if (v->kind != N_SCALAR)
		return bad(ld, &src, key, "expected a single value, not a %s",
		    v->kind == N_MAP ? "mapping" : "list");
	if (v->null)
		return 0;
	return set_field(ld, &src, key, f, base, v->val, v->len);
}

/* <key>_file: the value of secret f read from the file it names. */
static int
set_node_file(struct ld *ld, const struct field *f, const char *key,
    void *base, const struct node *v)
{
	struct src src = { ld->file, v->line, NULL };
	char q[160];
	const char *leaf;

	if (v->kind != N_SCALAR)
		return bad(ld, &src, key, "expected a file name, not a %s",
		    v->kind == N_MAP ? "mapping" : "list");
	if (v->null)
		return 0;
	if ((leaf = strrchr(f->name, '.')) == NULL)
		leaf = f->name;
	else
		leaf++;
	if (own_has(ld->map, leaf))
		return bad(ld, &src, key, "both %s and %s_file are set", leaf,
		    leaf);
	if (memchr(v->val, '\0', v->len) != NULL)
		return bad(ld, &src, key, "bad file name %s",
		    show(q, sizeof(q), v->val, v->len));
	return set_from_file(ld, &src, key, f, base, v->val);
}

/* One key of a mapping described by a field table. */
static int
field_pair(struct ld *ld, const struct node *k, const struct node *v,
    void *arg)
{
	const struct fctx *fc = arg;
	const struct field *f;
	char name[KEY_MAX], full[KEY_MAX * 2];

	if (key_name(k, name, sizeof(name)) == -1) {
		unknown_key(ld, k, fc->prefix);
		return 0;
	}
	snprintf(full, sizeof(full), "%s%s", fc->prefix, name);
	if ((f = find_field(fc->fields, fc->n, name)) != NULL) {
		if (set_node(ld, f, full, fc->base, v) == -1)
			return -1;
	} else if ((f = find_secret(fc->fields, fc->n, name)) != NULL) {
		if (set_node_file(ld, f, full, fc->base, v) == -1)
			return -1;
	} else {
		unknown_key(ld, k, fc->prefix);
		return 0;
	}
	if (fc->mask != NULL && !(v->kind == N_SCALAR && v->null))
		*fc->mask |= 1U << (f - fc->fields);
	return 0;
}

static int
backend_find(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nbackends; i++)
		if (strcmp(cfg->backends[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Add backend name (checked by the caller). Returns its index or -1. */
static int
backend_add(struct ld *ld, const struct src *src, const char *key,
    const char *name)
{
	struct config_backend *b;

	if (strcmp(name, "tmp") == 0)
		return bad(ld, src, key, "backend name \"tmp\" is reserved "
		    "(the spool's scratch directory)");
	if (ld->cfg->nbackends == CONFIG_BACKENDS_MAX)
		return bad(ld, src, key, "too many backends (at most %d)",
		    CONFIG_BACKENDS_MAX);
	b = &ld->cfg->backends[ld->cfg->nbackends];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	ld->bmask[ld->cfg->nbackends] = 0;
	ld->bline[ld->cfg->nbackends] = src->env == NULL ? src->line : 0;
	return (int)ld->cfg->nbackends++;
}

/*
 * dns.backends.<name>.secondaries of backend bi: a list of mappings. A
 * list replaces one merged in before (YAML "<<").
 */
static int
walk_secondaries(struct ld *ld, const struct node *v, const char *key,
    int bi)
{
	struct config_backend *b = &ld->cfg->backends[bi];
	struct src src = { ld->file, v->line, NULL };
	struct config_secondary *q;
	struct fctx fc;
	char what[KEY_MAX * 2 + 24], prefix[KEY_MAX * 2 + 32];
	size_t i;

	b->nsecondaries = 0;
	if (v->kind == N_SCALAR && v->null)
		return 0;
	if (v->kind != N_SEQ)
		return bad(ld, &src, key, "expected a list");
	for (i = 0; i < v->nkids; i++) {
		src.line = v->kids[i]->line;
		if (b->nsecondaries == CONFIG_SECONDARIES_MAX)
			return bad(ld, &src, key, "too many entries (at most "
			    "%d)", CONFIG_SECONDARIES_MAX);
		if (--ld->budget < 0)
			return bad(ld, &src, key, "too complex (aliases "
			    "expand to too many keys)");
		snprintf(what, sizeof(what), "%s[%zu]", key, b->nsecondaries);
		snprintf(prefix, sizeof(prefix), "%s.", what);
		if (v->kids[i]->kind != N_MAP)
			return bad(ld, &src, what, "expected a mapping");
		q = &b->secondaries[b->nsecondaries];
		memset(q, 0, sizeof(*q));
		/* An address written but refused is not also "missing". */
		ld->qmask[bi][b->nsecondaries] = own_has(v->kids[i],
		    "address") ? QM_WRITTEN : 0;
		ld->qline[bi][b->nsecondaries] = src.line;
		fc.fields = qfields;
		fc.n = NELEM(qfields);
		fc.base = q;
		fc.mask = &ld->qmask[bi][b->nsecondaries];
		fc.prefix = prefix;
		b->nsecondaries++;
		if (walk_map(ld, v->kids[i], what, field_pair, &fc) == -1)
			return -1;
	}
	return 0;
}

/* One key of a dns.backends.<name> mapping: a field, or secondaries. */
static int
bkey_pair(struct ld *ld, const struct node *k, const struct node *v,
    void *arg)
{
	const struct fctx *fc = arg;
	char name[KEY_MAX], key[KEY_MAX * 2];

	if (key_name(k, name, sizeof(name)) == -1 ||
	    strcmp(name, "secondaries") != 0)
		return field_pair(ld, k, v, arg);
	snprintf(key, sizeof(key), "%ssecondaries", fc->prefix);
	where_add(ld, &(struct src){ ld->file, k->line, NULL }, key);
	return walk_secondaries(ld, v, key, (int)((struct config_backend *)
	    fc->base - ld->cfg->backends));
}

/* One dns.backends.<name> mapping. */
static int
backend_pair(struct ld *ld, const struct node *k, const struct node *v,
    void *arg)
{
	struct src src = { ld->file, k->line, NULL };
	struct fctx fc;
	char name[NAME_MAX_ + 1], what[NAME_MAX_ + 16], prefix[NAME_MAX_ + 16];
	char q[160];
	size_t i;
	int bi;

	(void)arg;
	/* Backend names are queue names: lower case, no dots or slashes. */
	for (i = 0; i < k->len && i < sizeof(name); i++)
		name[i] = (char)lower((unsigned char)k->val[i]);
	if (!name_ok(name, k->len))
		return bad(ld, &src, "dns.backends", "invalid backend name %s "
		    "(1-63 of a-z 0-9 _ -)", show(q, sizeof(q), k->val,
		    k->len));
	name[k->len] = '\0';
	snprintf(what, sizeof(what), "dns.backends.%s", name);
	snprintf(prefix, sizeof(prefix), "dns.backends.%s.", name);
	where_add(ld, &src, what);
	if ((bi = backend_find(ld->cfg, name)) == -1 &&
	    (bi = backend_add(ld, &src, what, name)) == -1)
		return -1;
	fc.fields = bfields;
	fc.n = NELEM(bfields);
	fc.base = &ld->cfg->backends[bi];
	fc.mask = &ld->bmask[bi];
	fc.prefix = prefix;
	return walk_map(ld, v, what, bkey_pair, &fc);
}

/* peer_sync.peers or reconciliation.directadmin_servers. */
static int
walk_list(struct ld *ld, const struct node *v, const char *key, int peers)
{
	struct src src = { ld->file, v->line, NULL };
	struct config *cfg = ld->cfg;
	struct config_peer *pe;
	struct config_da_server *s;
	struct fctx fc;
	char what[KEY_MAX], prefix[KEY_MAX];
	size_t i, *np, max;

	if (v->kind == N_SCALAR && v->null)
		return 0;
	if (v->kind != N_SEQ)
		return bad(ld, &src, key, "expected a list");
	np = peers ? &cfg->peer_sync.npeers : &cfg->reconciliation.nservers;
	max = peers ? CONFIG_PEERS_MAX : CONFIG_SERVERS_MAX;
	for (i = 0; i < v->nkids; i++) {
		src.line = v->kids[i]->line;
		if (*np == max)
			return bad(ld, &src, key, "too many entries (at most "
			    "%zu)", max);
		if (--ld->budget < 0)
			return bad(ld, &src, key, "too complex (aliases "
			    "expand to too many keys)");
		snprintf(what, sizeof(what), "%s[%zu]", key, *np);
		snprintf(prefix, sizeof(prefix), "%s[%zu].", key, *np);
		if (v->kids[i]->kind != N_MAP)
			return bad(ld, &src, what, "expected a mapping");
		if (peers) {
			pe = &cfg->peer_sync.peers[*np];
			memset(pe, 0, sizeof(*pe));
			snprintf(pe->username, sizeof(pe->username),
			    "peersync");
			ld->pline[*np] = src.line;
			fc.fields = pfields;
			fc.n = NELEM(pfields);
			fc.base = pe;
		} else {
			s = &cfg->reconciliation.servers[*np];
			memset(s, 0, sizeof(*s));
			s->port = 2222;
			s->ssl = 1;
			ld->sline[*np] = src.line;
			fc.fields = sfields;
			fc.n = NELEM(sfields);
			fc.base = s;
		}
		fc.mask = NULL;
		fc.prefix = prefix;
		(*np)++;
		if (walk_map(ld, v->kids[i], what, field_pair, &fc) == -1)
			return -1;
	}
	return 0;
}

/* vrrp.instances or vrrp.sync_groups: a list of mappings. */
static int
vrrp_list(struct ld *ld, const struct node *v, const char *key, int groups)
{
	struct src src = { ld->file, v->line, NULL };
	struct config_vrrp *vr = &ld->cfg->vrrp;
	struct fctx fc;
	char what[KEY_MAX], prefix[KEY_MAX];
	size_t i, *np, max;

	if (v->kind == N_SCALAR && v->null)
		return 0;
	if (v->kind != N_SEQ)
		return bad(ld, &src, key, "expected a list");
	np = groups ? &vr->ngroups : &vr->ninstances;
	max = groups ? CONFIG_VRRP_GROUPS_MAX : CONFIG_VRRP_INST_MAX;
	where_add(ld, &src, key);
	for (i = 0; i < v->nkids; i++) {
		src.line = v->kids[i]->line;
		if (*np == max)
			return bad(ld, &src, key, "too many entries (at most "
			    "%zu)", max);
		if (--ld->budget < 0)
			return bad(ld, &src, key, "too complex (aliases "
			    "expand to too many keys)");
		snprintf(what, sizeof(what), "%s[%zu]", key, *np);
		snprintf(prefix, sizeof(prefix), "%s[%zu].", key, *np);
		if (v->kids[i]->kind != N_MAP)
			return bad(ld, &src, what, "expected a mapping");
		if (groups) {
			memset(&vr->groups[*np], 0, sizeof(vr->groups[0]));
			fc.fields = gfields;
			fc.n = NELEM(gfields);
			fc.base = &vr->groups[*np];
		} else {
			memset(&vr->instances[*np], 0,
			    sizeof(vr->instances[0]));
			vr->instances[*np].preempt = -1;
			fc.fields = ifields;
			fc.n = NELEM(ifields);
			fc.base = &vr->instances[*np];
		}
		where_add(ld, &src, what);
		fc.mask = NULL;
		fc.prefix = prefix;
		(*np)++;
		if (walk_map(ld, v->kids[i], what, field_pair, &fc) == -1)
			return -1;
	}
	return 0;
}

/* One key of the top level or of a section. */
static int
section_pair(struct ld *ld, const struct node *k, const struct node *v,
    void *arg)
{
	const char *prefix = arg;
	const struct field *f;
	char name[KEY_MAX], full[KEY_MAX * 2], sub[KEY_MAX * 2 + 1];

	if (key_name(k, name, sizeof(name)) == -1) {
		unknown_key(ld, k, prefix);
		return 0;
	}
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	if ((f = find_field(keys, NELEM(keys), full)) != NULL)
		return set_node(ld, f, full, ld->cfg, v);
	if ((f = find_secret(keys, NELEM(keys), full)) != NULL)
		return set_node_file(ld, f, full, ld->cfg, v);
	if (in_list(sections, NELEM(sections), full)) {
		where_add(ld, &(struct src){ ld->file, k->line, NULL }, full);
		snprintf(sub, sizeof(sub), "%s.", full);
		return walk_map(ld, v, full, section_pair, sub);
	}
	if (strcmp(full, "dns.backends") == 0)
		return walk_map(ld, v, full, backend_pair, NULL);
	if (strcmp(full, "peer_sync.peers") == 0)
		return walk_list(ld, v, full, 1);
	if (strcmp(full, "reconciliation.directadmin_servers") == 0)
		return walk_list(ld, v, full, 0);
	if (strcmp(full, "vrrp.instances") == 0)
		return vrrp_list(ld, v, full, 0);
	if (strcmp(full, "vrrp.sync_groups") == 0)
		return vrrp_list(ld, v, full, 1);
	if (in_list(foreign, NELEM(foreign), full))
		where_add(ld, &(struct src){ ld->file, k->line, NULL }, full);
	if (ld->section != NULL && strcmp(full, ld->section) == 0) {
		ld->section_seen = 1;
		return ld->section_fn((const struct config_node *)v, ld->file,
		    ld->cfg, ld->section_arg, ld->err, ld->errlen);
	}
	if (in_list(foreign, NELEM(foreign), full))
		return 0;
	if (!in_list(dead, NELEM(dead), full))
		unknown_key(ld, k, prefix);
	return 0;
}

static int
is_merge(const struct node *k)
{
	return k->kind == N_SCALAR && k->len == 2 && memcmp(k->val, "<<",
	    2) == 0;
}

/*
 * Call fn for every pair of the mapping: first those merged in by "<<"
 * (earlier mappings of a merged list win over later ones), then the
 * mapping's own, which win over merged ones. A null mapping is empty.
 */
static int
walk_map(struct ld *ld, const struct node *map, const char *what,
    pair_fn fn, void *arg)
{
	const struct node *saved, *v;
	size_t i, j;
	int r = 0;

	if (map->kind == N_SCALAR && map->null)
		return 0;
	if (map->kind != N_MAP)
		return bad(ld, &(struct src){ ld->file, map->line, NULL },
		    what, "expected a mapping");
	for (i = 0; i < map->nkids; i += 2) {
		if (--ld->budget < 0)
			return bad(ld, &(struct src){ ld->file,
			    map->kids[i]->line, NULL }, NULL, "too complex "
			    "(aliases or merges expand to too many keys)");
		if (!is_merge(map->kids[i]))
			continue;
		v = map->kids[i + 1];
		if (v->kind == N_SEQ) {
			for (j = v->nkids; j > 0; j--)
				if (keep(ld, walk_map(ld, v->kids[j - 1], what,
				    fn, arg)) == -1)
					return -1;
		} else if (keep(ld, walk_map(ld, v, what, fn, arg)) == -1)
			return -1;
	}
	saved = ld->map;
	ld->map = map;
	for (i = 0; i < map->nkids && r == 0; i += 2)
		if (!is_merge(map->kids[i]))
			r = keep(ld, fn(ld, map->kids[i], map->kids[i + 1],
			    arg));
	ld->map = saved;
	return r;
}

static int
load_yaml(struct ld *ld, const char *buf, size_t len)
{
	struct node *root;
	int r;

	if (len > FILE_MAX)
		return bad(ld, NULL, ld->file, "larger than 1 MiB");
	if ((r = yaml_load(ld, buf, len, &root)) == 0 && root != NULL) {
		if (root->kind != N_MAP && !(root->kind == N_SCALAR &&
		    root->null))
			r = bad(ld, &(struct src){ ld->file, root->line,
			    NULL }, NULL, "expected a mapping at the top "
			    "level");
		else
			r = walk_map(ld, root, "top level", section_pair, "");
	}
	nodes_free(ld);
	return r;
}

/* ------------------------------------------------------------------ */
/* Environment */

/* DADNS_APP_AUTH_PASSWORD and DADNS.APP.AUTH.PASSWORD for app.auth_password. */
static void
env_names(const char *key, char *doc, char *dot, size_t size)
{
	size_t i, o;

	o = snprintf(doc, size, "DADNS_");
	snprintf(dot, size, "DADNS.");
	for (i = 0; key[i] != '\0' && o + 1 < size; i++, o++) {
		doc[o] = key[i] == '.' ? '_' : key[i] >= 'a' && key[i] <= 'z' ?
		    key[i] - 'a' + 'A' : key[i];
		dot[o] = doc[o] == '_' ? '.' : doc[o];
	}
	doc[o] = dot[o] = '\0';
}

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	/* An empty variable counts as unset. */
	return v != NULL && *v != '\0' ? v : NULL;
}

/* Apply the variables of one key: the dotted form (unless dot is NULL),
 * then the documented form or its _FILE twin (not both). */
static int
env_key(struct ld *ld, const char *key, const struct field *f, void *base,
    const char *doc, const char *dot, unsigned *mask, int bit)
{
	char file[256];
	struct src src = { NULL, 0, NULL };
	const char *v, *fv;

	snprintf(file, sizeof(file), "%s_FILE", doc);
	if (dot != NULL && (v = env_get(dot)) != NULL) {
		src.env = dot;
		if (set_field(ld, &src, key, f, base, v, strlen(v)) == -1)
			return -1;
		if (mask != NULL)
			*mask |= 1U << bit;
	}
	v = env_get(doc);
	fv = env_get(file);
	if (v != NULL && fv != NULL)
		return bad(ld, &(struct src){ NULL, 0, doc }, key,
		    "set together with %s; use one", file);
	if (v != NULL) {
		src.env = doc;
		if (set_field(ld, &src, key, f, base, v, strlen(v)) == -1)
			return -1;
	} else if (fv != NULL) {
		src.env = file;
		if (set_from_file(ld, &src, key, f, base, fv) == -1)
			return -1;
	} else
		return 0;
	if (mask != NULL)
		*mask |= 1U << bit;
	return 0;
}

static int
env_keys(struct ld *ld)
{
	char doc[128], dot[128];
	size_t i;

	for (i = 0; i < NELEM(keys); i++) {
		if (keys[i].flags & F_NOENV)
			continue;
		env_names(keys[i].name, doc, dot, sizeof(doc));
		if (keep(ld, env_key(ld, keys[i].name, &keys[i], ld->cfg, doc,
		    dot, NULL, 0)) == -1)
			return -1;
	}
	return 0;
}

/*
 * Split rest ("COREDNS_DC1_TABLE_NAME") into a backend name and a field:
 * the field is a known suffix after '_'. When several fit, prefer a
 * backend already known, else the longest field. Returns the field or
 * NULL; name receives the lower-cased backend name.
 */
static const struct field *
env_split(struct ld *ld, const char *rest, size_t len, char *name,
    size_t size)
{
	const struct field *best = NULL;
	char up[32];
	size_t i, j, flen, nlen, blen = 0;
	int known, bknown = 0;

	for (i = 0; i < NELEM(bfields); i++) {
		flen = strlen(bfields[i].name);
		if (flen + 2 > len || flen >= sizeof(up))
			continue;
		for (j = 0; j <= flen; j++)
			up[j] = bfields[i].name[j] >= 'a' &&
			    bfields[i].name[j] <= 'z' ?
			    bfields[i].name[j] - 'a' + 'A' : bfields[i].name[j];
		nlen = len - flen - 1;
		if (memcmp(rest + nlen + 1, up, flen) != 0 || rest[nlen] != '_')
			continue;
		if (nlen >= size)
			continue;
		for (j = 0; j < nlen; j++)
			name[j] = rest[j] >= 'A' && rest[j] <= 'Z' ?
			    rest[j] - 'A' + 'a' : rest[j];
		name[nlen] = '\0';
		known = backend_find(ld->cfg, name) != -1;
		if (best == NULL || (known && !bknown) ||
		    (known == bknown && flen > blen)) {
			best = &bfields[i];
			blen = flen;
			bknown = known;
		}
	}
	if (best != NULL) {
		nlen = len - blen - 1;
		for (j = 0; j < nlen; j++)
			name[j] = rest[j] >= 'A' && rest[j] <= 'Z' ?
			    rest[j] - 'A' + 'a' : rest[j];
		name[nlen] = '\0';
	}
	return best;
}

/*
 * Whether rest ("NSD_SECONDARY_2_TSIG_KEY", "NSD_SECONDARY_ADDRESS",
 * "..._TSIG_SECRET_FILE") names a field of a secondary; name receives the
 * lower-cased backend name.
 */
static int
secondary_var(const char *rest, char *name, size_t size)
{
	static const char mark[] = "_SECONDARY_";
	const char *p, *s;
	char up[32];
	size_t i, j, n;

	for (p = strstr(rest, mark); p != NULL; p = strstr(p + 1, mark)) {
		s = p + sizeof(mark) - 1;
		if (s[0] >= '1' && s[0] <= '9' && s[1] == '_')
			s += 2;
		for (i = 0; i < NELEM(qfields); i++) {
			for (j = 0; qfields[i].name[j] != '\0'; j++)
				up[j] = qfields[i].name[j] >= 'a' &&
				    qfields[i].name[j] <= 'z' ?
				    qfields[i].name[j] - 'a' + 'A' :
				    qfields[i].name[j];
			up[j] = '\0';
			if (strcmp(s, up) == 0 || ((qfields[i].flags &
			    F_SECRET) && strncmp(s, up, j) == 0 &&
			    strcmp(s + j, "_FILE") == 0))
				break;
		}
		n = (size_t)(p - rest);
		if (i == NELEM(qfields) || n == 0 || n >= size)
			continue;
		for (j = 0; j < n; j++)
			name[j] = rest[j] >= 'A' && rest[j] <= 'Z' ?
			    rest[j] - 'A' + 'a' : rest[j];
		name[n] = '\0';
		return 1;
	}
	return 0;
}

/*
 * One DADNS_DNS_BACKENDS_<NAME>_<FIELD> variable e ("NAME=value"), which
 * may create a backend. pass 0: the dotted form; 1: the documented form;
 * 2: its _FILE twin. Other variables are skipped.
 */
static int
env_backend(struct ld *ld, int pass, const char *e)
{
	static const char pdoc[] = "DADNS_DNS_BACKENDS_";
	static const char pdot[] = "DADNS.DNS.BACKENDS.";
	const struct field *f;
	char var[256], rest[256], name[256], key[320], q[160], plain[256];
	const char *eq, *val;
	size_t j, len, plen = sizeof(pdoc) - 1;
	struct src src = { NULL, 0, var };
	int bi, file;

	if (strncmp(e, pass == 0 ? pdot : pdoc, plen) != 0 ||
	    (eq = strchr(e, '=')) == NULL || eq[1] == '\0')
		return 0;
	val = eq + 1;
	len = (size_t)(eq - e);
	if (len >= sizeof(var))
		return 0;
	memcpy(var, e, len);
	var[len] = '\0';
	len -= plen;
	memcpy(rest, var + plen, len + 1);
	if (pass == 0)
		for (j = 0; j < len; j++)
			if (rest[j] == '.')
				rest[j] = '_';
	/* A secondary's fields: env_secondaries(), documented form only. */
	if (secondary_var(rest, name, sizeof(name))) {
		if (pass == 0 || backend_find(ld->cfg, name) == -1) {
			if (ld->faults != NULL)
				config_fault_add(ld->faults, "%s: %s", var,
				    pass == 0 ? "secondaries take the DADNS_ "
				    "form only" : "no such backend");
			else
				config_unknown_add(&ld->cfg->unknown, "%s: "
				    "unknown variable ignored (%s)", var,
				    pass == 0 ? "secondaries take the DADNS_ "
				    "form only" : "no such backend");
		}
		return 0;
	}
	file = len > 5 && strcmp(rest + len - 5, "_FILE") == 0 &&
	    env_split(ld, rest, len - 5, name, sizeof(name)) != NULL;
	/* pass 1 leaves X_PASSWORD_FILE to pass 2, which takes nothing
	 * else. */
	if ((pass == 1 && file) || (pass == 2 && !file))
		return 0;
	if (pass == 2) {
		len -= 5;
		rest[len] = '\0';
	}
	if ((f = env_split(ld, rest, len, name, sizeof(name))) == NULL) {
		if (ld->faults != NULL)
			config_fault_add(ld->faults, "%s: unknown variable "
			    "(no such backend field)", var);
		else
			config_unknown_add(&ld->cfg->unknown, "%s: unknown "
			    "variable ignored (no such backend field)", var);
		return 0;
	}
	if (!name_ok(name, strlen(name)))
		return bad(ld, &src, NULL, "invalid backend name %s "
		    "(1-63 of a-z 0-9 _ -)",
		    show(q, sizeof(q), name, strlen(name)));
	snprintf(key, sizeof(key), "dns.backends.%s.%s", name, f->name);
	if (pass == 2) {
		snprintf(plain, sizeof(plain), "%.*s", (int)(len + plen), var);
		if (env_get(plain) != NULL)
			return bad(ld, &(struct src){ NULL, 0, plain }, NULL,
			    "set together with %s; use one", var);
	}
	if ((bi = backend_find(ld->cfg, name)) == -1 &&
	    (bi = backend_add(ld, &src, key, name)) == -1)
		return -1;
	if (pass == 2) {
		if (set_from_file(ld, &src, key, f, &ld->cfg->backends[bi],
		    val) == -1)
			return -1;
	} else if (set_field(ld, &src, key, f, &ld->cfg->backends[bi], val,
	    strlen(val)) == -1)
		return -1;
	ld->bmask[bi] |= 1U << (f - bfields);
	return 0;
}

/* Every DADNS_DNS_BACKENDS_* variable of pass (see env_backend()). */
static int
env_backends(struct ld *ld, int pass)
{
	size_t i;

	for (i = 0; environ[i] != NULL; i++)
		if (keep(ld, env_backend(ld, pass, environ[i])) == -1)
			return -1;
	return 0;
}

/*
 * DADNS_PEER_SYNC_PEER_URL/_USERNAME/_PASSWORD and the same with _<n>_
 * for n = 1..9 (stopping at the first missing URL): peers added after the
 * file's, skipping URLs already listed.
 */
static int
env_peers(struct ld *ld)
{
	struct config_peer pe, *pp;
	char var[64], key[64];
	const struct field *f;
	size_t i, k;
	int n;

	for (n = 0; n <= 9; n++) {
		if (n == 0)
			snprintf(var, sizeof(var), "DADNS_PEER_SYNC_PEER_URL");
		else
			snprintf(var, sizeof(var),
			    "DADNS_PEER_SYNC_PEER_%d_URL", n);
		if (env_get(var) == NULL) {
			if (n == 0)
				continue;
			break;
		}
		memset(&pe, 0, sizeof(pe));
		snprintf(pe.username, sizeof(pe.username), "peersync");
		for (i = 0; i < NELEM(pfields); i++) {
			f = &pfields[i];
			if (n == 0)
				snprintf(var, sizeof(var),
				    "DADNS_PEER_SYNC_PEER_%s", f->name);
			else
				snprintf(var, sizeof(var),
				    "DADNS_PEER_SYNC_PEER_%d_%s", n, f->name);
			for (k = 0; var[k] != '\0'; k++)
				if (var[k] >= 'a' && var[k] <= 'z')
					var[k] = var[k] - 'a' + 'A';
			snprintf(key, sizeof(key), "peer_sync.peers[].%s",
			    f->name);
			if (keep(ld, env_key(ld, key, f, &pe, var, NULL, NULL,
			    0)) == -1)
				return -1;
		}
		for (i = 0; i < ld->cfg->peer_sync.npeers; i++)
			if (strcmp(ld->cfg->peer_sync.peers[i].url,
			    pe.url) == 0)
				break;
		if (i < ld->cfg->peer_sync.npeers)
			continue;
		if (ld->cfg->peer_sync.npeers == CONFIG_PEERS_MAX) {
			if (n == 0)
				snprintf(var, sizeof(var),
				    "DADNS_PEER_SYNC_PEER_URL");
			else
				snprintf(var, sizeof(var),
				    "DADNS_PEER_SYNC_PEER_%d_URL", n);
			return bad(ld, &(struct src){ NULL, 0, var }, NULL,
			    "too many peers (at most %d)", CONFIG_PEERS_MAX);
		}
		pp = &ld->cfg->peer_sync.peers[ld->cfg->peer_sync.npeers];
		ld->pline[ld->cfg->peer_sync.npeers++] = 0;
		*pp = pe;
		explicit_bzero(&pe, sizeof(pe));
	}
	return 0;
}

/*
 * DADNS_DNS_BACKENDS_<NAME>_SECONDARY_ADDRESS/_TSIG_KEY/_TSIG_ALGORITHM/
 * _TSIG_SECRET(_FILE), and the same with SECONDARY_<n>_ for n = 1..9
 * (stopping at the first missing ADDRESS): secondaries of backend NAME
 * added after the file's, skipping addresses already listed.
 */
static int
env_secondaries(struct ld *ld, size_t bi)
{
	struct config_backend *b = &ld->cfg->backends[bi];
	struct config_secondary q;
	char up[NAME_MAX_ + 1], var[160], key[160], avar[160];
	const struct field *f;
	unsigned mask;
	size_t i, k;
	int n;

	for (i = 0; b->name[i] != '\0'; i++)
		up[i] = b->name[i] >= 'a' && b->name[i] <= 'z' ?
		    b->name[i] - 'a' + 'A' : b->name[i];
	up[i] = '\0';
	for (n = 0; n <= 9; n++) {
		if (n == 0)
			snprintf(var, sizeof(var), "DADNS_DNS_BACKENDS_%s_"
			    "SECONDARY_ADDRESS", up);
		else
			snprintf(var, sizeof(var), "DADNS_DNS_BACKENDS_%s_"
			    "SECONDARY_%d_ADDRESS", up, n);
		if (env_get(var) == NULL) {
			if (n == 0)
				continue;
			break;
		}
		snprintf(avar, sizeof(avar), "%s", var);
		memset(&q, 0, sizeof(q));
		mask = 0;
		for (i = 0; i < NELEM(qfields); i++) {
			f = &qfields[i];
			if (n == 0)
				snprintf(var, sizeof(var), "DADNS_DNS_BACKENDS_"
				    "%s_SECONDARY_%s", up, f->name);
			else
				snprintf(var, sizeof(var), "DADNS_DNS_BACKENDS_"
				    "%s_SECONDARY_%d_%s", up, n, f->name);
			for (k = 0; var[k] != '\0'; k++)
				if (var[k] >= 'a' && var[k] <= 'z')
					var[k] = var[k] - 'a' + 'A';
			snprintf(key, sizeof(key), "dns.backends.%s."
			    "secondaries[].%s", b->name, f->name);
			if (keep(ld, env_key(ld, key, f, &q, var, NULL, &mask,
			    (int)i)) == -1)
				goto fail;
		}
		for (i = 0; i < b->nsecondaries; i++)
			if (strcmp(b->secondaries[i].address, q.address) == 0)
				break;
		if (i < b->nsecondaries)
			continue;
		if (b->nsecondaries == CONFIG_SECONDARIES_MAX) {
			explicit_bzero(&q, sizeof(q));
			return bad(ld, &(struct src){ NULL, 0, avar }, NULL,
			    "too many secondaries (at most %d)",
			    CONFIG_SECONDARIES_MAX);
		}
		ld->qmask[bi][b->nsecondaries] = mask;
		ld->qline[bi][b->nsecondaries] = 0;
		b->secondaries[b->nsecondaries++] = q;
	}
	explicit_bzero(&q, sizeof(q));
	return 0;
fail:
	explicit_bzero(&q, sizeof(q));
	return -1;
}

static int
env_secondaries_all(struct ld *ld)
{
	size_t i;

	for (i = 0; i < ld->cfg->nbackends; i++)
		if (keep(ld, env_secondaries(ld, i)) == -1)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Defaults and checks */

static void
defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_INFO;
	snprintf(cfg->queue_location, sizeof(cfg->queue_location),
	    "./data/queues");
	snprintf(cfg->db_location, sizeof(cfg->db_location),
	    "./data/directdnsonly.db");
	snprintf(cfg->app.auth_username, sizeof(cfg->app.auth_username),
	    "directdnsonly");
	snprintf(cfg->app.listen_addr, sizeof(cfg->app.listen_addr),
	    "0.0.0.0");
	cfg->app.listen_port = 2222;
	cfg->app.ssl_enable = 0;
	cfg->app.proxy_support = 1;
	cfg->app.check_subdomain_owner = 1;
	cfg->app.health_auth = 0;
	cfg->app.max_body = 16777216;
	cfg->app.max_connections = 256;
	cfg->app.max_connections_per_ip = 32;
	cfg->app.request_timeout = 30;
	cfg->app.auth_max_failures = 10;
	cfg->app.auth_failure_window = 60;
	cfg->app.auth_lockout = 300;
	cfg->app.auth_tracked_sources = 4096;
	cfg->app.allow_owner_change = 1;
	snprintf(cfg->app.metrics_username, sizeof(cfg->app.metrics_username),
	    "metrics");
	cfg->peer_sync.enabled = 0;
	cfg->peer_sync.interval_minutes = 15;
	snprintf(cfg->peer_sync.auth_username,
	    sizeof(cfg->peer_sync.auth_username), "peersync");
	cfg->peer_sync.max_skew_seconds = 300;
	cfg->peer_sync.max_delete_percent = 10;
	cfg->peer_sync.max_deletes = 0;
	cfg->reconciliation.enabled = 0;
	cfg->reconciliation.dry_run = 0;
	cfg->reconciliation.interval_minutes = 60;
	cfg->reconciliation.initial_delay_minutes = 0;
	cfg->reconciliation.verify_ssl = 1;
	cfg->reconciliation.ipp = 1000;
	cfg->vrrp.preempt = -1;
}

/* Set field bit of backend b to s unless it was configured. */
static void
bdefault(char *field, size_t size, unsigned mask, int bit, const char *s)
{
	if (!(mask & (1U << bit)))
		snprintf(field, size, "%s", s);
}

#define BDEF(m, bit, s)	bdefault(b->m, sizeof(b->m), mask, bit, s)

static int
finish_backend(struct ld *ld, size_t i)
{
	struct config_backend *b = &ld->cfg->backends[i];
	struct src src = { ld->file, ld->bline[i], NULL }, *sp;
	unsigned mask = ld->bmask[i];
	char key[128], up[128];
	size_t j;

	sp = ld->bline[i] != 0 ? &src : NULL;
	snprintf(key, sizeof(key), "dns.backends.%s.type", b->name);
	if (b->type == 0) {
		/* A backend named after a type is of that type. */
		if (strcmp(b->name, "nsd") == 0)
			b->type = BACKEND_NSD;
		else if (strcmp(b->name, "bind") == 0)
			b->type = BACKEND_BIND;
		else if (strcmp(b->name, "knot") == 0)
			b->type = BACKEND_KNOT;
		else if (strcmp(b->name, "coredns_mysql") == 0 ||
		    strncmp(b->name, "coredns_", 8) == 0)
			b->type = BACKEND_COREDNS_MYSQL;
		else if (sp != NULL)
			return bad(ld, sp, key, "missing "
			    "(nsd, bind, knot or coredns_mysql)");
		else {
			for (j = 0; b->name[j] != '\0' && j + 1 < sizeof(up);
			    j++)
				up[j] = b->name[j] >= 'a' && b->name[j] <= 'z' ?
				    b->name[j] - 'a' + 'A' : b->name[j];
			up[j] = '\0';
			return bad(ld, NULL, key, "missing (set "
			    "DADNS_DNS_BACKENDS_%s_TYPE to nsd, bind, knot "
			    "or coredns_mysql)", up);
		}
	}
	switch (b->type) {
	case BACKEND_NSD:
		BDEF(zones_dir, BF_ZONES_DIR, "/etc/nsd/zones");
		BDEF(nsd_conf, BF_NSD_CONF, "/etc/nsd/nsd.conf");
		BDEF(pattern, BF_PATTERN, "da");
		BDEF(long_pattern, BF_LONG_PATTERN, "da-long");
		BDEF(nsd_main_conf, BF_NSD_MAIN_CONF, "/etc/nsd/nsd.conf");
		break;
	case BACKEND_BIND:
		BDEF(zones_dir, BF_ZONES_DIR, "/etc/named/zones");
		BDEF(named_conf, BF_NAMED_CONF, "/etc/named.conf.local");
		break;
	case BACKEND_KNOT:
		BDEF(zones_dir, BF_ZONES_DIR, "/var/lib/knot/dadns");
		BDEF(control_socket, BF_CONTROL_SOCKET, "/run/knot/knot.sock");
		BDEF(knot_conf, BF_KNOT_CONF,
		    "/var/lib/knot/dadns/dadns-zones.conf");
		BDEF(knot_template, BF_KNOT_TEMPLATE, "dadns");
		break;
	case BACKEND_COREDNS_MYSQL:
		BDEF(host, BF_HOST, "localhost");
		if (!(mask & (1U << BF_PORT)))
			b->port = 3306;
		BDEF(database, BF_DATABASE, "coredns");
		BDEF(username, BF_USERNAME, "coredns");
		BDEF(table_name, BF_TABLE_NAME, "records");
		BDEF(zones_table, BF_ZONES_TABLE, "zones");
		if (!(mask & (1U << BF_TLS_VERIFY)))
			b->tls_verify = 1;
		break;
	}
	snprintf(key, sizeof(key), "dns.backends.%s.", b->name);
	if (b->type != BACKEND_COREDNS_MYSQL && b->zones_dir[0] == '\0')
		return bad(ld, sp, strcat(key, "zones_dir"), "must not be "
		    "empty");
	if (b->type == BACKEND_COREDNS_MYSQL && b->host[0] == '\0')
		return bad(ld, sp, strcat(key, "host"), "must not be empty");
	if (b->type == BACKEND_COREDNS_MYSQL && b->database[0] == '\0')
		return bad(ld, sp, strcat(key, "database"), "must not be "
		    "empty");
	if (b->type == BACKEND_COREDNS_MYSQL &&
	    strcmp(b->zones_table, b->table_name) == 0)
		return bad(ld, sp, strcat(key, "zones_table"), "must differ "
		    "from table_name");
	if (b->type == BACKEND_COREDNS_MYSQL && !b->tls) {
		if (b->tls_ca[0] != '\0')
			return bad(ld, sp, strcat(key, "tls_ca"), "set, but "
			    "tls is false");
		if (b->tls_cert[0] != '\0')
			return bad(ld, sp, strcat(key, "tls_cert"), "set, but "
			    "tls is false");
		if (b->tls_key[0] != '\0')
			return bad(ld, sp, strcat(key, "tls_key"), "set, but "
			    "tls is false");
	}
	if (b->type == BACKEND_COREDNS_MYSQL &&
	    (b->tls_cert[0] == '\0') != (b->tls_key[0] == '\0'))
		return bad(ld, sp, strcat(key, b->tls_cert[0] == '\0' ?
		    "tls_cert" : "tls_key"), "tls_cert and tls_key go "
		    "together");
	return 0;
}

/*
 * The secondaries and the catalog zone of backend i: addresses parsed,
 * TSIG settings complete and one secret per key name, the catalog's
 * default. Every fault is noted in a check.
 */
static int
finish_secondaries(struct ld *ld, size_t i)
{
	struct config_backend *b = &ld->cfg->backends[i];
	struct config_secondary *q, *o;
	struct src src = { ld->file, 0, NULL };
	union netaddr_sa sa, sb;
	char key[160];
	unsigned mask;
	size_t j, k;

	src.line = ld->bline[i];
	snprintf(key, sizeof(key), "dns.backends.%s.", b->name);
	if (b->type == BACKEND_COREDNS_MYSQL && (b->nsecondaries > 0 ||
	    b->catalog_zone[0] != '\0'))
		return bad(ld, src.line ? &src : NULL, strcat(key,
		    b->nsecondaries > 0 ? "secondaries" : "catalog_zone"),
		    "not for a coredns_mysql backend (its database's own "
		    "replication carries the zones)");
	if (b->type == BACKEND_KNOT && b->nsecondaries > 0)
		return bad(ld, src.line ? &src : NULL, strcat(key,
		    "secondaries"), "not for a knot backend: give knot.conf's "
		    "template %s its notify: and acl: (catalog_zone works)",
		    b->knot_template);
	/* Secondaries get a catalog unless catalog_zone: "" says no. */
	if (b->nsecondaries > 0 && !(ld->bmask[i] & (1U << BF_CATALOG_ZONE)))
		snprintf(b->catalog_zone, sizeof(b->catalog_zone), "%s",
		    CONFIG_CATALOG_DEFAULT);
	for (j = 0; j < b->nsecondaries; j++) {
		q = &b->secondaries[j];
		mask = ld->qmask[i][j];
		src.line = ld->qline[i][j];
		snprintf(key, sizeof(key), "dns.backends.%s.secondaries[%zu].",
		    b->name, j);
		if (!(mask & (1U << QF_TSIG_ALGORITHM)))
			snprintf(q->tsig_algorithm, sizeof(q->tsig_algorithm),
			    "hmac-sha256");
		if (q->address[0] == '\0') {
			if (!(mask & QM_WRITTEN) && keep(ld, bad(ld, src.line ? &src : NULL,
			    strcat(key, "address"), "missing")) == -1)
				return -1;
			continue;
		}
		(void)netaddr_parse(q->address, 53, &sa);
		if (sa.sa.sa_family == AF_INET6) {
			inet_ntop(AF_INET6, &sa.sin6.sin6_addr, q->addr,
			    sizeof(q->addr));
			q->port = ntohs(sa.sin6.sin6_port);
		} else {
			inet_ntop(AF_INET, &sa.sin.sin_addr, q->addr,
			    sizeof(q->addr));
			q->port = ntohs(sa.sin.sin_port);
		}
		for (k = 0; k < j; k++)
			if (netaddr_parse(b->secondaries[k].address, 53,
			    &sb) >= 0 && netaddr_equal(&sa, &sb))
				break;
		if (k < j && keep(ld, bad(ld, src.line ? &src : NULL,
		    strcat(key, "address"), "%s is listed twice",
		    q->address)) == -1)
			return -1;
		snprintf(key, sizeof(key), "dns.backends.%s.secondaries[%zu].",
		    b->name, j);
		if (q->tsig_key[0] == '\0') {
			if ((mask & (1U << QF_TSIG_SECRET)) && keep(ld, bad(ld,
			    src.line ? &src : NULL, strcat(key, "tsig_secret"),
			    "set, but tsig_key is empty")) == -1)
				return -1;
			if ((mask & (1U << QF_TSIG_ALGORITHM)) && keep(ld,
			    bad(ld, src.line ? &src : NULL, strcat(key,
			    "tsig_algorithm"), "set, but tsig_key is empty")) ==
			    -1)
				return -1;
			continue;
		}
		if (q->tsig_secret[0] == '\0') {
			if (keep(ld, bad(ld, src.line ? &src : NULL,
			    strcat(key, "tsig_secret"), "missing (tsig_key "
			    "%s needs tsig_secret or tsig_secret_file)",
			    q->tsig_key)) == -1)
				return -1;
			continue;
		}
		/* One key name is one key in the server's configuration. */
		for (k = 0; k < j; k++) {
			o = &b->secondaries[k];
			if (strcmp(o->tsig_key, q->tsig_key) == 0 &&
			    o->tsig_secret[0] != '\0' &&
			    (strcmp(o->tsig_algorithm, q->tsig_algorithm) != 0 ||
			    strcmp(o->tsig_secret, q->tsig_secret) != 0))
				break;
		}
		if (k < j && keep(ld, bad(ld, src.line ? &src : NULL,
		    strcat(key, "tsig_key"), "%s is given another algorithm "
		    "or secret by secondaries[%zu]", q->tsig_key, k)) == -1)
			return -1;
	}
	return 0;
}

static int
finish(struct ld *ld)
{
	struct config *cfg = ld->cfg;
	struct src src = { ld->file, 0, NULL };
	char key[96];
	size_t i;

	for (i = 0; i < cfg->nbackends; i++)
		if (keep(ld, finish_backend(ld, i)) == -1 ||
		    keep(ld, finish_secondaries(ld, i)) == -1)
			return -1;
	for (i = 0; i < cfg->peer_sync.npeers; i++) {
		src.line = ld->pline[i];
		snprintf(key, sizeof(key), "peer_sync.peers[%zu].url", i);
		if (cfg->peer_sync.peers[i].url[0] == '\0' &&
		    keep(ld, bad(ld, src.line ? &src : NULL, key,
		    "missing")) == -1)
			return -1;
	}
	for (i = 0; i < cfg->reconciliation.nservers; i++) {
		struct config_da_server *s = &cfg->reconciliation.servers[i];

		src.line = ld->sline[i];
		snprintf(key, sizeof(key),
		    "reconciliation.directadmin_servers[%zu].hostname", i);
		if (s->hostname[0] == '\0' &&
		    keep(ld, bad(ld, &src, key, "missing")) == -1)
			return -1;
		/* The DA server's own name defaults to its address. */
		if (s->name[0] == '\0')
			memcpy(s->name, s->hostname, sizeof(s->name));
	}
	if (cfg->app.ssl_enable && (cfg->app.ssl_cert[0] == '\0' ||
	    cfg->app.ssl_key[0] == '\0'))
		return bad(ld, NULL, "app.ssl_enable", "true, but app.ssl_cert "
		    "or app.ssl_key is empty");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points */

static int
load(struct config *out, const char *buf, size_t len, const char *name,
    const char *path, struct ld *ld)
{
	struct config *cfg;
	int r = -1;

	if (ld->errlen > 0)
		ld->err[0] = '\0';
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		err_set(ld->err, ld->errlen, "config: out of memory");
		return -1;
	}
	ld->cfg = cfg;
	ld->file = name;
	ld->budget = VISITS_MAX;
	defaults(cfg);
	if (path != NULL && strlen(path) >= sizeof(cfg->path)) {
		bad(ld, NULL, path, "file name too long");
		goto out;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path ? path : "");
	if (buf != NULL && load_yaml(ld, buf, len) == -1)
		goto out;
	if (ld->section != NULL && !ld->section_seen &&
	    keep(ld, ld->section_fn(NULL, name, cfg, ld->section_arg, ld->err,
	    ld->errlen)) == -1)
		goto out;
	if (env_keys(ld) == -1 || env_backends(ld, 0) == -1 ||
	    env_backends(ld, 1) == -1 || env_backends(ld, 2) == -1 ||
	    env_secondaries_all(ld) == -1 ||
	    keep(ld, env_peers(ld)) == -1 || keep(ld, finish(ld)) == -1)
		goto out;
	memcpy(out, cfg, sizeof(*cfg));
	r = ld->faults != NULL && ld->faults->n > 0 ? -1 : 0;
out:
	/* A check notes the fault it could not go on after. */
	if (ld->faults != NULL && ld->errlen > 0 && ld->err[0] != '\0') {
		config_fault_add(ld->faults, "%s", ld->err);
		ld->faults->stopped = 1;
	}
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	return r;
}

/* A loader for err, with the section another module reads. */
static struct ld *
ld_new(char *err, size_t errlen, const char *section, config_section_fn fn,
    void *arg)
{
	struct ld *ld;

	if ((ld = calloc(1, sizeof(*ld))) == NULL) {
		err_set(err, errlen, "config: out of memory");
		return NULL;
	}
	ld->err = err;
	ld->errlen = errlen;
	ld->section = section;
	ld->section_fn = fn;
	ld->section_arg = arg;
	return ld;
}

int
config_load_buffer(struct config *cfg, const char *buf, size_t len,
    const char *name, char *err, size_t errlen)
{
	struct ld *ld;
	int r;

	if ((ld = ld_new(err, errlen, NULL, NULL, NULL)) == NULL)
		return -1;
	if (name == NULL)
		name = "config";
	if (buf == NULL)
		r = load(cfg, "", 0, name, name, ld);
	else
		r = load(cfg, buf, len, name, name, ld);
	free(ld);
	return r;
}

const char *
config_find(const char *path)
{
	struct stat st;
	size_t i;

	if (path != NULL || (path = env_get("DADNS_CONFIG")) != NULL)
		return path;
	for (i = 0; i < NELEM(search_path); i++)
		if (stat(search_path[i], &st) == 0)
			return search_path[i];
	return NULL;
}

/* Read the file at path, at most FILE_MAX bytes, into a malloc'd *bufp.
 * Returns 0, or -1 with a message naming path in err. */
static int
read_config(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (S_ISREG(st.st_mode) && st.st_size > FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc(FILE_MAX + 1)) == NULL)
		goto fail;
	for (;;) {
		n = read(fd, buf + len, FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > FILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	if (errno == EFBIG)
		err_set(err, errlen, "%s: larger than 1 MiB", path);
	else
		err_set_sys(err, errlen, "%s", path);
	if (fd != -1)
		close(fd);
	free(buf);
	return -1;
}

int
config_load_section(struct config *cfg, const char *path,
    const char *section, config_section_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct ld *ld;
	char *buf;
	size_t len;
	int r = -1;

	if ((ld = ld_new(err, errlen, section, fn, arg)) == NULL)
		return -1;
	if ((path = config_find(path)) == NULL)
		r = load(cfg, NULL, 0, NULL, NULL, ld);
	else if (read_config(path, &buf, &len, err, errlen) == 0) {
		r = load(cfg, buf, len, path, path, ld);
		explicit_bzero(buf, len);
		free(buf);
	}
	free(ld);
	return r;
}

int
config_check(struct config *cfg, const char *path, const char *section,
    config_section_fn fn, void *arg, struct config_faults *f)
{
	struct ld *ld;
	char err[512], *buf;
	size_t len;

	memset(f, 0, sizeof(*f));
	if ((ld = ld_new(err, sizeof(err), section, fn, arg)) == NULL) {
		config_fault_add(f, "%s", err);
		f->stopped = 1;
		return -1;
	}
	ld->faults = f;
	if ((path = config_find(path)) == NULL)
		(void)load(cfg, NULL, 0, NULL, NULL, ld);
	else if (read_config(path, &buf, &len, err, sizeof(err)) == 0) {
		(void)load(cfg, buf, len, path, path, ld);
		explicit_bzero(buf, len);
		free(buf);
	} else {
		config_fault_add(f, "%s", err);
		f->stopped = 1;
	}
	free(ld);
	return f->n > 0 ? -1 : 0;
}

int
config_where(const struct config_faults *f, const char *key,
    unsigned long *line, const char **env)
{
	size_t i;

	for (i = 0; i < f->nwhere; i++)
		if (strcmp(f->where[i].key, key) == 0) {
			*line = f->where[i].line;
			*env = f->where[i].env;
			return 1;
		}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	return config_load_section(cfg, path, NULL, NULL, NULL, err, errlen);
}

const char *
config_env(const char *key, char *name, size_t size)
{
	char dot[128];
	const char *v;
	size_t i, o;

	env_names(key, name, dot, size < sizeof(dot) ? size : sizeof(dot));
	if ((v = env_get(name)) != NULL)
		return v;
	/* The dotted form: the key upper-cased, its underscores kept. */
	o = (size_t)snprintf(dot, sizeof(dot), "DADNS.");
	for (i = 0; key[i] != '\0' && o + 1 < sizeof(dot); i++)
		dot[o++] = key[i] >= 'a' && key[i] <= 'z' ?
		    key[i] - 'a' + 'A' : key[i];
	dot[o] = '\0';
	if ((v = env_get(dot)) != NULL)
		snprintf(name, size, "%s", dot);
	return v;
}

int
config_node_kind(const struct config_node *cn)
{
	const struct node *n = (const struct node *)cn;

	return n->kind == N_MAP ? CONFIG_MAP : n->kind == N_SEQ ?
	    CONFIG_LIST : CONFIG_SCALAR;
}

unsigned long
config_node_line(const struct config_node *cn)
{
	return ((const struct node *)cn)->line;
}

const char *
config_node_text(const struct config_node *cn)
{
	const struct node *n = (const struct node *)cn;

	return n->kind == N_SCALAR ? n->val : "";
}

size_t
config_node_count(const struct config_node *cn)
{
	const struct node *n = (const struct node *)cn;

	return n->kind == N_MAP ? n->nkids / 2 : n->kind == N_SEQ ?
	    n->nkids : 0;
}

const struct config_node *
config_node_key(const struct config_node *cn, size_t i)
{
	return (const struct config_node *)
	    ((const struct node *)cn)->kids[2 * i];
}

const struct config_node *
config_node_value(const struct config_node *cn, size_t i)
{
	const struct node *n = (const struct node *)cn;

	return (const struct config_node *)(n->kind == N_MAP ?
	    n->kids[2 * i + 1] : n->kids[i]);
}

size_t
config_queues(const struct config *cfg, char *names[], size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->nbackends && n < max; i++)
		if (cfg->backends[i].enabled)
			names[n++] = (char *)cfg->backends[i].name;
	return n;
}

long
config_queues_only(const struct config *cfg, char *const only[],
    size_t nonly, char *names[], size_t max, const char **missing)
{
	size_t nq, i, j;

	nq = config_queues(cfg, names, max);
	if (nonly == 0)
		return (long)nq;
	for (i = 0; i < nonly; i++) {
		for (j = 0; j < nq; j++)
			if (strcmp(only[i], names[j]) == 0)
				break;
		if (j == nq) {
			*missing = only[i];
			return -1;
		}
	}
	for (i = 0; i < nonly && i < max; i++)
		names[i] = only[i];
	return (long)i;
}

const struct config_backend *
config_backend(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nbackends; i++)
		if (strcmp(cfg->backends[i].name, name) == 0)
			return &cfg->backends[i];
	return NULL;
}
