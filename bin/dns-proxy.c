/* dns-proxy.c -- ISP DNS frontend: ACL, rules, routing, cache, balancing */
/* SPDX-License-Identifier: ISC */
#define USAGE "dns-proxy [-V] [-v | -q] [-c app.yml] [-w workers] [-d fd] " \
	"[-n] | dns-proxy ctl [-c app.yml] [-s socket] command..."

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appconf.h"
#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"
#include "proxyconf.h"
#include "ready.h"
#include "version.h"

static struct ev sig_ev = { EV_SIGNAL, NULL };

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V        print the version and exit\n"
	    "  -c FILE   app.yml to read (default: $DADNS_CONFIG, then\n"
	    "            /etc/directdnsonly/app.yml, ./app.yml, "
	    "./config/app.yml)\n"
	    "  -w N      worker processes (overrides dns_proxy.workers)\n"
	    "  -d FD     write a newline to FD and close it when ready (s6)\n"
	    "  -n        check the configuration, print a summary, exit\n"
	    "  -v        debug messages; -q: warnings only\n"
	    "ctl commands (over dns_proxy.control_socket, or -s SOCKET):\n"
	    "  show servers | show pools | show cache | show stats\n"
	    "  set backend NAME up|down|auto | reload | help\n"
	    "Signals: HUP reloads backends, pools, routes and ACLs; TERM "
	    "and INT stop.\n", USAGE);
}

/* dns-proxy ctl ...: run dns-proxy-ctl, installed next to dns-proxy. */
static void
ctl_exec(char *argv[])
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		die_sys(EXIT_TEMP, "unable to find dns-proxy-ctl");
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/dns-proxy-ctl", dirname(self));
	argv[0] = "dns-proxy-ctl";
	execv(path, argv);
	die_sys(EXIT_TEMP, "unable to run %s", path);
}

static void
drop_privileges(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	struct passwd *pw;

	if (geteuid() != 0 || px.conf->user[0] == '\0' ||
	    strcmp(px.conf->user, "root") == 0)
		return;
	if ((pw = getpwnam(px.conf->user)) == NULL)
		die(EXIT_USAGE, "dns_proxy.user: no such user: %s",
		    px.conf->user);
	/* Keep CAP_NET_BIND_SERVICE so that a reload can bind port 53. */
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 ||
	    setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		die_sys(EXIT_TEMP, "unable to become user %s", px.conf->user);
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted =
	    1u << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data) < 0)
		log_warn_sys("unable to keep CAP_NET_BIND_SERVICE");
	(void)prctl(PR_SET_KEEPCAPS, 0);
	if (setuid(0) == 0)
		die(EXIT_TEMP, "privileges could be regained");
}

/* Per-process set-up after fork: sockets, backends, caches. */
static void
worker_setup(void)
{
	sigset_t set;

	px.ws = &px.shm->w[px.worker_id];
	if ((px.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "unable to create an epoll instance");
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if ((px.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    ep_add(px.sigfd, EPOLLIN, &sig_ev) < 0)
		die_sys(EXIT_TEMP, "unable to create a signalfd");
	if (getrandom(px.rng, sizeof(px.rng), 0) != sizeof(px.rng))
		die_sys(EXIT_TEMP, "unable to read random bytes");
	if (getrandom(&px.hash_seed, sizeof(px.hash_seed), 0) !=
	    sizeof(px.hash_seed))
		die_sys(EXIT_TEMP, "unable to read random bytes");
	clock_update();
	{
		struct proxyconf *c0 = px.conf;

		px.conf = NULL;
		(void)proxy_apply(c0, 1);
	}
	drop_privileges();
}

/* What main() learnt from its options. */
struct opts {
	int		 ready;		/* -d, or -1 */
	int		 check;		/* -n */
	int		 workers;	/* -w, or 0 */
};

static void
options(int argc, char *argv[], struct opts *o)
{
	char err[1024];
	int c;

	o->ready = -1;
	o->check = 0;
	o->workers = 0;
	while ((c = getopt(argc, argv, "Vc:d:hnqvw:")) != -1) {
		switch (c) {
		case 'c':
			px.cfg_path = optarg;
			break;
		case 'd':
			if ((o->ready = ready_fd_parse(optarg, err,
			    sizeof(err))) < 0)
				die(EXIT_USAGE, "%s", err);
			break;
		case 'V':
			version_exit("dns-proxy");
		case 'h':
			help();
			exit(0);
		case 'n':
			o->check = 1;
			break;
		case 'q':
			log_set_level(LOG_WARN);
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'w':
			o->workers = atoi(optarg);
			if (o->workers < 1 || o->workers > WORKERS_MAX)
				die(EXIT_USAGE, "-w %s: 1..64 workers", optarg);
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
}

/* The configuration, found and loaded; with -n, its summary and exit. */
static struct proxyconf *
load(const struct opts *o)
{
	struct proxyconf *pc;
	const char *path;
	char err[1024];

	if ((path = proxyconf_find(px.cfg_path)) == NULL)
		die(EXIT_USAGE, "no app.yml: give -c FILE or set DADNS_CONFIG");
	px.cfg_path = path;
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		die(EXIT_TEMP, "out of memory");
	if (proxyconf_load(px.cfg_path, pc, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	appconf_warn(&pc->unknown);
	if (o->check && pc->unknown.n > 0)
		die(EXIT_USAGE, "%s: %zu unknown key%s", px.cfg_path,
		    pc->unknown.n, pc->unknown.n > 1 ? "s" : "");
	if (o->workers > 0)
		pc->workers = (unsigned)o->workers;
	if (o->check) {
		printf("%s: ok: listen=%zu pools=%zu backends=%zu routes=%zu "
		    "workers=%u\n", px.cfg_path, pc->nlisten, pc->npools,
		    pc->nbackends, pc->nroutes, pc->workers);
		proxyconf_free(pc);
		free(pc);
		exit(0);
	}
	return pc;
}

/* Process-wide set-up before the workers: descriptors, the shared
 * counters, signals blocked (each worker reads them on a signalfd). */
static void
process_setup(void)
{
	struct rlimit lim;
	size_t shmsz;
	sigset_t set;

	/* Each TCP query to a backend takes a descriptor. */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
	    lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &lim);
	}
	/* Counters live in shared memory so that worker 0 can publish the
	 * sum of all workers. */
	shmsz = sizeof(struct shm) + px.conf->workers * sizeof(struct wstats);
	px.shm = mmap(NULL, shmsz, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (px.shm == MAP_FAILED)
		die_sys(EXIT_TEMP, "unable to map shared memory");
	px.shm->nworkers = px.conf->workers;
	guard_setup();
	tls_init();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Fork workers 1..n-1; each tells syncp when it is set up, then runs. */
static void
workers_start(int ready, int syncp[2])
{
	unsigned w;
	pid_t pid;

	for (w = 1; w < px.conf->workers; w++) {
		if ((pid = fork()) < 0)
			die_sys(EXIT_TEMP, "unable to start worker %u", w);
		if (pid == 0) {
			px.worker_id = w;
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() == 1)
				_exit(EXIT_TEMP);
			if (ready >= 0)
				close(ready);
			close(syncp[0]);
			worker_setup();
			if (write(syncp[1], "", 1) != 1)
				_exit(EXIT_TEMP);
			close(syncp[1]);
			proxy_loop();
			guard_stop();
			_exit(0);
		}
		px.children[w] = pid;
	}
}

int
main(int argc, char *argv[])
{
	struct opts o;
	int syncp[2];
	unsigned w, got;
	char byte;

	log_init("dns-proxy");
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		ctl_exec(argv + 1);
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("dns-proxy");
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help();
		return 0;
	}
	options(argc, argv, &o);
	px.conf = load(&o);
	process_setup();
	if (pipe2(syncp, O_CLOEXEC) < 0)
		die_sys(EXIT_TEMP, "unable to create a pipe");
	workers_start(o.ready, syncp);
	close(syncp[1]);
	px.worker_id = 0;
	worker_setup();
	for (got = 1; got < px.conf->workers; got++)
		if (read(syncp[0], &byte, 1) != 1)
			die(EXIT_TEMP, "a worker failed to start");
	close(syncp[0]);
	log_info("started config=%s listen=%zu pools=%zu backends=%zu "
	    "workers=%u user=%s", px.cfg_path, px.conf->nlisten, px.npools,
	    px.nbackends, px.conf->workers,
	    geteuid() == 0 ? "root" : px.conf->user);
	if (ready_notify(o.ready) == -1)
		log_warn_sys("unable to notify readiness");
	proxy_loop();
	guard_stop();
	for (w = 1; w < px.conf->workers; w++)
		if (px.children[w] > 0)
			kill(px.children[w], SIGTERM);
	admin_close();
	log_info("stopped");
	return px.stopping == 2 ? EXIT_TEMP : 0;
}
