/* vrrp-watch.c -- VRRPv3 speaker that holds VIPs while the local DNS answers */
/* SPDX-License-Identifier: ISC */
#define USAGE "vrrp-watch [-v] [-f app.yml] [-d fd] [-i iface] [-r vrid] " \
	"[-p priority] " \
	"[-a advert_cs] [-P] [-D preempt_delay_cs] [-V vip[/plen]]... " \
	"[-2] [-A password] [-c addr[:port]] [-N name] [-t type] " \
	"[-I interval_ms] [-W timeout_ms] [-F fall] [-R rise] [-x command] " \
	"[-n notify] [-s statusfile] run | check | status"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appconf.h"
#include "buf.h"
#include "config.h"
#include "ready.h"
#include "clock.h"
#include "dnscheck.h"
#include "io.h"
#include "log.h"
#include "netaddr.h"
#include "nlink.h"
#include "promfile.h"
#include "version.h"
#include "vrrp.h"
#include "vrrpconf.h"

#define GARP_REPEAT	5	/* keepalived's vrrp_garp_master_repeat */
#define GARP_DELAY_MS	5000	/* keepalived's vrrp_garp_master_delay */
#define STATUS_EVERY_MS	1000	/* refresh of the counters in the status file */
#define STATUS_DEFAULT	"/run/vrrp-watch.status"
#define INST_MAX	CONFIG_VRRP_INST_MAX
#define PEERS_MAX	CONFIG_VRRP_PEERS_MAX
#define HTTP_CLIENTS	4	/* metrics requests served at once */
#define HTTP_REQ_MAX	2048	/* bytes of one request's head */
#define HTTP_TIMEOUT_MS	2000	/* to send the request's head */

enum state { ST_INIT, ST_BACKUP, ST_MASTER, ST_FAULT, ST_STOP };
static const char *state_name[] = { "INIT", "BACKUP", "MASTER", "FAULT",
    "STOP" };

/* An address of either family, network order; IPv4 in a[0..3]. */
struct addr {
	int v6;
	uint8_t a[16];
};

struct vip {
	struct addr ip;
	int plen;
};

struct group;

/* One virtual router: its settings, then its state. */
struct inst {
	char name[64];
	const char *ifname;
	int vrid, prio, advert, preempt, preempt_delay, version;
	char pass[VRRP_PASS_LEN];
	int have_pass;
	struct vip vips[VRRP_ADDRS_MAX];
	int nvips;
	const char *check_addr, *check_name, *check_cmd;
	int check_type, check_interval, check_timeout, check_fall, check_rise;
	const char *notify, *notify_master, *notify_backup, *notify_fault;
	struct addr usrc;		/* unicast_src, if have_usrc */
	int have_usrc;
	struct addr peers[PEERS_MAX];	/* unicast_peers: none = multicast */
	int npeers;
	struct addr allow[PEERS_MAX];	/* allow_peers: none = any */
	int nallow;
	struct group *group;

	struct nlink *nl;
	int rfd, sfd;			/* raw VRRP receive and send sockets */
	struct addr src;		/* our advert source */
	struct vrrp_pkt want;		/* what valid adverts must carry */
	enum state state;
	int healthy;			/* -1 unknown until the first round */
	int want_master;		/* its Master_Down_Timer fired */
	long long adver_at, down_at, garp_at, backup_since;
	unsigned int master_adver;	/* learnt from the master, cs */
	struct addr master_ip;
	int have_master;
	uint16_t ipid;

	unsigned long long n_rx, n_tx, n_drop[VRRP_NERR], n_discard_lower;
	unsigned long long n_transitions, n_master, n_garp;
	unsigned long long n_check_ok, n_check_fail;
	long long changed_us, check_us;	/* wall time */
	int check_last;			/* -1 none yet, 0 failed, 1 ok */

	/* One health-check round: the DNS query and the command. */
	struct sockaddr_storage check_ss;
	socklen_t check_sslen;
	int dns_fd;
	uint8_t dns_q[DNSCHECK_MSG_MAX];
	size_t dns_qlen;
	int dns_done, dns_ok, cmd_done, cmd_ok;
	pid_t cmd_pid;
	long long round_deadline, round_next;
	int run_ok, run_fail;
	char check_why[128];
	/* An idle TCP connection to the DNS server: when the server dies
	 * the kernel closes it at once and a round starts then; probes
	 * follow (see watch_probe). */
	int watch_fd, watch_up, watch_probes;
	long long watch_retry_at, watch_probe_at;
};

/* A sync group: its instances change state together. */
struct group {
	char name[64];
	struct inst *m[INST_MAX];
	int n;
	const char *notify, *notify_master, *notify_backup, *notify_fault;
	enum state state;
};

/* A metrics request being read. */
struct client {
	int fd;
	long long deadline;
	size_t len;
	char buf[HTTP_REQ_MAX + 1];
};

static struct inst def;		/* the defaults: file, VRRP_*, options */
static struct inst *insts[INST_MAX];
static int ninsts;
static struct group groups[CONFIG_VRRP_GROUPS_MAX];
static int ngroups;
static int multi;		/* from vrrp.instances */
static const char *status_path = STATUS_DEFAULT;
static int ready_fd = -1;
static const char *metrics_dir;	/* per-instance textfiles, "" = none */
static const char *metrics_file;	/* one textfile, "" = none */
static const char *metrics_listen;	/* ADDR:PORT, "" = none */
static int http_fd = -1;
static struct client clients[HTTP_CLIENTS];
static int sigpipe[2] = { -1, -1 };
static int status_dirty;
static long long status_at;

static void round_maybe_end(struct inst *);
static void to_fault(struct inst *, const char *);
static void to_backup(struct inst *, const char *);
static void to_master(struct inst *, const char *);

static void
help(void)
{
	printf("usage: %s\n"
	    "  run      hold the VIPs by VRRP while healthy\n"
	    "  check    ask the DNS check once; exit 0 healthy, 1 not\n"
	    "  status   print every instance's status; exit 0 when all are"
	    " master\n"
	    "  --version     print the version and exit (-V is a VIP here)\n"
	    "  -v            debug logging\n"
	    "  -f FILE       app.yml with a vrrp: section; default"
	    " $DADNS_CONFIG, else the usual places\n"
	    "  -d FD         write a newline to FD when ready (s6)\n"
	    "  -i IFACE      interface ($VRRP_INTERFACE)\n"
	    "  -r VRID       virtual router id 1-255 ($VRRP_VRID)\n"
	    "  -p PRIO       priority 1-255, 255 = address owner; default 100"
	    " ($VRRP_PRIORITY)\n"
	    "  -a CS         advert interval in centiseconds; default 100"
	    " ($VRRP_ADVERT)\n"
	    "  -P            do not preempt a lower-priority master"
	    " ($VRRP_PREEMPT=0)\n"
	    "  -D CS         preempt delay in centiseconds"
	    " ($VRRP_PREEMPT_DELAY)\n"
	    "  -V VIP[/LEN]  virtual address (IPv4 or IPv6), repeatable;"
	    " default /32, /128 ($VRRP_VIPS)\n"
	    "  -2            speak VRRPv2 instead of v3 ($VRRP_VERSION)\n"
	    "  -A PASS       VRRPv2 PASS authentication ($VRRP_AUTH_PASS,"
	    " $VRRP_AUTH_PASS_FILE)\n"
	    "  -c ADDR:PORT  DNS check target; default 127.0.0.1:53 for check"
	    " ($VRRP_CHECK)\n"
	    "  -N NAME       name asked; default . ($VRRP_CHECK_NAME)\n"
	    "  -t TYPE       type asked; default SOA ($VRRP_CHECK_TYPE)\n"
	    "  -I MS         check interval; default 1000"
	    " ($VRRP_CHECK_INTERVAL)\n"
	    "  -W MS         check timeout; default min(interval, 1000)"
	    " ($VRRP_CHECK_TIMEOUT)\n"
	    "  -F N          failed rounds before unhealthy; default 1"
	    " ($VRRP_CHECK_FALL)\n"
	    "  -R N          good rounds before healthy again; default 1"
	    " ($VRRP_CHECK_RISE)\n"
	    "  -x CMD        check command, healthy when it exits 0"
	    " ($VRRP_CHECK_CMD)\n"
	    "  -n CMD        run CMD INSTANCE NAME STATE PRIORITY on each"
	    " change, as keepalived's notify ($VRRP_NOTIFY)\n"
	    "  -s FILE       status file; default " STATUS_DEFAULT
	    " ($VRRP_STATUS)\n", USAGE);
}

/* ------------------------------------------------------------ settings */

static long
num(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
		die(EXIT_USAGE, "invalid %s: %s (want %ld-%ld)", what, s, min,
		    max);
	return v;
}

static void
set_pass(struct inst *in, const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		die(EXIT_USAGE, "invalid password: empty");
	if (n > VRRP_PASS_LEN)
		log_warn("password longer than %d bytes: only the first %d are"
		    " used, as keepalived does", VRRP_PASS_LEN, VRRP_PASS_LEN);
	memset(in->pass, 0, sizeof(in->pass));
	memcpy(in->pass, s, n > VRRP_PASS_LEN ? VRRP_PASS_LEN : n);
	in->have_pass = 1;
}

/* A numeric IPv4 or IPv6 address. Returns 0, or -1. */
static int
parse_addr(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		return 0;
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->v6 = 1;
		return 0;
	}
	return -1;
}

static int
addr_eq(const struct addr *x, const struct addr *y)
{
	return x->v6 == y->v6 && memcmp(x->a, y->a, x->v6 ? 16 : 4) == 0;
}

static const char *
addr_str(const struct addr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int k;

	k = (k + 1) % 4;
	inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->a, buf[k], sizeof(buf[k]));
	return buf[k];
}

static void
add_vip(struct inst *in, const char *s)
{
	char buf[64], *slash;
	struct addr a;
	int plen, i;

	if (strlen(s) >= sizeof(buf))
		die(EXIT_USAGE, "invalid VIP: %s", s);
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (parse_addr(buf, &a) < 0)
		die(EXIT_USAGE, "invalid VIP: %s", s);
	plen = a.v6 ? 128 : 32;
	if (slash != NULL)
		plen = (int)num("VIP prefix length", slash + 1, 1, plen);
	if (a.v6 ? IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)a.a) ||
	    IN6_IS_ADDR_MULTICAST((struct in6_addr *)a.a) :
	    (a.a[0] == 0 && a.a[1] == 0 && a.a[2] == 0 && a.a[3] == 0) ||
	    (a.a[0] & 0xf0) == 0xe0)
		die(EXIT_USAGE, "invalid VIP: %s", s);
	for (i = 0; i < in->nvips; i++) {
		if (addr_eq(&in->vips[i].ip, &a))
			die(EXIT_USAGE, "duplicate VIP: %s", s);
		if (in->vips[i].ip.v6 != a.v6)
			die(EXIT_USAGE, "VIPs mix IPv4 and IPv6: %s", s);
	}
	if (in->nvips == VRRP_ADDRS_MAX)
		die(EXIT_USAGE, "too many VIPs (at most %d)", VRRP_ADDRS_MAX);
	in->vips[in->nvips].ip = a;
	in->vips[in->nvips].plen = plen;
	in->nvips++;
}

static void
add_vip_list(struct inst *in, const char *list)
{
	char buf[2048], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		die(EXIT_USAGE, "invalid VIP list: too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, " ,\t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t\n", &save))
		add_vip(in, tok);
}

/* Addresses separated by spaces into a[], at most PEERS_MAX. */
static int
addr_list(const char *what, const char *list, struct addr *a)
{
	char buf[2048], *tok, *save;
	int n = 0;

	if (strlen(list) >= sizeof(buf))
		die(EXIT_USAGE, "invalid %s: too long", what);
	strcpy(buf, list);
	for (tok = strtok_r(buf, " ,\t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t\n", &save)) {
		if (n == PEERS_MAX)
			die(EXIT_USAGE, "too many %s (at most %d)", what,
			    PEERS_MAX);
		if (parse_addr(tok, &a[n]) < 0)
			die(EXIT_USAGE, "invalid %s: %s", what, tok);
		n++;
	}
	return n;
}

#define SETS(f, m)	do { if ((f)->m[0] != '\0') in->m = (f)->m; } while (0)
#define SETN(f, m)	do { if ((f)->m != 0) in->m = (int)(f)->m; } while (0)

/* The keys an instance and the vrrp: section share, from f (a struct
 * config_vrrp or config_vrrp_instance): what it sets replaces what in
 * has (config.h: 0, "" and a preempt of -1 are "not set"). */
#define READ_KEYS(f) do { \
	if ((f)->interface[0] != '\0') \
		in->ifname = (f)->interface; \
	SETN(f, vrid); \
	if ((f)->priority != 0) \
		in->prio = (int)(f)->priority; \
	SETN(f, advert); \
	if ((f)->preempt != -1) \
		in->preempt = (f)->preempt; \
	SETN(f, preempt_delay); \
	SETN(f, version); \
	if ((f)->auth_pass[0] != '\0') \
		set_pass(in, (f)->auth_pass); \
	if ((f)->vips[0] != '\0') { \
		in->nvips = 0; \
		add_vip_list(in, (f)->vips); \
	} \
	if ((f)->check[0] != '\0') \
		in->check_addr = (f)->check; \
	SETS(f, check_name); \
	if ((f)->check_type[0] != '\0' && \
	    (in->check_type = dnscheck_type((f)->check_type)) < 0) \
		die(EXIT_USAGE, "invalid %scheck_type: %s", pfx, \
		    (f)->check_type); \
	SETN(f, check_interval); \
	SETN(f, check_timeout); \
	SETN(f, check_fall); \
	SETN(f, check_rise); \
	SETS(f, check_cmd); \
	SETS(f, notify); \
	SETS(f, notify_master); \
	SETS(f, notify_backup); \
	SETS(f, notify_fault); \
	if ((f)->unicast_src[0] != '\0') { \
		if (parse_addr((f)->unicast_src, &in->usrc) < 0) \
			die(EXIT_USAGE, "invalid %sunicast_src: %s", pfx, \
			    (f)->unicast_src); \
		in->have_usrc = 1; \
	} \
	if ((f)->unicast_peers[0] != '\0') \
		in->npeers = addr_list("unicast_peers", \
		    (f)->unicast_peers, in->peers); \
	if ((f)->allow_peers[0] != '\0') \
		in->nallow = addr_list("allow_peers", (f)->allow_peers, \
		    in->allow); \
} while (0)

static void
read_file(struct inst *in, const struct config_vrrp *f)
{
	const char *pfx = "vrrp.";

	READ_KEYS(f);
	if (f->status[0] != '\0')
		status_path = f->status;
	metrics_file = f->metrics_file;
	metrics_listen = f->metrics_listen;
}

static void
read_instance(struct inst *in, const struct config_vrrp_instance *f)
{
	char pfx[64];

	snprintf(pfx, sizeof(pfx), "vrrp.instances[%d].", ninsts - 1);
	snprintf(in->name, sizeof(in->name), "%s", f->name);
	READ_KEYS(f);
}

static void
read_env(struct inst *in)
{
	const char *v;
	char *buf;
	size_t len;

	if ((v = getenv("VRRP_INTERFACE")) != NULL && *v)
		in->ifname = v;
	if ((v = getenv("VRRP_VRID")) != NULL && *v)
		in->vrid = (int)num("$VRRP_VRID", v, 1, 255);
	if ((v = getenv("VRRP_PRIORITY")) != NULL && *v)
		in->prio = (int)num("$VRRP_PRIORITY", v, 1, 255);
	if ((v = getenv("VRRP_ADVERT")) != NULL && *v)
		in->advert = (int)num("$VRRP_ADVERT", v, 1, 4095);
	if ((v = getenv("VRRP_PREEMPT")) != NULL && *v)
		in->preempt = (int)num("$VRRP_PREEMPT", v, 0, 1);
	if ((v = getenv("VRRP_PREEMPT_DELAY")) != NULL && *v)
		in->preempt_delay = (int)num("$VRRP_PREEMPT_DELAY", v, 0,
		    100000);
	if ((v = getenv("VRRP_VERSION")) != NULL && *v)
		in->version = (int)num("$VRRP_VERSION", v, 2, 3);
	if ((v = getenv("VRRP_AUTH_PASS_FILE")) != NULL && *v) {
		if (io_read_file(AT_FDCWD, v, 4096, &buf, &len) < 0)
			die_sys(EXIT_USAGE, "unable to read"
			    " $VRRP_AUTH_PASS_FILE %s", v);
		buf[strcspn(buf, "\r\n")] = '\0';
		set_pass(in, buf);
		free(buf);
	}
	if ((v = getenv("VRRP_AUTH_PASS")) != NULL && *v)
		set_pass(in, v);
	if ((v = getenv("VRRP_VIPS")) != NULL && *v) {
		/* The variable replaces the file's list. */
		in->nvips = 0;
		add_vip_list(in, v);
	}
	if ((v = getenv("VRRP_CHECK")) != NULL && *v)
		in->check_addr = v;
	if ((v = getenv("VRRP_CHECK_NAME")) != NULL && *v)
		in->check_name = v;
	if ((v = getenv("VRRP_CHECK_TYPE")) != NULL && *v)
		if ((in->check_type = dnscheck_type(v)) < 0)
			die(EXIT_USAGE, "invalid $VRRP_CHECK_TYPE: %s", v);
	if ((v = getenv("VRRP_CHECK_INTERVAL")) != NULL && *v)
		in->check_interval = (int)num("$VRRP_CHECK_INTERVAL", v, 10,
		    600000);
	if ((v = getenv("VRRP_CHECK_TIMEOUT")) != NULL && *v)
		in->check_timeout = (int)num("$VRRP_CHECK_TIMEOUT", v, 1,
		    600000);
	if ((v = getenv("VRRP_CHECK_FALL")) != NULL && *v)
		in->check_fall = (int)num("$VRRP_CHECK_FALL", v, 1, 1000);
	if ((v = getenv("VRRP_CHECK_RISE")) != NULL && *v)
		in->check_rise = (int)num("$VRRP_CHECK_RISE", v, 1, 1000);
	if ((v = getenv("VRRP_CHECK_CMD")) != NULL && *v)
		in->check_cmd = v;
	if ((v = getenv("VRRP_NOTIFY")) != NULL && *v)
		in->notify = v;
	if ((v = getenv("VRRP_STATUS")) != NULL && *v)
		status_path = v;
}

/* ------------------------------------------------------------ helpers */

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int e = errno;

	(void)write(sigpipe[1], &c, 1);
	errno = e;
}

static void
catch(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		die_sys(EXIT_TEMP, "unable to catch signal %d", sig);
}

static void
reset_signals_in_child(void)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

static int
checks_configured(const struct inst *in)
{
	return in->check_addr != NULL || in->check_cmd != NULL;
}

/* ------------------------------------------------------------ status */

/* Instance i when only is NULL or i, with its labels in lab. */
static const struct inst *
pick(int i, const struct inst *only, char *lab, size_t size)
{
	char one[PROMFILE_LABEL_MAX], two[PROMFILE_LABEL_MAX];
	const struct inst *in = insts[i];

	if (only != NULL && in != only)
		return NULL;
	snprintf(lab, size, "%s,%s,vrid=\"%d\"", promfile_label(one,
	    sizeof(one), "instance", in->name), promfile_label(two,
	    sizeof(two), "interface", in->ifname), in->vrid);
	return in;
}

/* The Prometheus text of instance only, or of every instance and sync
 * group (only NULL). */
static void
metrics_text(struct buf *b, const struct inst *only)
{
	static const char *st[] = { "init", "backup", "master", "fault",
	    "stop" };
	char lab[3 * PROMFILE_LABEL_MAX + 32], one[PROMFILE_LABEL_MAX];
	char l[sizeof(lab) + 64];
	const struct inst *in;
	int i, k, s, first;

#define EACH for (i = 0; i < ninsts; i++) \
	if ((in = pick(i, only, lab, sizeof(lab))) != NULL)
	promfile_head(b, "dadns_vrrp_state", "gauge", "1 for the state the"
	    " instance is in.");
	EACH for (s = ST_INIT; s <= ST_STOP; s++) {
		snprintf(l, sizeof(l), "%s,state=\"%s\"", lab, st[s]);
		promfile_uint(b, "dadns_vrrp_state", l, in->state ==
		    (enum state)s);
	}
	promfile_head(b, "dadns_vrrp_priority", "gauge", "The configured"
	    " priority.");
	EACH promfile_uint(b, "dadns_vrrp_priority", lab,
	    (unsigned long long)in->prio);
	promfile_head(b, "dadns_vrrp_transitions_total", "counter",
	    "State changes since start.");
	EACH promfile_uint(b, "dadns_vrrp_transitions_total", lab,
	    in->n_transitions);
	promfile_head(b, "dadns_vrrp_became_master_total", "counter",
	    "Changes to master since start.");
	EACH promfile_uint(b, "dadns_vrrp_became_master_total", lab,
	    in->n_master);
	promfile_head(b, "dadns_vrrp_healthy", "gauge", "1 while the"
	    " health check passes (or none is configured).");
	EACH promfile_uint(b, "dadns_vrrp_healthy", lab, in->healthy != 0);
	promfile_head(b, "dadns_vrrp_state_changed_timestamp_seconds",
	    "gauge", "When the state last changed.");
	EACH promfile_num(b, "dadns_vrrp_state_changed_timestamp_seconds",
	    lab, in->changed_us / 1e6);
	promfile_head(b, "dadns_vrrp_adverts_total", "counter",
	    "Adverts received (valid) and sent.");
	EACH {
		snprintf(l, sizeof(l), "%s,direction=\"rx\"", lab);
		promfile_uint(b, "dadns_vrrp_adverts_total", l, in->n_rx);
		snprintf(l, sizeof(l), "%s,direction=\"tx\"", lab);
		promfile_uint(b, "dadns_vrrp_adverts_total", l, in->n_tx);
	}
	promfile_head(b, "dadns_vrrp_adverts_dropped_total", "counter",
	    "Adverts received and dropped, by reason.");
	EACH for (k = 1; k < VRRP_NERR; k++) {
		snprintf(l, sizeof(l), "%s,reason=\"%s\"", lab,
		    vrrp_err_name((enum vrrp_err)k));
		promfile_uint(b, "dadns_vrrp_adverts_dropped_total", l,
		    in->n_drop[k]);
	}
	promfile_head(b, "dadns_vrrp_lower_priority_discarded_total",
	    "counter", "Lower-priority adverts a preempting backup ignored.");
	EACH promfile_uint(b, "dadns_vrrp_lower_priority_discarded_total",
	    lab, in->n_discard_lower);
	promfile_head(b, "dadns_vrrp_checks_total", "counter",
	    "Health-check rounds, by result.");
	EACH {
		snprintf(l, sizeof(l), "%s,result=\"ok\"", lab);
		promfile_uint(b, "dadns_vrrp_checks_total", l, in->n_check_ok);
		snprintf(l, sizeof(l), "%s,result=\"fail\"", lab);
		promfile_uint(b, "dadns_vrrp_checks_total", l,
		    in->n_check_fail);
	}
	promfile_head(b, "dadns_vrrp_check_last_ok", "gauge", "1 when the"
	    " last check round passed, 0 when it failed (absent before the"
	    " first).");
	EACH if (in->check_last >= 0)
		promfile_uint(b, "dadns_vrrp_check_last_ok", lab,
		    (unsigned long long)in->check_last);
	promfile_head(b, "dadns_vrrp_check_last_timestamp_seconds", "gauge",
	    "When the last check round ended.");
	EACH if (in->check_last >= 0)
		promfile_num(b, "dadns_vrrp_check_last_timestamp_seconds", lab,
		    in->check_us / 1e6);
#undef EACH
	if (only != NULL || ngroups == 0)
		return;
	first = 1;
	for (i = 0; i < ngroups; i++) {
		if (first)
			promfile_head(b, "dadns_vrrp_sync_group_state",
			    "gauge", "1 for the state the sync group is in.");
		first = 0;
		for (s = ST_INIT; s <= ST_STOP; s++) {
			snprintf(l, sizeof(l), "%s,state=\"%s\"",
			    promfile_label(one, sizeof(one), "group",
			    groups[i].name), st[s]);
			promfile_uint(b, "dadns_vrrp_sync_group_state", l,
			    groups[i].state == (enum state)s);
		}
	}
}

/* Replace path (which ends in .prom) with b's text, as promfile_write()
 * does for a directory and a name. */
static int
write_prom_path(const char *path, const struct buf *b)
{
	char dir[CONFIG_PATH_MAX], name[256];
	const char *slash = strrchr(path, '/');
	size_t dl, nl;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		slash = path - 1;
	} else {
		dl = (size_t)(slash - path);
		if (dl == 0)
			dl = 1;
		if (dl >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, dl);
		dir[dl] = '\0';
	}
	nl = strlen(slash + 1);
	if (nl <= 5 || nl - 5 >= sizeof(name) ||
	    strcmp(slash + 1 + nl - 5, ".prom") != 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(name, slash + 1, nl - 5);
	name[nl - 5] = '\0';
	return promfile_write(dir, name, b);
}

/* The textfiles: on a change of state at once, else at most once a
 * second (write_status() decides). */
static void
write_metrics(void)
{
	static int failing;
	struct buf b = { 0 };
	char name[128];
	int i, bad = 0;

	if (metrics_dir != NULL && *metrics_dir != '\0') {
		for (i = 0; i < ninsts; i++) {
			buf_clear(&b);
			metrics_text(&b, insts[i]);
			snprintf(name, sizeof(name), "dadns-vrrp-%s-%d",
			    insts[i]->ifname, insts[i]->vrid);
			if (promfile_write(metrics_dir, name, &b) < 0) {
				if (!failing)
					log_warn_sys("unable to write the"
					    " metrics file %s/%s.prom",
					    metrics_dir, name);
				bad = 1;
			}
		}
	}
	if (metrics_file != NULL && *metrics_file != '\0') {
		buf_clear(&b);
		metrics_text(&b, NULL);
		if (write_prom_path(metrics_file, &b) < 0) {
			if (!failing)
				log_warn_sys("unable to write the metrics file"
				    " %s", metrics_file);
			bad = 1;
		}
	}
	failing = bad;
	buf_free(&b);
}

/* One instance's block of the status file. */
static void
status_block(struct buf *b, const struct inst *in)
{
	int i;

	buf_printf(b, "state=%s\n", state_name[in->state]);
	buf_printf(b, "pid=%ld\n", (long)getpid());
	buf_printf(b, "instance=%s\n", in->name);
	buf_printf(b, "group=%s\n", in->group != NULL ? in->group->name : "");
	buf_printf(b, "interface=%s\nvrid=%d\nversion=%d\nfamily=%s\n"
	    "priority=%d\n", in->ifname, in->vrid, in->version,
	    in->want.v6 ? "inet6" : "inet", in->prio);
	buf_printf(b, "advert_cs=%d\nmaster_advert_cs=%u\npreempt=%d\n"
	    "preempt_delay_cs=%d\n", in->advert, in->master_adver,
	    in->preempt, in->preempt_delay);
	buf_printf(b, "primary=%s\nmaster=%s\n", addr_str(&in->src),
	    in->have_master ? addr_str(&in->master_ip) : "");
	buf_adds(b, "vips=");
	for (i = 0; i < in->nvips; i++)
		buf_printf(b, "%s%s/%d", i ? " " : "",
		    addr_str(&in->vips[i].ip), in->vips[i].plen);
	buf_adds(b, "\nunicast_peers=");
	for (i = 0; i < in->npeers; i++)
		buf_printf(b, "%s%s", i ? " " : "", addr_str(&in->peers[i]));
	buf_adds(b, "\nallow_peers=");
	for (i = 0; i < in->nallow; i++)
		buf_printf(b, "%s%s", i ? " " : "", addr_str(&in->allow[i]));
	buf_printf(b, "\nhealthy=%s\n", in->healthy < 0 ? "unknown" :
	    in->healthy ? "yes" : "no");
	buf_printf(b, "changed_us=%lld\ntransitions=%llu\nbecame_master=%llu\n",
	    in->changed_us, in->n_transitions, in->n_master);
	buf_printf(b, "rx_adverts=%llu\ntx_adverts=%llu\ngarp_sent=%llu\n",
	    in->n_rx, in->n_tx, in->n_garp);
	buf_printf(b, "rx_lower_priority_discarded=%llu\n",
	    in->n_discard_lower);
	for (i = 1; i < VRRP_NERR; i++)
		buf_printf(b, "rx_dropped_%s=%llu\n",
		    vrrp_err_name((enum vrrp_err)i), in->n_drop[i]);
	buf_printf(b, "check_ok=%llu\ncheck_fail=%llu\n", in->n_check_ok,
	    in->n_check_fail);
	buf_printf(b, "check_last=%s\ncheck_last_us=%lld\n",
	    in->check_last < 0 ? "none" : in->check_last ? "ok" : "fail",
	    in->check_us);
}

static void
write_status(void)
{
	struct buf b = { 0 };
	char tmp[4096];
	int fd, i, e;

	write_metrics();
	status_dirty = 0;
	status_at = clock_ms() + STATUS_EVERY_MS;
	if (*status_path == '\0')
		return;
	/* One block per instance, separated by an empty line. */
	for (i = 0; i < ninsts; i++) {
		if (i > 0)
			buf_adds(&b, "\n");
		status_block(&b, insts[i]);
	}
	if (b.p == NULL ||
	    io_fmt(tmp, sizeof(tmp), "%s.tmp", status_path) < 0) {
		buf_free(&b);
		return;
	}
	/* Not fsync'd: the file describes this process, which a reboot ends
	 * anyway; rename keeps readers from seeing half a file. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || io_write_all(fd, b.p, b.len) < 0 || close(fd) < 0 ||
	    rename(tmp, status_path) < 0) {
		e = errno;
		if (fd >= 0)
			unlink(tmp);
		errno = e;
		log_warn_sys("unable to write status file %s", status_path);
	}
	buf_free(&b);
}

/* ------------------------------------------------------------ notify */

/* Run cmd through the shell with args appended ("$@"), as keepalived runs
 * notify scripts; env names the change for scripts that read it. */
static void
spawn(const char *cmd, const char *const *args, int nargs,
    const char *inst, enum state to, enum state from)
{
	char *script;
	const char *argv[10];
	size_t n;
	pid_t pid;
	int i, k = 0;

	n = strlen(cmd) + sizeof(" \"$@\"");
	if ((script = malloc(n)) == NULL) {
		log_warn_sys("unable to run notify command");
		return;
	}
	snprintf(script, n, nargs > 0 ? "%s \"$@\"" : "%s", cmd);
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = script;
	argv[k++] = "vrrp-watch";
	for (i = 0; i < nargs && k < 9; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	pid = fork();
	if (pid < 0) {
		log_warn_sys("unable to fork notify command");
	} else if (pid == 0) {
		reset_signals_in_child();
		setenv("VRRP_STATE", state_name[to], 1);
		setenv("VRRP_PREV_STATE", state_name[from], 1);
		setenv("VRRP_INSTANCE", inst, 1);
		execv("/bin/sh", (char *const *)argv);
		_exit(127);
	}
	free(script);
}

/* keepalived's order: the notify_STATE command, then the notify script
 * with TYPE NAME STATE PRIORITY. */
static void
notify(const char *type, const char *name, const char *per_state,
    const char *generic, int prio, enum state to, enum state from)
{
	const char *args[4];
	char p[16];

	if (per_state != NULL && *per_state != '\0')
		spawn(per_state, NULL, 0, name, to, from);
	if (generic == NULL || *generic == '\0')
		return;
	snprintf(p, sizeof(p), "%d", prio);
	args[0] = type;
	args[1] = name;
	args[2] = state_name[to];
	args[3] = p;
	spawn(generic, args, 4, name, to, from);
}

static const char *
per_state(enum state to, const char *m, const char *b, const char *f)
{
	return to == ST_MASTER ? m : to == ST_BACKUP ? b : to == ST_FAULT ?
	    f : NULL;
}

static void
notify_instance(const struct inst *in, enum state to, enum state from)
{
	notify("INSTANCE", in->name, per_state(to, in->notify_master,
	    in->notify_backup, in->notify_fault), in->notify, in->prio, to,
	    from);
}

static void
group_set(struct group *g, enum state to, const char *why)
{
	enum state from = g->state;

	if (from == to)
		return;
	g->state = to;
	log_info("sync group %s state %s from=%s why=%s", g->name,
	    state_name[to], state_name[from], why);
	/* keepalived passes priority 0 for a group. */
	notify("GROUP", g->name, per_state(to, g->notify_master,
	    g->notify_backup, g->notify_fault), g->notify, 0, to, from);
}

/* ------------------------------------------------------------ actions */

static void
send_advert(struct inst *in, int priority)
{
	uint8_t buf[VRRP_PKT_MAX + VRRP_MSG6_MAX];
	struct sockaddr_in to;
	struct sockaddr_in6 to6;
	struct vrrp_pkt p = in->want;
	struct addr dst;
	size_t len;
	int i, n, ok = 0;

	p.prio = (uint8_t)priority;
	p.adver = (unsigned int)in->advert;
	n = in->npeers > 0 ? in->npeers : 1;
	for (i = 0; i < n; i++) {
		if (in->npeers > 0)
			dst = in->peers[i];
		else if (in->want.v6) {
			dst.v6 = 1;
			inet_pton(AF_INET6, VRRP_GROUP6, dst.a);
		} else {
			uint32_t g = htonl(VRRP_GROUP);

			dst.v6 = 0;
			memcpy(dst.a, &g, 4);
		}
		if (in->want.v6) {
			len = vrrp_build6(buf, sizeof(buf), &p, in->src.a,
			    dst.a);
			memset(&to6, 0, sizeof(to6));
			to6.sin6_family = AF_INET6;
			memcpy(&to6.sin6_addr, dst.a, 16);
			if (IN6_IS_ADDR_LINKLOCAL(&to6.sin6_addr) ||
			    IN6_IS_ADDR_MC_LINKLOCAL(&to6.sin6_addr))
				to6.sin6_scope_id =
				    (uint32_t)nlink_ifindex(in->nl);
			if (len > 0 && sendto(in->sfd, buf, len, 0,
			    (struct sockaddr *)&to6, sizeof(to6)) < 0)
				len = 0;
		} else {
			uint32_t s4, d4;

			memcpy(&s4, in->src.a, 4);
			memcpy(&d4, dst.a, 4);
			len = vrrp_build(buf, sizeof(buf), &p, s4, d4,
			    ++in->ipid);
			memset(&to, 0, sizeof(to));
			to.sin_family = AF_INET;
			to.sin_addr.s_addr = d4;
			if (len > 0 && sendto(in->sfd, buf, len, 0,
			    (struct sockaddr *)&to, sizeof(to)) < 0)
				len = 0;
		}
		if (len == 0)
			log_warn_sys("unable to send advert instance=%s to=%s",
			    in->name, addr_str(&dst));
		else
			ok = 1;
	}
	if (ok)
		in->n_tx++;
	status_dirty = 1;
}

/* Gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6)
 * for every VIP, GARP_REPEAT of each. */
static void
announce(struct inst *in)
{
	uint32_t a;
	int i, k, rc;

	for (i = 0; i < in->nvips; i++)
		for (k = 0; k < GARP_REPEAT; k++) {
			if (in->want.v6)
				rc = nlink_una(in->nl, in->vips[i].ip.a,
				    in->src.a);
			else {
				memcpy(&a, in->vips[i].ip.a, 4);
				rc = nlink_garp(in->nl, a);
			}
			if (rc < 0) {
				log_warn_sys("unable to announce VIP %s",
				    addr_str(&in->vips[i].ip));
				break;
			}
			in->n_garp++;
		}
}

/* Add (add 1) or remove one VIP. Returns what nlink returns. */
static int
vip_change(struct inst *in, const struct vip *v, int add)
{
	uint32_t a;

	if (v->ip.v6)
		return add ? nlink_add6(in->nl, v->ip.a, v->plen) :
		    nlink_del6(in->nl, v->ip.a, v->plen);
	memcpy(&a, v->ip.a, 4);
	return add ? nlink_add(in->nl, a, v->plen) :
	    nlink_del(in->nl, a, v->plen);
}

static void
del_vips(struct inst *in)
{
	int i;

	for (i = 0; i < in->nvips; i++)
		if (vip_change(in, &in->vips[i], 0) < 0)
			log_warn_sys("unable to remove VIP %s from %s",
			    addr_str(&in->vips[i].ip), in->ifname);
}

static void
change_state(struct inst *in, enum state to, const char *why)
{
	enum state from = in->state;

	if (from == to)
		return;
	in->state = to;
	in->n_transitions++;
	in->changed_us = clock_wall_us();
	log_info("state %s from=%s why=%s priority=%d master=%s instance=%s",
	    state_name[to], state_name[from], why, in->prio,
	    in->have_master ? addr_str(&in->master_ip) : "-", in->name);
	notify_instance(in, to, from);
	write_status();
}

static void
become_master(struct inst *in, const char *why)
{
	int i;

	send_advert(in, in->prio);
	for (i = 0; i < in->nvips; i++) {
		if (vip_change(in, &in->vips[i], 1) < 0) {
			int e = errno;

			/* A master without its VIP is worse than none:
			 * resign, clean up and let s6 restart us. */
			send_advert(in, 0);
			del_vips(in);
			errno = e;
			die_sys(EXIT_TEMP, "unable to add VIP %s/%d to %s",
			    addr_str(&in->vips[i].ip), in->vips[i].plen,
			    in->ifname);
		}
	}
	announce(in);
	in->garp_at = clock_ms() + GARP_DELAY_MS;
	in->adver_at = clock_ms() + in->advert * 10;
	in->down_at = 0;
	in->want_master = 0;
	in->master_ip = in->src;
	in->have_master = 1;
	in->n_master++;
	change_state(in, ST_MASTER, why);
}

static void
become_backup(struct inst *in, const char *why)
{
	if (in->state == ST_MASTER)
		del_vips(in);
	in->master_adver = (unsigned int)in->advert;
	in->down_at = clock_ms() + vrrp_master_down_ms(in->prio,
	    in->master_adver);
	in->adver_at = in->garp_at = 0;
	in->want_master = 0;
	in->backup_since = clock_ms();
	change_state(in, ST_BACKUP, why);
}

static void
become_fault(struct inst *in, const char *why)
{
	if (in->state == ST_MASTER) {
		del_vips(in);
		/* Twice, as keepalived does on FAULT: one loss must not cost
		 * the backup its fast takeover. */
		send_advert(in, 0);
		send_advert(in, 0);
	}
	in->adver_at = in->down_at = in->garp_at = 0;
	in->want_master = 0;
	change_state(in, ST_FAULT, why);
}

/* To Master; in a sync group only when every instance would go (as
 * keepalived prefers Backup to thrashing), and then all of them. */
static void
to_master(struct inst *in, const char *why)
{
	struct group *g = in->group;
	struct inst *m;
	int i;

	if (g == NULL) {
		become_master(in, why);
		return;
	}
	for (i = 0; i < g->n; i++) {
		m = g->m[i];
		if (m != in && m->state != ST_MASTER && !m->want_master) {
			if (in->state != ST_BACKUP)
				become_backup(in, why);
			in->want_master = 1;
			in->down_at = clock_ms() + vrrp_master_down_ms(
			    in->prio, in->master_adver);
			log_debug("instance=%s waits for instance=%s of sync"
			    " group %s", in->name, m->name, g->name);
			return;
		}
	}
	for (i = 0; i < g->n; i++)
		if (g->m[i]->state != ST_MASTER)
			become_master(g->m[i], g->m[i] == in ? why :
			    "sync-group");
	group_set(g, ST_MASTER, why);
}

/* To Backup; a sync group's masters, and its instances held in Fault by
 * another's failure, come along. */
static void
to_backup(struct inst *in, const char *why)
{
	struct group *g = in->group;
	struct inst *m;
	int i;

	become_backup(in, why);
	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		m = g->m[i];
		if (m != in && (m->state == ST_MASTER ||
		    (m->state == ST_FAULT && m->healthy != 0)))
			become_backup(m, "sync-group");
	}
	group_set(g, ST_BACKUP, why);
}

/* To Fault; a sync group's instances all go. */
static void
to_fault(struct inst *in, const char *why)
{
	struct group *g = in->group;
	int i;

	become_fault(in, why);
	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		if (g->m[i] != in && g->m[i]->state != ST_FAULT)
			become_fault(g->m[i], "sync-group");
	group_set(g, ST_FAULT, why);
}

static void
healthy_now(struct inst *in, const char *why)
{
	struct group *g = in->group;
	int i;

	for (i = 0; g != NULL && i < g->n; i++)
		if (g->m[i] != in && g->m[i]->healthy == 0) {
			/* Another instance's failure holds the group. */
			if (in->state != ST_FAULT)
				become_fault(in, "sync-group");
			return;
		}
	if (in->prio == 255)
		to_master(in, why);
	else
		to_backup(in, why);
}

/* ------------------------------------------------------------ adverts */

static void
drop(struct inst *in, enum vrrp_err err, const struct addr *src)
{
	in->n_drop[err]++;
	status_dirty = 1;
	/* Log the 1st, 2nd, 4th, 8th... of each kind: visible, bounded. */
	if ((in->n_drop[err] & (in->n_drop[err] - 1)) == 0)
		log_warn("ignored advert reason=%s src=%s count=%llu"
		    " instance=%s", vrrp_err_name(err), addr_str(src),
		    in->n_drop[err], in->name);
	else
		log_debug("ignored advert reason=%s src=%s instance=%s",
		    vrrp_err_name(err), addr_str(src), in->name);
}

static int
wins_over_us(const struct inst *in, const struct vrrp_pkt *p,
    const struct addr *src)
{
	if (p->prio != in->prio)
		return p->prio > in->prio;
	/* Equal priority: the higher primary address, unsigned. */
	return memcmp(src->a, in->src.a, src->v6 ? 16 : 4) > 0;
}

static void
on_advert(struct inst *in, const struct vrrp_pkt *p, const struct addr *src)
{
	long long t = clock_ms();

	in->n_rx++;
	status_dirty = 1;
	log_debug("advert instance=%s src=%s prio=%d adver_cs=%u state=%s",
	    in->name, addr_str(src), p->prio, p->adver,
	    state_name[in->state]);
	switch (in->state) {
	case ST_MASTER:
		if (p->prio == 0) {
			send_advert(in, in->prio);
			in->adver_at = t + in->advert * 10;
		} else if (wins_over_us(in, p, src)) {
			in->master_ip = *src;
			in->have_master = 1;
			to_backup(in, "higher-priority-master");
			in->master_adver = in->version == 3 ? p->adver :
			    (unsigned int)in->advert;
			in->down_at = t + vrrp_master_down_ms(in->prio,
			    in->master_adver);
		} else {
			/* A lower-priority master: answer at once and
			 * re-announce the VIPs (keepalived does) so a split
			 * brain heals in one round trip. */
			send_advert(in, in->prio);
			announce(in);
			in->adver_at = t + in->advert * 10;
		}
		break;
	case ST_BACKUP:
		if (p->prio == 0) {
			in->down_at = t + vrrp_skew_ms(in->prio,
			    in->master_adver);
			log_info("master resigned src=%s takeover_in_ms=%ld"
			    " instance=%s", addr_str(src),
			    vrrp_skew_ms(in->prio, in->master_adver),
			    in->name);
		} else if (!in->preempt || p->prio >= in->prio ||
		    t < in->backup_since + in->preempt_delay * 10) {
			in->master_ip = *src;
			in->have_master = 1;
			in->want_master = 0;
			if (in->version == 3)
				in->master_adver = p->adver;
			in->down_at = t + vrrp_master_down_ms(in->prio,
			    in->master_adver);
		} else {
			in->n_discard_lower++;
			log_debug("discarding lower priority advert"
			    " instance=%s src=%s prio=%d", in->name,
			    addr_str(src), p->prio);
		}
		break;
	default:
		if (p->prio != 0) {
			in->master_ip = *src;
			in->have_master = 1;
		}
		break;
	}
}

static int
in_list(const struct addr *a, const struct addr *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (addr_eq(a, &list[i]))
			return 1;
	return 0;
}

/* Receive one datagram into p with its source. Returns 1 with err set,
 * 0 when there is nothing more to read. */
static int
recv_one(struct inst *in, struct vrrp_pkt *p, struct addr *src,
    enum vrrp_err *err)
{
	uint8_t buf[2048];
	char cbuf[CMSG_SPACE(sizeof(int)) +
	    CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct sockaddr_in6 from;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	uint8_t dst[16];
	int hops = -1;
	ssize_t n;

	memset(src, 0, sizeof(*src));
	if (!in->want.v6) {
		n = recv(in->rfd, buf, sizeof(buf), 0);
		if (n < 0)
			goto fail;
		*err = vrrp_parse(buf, (size_t)n, p);
		if (n >= 16)
			memcpy(src->a, buf + 12, 4);
		return 1;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	n = recvmsg(in->rfd, &mh, 0);
	if (n < 0)
		goto fail;
	memset(dst, 0, sizeof(dst));
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IPV6)
			continue;
		if (cm->cmsg_type == IPV6_HOPLIMIT &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&hops, CMSG_DATA(cm), sizeof(int));
		else if (cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo)))
			memcpy(dst, CMSG_DATA(cm), 16);
	}
	src->v6 = 1;
	memcpy(src->a, &from.sin6_addr, 16);
	*err = vrrp_parse6(buf, (size_t)n, src->a, dst, hops, p);
	return 1;
fail:
	if (errno != EAGAIN && errno != EINTR)
		log_warn_sys("unable to receive on %s", in->ifname);
	return 0;
}

static void
read_adverts(struct inst *in)
{
	struct vrrp_pkt p;
	struct addr src;
	enum vrrp_err err;
	int k;

	for (k = 0; k < 64 && recv_one(in, &p, &src, &err); k++) {
		if (err == VRRP_OK && addr_eq(&src, &in->src))
			continue;	/* our own, looped back */
		if (err == VRRP_OK && p.vrid != in->vrid) {
			/* Another router's VRID on the same link is normal;
			 * count it but do not log it. */
			in->n_drop[VRRP_EVRID]++;
			continue;
		}
		if (err == VRRP_OK && ((in->npeers > 0 &&
		    !in_list(&src, in->peers, in->npeers)) ||
		    (in->nallow > 0 && !in_list(&src, in->allow, in->nallow))))
			err = VRRP_ESOURCE;
		if (err == VRRP_OK)
			err = vrrp_match(&p, &in->want, in->npeers > 0);
		if (err != VRRP_OK) {
			drop(in, err, &src);
			continue;
		}
		on_advert(in, &p, &src);
	}
}
static void
watch_close(struct inst *in)
{
	if (in->watch_fd >= 0)
		close(in->watch_fd);
	in->watch_fd = -1;
	in->watch_up = 0;
}

/* After the watch connection was lost: WATCH_PROBES probes, one every
 * WATCH_PROBE_MS, until one connects or is refused. */
#define WATCH_PROBES	5
#define WATCH_PROBE_MS	20

/* A TCP connect refused after the watch connection was lost: the server
 * is gone, so the round in flight fails without waiting for its UDP
 * query, whose ICMP error the kernel may rate-limit away. Once per loss:
 * a server back without TCP is judged by its rounds again. */
static void
watch_refused(struct inst *in, int err)
{
	if (in->watch_probes == 0)
		return;
	in->watch_probes = 0;
	in->watch_probe_at = 0;
	if (!in->round_deadline || in->dns_done)
		return;
	snprintf(in->check_why, sizeof(in->check_why), "dns:tcp:%s",
	    strerror(err));
	in->dns_done = 1;
	round_maybe_end(in);
}

static void
watch_open(struct inst *in)
{
	long long t = clock_ms();

	if (in->watch_fd >= 0 || t < in->watch_retry_at)
		return;
	/* At most one attempt a second: a server that refuses TCP or closes
	 * idle connections costs little. */
	in->watch_retry_at = t + 1000;
	in->watch_fd = socket(in->check_ss.ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (in->watch_fd < 0)
		return;
	if (connect(in->watch_fd, (struct sockaddr *)&in->check_ss,
	    in->check_sslen) < 0 &&
	    errno != EINPROGRESS) {
		if (errno == ECONNREFUSED)
			watch_refused(in, errno);
		watch_close(in);
	}
}

static void
watch_event(struct inst *in, short revents)
{
	char buf[512];
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (!in->watch_up) {
		if (getsockopt(in->watch_fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) < 0 ||
		    err != 0 || (revents & (POLLERR | POLLHUP))) {
			if (err == ECONNREFUSED)
				watch_refused(in, err);
			watch_close(in);	/* no TCP there: rounds only */
		} else {
			in->watch_up = 1;
			in->watch_probes = 0;	/* the server is there */
			in->watch_probe_at = 0;
		}
		return;
	}
	n = recv(in->watch_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	watch_close(in);
	log_debug("check connection closed by the DNS server:"
	    " checking now instance=%s", in->name);
	if (!in->round_deadline)
		in->round_next = clock_ms();
	in->watch_probes = WATCH_PROBES;
	in->watch_probe_at = clock_ms();
}

/* A probe after the watch connection was lost. The server's sockets close
 * one by one as it exits, so the connection may go while its UDP socket
 * still takes (and drops) queries and its listener still takes (and
 * drops) connections: ask again and reconnect a few times, closely. */
static void
watch_probe(struct inst *in)
{
	long long t = clock_ms();

	in->watch_probes--;
	in->watch_probe_at = in->watch_probes > 0 ? t + WATCH_PROBE_MS : 0;
	if (in->round_deadline && !in->dns_done &&
	    send(in->dns_fd, in->dns_q, in->dns_qlen, 0) < 0) {
		snprintf(in->check_why, sizeof(in->check_why), "dns:%s",
		    strerror(errno));
		in->dns_done = 1;
		round_maybe_end(in);
	}
	if (in->watch_up)
		return;
	watch_close(in);	/* a connect still pending: again */
	in->watch_retry_at = 0;
	watch_open(in);
}

static void
round_start(struct inst *in)
{
	long long t = clock_ms();

	in->round_next = t + in->check_interval;
	in->round_deadline = t + in->check_timeout;
	in->check_why[0] = '\0';
	in->dns_done = in->cmd_done = 1;
	in->dns_ok = in->cmd_ok = 1;
	if (in->check_addr != NULL) {
		watch_open(in);
		in->dns_done = in->dns_ok = 0;
		in->dns_qlen = dnscheck_query(in->dns_q, sizeof(in->dns_q),
		    (uint16_t)(random() & 0xffff), in->check_name,
		    in->check_type);
		if (in->dns_fd < 0 &&
		    (in->dns_fd = dnscheck_open(&in->check_ss,
		    in->check_sslen)) < 0) {
			snprintf(in->check_why, sizeof(in->check_why), "dns:%s",
			    strerror(errno));
			in->dns_done = 1;
		} else if (send(in->dns_fd, in->dns_q, in->dns_qlen, 0) < 0) {
			snprintf(in->check_why, sizeof(in->check_why), "dns:%s",
			    strerror(errno));
			in->dns_done = 1;
		}
	}
	if (in->check_cmd != NULL) {
		in->cmd_done = in->cmd_ok = 0;
		in->cmd_pid = fork();
		if (in->cmd_pid < 0) {
			snprintf(in->check_why, sizeof(in->check_why),
			    "cmd:fork:%s",
			    strerror(errno));
			in->cmd_done = 1;
			in->cmd_pid = 0;
		} else if (in->cmd_pid == 0) {
			int fd = open("/dev/null", O_RDONLY);

			reset_signals_in_child();
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(2, 1);
			}
			setpgid(0, 0);
			execl("/bin/sh", "sh", "-c", in->check_cmd,
			    (char *)NULL);
			_exit(127);
		}
		if (in->cmd_pid > 0)
			(void)setpgid(in->cmd_pid, in->cmd_pid);
	}
}

static void
round_end(struct inst *in)
{
	int ok = in->dns_ok && in->cmd_ok;

	in->round_deadline = 0;
	in->check_last = ok;
	in->check_us = clock_wall_us();
	if (ok) {
		in->n_check_ok++;
		in->run_ok++;
		in->run_fail = 0;
	} else {
		in->n_check_fail++;
		in->run_fail++;
		in->run_ok = 0;
		log_debug("check failed why=%s instance=%s", in->check_why,
		    in->name);
	}
	status_dirty = 1;
	if (in->healthy != 1 && ok && (in->healthy < 0 ||
	    in->run_ok >= in->check_rise)) {
		in->healthy = 1;
		log_info("healthy rounds=%d instance=%s", in->run_ok,
		    in->name);
		healthy_now(in, "healthy");
	} else if (in->healthy != 0 && !ok &&
	    (in->healthy < 0 || in->run_fail >= in->check_fall)) {
		in->healthy = 0;
		log_warn("unhealthy why=%s rounds=%d instance=%s",
		    in->check_why, in->run_fail, in->name);
		to_fault(in, "unhealthy");
	}
}

static void
round_maybe_end(struct inst *in)
{
	if (in->round_deadline && in->dns_done && in->cmd_done)
		round_end(in);
}

static void
read_dns(struct inst *in)
{
	uint8_t buf[DNSCHECK_MSG_MAX];
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(in->dns_fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (!in->dns_done && in->round_deadline) {
				snprintf(in->check_why, sizeof(in->check_why),
				    "dns:%s", strerror(errno));
				in->dns_done = 1;
				round_maybe_end(in);
			}
			return;
		}
		if (in->dns_done || !in->round_deadline)
			continue;	/* a late answer to an old round */
		rc = dnscheck_reply(buf, (size_t)n, in->dns_q, in->dns_qlen);
		if (rc < 0)
			continue;
		in->dns_done = 1;
		in->dns_ok = dnscheck_rcode_ok(rc);
		if (!in->dns_ok)
			snprintf(in->check_why, sizeof(in->check_why),
			    "dns:rcode=%s",
			    dnscheck_rcode_name(rc));
		round_maybe_end(in);
	}
}

static void
round_timeout(struct inst *in)
{
	if (!in->dns_done) {
		snprintf(in->check_why, sizeof(in->check_why), "dns:timeout");
		in->dns_done = 1;
	}
	if (!in->cmd_done) {
		/* Our own child, in its own process group. */
		kill(-in->cmd_pid, SIGKILL);
		snprintf(in->check_why, sizeof(in->check_why), "cmd:timeout");
		in->cmd_done = 1;
	}
	round_end(in);
}

static void
reap(void)
{
	struct inst *in;
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < ninsts; i++)
			if (insts[i]->cmd_pid == pid)
				break;
		if (i == ninsts)
			continue;	/* a notify command */
		in = insts[i];
		in->cmd_pid = 0;
		if (in->cmd_done)
			continue;	/* killed on timeout */
		in->cmd_done = 1;
		in->cmd_ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!in->cmd_ok)
			snprintf(in->check_why, sizeof(in->check_why),
			    "cmd:%s=%d", WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		round_maybe_end(in);
	}
}

/* ------------------------------------------------------------ metrics */

static void
http_open(void)
{
	union netaddr_sa sa;
	socklen_t len;
	int one = 1, lo;

	if (metrics_listen == NULL || *metrics_listen == '\0')
		return;
	if ((int)(len = (socklen_t)netaddr_parse(metrics_listen, 9118,
	    &sa)) < 0)
		die(EXIT_USAGE, "invalid vrrp.metrics_listen: %s",
		    metrics_listen);
	lo = sa.sa.sa_family == AF_INET ?
	    (ntohl(sa.sin.sin_addr.s_addr) >> 24) == 127 :
	    IN6_IS_ADDR_LOOPBACK(&sa.sin6.sin6_addr);
	if (!lo)
		log_warn("metrics on %s: not a loopback address, and the"
		    " metrics have no authentication", metrics_listen);
	http_fd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (http_fd < 0 || setsockopt(http_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(http_fd, &sa.sa, len) < 0 ||
	    listen(http_fd, 16) < 0)
		die_sys(EXIT_TEMP, "unable to listen on %s", metrics_listen);
}

static void
http_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
}

static void
http_accept(void)
{
	int fd, i;

	while ((fd = accept4(http_fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HTTP_CLIENTS; i++)
			if (clients[i].fd < 0)
				break;
		if (i == HTTP_CLIENTS) {
			close(fd);	/* busy: the scraper retries */
			continue;
		}
		clients[i].fd = fd;
		clients[i].len = 0;
		clients[i].deadline = clock_ms() + HTTP_TIMEOUT_MS;
	}
}

/* Answer the request in c and close it. The answer is a few KB: written
 * with a send timeout, so a client that does not read costs 1 s at
 * most. */
static void
http_answer(struct client *c, int status, const char *reason)
{
	struct buf body = { 0 }, out = { 0 };
	struct timeval tv = { 1, 0 };
	int fl;

	if (status == 200)
		metrics_text(&body, NULL);
	else
		buf_printf(&body, "%s\n", reason);
	buf_printf(&out, "HTTP/1.0 %d %s\r\nContent-Type: text/plain; "
	    "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "\r\n", status, reason, body.len);
	buf_add(&out, body.p != NULL ? body.p : "", body.len);
	if ((fl = fcntl(c->fd, F_GETFL)) >= 0)
		(void)fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (out.p == NULL || io_write_all(c->fd, out.p, out.len) < 0)
		log_debug("metrics answer not sent: %s", strerror(errno));
	buf_free(&body);
	buf_free(&out);
	http_close(c);
}

/* Read what the client sent; answer once its head is complete: GET
 * /metrics (a query string is ignored) gets the text, another GET 404,
 * another method 405, a head over HTTP_REQ_MAX bytes 431. */
static void
http_read(struct client *c)
{
	ssize_t n;

	n = recv(c->fd, c->buf + c->len, HTTP_REQ_MAX - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		http_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") == NULL &&
	    strstr(c->buf, "\n\n") == NULL) {
		if (c->len == HTTP_REQ_MAX)
			http_answer(c, 431, "Request Header Fields Too Large");
		return;
	}
	if (strncmp(c->buf, "GET ", 4) != 0)
		http_answer(c, 405, "Method Not Allowed");
	else if (strncmp(c->buf + 4, "/metrics", 8) == 0 &&
	    (c->buf[12] == ' ' || c->buf[12] == '?'))
		http_answer(c, 200, "OK");
	else
		http_answer(c, 404, "Not Found");
}

/* ------------------------------------------------------------ setup */

static void
open_sockets(struct inst *in)
{
	struct sockaddr_in6 sa6;
	struct ip_mreqn mr;
	struct ipv6_mreq mr6;
	int one = 1, zero = 0, hops = 255, ifindex, i;
	socklen_t ifl = (socklen_t)strlen(in->ifname);

	if ((in->nl = nlink_open(in->ifname)) == NULL)
		die_sys(errno == ENODEV ? EXIT_USAGE : EXIT_TEMP,
		    "unable to open interface %s", in->ifname);
	ifindex = nlink_ifindex(in->nl);
	if (in->have_usrc)
		in->src = in->usrc;
	else if (!in->want.v6) {
		uint32_t skip[VRRP_ADDRS_MAX], pri;

		for (i = 0; i < in->nvips; i++)
			memcpy(&skip[i], in->vips[i].ip.a, 4);
		if (nlink_primary(in->nl, &pri, skip, in->nvips) < 0)
			die_sys(EXIT_TEMP, "unable to find an IPv4 address on"
			    " %s", in->ifname);
		in->src.v6 = 0;
		memcpy(in->src.a, &pri, 4);
	} else {
		/* The link-local address passes duplicate address
		 * detection about a second after the link comes up. */
		for (i = 0; nlink_linklocal(in->nl, in->src.a) < 0; i++) {
			if (i == 50 || errno != EADDRNOTAVAIL)
				die_sys(EXIT_TEMP, "unable to find an IPv6"
				    " link-local address on %s", in->ifname);
			usleep(100000);
		}
		in->src.v6 = 1;
	}

	if (!in->want.v6) {
		in->rfd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, VRRP_PROTO);
		if (in->rfd < 0)
			die_sys(EXIT_TEMP, "unable to open raw socket (needs"
			    " CAP_NET_RAW)");
		if (setsockopt(in->rfd, SOL_SOCKET, SO_BINDTODEVICE,
		    in->ifname, ifl) < 0)
			die_sys(EXIT_TEMP, "unable to bind raw socket to %s",
			    in->ifname);
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr.s_addr = htonl(VRRP_GROUP);
		mr.imr_ifindex = ifindex;
		if (in->npeers == 0 && setsockopt(in->rfd, IPPROTO_IP,
		    IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			die_sys(EXIT_TEMP, "unable to join 224.0.0.18 on %s",
			    in->ifname);
		/* The send socket builds its own IP header (TTL 255, TOS
		 * 0xc0, DF clear, an id counter), byte for byte what
		 * keepalived sends. */
		in->sfd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
		    VRRP_PROTO);
		if (in->sfd < 0)
			die_sys(EXIT_TEMP, "unable to open raw socket");
		if (setsockopt(in->sfd, IPPROTO_IP, IP_HDRINCL, &one,
		    sizeof(one)) < 0 || setsockopt(in->sfd, SOL_SOCKET,
		    SO_BINDTODEVICE, in->ifname, ifl) < 0 ||
		    setsockopt(in->sfd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
		    sizeof(zero)) < 0)
			die_sys(EXIT_TEMP, "unable to set up send socket on"
			    " %s", in->ifname);
		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_address.s_addr, in->src.a, 4);
		mr.imr_ifindex = ifindex;
		if (setsockopt(in->sfd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		    sizeof(mr)) < 0)
			die_sys(EXIT_TEMP, "unable to set multicast interface"
			    " %s", in->ifname);
		return;
	}
	/* IPv6: the kernel writes the IP header; we sum the message with
	 * the pseudo-header ourselves, and read the hop limit and the
	 * destination of what arrives. */
	in->rfd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    VRRP_PROTO);
	if (in->rfd < 0)
		die_sys(EXIT_TEMP, "unable to open raw socket (needs"
		    " CAP_NET_RAW)");
	if (setsockopt(in->rfd, SOL_SOCKET, SO_BINDTODEVICE, in->ifname,
	    ifl) < 0 || setsockopt(in->rfd, IPPROTO_IPV6,
	    IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
	    setsockopt(in->rfd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
	    sizeof(one)) < 0)
		die_sys(EXIT_TEMP, "unable to set up raw socket on %s",
		    in->ifname);
	memset(&mr6, 0, sizeof(mr6));
	inet_pton(AF_INET6, VRRP_GROUP6, &mr6.ipv6mr_multiaddr);
	mr6.ipv6mr_interface = (unsigned int)ifindex;
	if (in->npeers == 0 && setsockopt(in->rfd, IPPROTO_IPV6,
	    IPV6_JOIN_GROUP, &mr6, sizeof(mr6)) < 0)
		die_sys(EXIT_TEMP, "unable to join %s on %s", VRRP_GROUP6,
		    in->ifname);
	in->sfd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, VRRP_PROTO);
	if (in->sfd < 0)
		die_sys(EXIT_TEMP, "unable to open raw socket");
	memset(&sa6, 0, sizeof(sa6));
	sa6.sin6_family = AF_INET6;
	memcpy(&sa6.sin6_addr, in->src.a, 16);
	if (IN6_IS_ADDR_LINKLOCAL(&sa6.sin6_addr))
		sa6.sin6_scope_id = (uint32_t)ifindex;
	if (setsockopt(in->sfd, SOL_SOCKET, SO_BINDTODEVICE, in->ifname,
	    ifl) < 0 || setsockopt(in->sfd, IPPROTO_IPV6,
	    IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(in->sfd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
	    sizeof(hops)) < 0 || setsockopt(in->sfd, IPPROTO_IPV6,
	    IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    setsockopt(in->sfd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
	    sizeof(ifindex)) < 0)
		die_sys(EXIT_TEMP, "unable to set up send socket on %s",
		    in->ifname);
	if (bind(in->sfd, (struct sockaddr *)&sa6, sizeof(sa6)) < 0)
		die_sys(EXIT_TEMP, "unable to send from %s on %s",
		    addr_str(&in->src), in->ifname);
}

/* The settings of one instance, refused with the reason when they cannot
 * work; then what its valid adverts must carry. */
static void
check_settings(struct inst *in)
{
	int i, v6;

	if (in->ifname == NULL)
		die(EXIT_USAGE, "no interface: set -i or $VRRP_INTERFACE");
	if (in->vrid == 0)
		die(EXIT_USAGE, "no VRID: set -r or $VRRP_VRID");
	if (in->nvips == 0)
		die(EXIT_USAGE, "no VIP: set -V or $VRRP_VIPS");
	if (in->name[0] == '\0')
		snprintf(in->name, sizeof(in->name), "VI_%d", in->vrid);
	v6 = in->vips[0].ip.v6;
	if (v6 && in->version != 3)
		die(EXIT_USAGE, "instance %s: IPv6 VIPs need VRRPv3",
		    in->name);
	if (in->version == 2 && (in->advert % 100 != 0 ||
	    in->advert > 25500))
		die(EXIT_USAGE, "invalid advert interval %d cs: VRRPv2 counts"
		    " whole seconds (100, 200, ...)", in->advert);
	if (in->have_pass && in->version != 2)
		die(EXIT_USAGE, "a password needs VRRPv2 (-2)");
	if (in->have_usrc && in->usrc.v6 != v6)
		die(EXIT_USAGE, "instance %s: unicast_src %s is not of the"
		    " VIPs' family", in->name, addr_str(&in->usrc));
	for (i = 0; i < in->npeers; i++)
		if (in->peers[i].v6 != v6)
			die(EXIT_USAGE, "instance %s: unicast peer %s is not of"
			    " the VIPs' family", in->name,
			    addr_str(&in->peers[i]));
	for (i = 0; i < in->nallow; i++)
		if (in->allow[i].v6 != v6)
			die(EXIT_USAGE, "instance %s: allowed peer %s is not of"
			    " the VIPs' family", in->name,
			    addr_str(&in->allow[i]));
	memset(&in->want, 0, sizeof(in->want));
	in->want.v6 = v6;
	in->want.version = in->version;
	in->want.vrid = (uint8_t)in->vrid;
	in->want.adver = (unsigned int)in->advert;
	in->want.auth_type = in->have_pass ? 1 : 0;
	memcpy(in->want.pass, in->pass, sizeof(in->pass));
	in->want.naddr = in->nvips;
	for (i = 0; i < in->nvips; i++) {
		if (v6)
			memcpy(in->want.addr6[i], in->vips[i].ip.a, 16);
		else
			memcpy(&in->want.addr[i], in->vips[i].ip.a, 4);
	}
}

static void
check_check_settings(struct inst *in)
{
	if (in->check_timeout < 0)
		in->check_timeout = in->check_interval < 1000 ?
		    in->check_interval : 1000;
	if (in->check_timeout > in->check_interval)
		die(EXIT_USAGE, "check timeout %d ms is longer than the"
		    " interval %d ms", in->check_timeout, in->check_interval);
	if (in->check_addr != NULL && dnscheck_addr(in->check_addr,
	    &in->check_ss, &in->check_sslen) < 0)
		die(EXIT_USAGE, "invalid check address: %s", in->check_addr);
	if (dnscheck_query(in->dns_q, sizeof(in->dns_q), 0, in->check_name,
	    in->check_type) == 0)
		die(EXIT_USAGE, "invalid check name: %s", in->check_name);
}

static void
conf_fault(void *arg, const char *key, const char *msg)
{
	(void)arg;
	die(EXIT_USAGE, "%s: %s", key, msg);
}

static struct inst *
inst_new(void)
{
	struct inst *in;

	if (ninsts == INST_MAX)
		die(EXIT_USAGE, "too many instances (at most %d)", INST_MAX);
	if ((in = malloc(sizeof(*in))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	*in = def;
	insts[ninsts++] = in;
	return in;
}

/* The instances: vrrp.instances, each over the defaults, or the defaults
 * as the one instance; then the sync groups. */
static void
build_instances(const struct config_vrrp *v)
{
	char buf[sizeof(v->groups[0].instances)], *tok, *save;
	struct group *g;
	size_t i;
	int k, j;

	if (v->ninstances == 0) {
		(void)inst_new();
		return;
	}
	multi = 1;
	vrrpconf_check(v, conf_fault, NULL);
	for (i = 0; i < v->ninstances; i++)
		read_instance(inst_new(), &v->instances[i]);
	for (i = 0; i < v->ngroups; i++) {
		g = &groups[ngroups++];
		snprintf(g->name, sizeof(g->name), "%s", v->groups[i].name);
		g->notify = v->groups[i].notify;
		g->notify_master = v->groups[i].notify_master;
		g->notify_backup = v->groups[i].notify_backup;
		g->notify_fault = v->groups[i].notify_fault;
		g->state = ST_INIT;
		snprintf(buf, sizeof(buf), "%s", v->groups[i].instances);
		for (tok = strtok_r(buf, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save))
			for (k = 0; k < ninsts; k++)
				if (strcmp(insts[k]->name, tok) == 0 &&
				    g->n < INST_MAX) {
					insts[k]->group = g;
					g->m[g->n++] = insts[k];
				}
	}
	for (k = 0; k < ninsts; k++)
		for (j = 0; j < k; j++)
			if (strcmp(insts[k]->ifname ? insts[k]->ifname : "",
			    insts[j]->ifname ? insts[j]->ifname : "") == 0 &&
			    insts[k]->vrid == insts[j]->vrid &&
			    insts[k]->nvips > 0 && insts[j]->nvips > 0 &&
			    insts[k]->vips[0].ip.v6 == insts[j]->vips[0].ip.v6)
				die(EXIT_USAGE, "instances %s and %s: same"
				    " interface, VRID and family",
				    insts[j]->name, insts[k]->name);
}

/* ------------------------------------------------------------ modes */

static int
do_check(void)
{
	struct inst *in = &def;
	long long t0;
	int rc;

	if (in->check_addr == NULL)
		in->check_addr = "127.0.0.1:53";
	check_check_settings(in);
	t0 = clock_ms();
	rc = dnscheck_once(&in->check_ss, in->check_sslen, in->check_name,
	    in->check_type, in->check_timeout);
	if (rc < 0) {
		printf("fail server=%s error=%s ms=%lld\n", in->check_addr,
		    errno == ETIMEDOUT ? "timeout" : strerror(errno),
		    clock_ms() - t0);
		return EXIT_NO;
	}
	printf("%s server=%s rcode=%s ms=%lld\n", dnscheck_rcode_ok(rc) ?
	    "ok" : "fail", in->check_addr, dnscheck_rcode_name(rc),
	    clock_ms() - t0);
	return dnscheck_rcode_ok(rc) ? 0 : EXIT_NO;
}

/* Print the status file (one block per instance); exit 0 when the
 * process lives and every instance is Master. */
static int
do_status(void)
{
	char *buf, *p;
	size_t len;
	long pid;
	int all = 1;

	if (io_read_file(AT_FDCWD, status_path, 1 << 20, &buf, &len) < 0)
		die_sys(EXIT_TEMP, "unable to read status file %s",
		    status_path);
	if ((p = strstr(buf, "\npid=")) != NULL) {
		pid = strtol(p + 5, NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			printf("state=DEAD\n");
			fwrite(buf, 1, len, stdout);
			free(buf);
			return EXIT_NO;
		}
	}
	fwrite(buf, 1, len, stdout);
	for (p = buf; p != NULL && *p != '\0'; p = strstr(p, "\n\nstate=")) {
		if (*p == '\n')
			p += 2;
		if (strncmp(p, "state=MASTER\n", 13) != 0)
			all = 0;
		p++;
	}
	free(buf);
	return all ? 0 : EXIT_NO;
}

/* keepalived on SIGTERM: every master resigns (priority 0) and drops its
 * VIPs, every instance then every group is notified STOP. */
static void
shutdown_now(void)
{
	struct inst *in;
	int i;

	for (i = 0; i < ninsts; i++) {
		in = insts[i];
		if (in->state == ST_MASTER) {
			del_vips(in);
			send_advert(in, 0);
		}
		in->adver_at = in->down_at = in->garp_at = 0;
		change_state(in, ST_STOP, "signal");
	}
	for (i = 0; i < ngroups; i++)
		group_set(&groups[i], ST_STOP, "signal");
	log_info("stopped");
	exit(0);
}

static void
next_deadline(long long *at, long long t)
{
	if (t && (*at == 0 || t < *at))
		*at = t;
}

/* Settings checked, signals caught, sockets open, stale VIPs gone, the
 * status written and readiness notified. */
static void
run_start(void)
{
	struct inst *in;
	int i, k, rc;

	for (k = 0; k < ninsts; k++) {
		in = insts[k];
		check_settings(in);
		if (checks_configured(in))
			check_check_settings(in);
	}
	srandom((unsigned int)(clock_wall_us() ^ getpid()));

	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die_sys(EXIT_TEMP, "unable to create self-pipe");
	catch(SIGTERM);
	catch(SIGINT);
	catch(SIGHUP);
	catch(SIGCHLD);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < HTTP_CLIENTS; i++)
		clients[i].fd = -1;
	http_open();
	for (k = 0; k < ninsts; k++) {
		in = insts[k];
		open_sockets(in);
		/* A VIP left behind by a crashed predecessor would answer
		 * beside the real master: remove it before anything else. */
		for (i = 0; i < in->nvips; i++) {
			rc = vip_change(in, &in->vips[i], 0);
			if (rc < 0)
				die_sys(EXIT_TEMP, "unable to remove stale VIP"
				    " %s from %s (needs CAP_NET_ADMIN)",
				    addr_str(&in->vips[i].ip), in->ifname);
			if (rc == 0)
				log_info("removed stale VIP %s/%d from %s",
				    addr_str(&in->vips[i].ip),
				    in->vips[i].plen, in->ifname);
		}
		in->master_adver = (unsigned int)in->advert;
		log_info("started instance=%s interface=%s vrid=%d version=%d"
		    " family=%s priority=%d advert_cs=%d primary=%s vips=%d"
		    " preempt=%d unicast_peers=%d allow_peers=%d group=%s"
		    " check=%s%s%s", in->name, in->ifname, in->vrid,
		    in->version, in->want.v6 ? "inet6" : "inet", in->prio,
		    in->advert, addr_str(&in->src), in->nvips, in->preempt,
		    in->npeers, in->nallow, in->group ? in->group->name : "-",
		    in->check_addr ? in->check_addr : "", in->check_addr &&
		    in->check_cmd ? "+" : "", in->check_cmd ? "command" : "");
	}
	write_status();
	if (ready_notify(ready_fd) == -1)
		log_warn_sys("unable to notify readiness");
}

/* Run one instance's timers that are due; its next deadline into *at. */
static void
inst_timers(struct inst *in, long long *at)
{
	long long t = clock_ms();

	if (in->adver_at && t >= in->adver_at) {
		send_advert(in, in->prio);
		in->adver_at = t + in->advert * 10;
	}
	if (in->garp_at && t >= in->garp_at) {
		announce(in);
		in->garp_at = 0;
	}
	if (in->down_at && t >= in->down_at) {
		in->down_at = 0;
		to_master(in, "master-down-timer");
	}
	if (in->round_deadline && t >= in->round_deadline)
		round_timeout(in);
	if (checks_configured(in) && !in->round_deadline &&
	    t >= in->round_next)
		round_start(in);
	if (in->watch_probes > 0 && t >= in->watch_probe_at)
		watch_probe(in);
	if (in->watch_probes > 0)
		next_deadline(at, in->watch_probe_at);
	next_deadline(at, in->adver_at);
	next_deadline(at, in->garp_at);
	next_deadline(at, in->down_at);
	next_deadline(at, in->round_deadline);
	if (checks_configured(in) && !in->round_deadline)
		next_deadline(at, in->round_next);
}

/* Run the timers that are due. Returns the poll timeout until the next
 * one, -1 for none. */
static int
run_timers(void)
{
	long long t, at = 0;
	int i;

	for (i = 0; i < ninsts; i++)
		inst_timers(insts[i], &at);
	t = clock_ms();
	for (i = 0; i < HTTP_CLIENTS; i++) {
		if (clients[i].fd < 0)
			continue;
		if (t >= clients[i].deadline)
			http_close(&clients[i]);
		else
			next_deadline(&at, clients[i].deadline);
	}
	if (status_dirty && t >= status_at)
		write_status();
	if (status_dirty)
		next_deadline(&at, status_at);
	t = clock_ms();
	return at == 0 ? -1 : at <= t ? 0 : (int)(at - t);
}

/* The signals the self-pipe carries. */
static void
read_signals(void)
{
	unsigned char c;

	while (read(sigpipe[0], &c, 1) == 1) {
		if (c == SIGCHLD)
			reap();
		else if (c == SIGHUP)
			write_status();
		else
			shutdown_now();
	}
}

/* What a pollfd stands for. */
enum { FD_SIG, FD_HTTP, FD_CLIENT, FD_VRRP, FD_DNS, FD_WATCH };

static int
do_run(void)
{
	struct pollfd pfd[3 + HTTP_CLIENTS + 3 * INST_MAX];
	int kind[3 + HTTP_CLIENTS + 3 * INST_MAX];
	void *who[3 + HTTP_CLIENTS + 3 * INST_MAX];
	struct inst *in;
	int n, i, timeout;

#define ADD(f, ev, k, w) do { pfd[n].fd = (f); pfd[n].events = (ev); \
	pfd[n].revents = 0; kind[n] = (k); who[n++] = (w); } while (0)
	run_start();
	for (i = 0; i < ninsts; i++) {
		in = insts[i];
		if (checks_configured(in))
			round_start(in);	/* Initialize waits for it */
		else {
			in->healthy = 1;
			healthy_now(in, "startup");
		}
	}

	for (;;) {
		timeout = run_timers();
		n = 0;
		ADD(sigpipe[0], POLLIN, FD_SIG, NULL);
		if (http_fd >= 0)
			ADD(http_fd, POLLIN, FD_HTTP, NULL);
		for (i = 0; i < HTTP_CLIENTS; i++)
			if (clients[i].fd >= 0)
				ADD(clients[i].fd, POLLIN, FD_CLIENT,
				    &clients[i]);
		for (i = 0; i < ninsts; i++) {
			in = insts[i];
			ADD(in->rfd, POLLIN, FD_VRRP, in);
			if (in->dns_fd >= 0)
				ADD(in->dns_fd, POLLIN, FD_DNS, in);
			if (in->watch_fd >= 0)
				ADD(in->watch_fd, in->watch_up ? POLLIN |
				    POLLRDHUP : POLLOUT, FD_WATCH, in);
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die_sys(EXIT_TEMP, "unable to poll");
		}
		/* Signals last: a shutdown exits. */
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			switch (kind[i]) {
			case FD_HTTP:
				http_accept();
				break;
			case FD_CLIENT:
				http_read(who[i]);
				break;
			case FD_VRRP:
				read_adverts(who[i]);
				break;
			case FD_DNS:
				in = who[i];
				if (in->dns_fd == pfd[i].fd)
					read_dns(in);
				break;
			case FD_WATCH:
				in = who[i];
				if (in->watch_fd == pfd[i].fd)
					watch_event(in, pfd[i].revents);
				break;
			}
		}
		if (pfd[0].revents)
			read_signals();
	}
#undef ADD
}

/* One option of the command line, applied after the file and the
 * environment, which it overrides. */
static void
apply_option(int c, char *arg, int *vip_opt)
{
	struct inst *in = &def;
	char err[128];

	switch (c) {
	case '2':
		in->version = 2;
		break;
	case 'A':
		set_pass(in, arg);
		break;
	case 'D':
		in->preempt_delay = (int)num("preempt delay", arg, 0, 100000);
		break;
	case 'F':
		in->check_fall = (int)num("fall", arg, 1, 1000);
		break;
	case 'I':
		in->check_interval = (int)num("check interval", arg, 10,
		    600000);
		break;
	case 'N':
		in->check_name = arg;
		break;
	case 'P':
		in->preempt = 0;
		break;
	case 'R':
		in->check_rise = (int)num("rise", arg, 1, 1000);
		break;
	case 'V':
		/* The command line replaces $VRRP_VIPS and the file's. */
		if (!*vip_opt)
			in->nvips = 0;
		*vip_opt = 1;
		add_vip(in, arg);
		break;
	case 'W':
		in->check_timeout = (int)num("check timeout", arg, 1, 600000);
		break;
	case 'a':
		in->advert = (int)num("advert interval", arg, 1, 4095);
		break;
	case 'c':
		in->check_addr = arg;
		break;
	case 'd':
		if ((ready_fd = ready_fd_parse(arg, err, sizeof(err))) < 0)
			die(EXIT_USAGE, "%s", err);
		break;
	case 'i':
		in->ifname = arg;
		break;
	case 'n':
		in->notify = arg;
		break;
	case 'p':
		in->prio = (int)num("priority", arg, 1, 255);
		break;
	case 'r':
		in->vrid = (int)num("VRID", arg, 1, 255);
		break;
	case 's':
		status_path = arg;
		break;
	case 't':
		if ((in->check_type = dnscheck_type(arg)) < 0)
			die(EXIT_USAGE, "invalid check type: %s", arg);
		break;
	case 'v':
		log_set_level(LOG_DEBUG);
		break;
	case 'x':
		in->check_cmd = arg;
		break;
	}
}

static void
defaults(struct inst *in)
{
	memset(in, 0, sizeof(*in));
	in->prio = 100;
	in->advert = 100;
	in->preempt = 1;
	in->version = 3;
	in->check_name = ".";
	in->check_type = 6;	/* SOA */
	in->check_interval = 1000;
	in->check_timeout = -1;
	in->check_fall = 1;
	in->check_rise = 1;
	in->rfd = in->sfd = in->dns_fd = in->watch_fd = -1;
	in->healthy = -1;
	in->check_last = -1;
	in->state = ST_INIT;
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	struct { int c; char *arg; } *opts;
	const char *cpath = NULL;
	char err[1024];
	int c, i, n = 0, rc, vip_opt = 0;

	log_init("vrrp-watch");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("vrrp-watch");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	if ((opts = calloc((size_t)argc, sizeof(*opts))) == NULL)
		die_sys(EXIT_TEMP, "unable to allocate");
	while ((c = getopt(argc, argv, "2A:D:F:I:N:PR:V:W:a:c:d:f:hi:n:p:r:"
	    "s:t:vx:")) != -1) {
		if (c == 'h') {
			free(opts);
			help();
			return 0;
		}
		if (c == '?' || c == ':')
			die_usage(USAGE);
		if (c == 'f')
			cpath = optarg;
		else {
			opts[n].c = c;
			opts[n++].arg = optarg;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		die_usage(USAGE);
	/* Built-in defaults < app.yml's vrrp: < VRRP_* < options < an
	 * instance's own keys. */
	if ((rc = appconf_load(&cfg, cpath, -1, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	defaults(&def);
	read_file(&def, &cfg->vrrp);
	metrics_dir = cfg->metrics_dir;
	read_env(&def);
	for (i = 0; i < n; i++)
		apply_option(opts[i].c, opts[i].arg, &vip_opt);
	free(opts);
	if (strcmp(argv[0], "run") == 0) {
		build_instances(&cfg->vrrp);
		return do_run();
	}
	if (strcmp(argv[0], "check") == 0)
		return do_check();
	if (strcmp(argv[0], "status") == 0)
		return do_status();
	die_usage(USAGE);
}
