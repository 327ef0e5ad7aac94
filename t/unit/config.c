/* config.c -- test driver: load a configuration, print every key */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "log.h"

#define USAGE	"config [-c file | -i name] [-b backend]"
#define STDIN_MAX	(1 << 30)	/* past any configuration */

static const char *
tf(int b)
{
	return b ? "true" : "false";
}

static const char *
level(int l)
{
	switch (l) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARN:
		return "warning";
	default:
		return "error";
	}
}

static const char *
type(enum backend_type t)
{
	switch (t) {
	case BACKEND_NSD:
		return "nsd";
	case BACKEND_BIND:
		return "bind";
	case BACKEND_COREDNS_MYSQL:
		return "coredns_mysql";
	case BACKEND_KNOT:
		return "knot";
	}
	return "?";
}

static void
print(const struct config *c)
{
	const struct config_backend *b;
	const struct config_peer *p;
	const struct config_da_server *s;
	const struct config_secondary *sec;
	char *q[CONFIG_BACKENDS_MAX];
	size_t i, k, n;

	printf("path=%s\n", c->path);
	printf("log_level=%s\n", level(c->log_level));
	printf("queue_location=%s\n", c->queue_location);
	printf("datastore.db_location=%s\n", c->db_location);
	printf("metrics_dir=%s\n", c->metrics_dir);
	printf("app.auth_username=%s\n", c->app.auth_username);
	printf("app.auth_password=%s\n", c->app.auth_password);
	printf("app.listen_addr=%s\n", c->app.listen_addr);
	printf("app.listen_port=%u\n", c->app.listen_port);
	printf("app.ssl_enable=%s\n", tf(c->app.ssl_enable));
	printf("app.ssl_cert=%s\n", c->app.ssl_cert);
	printf("app.ssl_key=%s\n", c->app.ssl_key);
	printf("app.ssl_bundle=%s\n", c->app.ssl_bundle);
	printf("app.proxy_support=%s\n", tf(c->app.proxy_support));
	printf("app.check_subdomain_owner_in_cluster_domainowners=%s\n",
	    tf(c->app.check_subdomain_owner));
	printf("app.health_auth=%s\n", tf(c->app.health_auth));
	printf("app.max_body=%zu\n", c->app.max_body);
	printf("app.max_connections=%u\n", c->app.max_connections);
	printf("app.max_connections_per_ip=%u\n",
	    c->app.max_connections_per_ip);
	printf("app.request_timeout=%u\n", c->app.request_timeout);
	printf("app.metrics_username=%s\n", c->app.metrics_username);
	printf("app.metrics_password=%s\n", c->app.metrics_password);
	printf("peer_sync.enabled=%s\n", tf(c->peer_sync.enabled));
	printf("peer_sync.interval_minutes=%u\n",
	    c->peer_sync.interval_minutes);
	printf("peer_sync.auth_username=%s\n", c->peer_sync.auth_username);
	printf("peer_sync.auth_password=%s\n", c->peer_sync.auth_password);
	printf("peer_sync.npeers=%zu\n", c->peer_sync.npeers);
	for (i = 0; i < c->peer_sync.npeers; i++) {
		p = &c->peer_sync.peers[i];
		printf("peer_sync.peers[%zu].url=%s\n", i, p->url);
		printf("peer_sync.peers[%zu].username=%s\n", i, p->username);
		printf("peer_sync.peers[%zu].password=%s\n", i, p->password);
	}
	printf("reconciliation.enabled=%s\n", tf(c->reconciliation.enabled));
	printf("reconciliation.dry_run=%s\n", tf(c->reconciliation.dry_run));
	printf("reconciliation.interval_minutes=%u\n",
	    c->reconciliation.interval_minutes);
	printf("reconciliation.initial_delay_minutes=%u\n",
	    c->reconciliation.initial_delay_minutes);
	printf("reconciliation.verify_ssl=%s\n",
	    tf(c->reconciliation.verify_ssl));
	printf("reconciliation.ipp=%u\n", c->reconciliation.ipp);
	printf("reconciliation.nservers=%zu\n", c->reconciliation.nservers);
	for (i = 0; i < c->reconciliation.nservers; i++) {
		s = &c->reconciliation.servers[i];
		printf("reconciliation.directadmin_servers[%zu].name=%s\n", i,
		    s->name);
		printf("reconciliation.directadmin_servers[%zu].hostname=%s\n",
		    i, s->hostname);
		printf("reconciliation.directadmin_servers[%zu].port=%u\n", i,
		    s->port);
		printf("reconciliation.directadmin_servers[%zu].username=%s\n",
		    i, s->username);
		printf("reconciliation.directadmin_servers[%zu].password=%s\n",
		    i, s->password);
		printf("reconciliation.directadmin_servers[%zu].ssl=%s\n", i,
		    tf(s->ssl));
	}
	printf("dns.nbackends=%zu\n", c->nbackends);
	for (i = 0; i < c->nbackends; i++) {
		b = &c->backends[i];
#define BK(f, fmt, v)	printf("dns.backends.%s." f "=" fmt "\n", b->name, v)
		BK("type", "%s", type(b->type));
		BK("enabled", "%s", tf(b->enabled));
		BK("zones_dir", "%s", b->zones_dir);
		BK("nsd_conf", "%s", b->nsd_conf);
		BK("control_socket", "%s", b->control_socket);
		BK("nsd_main_conf", "%s", b->nsd_main_conf);
		BK("pattern", "%s", b->pattern);
		BK("verify", "%s", b->verify);
		BK("named_conf", "%s", b->named_conf);
		BK("rndc_conf", "%s", b->rndc_conf);
		BK("rndc_program", "%s", tf(b->rndc_program));
		BK("bulk_min", "%u", b->bulk_min);
		BK("knot_conf", "%s", b->knot_conf);
		BK("template", "%s", b->knot_template);
		BK("host", "%s", b->host);
		BK("port", "%u", b->port);
		BK("database", "%s", b->database);
		BK("username", "%s", b->username);
		BK("password", "%s", b->password);
		BK("table_name", "%s", b->table_name);
		BK("zones_table", "%s", b->zones_table);
		BK("socket", "%s", b->socket);
		BK("tls", "%s", tf(b->tls));
		BK("tls_verify", "%s", tf(b->tls_verify));
		BK("tls_ca", "%s", b->tls_ca);
		BK("tls_cert", "%s", b->tls_cert);
		BK("tls_key", "%s", b->tls_key);
		BK("catalog_zone", "%s", b->catalog_zone);
		BK("nsecondaries", "%zu", b->nsecondaries);
		for (k = 0; k < b->nsecondaries; k++) {
			sec = &b->secondaries[k];
#define SK(f, fmt, v)	printf("dns.backends.%s.secondaries[%zu]." f "=" \
			    fmt "\n", b->name, k, v)
			SK("address", "%s", sec->address);
			SK("addr", "%s", sec->addr);
			SK("port", "%u", sec->port);
			SK("tsig_key", "%s", sec->tsig_key);
			SK("tsig_algorithm", "%s", sec->tsig_algorithm);
			SK("tsig_secret", "%s", sec->tsig_secret);
#undef SK
		}
#undef BK
	}
	n = config_queues(c, q, CONFIG_BACKENDS_MAX);
	printf("queues=");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", q[i]);
	printf("\n");
	printf("nunknown=%zu\n", c->unknown.n);
	printf("unknown=%s\n", c->unknown.line[0]);
}

int
main(int argc, char *argv[])
{
	static struct config cfg;
	const struct config_backend *b;
	const char *file = NULL, *name = NULL, *backend = NULL;
	char err[1024], *buf = NULL;
	size_t len = 0;
	int c, r;

	log_init("config");
	while ((c = getopt(argc, argv, "b:c:hi:")) != -1) {
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'c':
			file = optarg;
			break;
		case 'i':
			name = optarg;
			break;
		case 'h':
			printf("usage: %s\n", USAGE);
			return 0;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc || (file != NULL && name != NULL))
		die_usage(USAGE);
	if (name != NULL) {
		/* -i: the text on stdin through config_load_buffer(). */
		if (io_read_all(0, STDIN_MAX, &buf, &len) == -1)
			die_sys(EXIT_TEMP, "unable to read stdin");
		r = config_load_buffer(&cfg, buf, len, name, err, sizeof(err));
		free(buf);
	} else
		r = config_load(&cfg, file, err, sizeof(err));
	if (r == -1)
		die(EXIT_USAGE, "%s", err);
	if (backend != NULL) {
		if ((b = config_backend(&cfg, backend)) == NULL)
			return EXIT_NO;
		printf("%s %s %s\n", b->name, type(b->type),
		    b->enabled ? "enabled" : "disabled");
		return 0;
	}
	print(&cfg);
	return 0;
}
