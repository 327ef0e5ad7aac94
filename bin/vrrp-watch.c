/* vrrp-watch.c -- VRRPv3 speaker that holds a VIP while the local DNS answers */
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
#include "nlink.h"
#include "promfile.h"
#include "version.h"
#include "vrrp.h"

#define GARP_REPEAT	5	/* keepalived's vrrp_garp_master_repeat */
#define GARP_DELAY_MS	5000	/* keepalived's vrrp_garp_master_delay */
#define STATUS_EVERY_MS	1000	/* refresh of the counters in the status file */
#define STATUS_DEFAULT	"/run/vrrp-watch.status"

enum state { ST_INIT, ST_BACKUP, ST_MASTER, ST_FAULT, ST_STOP };
static const char *state_name[] = { "INIT", "BACKUP", "MASTER", "FAULT",
    "STOP" };

struct vip {
	uint32_t addr;		/* network order */
	int plen;
};

/* Settings: the vrrp: section of app.yml, then the environment, then the
 * command line. */
static const char *ifname;
static int vrid;
static int prio = 100;
static int advert = 100;	/* centiseconds */
static int preempt = 1;
static int preempt_delay;	/* centiseconds */
static int version = 3;
static char pass[VRRP_PASS_LEN];
static int have_pass;
static struct vip vips[VRRP_ADDRS_MAX];
static int nvips;
static const char *check_addr;
static const char *check_name = ".";
static int check_type = 6;	/* SOA */
static int check_interval = 1000;
static int check_timeout = -1;
static int check_fall = 1;
static int check_rise = 1;
static const char *check_cmd;
static const char *notify_cmd;
static const char *status_path = STATUS_DEFAULT;
static int ready_fd = -1;
static const char *metrics_dir;	/* textfile metrics, "" = none */

/* Run-time state. */
static struct nlink *nl;
static int rfd = -1, sfd = -1;	/* raw VRRP receive and send sockets */
static uint32_t primary;	/* our source address, network order */
static struct vrrp_pkt want;	/* what valid adverts must carry */
static enum state state = ST_INIT;
static int healthy = -1;	/* -1 unknown until the first check round */
static long long adver_at, down_at, garp_at, backup_since, status_at;
static unsigned int master_adver;	/* learnt from the master, cs */
static uint32_t master_ip;
static uint16_t ipid;
static int sigpipe[2] = { -1, -1 };
static int status_dirty;

/* Counters, all exported in the status file. */
static unsigned long long n_rx, n_tx, n_drop[VRRP_NERR], n_discard_lower;
static unsigned long long n_transitions, n_master, n_garp;
static unsigned long long n_check_ok, n_check_fail;
static long long changed_us;

/* One health-check round: the DNS query and the command, both if set. */
static struct sockaddr_storage check_ss;
static socklen_t check_sslen;
static int dns_fd = -1;
static uint8_t dns_q[DNSCHECK_MSG_MAX];
static size_t dns_qlen;
static int dns_done, dns_ok, cmd_done, cmd_ok;
static pid_t cmd_pid;
static long long round_deadline, round_next;
static int run_ok, run_fail;
static char check_why[128];

/* An idle TCP connection to the DNS server: when the server process dies
 * the kernel closes it at once, and the next check round starts then
 * instead of up to one interval later. */
static int watch_fd = -1;
static int watch_up;		/* connected, not just connecting */
static long long watch_retry_at;

static void round_maybe_end(void);

static void
help(void)
{
	printf("usage: %s\n"
	    "  run      hold the VIPs by VRRP while healthy\n"
	    "  check    ask the DNS check once; exit 0 healthy, 1 not\n"
	    "  status   print the status file; exit 0 master, 1 not\n"
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
	    "  -V VIP[/LEN]  virtual address, repeatable; default /32"
	    " ($VRRP_VIPS)\n"
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
	    "  -n CMD        run CMD STATE OLDSTATE PRIORITY on each change"
	    " ($VRRP_NOTIFY)\n"
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
set_pass(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		die(EXIT_USAGE, "invalid password: empty");
	if (n > VRRP_PASS_LEN)
		log_warn("password longer than %d bytes: only the first %d are"
		    " used, as keepalived does", VRRP_PASS_LEN, VRRP_PASS_LEN);
	memset(pass, 0, sizeof(pass));
	memcpy(pass, s, n > VRRP_PASS_LEN ? VRRP_PASS_LEN : n);
	have_pass = 1;
}

static void
add_vip(const char *s)
{
	char buf[32], *slash;
	struct in_addr a;
	int plen = 32, i;

	if (strlen(s) >= sizeof(buf))
		die(EXIT_USAGE, "invalid VIP: %s", s);
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		plen = (int)num("VIP prefix length", slash + 1, 1, 32);
	}
	if (inet_pton(AF_INET, buf, &a) != 1 || a.s_addr == 0 ||
	    IN_MULTICAST(ntohl(a.s_addr)))
		die(EXIT_USAGE, "invalid VIP: %s", s);
	for (i = 0; i < nvips; i++)
		if (vips[i].addr == a.s_addr)
			die(EXIT_USAGE, "duplicate VIP: %s", s);
	if (nvips == VRRP_ADDRS_MAX)
		die(EXIT_USAGE, "too many VIPs (at most %d)", VRRP_ADDRS_MAX);
	vips[nvips].addr = a.s_addr;
	vips[nvips].plen = plen;
	nvips++;
}

static void
add_vip_list(const char *list)
{
	char buf[1024], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		die(EXIT_USAGE, "invalid $VRRP_VIPS: too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, " ,\t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t\n", &save))
		add_vip(tok);
}

/* The vrrp: section of app.yml: what it sets replaces the built-in
 * defaults (config.h: 0, "" and a preempt of -1 are "not set"). */
static void
read_file(const struct config_vrrp *f)
{
	if (f->interface[0] != '\0')
		ifname = f->interface;
	if (f->vrid != 0)
		vrid = (int)f->vrid;
	if (f->priority != 0)
		prio = (int)f->priority;
	if (f->advert != 0)
		advert = (int)f->advert;
	if (f->preempt != -1)
		preempt = f->preempt;
	preempt_delay = (int)f->preempt_delay;
	if (f->version != 0)
		version = (int)f->version;
	if (f->auth_pass[0] != '\0')
		set_pass(f->auth_pass);
	if (f->vips[0] != '\0')
		add_vip_list(f->vips);
	if (f->check[0] != '\0')
		check_addr = f->check;
	if (f->check_name[0] != '\0')
		check_name = f->check_name;
	if (f->check_type[0] != '\0' &&
	    (check_type = dnscheck_type(f->check_type)) < 0)
		die(EXIT_USAGE, "invalid vrrp.check_type: %s", f->check_type);
	if (f->check_interval != 0)
		check_interval = (int)f->check_interval;
	if (f->check_timeout != 0)
		check_timeout = (int)f->check_timeout;
	if (f->check_fall != 0)
		check_fall = (int)f->check_fall;
	if (f->check_rise != 0)
		check_rise = (int)f->check_rise;
	if (f->check_cmd[0] != '\0')
		check_cmd = f->check_cmd;
	if (f->notify[0] != '\0')
		notify_cmd = f->notify;
	if (f->status[0] != '\0')
		status_path = f->status;
}

static void
read_env(void)
{
	const char *v;
	char *buf;
	size_t len;

	if ((v = getenv("VRRP_INTERFACE")) != NULL && *v)
		ifname = v;
	if ((v = getenv("VRRP_VRID")) != NULL && *v)
		vrid = (int)num("$VRRP_VRID", v, 1, 255);
	if ((v = getenv("VRRP_PRIORITY")) != NULL && *v)
		prio = (int)num("$VRRP_PRIORITY", v, 1, 255);
	if ((v = getenv("VRRP_ADVERT")) != NULL && *v)
		advert = (int)num("$VRRP_ADVERT", v, 1, 4095);
	if ((v = getenv("VRRP_PREEMPT")) != NULL && *v)
		preempt = (int)num("$VRRP_PREEMPT", v, 0, 1);
	if ((v = getenv("VRRP_PREEMPT_DELAY")) != NULL && *v)
		preempt_delay = (int)num("$VRRP_PREEMPT_DELAY", v, 0, 100000);
	if ((v = getenv("VRRP_VERSION")) != NULL && *v)
		version = (int)num("$VRRP_VERSION", v, 2, 3);
	if ((v = getenv("VRRP_AUTH_PASS_FILE")) != NULL && *v) {
		if (io_read_file(AT_FDCWD, v, 4096, &buf, &len) < 0)
			die_sys(EXIT_USAGE, "unable to read $VRRP_AUTH_PASS_FILE"
			    " %s", v);
		buf[strcspn(buf, "\r\n")] = '\0';
		set_pass(buf);
		free(buf);
	}
	if ((v = getenv("VRRP_AUTH_PASS")) != NULL && *v)
		set_pass(v);
	if ((v = getenv("VRRP_VIPS")) != NULL && *v) {
		/* The variable replaces the file's list. */
		nvips = 0;
		add_vip_list(v);
	}
	if ((v = getenv("VRRP_CHECK")) != NULL && *v)
		check_addr = v;
	if ((v = getenv("VRRP_CHECK_NAME")) != NULL && *v)
		check_name = v;
	if ((v = getenv("VRRP_CHECK_TYPE")) != NULL && *v)
		if ((check_type = dnscheck_type(v)) < 0)
			die(EXIT_USAGE, "invalid $VRRP_CHECK_TYPE: %s", v);
	if ((v = getenv("VRRP_CHECK_INTERVAL")) != NULL && *v)
		check_interval = (int)num("$VRRP_CHECK_INTERVAL", v, 10, 600000);
	if ((v = getenv("VRRP_CHECK_TIMEOUT")) != NULL && *v)
		check_timeout = (int)num("$VRRP_CHECK_TIMEOUT", v, 1, 600000);
	if ((v = getenv("VRRP_CHECK_FALL")) != NULL && *v)
		check_fall = (int)num("$VRRP_CHECK_FALL", v, 1, 1000);
	if ((v = getenv("VRRP_CHECK_RISE")) != NULL && *v)
		check_rise = (int)num("$VRRP_CHECK_RISE", v, 1, 1000);
	if ((v = getenv("VRRP_CHECK_CMD")) != NULL && *v)
		check_cmd = v;
	if ((v = getenv("VRRP_NOTIFY")) != NULL && *v)
		notify_cmd = v;
	if ((v = getenv("VRRP_STATUS")) != NULL && *v)
		status_path = v;
}

/* ------------------------------------------------------------ helpers */

static const char *
ip_str(uint32_t a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int k;
	struct in_addr in;

	in.s_addr = a;
	k = (k + 1) % 4;
	inet_ntop(AF_INET, &in, buf[k], sizeof(buf[k]));
	return buf[k];
}

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

/* ------------------------------------------------------------ status */

/* The textfile dadns-vrrp-IFACE-VRID.prom in metrics_dir: on a change of
 * state at once, else at most once a second. */
static void
write_metrics(void)
{
	static long long at;
	static enum state written = ST_STOP;
	static int failing;
	char lab[2 * PROMFILE_LABEL_MAX], one[PROMFILE_LABEL_MAX];
	char l[sizeof(lab) + 32], name[128];
	const char *st[] = { "init", "backup", "master", "fault", "stop" };
	struct buf b = { 0 };
	int i;

	if (metrics_dir == NULL || *metrics_dir == '\0' ||
	    (state == written && clock_ms() < at))
		return;
	at = clock_ms() + STATUS_EVERY_MS;
	written = state;
	snprintf(lab, sizeof(lab), "%s,vrid=\"%d\"",
	    promfile_label(one, sizeof(one), "interface", ifname), vrid);
	promfile_head(&b, "dadns_vrrp_state", "gauge", "1 for the state the"
	    " speaker is in.");
	for (i = ST_INIT; i <= ST_STOP; i++) {
		snprintf(l, sizeof(l), "%s,state=\"%s\"", lab, st[i]);
		promfile_uint(&b, "dadns_vrrp_state", l,
		    state == (enum state)i);
	}
	promfile_head(&b, "dadns_vrrp_transitions_total", "counter",
	    "State changes since start.");
	promfile_uint(&b, "dadns_vrrp_transitions_total", lab, n_transitions);
	promfile_head(&b, "dadns_vrrp_became_master_total", "counter",
	    "Changes to master since start.");
	promfile_uint(&b, "dadns_vrrp_became_master_total", lab, n_master);
	promfile_head(&b, "dadns_vrrp_healthy", "gauge", "1 while the"
	    " health check passes (or none is configured).");
	promfile_uint(&b, "dadns_vrrp_healthy", lab, healthy != 0);
	promfile_head(&b, "dadns_vrrp_state_changed_timestamp_seconds",
	    "gauge", "When the state last changed.");
	promfile_num(&b, "dadns_vrrp_state_changed_timestamp_seconds", lab,
	    changed_us / 1e6);
	promfile_head(&b, "dadns_vrrp_adverts_total", "counter",
	    "Adverts received (valid) and sent.");
	snprintf(l, sizeof(l), "%s,direction=\"rx\"", lab);
	promfile_uint(&b, "dadns_vrrp_adverts_total", l, n_rx);
	snprintf(l, sizeof(l), "%s,direction=\"tx\"", lab);
	promfile_uint(&b, "dadns_vrrp_adverts_total", l, n_tx);
	snprintf(name, sizeof(name), "dadns-vrrp-%s-%d", ifname, vrid);
	if (promfile_write(metrics_dir, name, &b) < 0) {
		if (!failing)
			log_warn_sys("unable to write the metrics file"
			    " %s/%s.prom", metrics_dir, name);
		failing = 1;
	} else
		failing = 0;
	buf_free(&b);
}

static void
write_status(void)
{
	char buf[4096], tmp[4096], vl[VRRP_ADDRS_MAX * 20];
	size_t off = 0, vo = 0;
	int fd, n, i, e;

	write_metrics();
	if (*status_path == '\0')
		return;
	vl[0] = '\0';
	for (i = 0; i < nvips; i++) {
		n = snprintf(vl + vo, sizeof(vl) - vo, "%s%s/%d",
		    i ? " " : "", ip_str(vips[i].addr), vips[i].plen);
		if (n > 0 && (size_t)n < sizeof(vl) - vo)
			vo += (size_t)n;
	}
#define PUT(...) do { \
	n = snprintf(buf + off, sizeof(buf) - off, __VA_ARGS__); \
	if (n > 0 && (size_t)n < sizeof(buf) - off) \
		off += (size_t)n; \
} while (0)
	PUT("state=%s\n", state_name[state]);
	PUT("pid=%ld\n", (long)getpid());
	PUT("interface=%s\nvrid=%d\nversion=%d\npriority=%d\n", ifname, vrid,
	    version, prio);
	PUT("advert_cs=%d\nmaster_advert_cs=%u\npreempt=%d\n"
	    "preempt_delay_cs=%d\n", advert, master_adver, preempt,
	    preempt_delay);
	PUT("primary=%s\nmaster=%s\nvips=%s\n", ip_str(primary),
	    master_ip ? ip_str(master_ip) : "", vl);
	PUT("healthy=%s\n", healthy < 0 ? "unknown" : healthy ? "yes" : "no");
	PUT("changed_us=%lld\ntransitions=%llu\nbecame_master=%llu\n",
	    changed_us, n_transitions, n_master);
	PUT("rx_adverts=%llu\ntx_adverts=%llu\ngarp_sent=%llu\n", n_rx, n_tx,
	    n_garp);
	PUT("rx_lower_priority_discarded=%llu\n", n_discard_lower);
	for (i = 1; i < VRRP_NERR; i++)
		PUT("rx_dropped_%s=%llu\n", vrrp_err_name((enum vrrp_err)i),
		    n_drop[i]);
	PUT("check_ok=%llu\ncheck_fail=%llu\n", n_check_ok, n_check_fail);
#undef PUT
	if (io_fmt(tmp, sizeof(tmp), "%s.tmp", status_path) < 0)
		return;
	/* Not fsync'd: the file describes this process, which a reboot ends
	 * anyway; rename keeps readers from seeing half a file. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || io_write_all(fd, buf, off) < 0 || close(fd) < 0 ||
	    rename(tmp, status_path) < 0) {
		e = errno;
		if (fd >= 0)
			unlink(tmp);
		errno = e;
		log_warn_sys("unable to write status file %s", status_path);
	}
	status_dirty = 0;
	status_at = clock_ms() + STATUS_EVERY_MS;
}

/* ------------------------------------------------------------ actions */

static void
run_notify(enum state to, enum state from)
{
	char p[16], *script;
	size_t n;
	pid_t pid;

	if (notify_cmd == NULL)
		return;
	n = strlen(notify_cmd) + sizeof(" \"$@\"");
	if ((script = malloc(n)) == NULL) {
		log_warn_sys("unable to run notify command");
		return;
	}
	snprintf(script, n, "%s \"$@\"", notify_cmd);
	snprintf(p, sizeof(p), "%d", prio);
	pid = fork();
	if (pid < 0) {
		log_warn_sys("unable to fork notify command");
	} else if (pid == 0) {
		reset_signals_in_child();
		setenv("VRRP_STATE", state_name[to], 1);
		setenv("VRRP_PREV_STATE", state_name[from], 1);
		execl("/bin/sh", "sh", "-c", script, "vrrp-watch",
		    state_name[to], state_name[from], p, (char *)NULL);
		_exit(127);
	}
	free(script);
}

static void
send_advert(int priority)
{
	uint8_t buf[VRRP_PKT_MAX];
	struct sockaddr_in to;
	struct vrrp_pkt p = want;
	size_t len;

	p.prio = (uint8_t)priority;
	p.adver = (unsigned int)advert;
	len = vrrp_build(buf, sizeof(buf), &p, primary, htonl(VRRP_GROUP),
	    ++ipid);
	if (len == 0)
		return;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(VRRP_GROUP);
	if (sendto(sfd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		log_warn_sys("unable to send advert on %s", ifname);
	else
		n_tx++;
	status_dirty = 1;
}

static void
garp_burst(void)
{
	int i, k;

	for (i = 0; i < nvips; i++)
		for (k = 0; k < GARP_REPEAT; k++) {
			if (nlink_garp(nl, vips[i].addr) < 0) {
				log_warn_sys("unable to send gratuitous ARP for"
				    " %s", ip_str(vips[i].addr));
				break;
			}
			n_garp++;
		}
}

static void
del_vips(void)
{
	int i;

	for (i = 0; i < nvips; i++)
		if (nlink_del(nl, vips[i].addr, vips[i].plen) < 0)
			log_warn_sys("unable to remove VIP %s from %s",
			    ip_str(vips[i].addr), ifname);
}

static void
change_state(enum state to, const char *why)
{
	enum state from = state;

	if (from == to)
		return;
	state = to;
	n_transitions++;
	changed_us = clock_wall_us();
	log_info("state %s from=%s why=%s priority=%d master=%s",
	    state_name[to], state_name[from], why, prio,
	    master_ip ? ip_str(master_ip) : "-");
	run_notify(to, from);
	write_status();
}

static void
to_master(const char *why)
{
	int i;

	send_advert(prio);
	for (i = 0; i < nvips; i++) {
		if (nlink_add(nl, vips[i].addr, vips[i].plen) < 0) {
			int e = errno;

			/* A master without its VIP is worse than none:
			 * resign, clean up and let s6 restart us. */
			send_advert(0);
			del_vips();
			errno = e;
			die_sys(EXIT_TEMP, "unable to add VIP %s/%d to %s",
			    ip_str(vips[i].addr), vips[i].plen, ifname);
		}
	}
	garp_burst();
	garp_at = clock_ms() + GARP_DELAY_MS;
	adver_at = clock_ms() + advert * 10;
	down_at = 0;
	master_ip = primary;
	n_master++;
	change_state(ST_MASTER, why);
}

static void
to_backup(const char *why)
{
	if (state == ST_MASTER)
		del_vips();
	master_adver = (unsigned int)advert;
	down_at = clock_ms() + vrrp_master_down_ms(prio, master_adver);
	adver_at = garp_at = 0;
	backup_since = clock_ms();
	change_state(ST_BACKUP, why);
}

static void
to_fault(const char *why)
{
	if (state == ST_MASTER) {
		del_vips();
		/* Twice, as keepalived does on FAULT: one loss must not cost
		 * the backup its fast takeover. */
		send_advert(0);
		send_advert(0);
	}
	adver_at = down_at = garp_at = 0;
	change_state(ST_FAULT, why);
}

static void
healthy_now(const char *why)
{
	if (prio == 255)
		to_master(why);
	else
		to_backup(why);
}

/* ------------------------------------------------------------ adverts */

static void
drop(enum vrrp_err err, uint32_t src)
{
	n_drop[err]++;
	status_dirty = 1;
	/* Log the 1st, 2nd, 4th, 8th... of each kind: visible, bounded. */
	if ((n_drop[err] & (n_drop[err] - 1)) == 0)
		log_warn("ignored advert reason=%s src=%s count=%llu",
		    vrrp_err_name(err), ip_str(src), n_drop[err]);
	else
		log_debug("ignored advert reason=%s src=%s", vrrp_err_name(err),
		    ip_str(src));
}

static int
wins_over_us(const struct vrrp_pkt *p)
{
	if (p->prio != prio)
		return p->prio > prio;
	return ntohl(p->src) > ntohl(primary);
}

static void
on_advert(const struct vrrp_pkt *p)
{
	long long t = clock_ms();

	n_rx++;
	status_dirty = 1;
	log_debug("advert src=%s prio=%d adver_cs=%u state=%s", ip_str(p->src),
	    p->prio, p->adver, state_name[state]);
	switch (state) {
	case ST_MASTER:
		if (p->prio == 0) {
			send_advert(prio);
			adver_at = t + advert * 10;
		} else if (wins_over_us(p)) {
			master_ip = p->src;
			del_vips();
			master_adver = version == 3 ? p->adver :
			    (unsigned int)advert;
			down_at = t + vrrp_master_down_ms(prio, master_adver);
			adver_at = garp_at = 0;
			backup_since = t;
			change_state(ST_BACKUP, "higher-priority-master");
		} else {
			/* A lower-priority master: answer at once and
			 * re-announce the VIPs (keepalived does) so a split
			 * brain heals in one round trip. */
			send_advert(prio);
			garp_burst();
			adver_at = t + advert * 10;
		}
		break;
	case ST_BACKUP:
		if (p->prio == 0) {
			down_at = t + vrrp_skew_ms(prio, master_adver);
			log_info("master resigned src=%s takeover_in_ms=%ld",
			    ip_str(p->src), vrrp_skew_ms(prio, master_adver));
		} else if (!preempt || p->prio >= prio ||
		    t < backup_since + preempt_delay * 10) {
			master_ip = p->src;
			if (version == 3)
				master_adver = p->adver;
			down_at = t + vrrp_master_down_ms(prio, master_adver);
		} else {
			n_discard_lower++;
			log_debug("discarding lower priority advert src=%s"
			    " prio=%d", ip_str(p->src), p->prio);
		}
		break;
	default:
		if (p->prio != 0)
			master_ip = p->src;
		break;
	}
}

static void
read_adverts(void)
{
	uint8_t buf[2048];
	struct vrrp_pkt p;
	enum vrrp_err err;
	ssize_t n;

	for (;;) {
		n = recv(rfd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn_sys("unable to receive on %s", ifname);
			return;
		}
		err = vrrp_parse(buf, (size_t)n, &p);
		if (err == VRRP_OK && p.src == primary)
			continue;	/* our own, looped back */
		if (err == VRRP_OK && p.vrid != vrid) {
			/* Another router's VRID on the same link is normal;
			 * count it but do not log it. */
			n_drop[VRRP_EVRID]++;
			continue;
		}
		if (err == VRRP_OK)
			err = vrrp_match(&p, &want);
		if (err != VRRP_OK) {
			if (n >= 16)
				memcpy(&p.src, buf + 12, 4);
			else
				p.src = 0;
			drop(err, p.src);
			continue;
		}
		on_advert(&p);
	}
}

/* ------------------------------------------------------------ checks */

static int
checks_configured(void)
{
	return check_addr != NULL || check_cmd != NULL;
}

static void
watch_close(void)
{
	if (watch_fd >= 0)
		close(watch_fd);
	watch_fd = -1;
	watch_up = 0;
}

static void
watch_open(void)
{
	long long t = clock_ms();

	if (watch_fd >= 0 || t < watch_retry_at)
		return;
	/* At most one attempt a second: a server that refuses TCP or closes
	 * idle connections costs little. */
	watch_retry_at = t + 1000;
	watch_fd = socket(check_ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (watch_fd < 0)
		return;
	if (connect(watch_fd, (struct sockaddr *)&check_ss, check_sslen) < 0 &&
	    errno != EINPROGRESS)
		watch_close();
}

static void
watch_event(short revents)
{
	char buf[512];
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (!watch_up) {
		if (getsockopt(watch_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0 || (revents & (POLLERR | POLLHUP)))
			watch_close();	/* no TCP there: rounds only */
		else
			watch_up = 1;
		return;
	}
	n = recv(watch_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	watch_close();
	log_debug("check connection closed by the DNS server: checking now");
	if (!round_deadline) {
		round_next = clock_ms();
	} else if (!dns_done) {
		/* The query in flight may sit in a dying server's socket and
		 * only time out: ask again, now refused at once. */
		if (send(dns_fd, dns_q, dns_qlen, 0) < 0) {
			snprintf(check_why, sizeof(check_why), "dns:%s",
			    strerror(errno));
			dns_done = 1;
			round_maybe_end();
		}
	}
}

static void
round_start(void)
{
	long long t = clock_ms();

	round_next = t + check_interval;
	round_deadline = t + check_timeout;
	check_why[0] = '\0';
	dns_done = cmd_done = 1;
	dns_ok = cmd_ok = 1;
	if (check_addr != NULL) {
		watch_open();
		dns_done = dns_ok = 0;
		dns_qlen = dnscheck_query(dns_q, sizeof(dns_q),
		    (uint16_t)(random() & 0xffff), check_name, check_type);
		if (dns_fd < 0 &&
		    (dns_fd = dnscheck_open(&check_ss, check_sslen)) < 0) {
			snprintf(check_why, sizeof(check_why), "dns:%s",
			    strerror(errno));
			dns_done = 1;
		} else if (send(dns_fd, dns_q, dns_qlen, 0) < 0) {
			snprintf(check_why, sizeof(check_why), "dns:%s",
			    strerror(errno));
			dns_done = 1;
		}
	}
	if (check_cmd != NULL) {
		cmd_done = cmd_ok = 0;
		cmd_pid = fork();
		if (cmd_pid < 0) {
			snprintf(check_why, sizeof(check_why), "cmd:fork:%s",
			    strerror(errno));
			cmd_done = 1;
			cmd_pid = 0;
		} else if (cmd_pid == 0) {
			int fd = open("/dev/null", O_RDONLY);

			reset_signals_in_child();
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(2, 1);
			}
			setpgid(0, 0);
			execl("/bin/sh", "sh", "-c", check_cmd, (char *)NULL);
			_exit(127);
		}
		if (cmd_pid > 0)
			(void)setpgid(cmd_pid, cmd_pid);
	}
}

static void
round_end(void)
{
	int ok = dns_ok && cmd_ok;

	round_deadline = 0;
	if (ok) {
		n_check_ok++;
		run_ok++;
		run_fail = 0;
	} else {
		n_check_fail++;
		run_fail++;
		run_ok = 0;
		log_debug("check failed why=%s", check_why);
	}
	status_dirty = 1;
	if (healthy != 1 && ok && (healthy < 0 || run_ok >= check_rise)) {
		healthy = 1;
		log_info("healthy rounds=%d", run_ok);
		healthy_now("healthy");
	} else if (healthy != 0 && !ok &&
	    (healthy < 0 || run_fail >= check_fall)) {
		healthy = 0;
		log_warn("unhealthy why=%s rounds=%d", check_why, run_fail);
		to_fault("unhealthy");
	}
}

static void
round_maybe_end(void)
{
	if (round_deadline && dns_done && cmd_done)
		round_end();
}

static void
read_dns(void)
{
	uint8_t buf[DNSCHECK_MSG_MAX];
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(dns_fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (!dns_done && round_deadline) {
				snprintf(check_why, sizeof(check_why),
				    "dns:%s", strerror(errno));
				dns_done = 1;
				round_maybe_end();
			}
			return;
		}
		if (dns_done || !round_deadline)
			continue;	/* a late answer to an old round */
		rc = dnscheck_reply(buf, (size_t)n, dns_q, dns_qlen);
		if (rc < 0)
			continue;
		dns_done = 1;
		dns_ok = dnscheck_rcode_ok(rc);
		if (!dns_ok)
			snprintf(check_why, sizeof(check_why), "dns:rcode=%s",
			    dnscheck_rcode_name(rc));
		round_maybe_end();
	}
}

static void
round_timeout(void)
{
	if (!dns_done) {
		snprintf(check_why, sizeof(check_why), "dns:timeout");
		dns_done = 1;
	}
	if (!cmd_done) {
		/* Our own child, in its own process group. */
		kill(-cmd_pid, SIGKILL);
		snprintf(check_why, sizeof(check_why), "cmd:timeout");
		cmd_done = 1;
	}
	round_end();
}

static void
reap(void)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != cmd_pid)
			continue;	/* a notify command */
		cmd_pid = 0;
		if (cmd_done)
			continue;	/* killed on timeout */
		cmd_done = 1;
		cmd_ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!cmd_ok)
			snprintf(check_why, sizeof(check_why), "cmd:%s=%d",
			    WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		round_maybe_end();
	}
}

/* ------------------------------------------------------------ setup */

static void
open_sockets(void)
{
	struct ip_mreqn mr;
	int one = 1, zero = 0, ifindex;

	if ((nl = nlink_open(ifname)) == NULL)
		die_sys(errno == ENODEV ? EXIT_USAGE : EXIT_TEMP,
		    "unable to open interface %s", ifname);
	ifindex = nlink_ifindex(nl);
	{
		uint32_t skip[VRRP_ADDRS_MAX];
		int i;

		for (i = 0; i < nvips; i++)
			skip[i] = vips[i].addr;
		if (nlink_primary(nl, &primary, skip, nvips) < 0)
			die_sys(EXIT_TEMP, "unable to find an IPv4 address on"
			    " %s", ifname);
	}

	rfd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    VRRP_PROTO);
	if (rfd < 0)
		die_sys(EXIT_TEMP, "unable to open raw socket (needs"
		    " CAP_NET_RAW)");
	if (setsockopt(rfd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) < 0)
		die_sys(EXIT_TEMP, "unable to bind raw socket to %s", ifname);
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr.s_addr = htonl(VRRP_GROUP);
	mr.imr_ifindex = ifindex;
	if (setsockopt(rfd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) < 0)
		die_sys(EXIT_TEMP, "unable to join 224.0.0.18 on %s", ifname);

	/* The send socket builds its own IP header (TTL 255, TOS 0xc0, DF
	 * clear, an id counter), byte for byte what keepalived sends. */
	sfd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, VRRP_PROTO);
	if (sfd < 0)
		die_sys(EXIT_TEMP, "unable to open raw socket");
	if (setsockopt(sfd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0 ||
	    setsockopt(sfd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) < 0 ||
	    setsockopt(sfd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
	    sizeof(zero)) < 0)
		die_sys(EXIT_TEMP, "unable to set up send socket on %s",
		    ifname);
	memset(&mr, 0, sizeof(mr));
	mr.imr_address.s_addr = primary;
	mr.imr_ifindex = ifindex;
	if (setsockopt(sfd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0)
		die_sys(EXIT_TEMP, "unable to set multicast interface %s",
		    ifname);
}

static void
check_settings(void)
{
	int i;

	if (ifname == NULL)
		die(EXIT_USAGE, "no interface: set -i or $VRRP_INTERFACE");
	if (vrid == 0)
		die(EXIT_USAGE, "no VRID: set -r or $VRRP_VRID");
	if (nvips == 0)
		die(EXIT_USAGE, "no VIP: set -V or $VRRP_VIPS");
	if (version == 2 && (advert % 100 != 0 || advert > 25500))
		die(EXIT_USAGE, "invalid advert interval %d cs: VRRPv2 counts"
		    " whole seconds (100, 200, ...)", advert);
	if (have_pass && version != 2)
		die(EXIT_USAGE, "a password needs VRRPv2 (-2)");
	memset(&want, 0, sizeof(want));
	want.version = version;
	want.vrid = (uint8_t)vrid;
	want.adver = (unsigned int)advert;
	want.auth_type = have_pass ? 1 : 0;
	memcpy(want.pass, pass, sizeof(pass));
	want.naddr = nvips;
	for (i = 0; i < nvips; i++)
		want.addr[i] = vips[i].addr;
}

static void
check_check_settings(void)
{
	if (check_timeout < 0)
		check_timeout = check_interval < 1000 ? check_interval : 1000;
	if (check_timeout > check_interval)
		die(EXIT_USAGE, "check timeout %d ms is longer than the"
		    " interval %d ms", check_timeout, check_interval);
	if (check_addr != NULL &&
	    dnscheck_addr(check_addr, &check_ss, &check_sslen) < 0)
		die(EXIT_USAGE, "invalid check address: %s", check_addr);
	if (dnscheck_query(dns_q, sizeof(dns_q), 0, check_name,
	    check_type) == 0)
		die(EXIT_USAGE, "invalid check name: %s", check_name);
}

/* ------------------------------------------------------------ modes */

static int
do_check(void)
{
	long long t0;
	int rc;

	if (check_addr == NULL)
		check_addr = "127.0.0.1:53";
	check_check_settings();
	t0 = clock_ms();
	rc = dnscheck_once(&check_ss, check_sslen, check_name, check_type,
	    check_timeout);
	if (rc < 0) {
		printf("fail server=%s error=%s ms=%lld\n", check_addr,
		    errno == ETIMEDOUT ? "timeout" : strerror(errno),
		    clock_ms() - t0);
		return EXIT_NO;
	}
	printf("%s server=%s rcode=%s ms=%lld\n", dnscheck_rcode_ok(rc) ?
	    "ok" : "fail", check_addr, dnscheck_rcode_name(rc),
	    clock_ms() - t0);
	return dnscheck_rcode_ok(rc) ? 0 : EXIT_NO;
}

static int
do_status(void)
{
	char *buf, *p;
	size_t len;
	long pid;

	if (io_read_file(AT_FDCWD, status_path, 65536, &buf, &len) < 0)
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
	p = strncmp(buf, "state=MASTER\n", 13) == 0 ? buf : NULL;
	free(buf);
	return p != NULL ? 0 : EXIT_NO;
}

static void
shutdown_now(void)
{
	if (state == ST_MASTER) {
		del_vips();
		send_advert(0);
	}
	adver_at = down_at = garp_at = 0;
	change_state(ST_STOP, "signal");
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
	int i, rc;

	check_settings();
	if (checks_configured())
		check_check_settings();
	srandom((unsigned int)(clock_wall_us() ^ getpid()));

	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die_sys(EXIT_TEMP, "unable to create self-pipe");
	catch(SIGTERM);
	catch(SIGINT);
	catch(SIGHUP);
	catch(SIGCHLD);
	signal(SIGPIPE, SIG_IGN);

	open_sockets();
	/* A VIP left behind by a crashed predecessor would answer beside
	 * the real master: remove it before anything else. */
	for (i = 0; i < nvips; i++) {
		rc = nlink_del(nl, vips[i].addr, vips[i].plen);
		if (rc < 0)
			die_sys(EXIT_TEMP, "unable to remove stale VIP %s from"
			    " %s (needs CAP_NET_ADMIN)", ip_str(vips[i].addr),
			    ifname);
		if (rc == 0)
			log_info("removed stale VIP %s/%d from %s",
			    ip_str(vips[i].addr), vips[i].plen, ifname);
	}
	master_adver = (unsigned int)advert;
	log_info("started interface=%s vrid=%d version=%d priority=%d"
	    " advert_cs=%d primary=%s vips=%d preempt=%d check=%s%s%s",
	    ifname, vrid, version, prio, advert, ip_str(primary), nvips,
	    preempt, check_addr ? check_addr : "", check_addr && check_cmd ?
	    "+" : "", check_cmd ? "command" : "");
	write_status();
	if (ready_notify(ready_fd) == -1)
		log_warn_sys("unable to notify readiness");
}

/* Run the timers that are due. Returns the poll timeout until the next
 * one, -1 for none. */
static int
run_timers(void)
{
	long long t, at;

	t = clock_ms();
	if (adver_at && t >= adver_at) {
		send_advert(prio);
		adver_at = t + advert * 10;
	}
	if (garp_at && t >= garp_at) {
		garp_burst();
		garp_at = 0;
	}
	if (down_at && t >= down_at) {
		down_at = 0;
		to_master("master-down-timer");
	}
	if (round_deadline && t >= round_deadline)
		round_timeout();
	if (checks_configured() && !round_deadline && t >= round_next)
		round_start();
	if (status_dirty && t >= status_at)
		write_status();

	at = 0;
	next_deadline(&at, adver_at);
	next_deadline(&at, garp_at);
	next_deadline(&at, down_at);
	next_deadline(&at, round_deadline);
	if (checks_configured() && !round_deadline)
		next_deadline(&at, round_next);
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

static int
do_run(void)
{
	struct pollfd pfd[4];
	int n, wi, timeout;

	run_start();
	if (checks_configured())
		round_start();	/* Initialize waits for the first round */
	else {
		healthy = 1;
		healthy_now("startup");
	}

	for (;;) {
		timeout = run_timers();
		n = 0;
		pfd[n].fd = sigpipe[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = rfd;
		pfd[n++].events = POLLIN;
		if (dns_fd >= 0) {
			pfd[n].fd = dns_fd;
			pfd[n++].events = POLLIN;
		}
		wi = -1;
		if (watch_fd >= 0) {
			wi = n;
			pfd[n].fd = watch_fd;
			pfd[n++].events = watch_up ? POLLIN | POLLRDHUP :
			    POLLOUT;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die_sys(EXIT_TEMP, "unable to poll");
		}
		if (pfd[1].revents)
			read_adverts();
		if (dns_fd >= 0 && n > 2 && pfd[2].fd == dns_fd &&
		    pfd[2].revents)
			read_dns();
		if (wi >= 0 && pfd[wi].revents)
			watch_event(pfd[wi].revents);
		if (pfd[0].revents)
			read_signals();
	}
}

/* One option of the command line, applied after the file and the
 * environment, which it overrides. */
static void
apply_option(int c, char *arg, int *vip_opt)
{
	char err[128];

	switch (c) {
	case '2':
		version = 2;
		break;
	case 'A':
		set_pass(arg);
		break;
	case 'D':
		preempt_delay = (int)num("preempt delay", arg, 0, 100000);
		break;
	case 'F':
		check_fall = (int)num("fall", arg, 1, 1000);
		break;
	case 'I':
		check_interval = (int)num("check interval", arg, 10, 600000);
		break;
	case 'N':
		check_name = arg;
		break;
	case 'P':
		preempt = 0;
		break;
	case 'R':
		check_rise = (int)num("rise", arg, 1, 1000);
		break;
	case 'V':
		/* The command line replaces $VRRP_VIPS and the file's. */
		if (!*vip_opt)
			nvips = 0;
		*vip_opt = 1;
		add_vip(arg);
		break;
	case 'W':
		check_timeout = (int)num("check timeout", arg, 1, 600000);
		break;
	case 'a':
		advert = (int)num("advert interval", arg, 1, 4095);
		break;
	case 'c':
		check_addr = arg;
		break;
	case 'd':
		if ((ready_fd = ready_fd_parse(arg, err, sizeof(err))) < 0)
			die(EXIT_USAGE, "%s", err);
		break;
	case 'i':
		ifname = arg;
		break;
	case 'n':
		notify_cmd = arg;
		break;
	case 'p':
		prio = (int)num("priority", arg, 1, 255);
		break;
	case 'r':
		vrid = (int)num("VRID", arg, 1, 255);
		break;
	case 's':
		status_path = arg;
		break;
	case 't':
		if ((check_type = dnscheck_type(arg)) < 0)
			die(EXIT_USAGE, "invalid check type: %s", arg);
		break;
	case 'v':
		log_set_level(LOG_DEBUG);
		break;
	case 'x':
		check_cmd = arg;
		break;
	}
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
	/* Built-in defaults < app.yml < VRRP_* < options. */
	if ((rc = appconf_load(&cfg, cpath, -1, err, sizeof(err))) != 0)
		die(rc, "%s", err);
	read_file(&cfg->vrrp);
	metrics_dir = cfg->metrics_dir;
	read_env();
	for (i = 0; i < n; i++)
		apply_option(opts[i].c, opts[i].arg, &vip_opt);
	free(opts);
	if (strcmp(argv[0], "run") == 0)
		return do_run();
	if (strcmp(argv[0], "check") == 0)
		return do_check();
	if (strcmp(argv[0], "status") == 0)
		return do_status();
	die_usage(USAGE);
}
