/* dadns-checkconf.c -- check a whole app.yml as every program would read it */
/* SPDX-License-Identifier: ISC */
#define USAGE "dadns-checkconf [-V] [-c app.yml]"

#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dnscheck.h"
#include "log.h"
#include "nsdconf.h"
#include "rndcconf.h"
#include "proxyconf.h"
#include "runner.h"
#include "version.h"
#include "vrrpconf.h"

#define BATCH_ENV_MAX	100000	/* the writers' $DADNS_BATCH_MAX */
#define BIND_UNSAFE	"\"\\;{}\n"	/* zone-write-bind's refusal */

static struct config_faults *faults;
static const char *file;	/* the app.yml read, or NULL */
static size_t nmore;		/* faults found here */

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V       print the version and exit\n"
	    "  -c FILE  app.yml to check (default: $DADNS_CONFIG or the usual"
	    " places)\n"
	    "Reads app.yml and the DADNS_* and VRRP_* variables as every"
	    " program does and\n"
	    "prints each fault on its own line, FILE:LINE: KEY: fault; exits"
	    " 0 when there\n"
	    "is none (printing nothing), 100 when there is one.\n", USAGE);
}

/* Whether the reading already found a fault in key: its value was
 * refused, so it is not missing too. */
static int
already(const char *key)
{
	char pat[160], var[160];
	size_t i, n;

	snprintf(pat, sizeof(pat), " %s: ", key);
	/* Or in its variable, DADNS_APP_AUTH_PASSWORD[_FILE]. */
	n = (size_t)snprintf(var, sizeof(var), "DADNS_%s", key);
	for (i = 6; i < n && i < sizeof(var); i++)
		var[i] = var[i] == '.' ? '_' :
		    (char)toupper((unsigned char)var[i]);
	for (i = 0; i < faults->n && i < CONFIG_FAULTS_MAX; i++)
		if (strstr(faults->line[i], pat) != NULL ||
		    (strncmp(faults->line[i], var, strlen(var)) == 0 &&
		    strchr(":_", faults->line[i][strlen(var)]) != NULL))
			return 1;
	return 0;
}

/*
 * One fault of key found here, printed where the key was set: "FILE:LINE:
 * KEY: msg" from the file, "VARIABLE: KEY: msg" from the environment, and
 * for a key set nowhere, at the line of its section ("FILE: KEY: msg" when
 * there is none).
 */
static void __attribute__((format(printf, 2, 3)))
fault(const char *key, const char *fmt, ...)
{
	char msg[512], part[128], *dot;
	unsigned long line = 0;
	const char *env = "";
	va_list ap;

	if (already(key))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(part, sizeof(part), "%s", key);
	while (!config_where(faults, part, &line, &env)) {
		line = 0;
		env = "";
		if ((dot = strrchr(part, '.')) == NULL)
			break;
		*dot = '\0';
	}
	if (*env != '\0')
		printf("%s: %s: %s\n", env, key, msg);
	else if (file != NULL && line > 0)
		printf("%s:%lu: %s: %s\n", file, line, key, msg);
	else if (file != NULL)
		printf("%s: %s: %s\n", file, key, msg);
	else
		printf("%s: %s\n", key, msg);
	nmore++;
}

/* The variable name when it is set and not empty, else NULL. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A file the program opens at start: it must open for reading. */
static void
readable(const char *key, const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fault(key, "%s: %s", path, strerror(errno));
		return;
	}
	close(fd);
}

/* Whether the file has the top-level section name. */
static int
has(const char *name)
{
	unsigned long line;
	const char *e;

	return config_where(faults, name, &line, &e);
}

/* da-receive: refuses to start without credentials, or with TLS whose
 * files it cannot read. */
static void
check_receive(const struct config *cfg)
{
	if (cfg->app.auth_password[0] == '\0')
		fault("app.auth_password", "missing: da-receive refuses to "
		    "start without a password (or DADNS_APP_AUTH_PASSWORD)");
	if (cfg->app.auth_username[0] == '\0')
		fault("app.auth_username", "must not be empty for da-receive");
	if (!cfg->app.ssl_enable)
		return;
	if (cfg->app.ssl_cert[0] != '\0')
		readable("app.ssl_cert", cfg->app.ssl_cert);
	if (cfg->app.ssl_key[0] != '\0')
		readable("app.ssl_key", cfg->app.ssl_key);
	if (cfg->app.ssl_bundle[0] != '\0')
		readable("app.ssl_bundle", cfg->app.ssl_bundle);
}

/* zone-write-nsd: an nsd_conf without server: (an include file) needs
 * a readable nsd_main_conf. */
static void
check_nsd_conf(const struct config_backend *b)
{
	char key[128], err[1024];

	if (b->control_socket[0] != '\0' ||
	    strcmp(b->nsd_conf, b->nsd_main_conf) == 0 ||
	    nsdconf_has_server(b->nsd_conf, err, sizeof(err)) != 0 ||
	    nsdconf_includes(b->nsd_main_conf, b->nsd_conf, err,
	    sizeof(err)) >= 0)
		return;
	snprintf(key, sizeof(key), "dns.backends.%s.nsd_main_conf", b->name);
	fault(key, "needed, as nsd_conf %s is an include file (no server: "
	    "clause): %s", b->nsd_conf, err);
}

/* zone-write-bind: an rndc_conf its control channel in-process cannot
 * read (it would run the rndc program instead). */
static void
check_rndc_conf(const struct config_backend *b)
{
	struct rndcconf rc;
	char key[128], err[1024];

	if (b->rndc_program || b->rndc_conf[0] == '\0')
		return;
	if (rndcconf_load(&rc, b->rndc_conf, err, sizeof(err)) == 0) {
		rndcconf_wipe(&rc);
		return;
	}
	snprintf(key, sizeof(key), "dns.backends.%s.rndc_conf", b->name);
	fault(key, "%s (zone-write-bind would run the rndc program instead; "
	    "rndc_program: true says so)", err);
}

/* The zone writers: what they refuse in a backend and in their own
 * variables. */
static void
check_writers(const struct config *cfg)
{
	unsigned sched[RUNNER_SCHEDULE_MAX];
	const struct config_backend *b;
	const char *v, *why;
	char key[128], *end;
	size_t i, n = 0;
	long l;

	for (i = 0; i < cfg->nbackends; i++) {
		b = &cfg->backends[i];
		if (!b->enabled)
			continue;
		n++;
		snprintf(key, sizeof(key), "dns.backends.%s.zones_dir",
		    b->name);
		if (b->type == BACKEND_BIND &&
		    strpbrk(b->zones_dir, BIND_UNSAFE) != NULL)
			fault(key, "must not contain \" \\ ; { } or a newline "
			    "(zone-write-bind writes it into named.conf)");
		if (b->type == BACKEND_NSD)
			check_nsd_conf(b);
		if (b->type == BACKEND_BIND)
			check_rndc_conf(b);
		snprintf(key, sizeof(key), "dns.backends.%s.knot_conf",
		    b->name);
		if (b->type == BACKEND_KNOT && b->knot_conf[0] != '/')
			fault(key, "must be an absolute path (knot.conf "
			    "includes it): %s", b->knot_conf);
	}
	if (n == 0)
		return;
	if ((v = env("DADNS_RETRY_SCHEDULE")) != NULL &&
	    runner_schedule_parse(v, sched, RUNNER_SCHEDULE_MAX, &why) < 0) {
		printf("DADNS_RETRY_SCHEDULE: invalid %s: %s\n", v, why);
		nmore++;
	}
	if ((v = env("DADNS_BATCH_MAX")) != NULL) {
		errno = 0;
		l = strtol(v, &end, 10);
		if (*end != '\0' || errno != 0 || l < 1 || l > BATCH_ENV_MAX) {
			printf("DADNS_BATCH_MAX: invalid %s: 1-%d expected\n",
			    v, BATCH_ENV_MAX);
			nmore++;
		}
	}
}

/* dns-proxy: the user it drops to must exist; metrics credentials come
 * in pairs, and metrics off loopback want some. */
static void
check_proxy(const struct proxyconf *pc)
{
	const struct guardconf *g = &pc->guard;
	const union netaddr_sa *m = &pc->metrics_sa;
	int loopback;

	if (pc->user[0] != '\0' && getpwnam(pc->user) == NULL)
		fault("dns_proxy.user", "no such user: %s", pc->user);
	if ((g->metrics_user[0] != '\0') != (g->metrics_password[0] != '\0'))
		fault("dns_proxy.metrics_user", "metrics_user and "
		    "metrics_password go together");
	loopback = m->sa.sa_family == AF_INET ?
	    (ntohl(m->sin.sin_addr.s_addr) >> 24) == 127 :
	    IN6_IS_ADDR_LOOPBACK(&m->sin6.sin6_addr);
	if (pc->metrics_listen[0] != '\0' && !loopback &&
	    g->metrics_token[0] == '\0' && g->metrics_user[0] == '\0')
		fault("dns_proxy.metrics_listen", "%s is not loopback: set "
		    "metrics_token or metrics_user and metrics_password",
		    pc->metrics_listen);
}

/* A VRRP_* number over the file's value (0: not in the file). Returns
 * the value, or -1 after a fault when the variable is not a number in
 * min..max. */
static long
vnum(const char *var, unsigned file_value, long min, long max)
{
	const char *v;
	char *end;
	long l;

	if ((v = env(var)) == NULL)
		return (long)file_value;
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || l < min || l > max) {
		printf("%s: invalid %s (want %ld-%ld)\n", var, v, min, max);
		nmore++;
		return -1;
	}
	return l;
}

/* A fault vrrpconf_check() found. */
static void
vrrp_fault(void *arg, const char *key, const char *msg)
{
	(void)arg;
	fault(key, "%s", msg);
}

/* vrrp-watch: the settings it refuses at start, with the VRRP_*
 * variables over the vrrp: section as it applies them. Options on its
 * command line are not known here. */
static void
check_vrrp(const struct config *cfg)
{
	const struct config_vrrp *f = &cfg->vrrp;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *iface, *vips, *ctype, *caddr, *cname;
	uint8_t q[DNSCHECK_MSG_MAX];
	long vrid, advert, version, interval, timeout;
	int type = 6, pass;

	iface = env("VRRP_INTERFACE") ? env("VRRP_INTERFACE") : f->interface;
	vips = env("VRRP_VIPS") ? env("VRRP_VIPS") : f->vips;
	vrid = vnum("VRRP_VRID", f->vrid, 1, 255);
	advert = vnum("VRRP_ADVERT", f->advert, 1, 4095);
	version = vnum("VRRP_VERSION", f->version, 2, 3);
	interval = vnum("VRRP_CHECK_INTERVAL", f->check_interval, 10, 600000);
	timeout = vnum("VRRP_CHECK_TIMEOUT", f->check_timeout, 1, 600000);
	pass = env("VRRP_AUTH_PASS") != NULL ||
	    env("VRRP_AUTH_PASS_FILE") != NULL || f->auth_pass[0] != '\0';
	/* With vrrp.instances, each instance needs them (vrrpconf). */
	vrrpconf_check(f, vrrp_fault, NULL);
	if (f->ninstances > 0)
		iface = vips = "-", vrid = vrid == 0 ? 1 : vrid;
	if (*iface == '\0')
		fault("vrrp.interface", "missing: vrrp-watch needs an interface"
		    " (or VRRP_INTERFACE, -i)");
	if (vrid == 0)
		fault("vrrp.vrid", "missing: vrrp-watch needs a VRID (or "
		    "VRRP_VRID, -r)");
	if (*vips == '\0')
		fault("vrrp.vips", "missing: vrrp-watch needs a virtual "
		    "address (or VRRP_VIPS, -V)");
	if (advert == 0)
		advert = 100;
	if (version == 0)
		version = 3;
	if (version == 2 && advert > 0 && (advert % 100 != 0 ||
	    advert > 25500))
		fault("vrrp.advert", "%ld cs: VRRPv2 counts whole seconds "
		    "(100, 200, ...)", advert);
	if (pass && version == 3)
		fault("vrrp.auth_pass", "a password needs VRRPv2 "
		    "(vrrp.version: 2)");
	ctype = env("VRRP_CHECK_TYPE") ? env("VRRP_CHECK_TYPE") :
	    f->check_type;
	if (*ctype != '\0' && (type = dnscheck_type(ctype)) < 0)
		fault("vrrp.check_type", "unknown type: %s", ctype);
	if (interval == 0)
		interval = 1000;
	if (timeout == 0)
		timeout = interval < 1000 ? interval : 1000;
	if (interval > 0 && timeout > interval)
		fault("vrrp.check_timeout", "%ld ms is longer than the "
		    "interval %ld ms", timeout, interval);
	caddr = env("VRRP_CHECK") ? env("VRRP_CHECK") : f->check;
	if (*caddr != '\0' && dnscheck_addr(caddr, &ss, &sslen) < 0)
		fault("vrrp.check", "invalid check address: %s", caddr);
	cname = env("VRRP_CHECK_NAME") ? env("VRRP_CHECK_NAME") :
	    f->check_name;
	if (*cname != '\0' && type > 0 &&
	    dnscheck_query(q, sizeof(q), 0, cname, (uint16_t)type) == 0)
		fault("vrrp.check_name", "invalid check name: %s", cname);
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct proxyconf *pc;
	const char *cpath = NULL;
	size_t i, n;
	int c, proxy, vrrp;

	log_init("dadns-checkconf");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("dadns-checkconf");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	opterr = 0;
	while ((c = getopt(argc, argv, "Vc:h")) != -1) {
		switch (c) {
		case 'V':
			version_exit("dadns-checkconf");
		case 'c':
			cpath = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (pc = calloc(1, sizeof(*pc))) == NULL ||
	    (faults = calloc(1, sizeof(*faults))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	file = config_find(cpath);
	proxy = proxyconf_check(file, cfg, pc, faults);
	for (i = 0; i < faults->n && i < CONFIG_FAULTS_MAX; i++)
		printf("%s\n", faults->line[i]);
	if (!faults->stopped) {
		vrrp = has("vrrp") || env("VRRP_INTERFACE") != NULL ||
		    env("VRRP_VRID") != NULL || env("VRRP_VIPS") != NULL;
		/* A frontend host's file (dns_proxy:, vrrp:) runs no
		 * receiver. */
		if (has("app") || has("dns") || has("datastore") ||
		    has("peer_sync") || has("reconciliation") ||
		    cfg->nbackends > 0 || (!proxy && !vrrp))
			check_receive(cfg);
		check_writers(cfg);
		if (proxy)
			check_proxy(pc);
		if (vrrp)
			check_vrrp(cfg);
	}
	proxyconf_free(pc);
	free(pc);
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	if (fflush(stdout) != 0)
		die_sys(EXIT_TEMP, "unable to write to stdout");
	n = faults->n + nmore;
	if (n > 0) {
		if (faults->n > CONFIG_FAULTS_MAX)
			log_warn("%zu more faults not shown",
			    faults->n - CONFIG_FAULTS_MAX);
		die(EXIT_USAGE, "%s: %zu fault%s", file != NULL ? file :
		    "environment", n, n > 1 ? "s" : "");
	}
	free(faults);
	return 0;
}
