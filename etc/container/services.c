/* services.c -- the container's service list: app.yml read as every dadns
 * program reads it, one line per service to start */
/* SPDX-License-Identifier: ISC */
#define USAGE "services [-c app.yml]"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/*
 * On stdout, one line per service the configuration asks for, words
 * separated by one space (paths with spaces are refused):
 *	listen ADDR PORT		da-receive's address ("" = any) and port
 *	nsd NAME ZONES_DIR NSD_CONF [CONTROL_SOCKET]
 *	bind NAME ZONES_DIR NAMED_CONF [RNDC_CONF]
 *	knot NAME ZONES_DIR CONTROL_SOCKET KNOT_CONF TEMPLATE
 *	secondaries NAME		before the nsd or bind line of a
 *					backend with secondaries
 *	coredns_mysql NAME
 *	peer-pull
 *	reconcile
 * Exit 0, or 100 with the configuration's fault on stderr.
 */
static void
word(const char *key, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			die(EXIT_USAGE, "%s has a blank: %s", key, s);
	printf(" %s", s);
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	const struct config_backend *b;
	const char *path = NULL;
	char err[1024];
	size_t i;
	int c;

	log_init("services");
	while ((c = getopt(argc, argv, "c:")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	if (config_load(&cfg, path, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);

	printf("listen %s %u\n", cfg.app.listen_addr[0] != '\0' ?
	    cfg.app.listen_addr : "\"\"", cfg.app.listen_port);
	for (i = 0; i < cfg.nbackends; i++) {
		b = &cfg.backends[i];
		if (!b->enabled)
			continue;
		if (b->nsecondaries > 0) {
			printf("secondaries");
			word("name", b->name);
			printf("\n");
		}
		switch (b->type) {
		case BACKEND_NSD:
			printf("nsd");
			word("name", b->name);
			word("zones_dir", b->zones_dir);
			word("nsd_conf", b->nsd_conf);
			if (b->control_socket[0] != '\0')
				word("control_socket", b->control_socket);
			break;
		case BACKEND_BIND:
			printf("bind");
			word("name", b->name);
			word("zones_dir", b->zones_dir);
			word("named_conf", b->named_conf);
			if (b->rndc_conf[0] != '\0')
				word("rndc_conf", b->rndc_conf);
			break;
		case BACKEND_KNOT:
			printf("knot");
			word("name", b->name);
			word("zones_dir", b->zones_dir);
			word("control_socket", b->control_socket);
			word("knot_conf", b->knot_conf);
			word("template", b->knot_template);
			break;
		case BACKEND_COREDNS_MYSQL:
			printf("coredns_mysql");
			word("name", b->name);
			break;
		}
		printf("\n");
	}
	if (cfg.peer_sync.enabled && cfg.peer_sync.npeers > 0)
		printf("peer-pull\n");
	if (cfg.reconciliation.enabled)
		printf("reconcile\n");
	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(EXIT_TEMP, "unable to write");
	return 0;
}
