/* dns-proxy-ctl.c -- send one command to a running dns-proxy's control
 * socket and print its answer */
/* SPDX-License-Identifier: ISC */
#define USAGE "dns-proxy-ctl [-V] [-c app.yml] [-s socket] command..."

#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proxyconf.h"
#include "version.h"

#define SUN_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

static void
help(void)
{
	printf("usage: %s\n"
	    "  -V        print the version and exit\n"
	    "  -c FILE   app.yml naming dns_proxy.control_socket (default:\n"
	    "            $DADNS_CONFIG, then /etc/directdnsonly/app.yml,\n"
	    "            ./app.yml, ./config/app.yml)\n"
	    "  -s PATH   the control socket (instead of app.yml)\n"
	    "commands:\n"
	    "  show servers | show pools | show cache | show stats | show blocks\n"
	    "  set backend NAME up|down|auto | block PREFIX [SECONDS]\n"
	    "  clear blocks [PREFIX] | reload | help\n", USAGE);
}

/* The control socket named by the app.yml at cpath (or found) into
 * sockpath (SUN_PATH_MAX bytes). */
static void
socket_from_config(const char *cpath, char *sockpath)
{
	struct proxyconf pc;
	const char *path;
	char err[1024];

	if ((path = proxyconf_find(cpath)) == NULL)
		die(EXIT_USAGE, "no app.yml found and no -s given");
	if (proxyconf_load(path, &pc, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (pc.control_socket[0] == '\0')
		die(EXIT_USAGE, "%s: dns_proxy.control_socket is not set",
		    path);
	if (strlen(pc.control_socket) >= SUN_PATH_MAX)
		die(EXIT_USAGE, "socket path too long: %s", pc.control_socket);
	strcpy(sockpath, pc.control_socket);
	proxyconf_free(&pc);
}

/* The words of argv joined by spaces, with a newline, into line (size
 * bytes). Returns the length. */
static size_t
command_line(int argc, char *argv[], char *line, size_t size)
{
	size_t o = 0;
	int i, n;

	for (i = 0; i < argc; i++) {
		n = snprintf(line + o, size - o, "%s%s", i ? " " : "",
		    argv[i]);
		if (n < 0 || (size_t)n >= size - o - 1)
			die(EXIT_USAGE, "command too long");
		o += (size_t)n;
	}
	line[o++] = '\n';
	return o;
}

/* Send line to sock and copy the answer to stdout, or to stderr when it
 * is an error. Returns 1 for an error answer, 0 otherwise. */
static int
talk(const char *sock, const char *line, size_t len)
{
	struct sockaddr_un sun;
	char buf[4096];
	ssize_t n;
	int fd, bad = 0, first = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path))
		die(EXIT_USAGE, "socket path too long: %s", sock);
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die_sys(EXIT_TEMP, "unable to connect to %s", sock);
	if (write(fd, line, len) != (ssize_t)len)
		die_sys(EXIT_TEMP, "unable to write to %s", sock);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 6 && memcmp(buf, "error:", 6) == 0)
			bad = 1;
		first = 0;
		if (fwrite(buf, 1, (size_t)n, bad ? stderr : stdout) !=
		    (size_t)n)
			die_sys(EXIT_TEMP, "unable to write the answer");
	}
	if (n < 0)
		die_sys(EXIT_TEMP, "unable to read from %s", sock);
	close(fd);
	return bad;
}

int
main(int argc, char *argv[])
{
	char line[1024], sockpath[SUN_PATH_MAX];
	const char *cpath = NULL, *sock = NULL;
	size_t len;
	int c;

	log_init("dns-proxy-ctl");
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		version_exit("dns-proxy-ctl");
	while ((c = getopt(argc, argv, "Vc:hs:")) != -1) {
		switch (c) {
		case 'c':
			cpath = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'V':
			version_exit("dns-proxy-ctl");
		case 'h':
			help();
			return 0;
		default:
			die_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		die_usage(USAGE);
	if (sock == NULL) {
		socket_from_config(cpath, sockpath);
		sock = sockpath;
	}
	len = command_line(argc, argv, line, sizeof(line));
	return talk(sock, line, len) ? EXIT_USAGE : 0;
}
