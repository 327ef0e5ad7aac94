/* push-load.c -- DirectAdmin rawsave load for bench/push: HTTP/1.0, a new
 * connection per request, as DirectAdmin pushes zones; with -s, the cost of
 * one small write and fdatasync(2) in a directory (the floor of a durable
 * ack) */
/* SPDX-License-Identifier: ISC */
#define USAGE "push-load [-c clients] [-n requests] [-p port] [-u user:pass]" \
	" [-z prefix] | push-load -s dir [-n syncs]"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned port = 2222, nreq = 1000, nclients = 1;
static const char *prefix = "z";
static char auth[256];
static double *lat;		/* ms, one per request */
static unsigned next_req, failures;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64(const char *in, char *out)
{
	size_t n = strlen(in), i;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 |
		    (unsigned char)in[i + 2];
		*out++ = b64[v >> 18 & 63];
		*out++ = b64[v >> 12 & 63];
		*out++ = b64[v >> 6 & 63];
		*out++ = b64[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned char)in[i] << 16;
		*out++ = b64[v >> 18 & 63];
		*out++ = b64[v >> 12 & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
		*out++ = b64[v >> 18 & 63];
		*out++ = b64[v >> 12 & 63];
		*out++ = b64[v >> 6 & 63];
		*out++ = '=';
	}
	*out = '\0';
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* DirectAdmin's domain.db as it sends it (docs/directdnsonly.md 2.3), 27
 * records: SOA, 2 NS, 22 A, MX, TXT; 13 empty lines first, a multi-line
 * SOA padded with spaces, relative names, empty lines at the end. */
static int
zone_text(char *buf, size_t size, const char *z, unsigned serial)
{
	static const char pad[] = "                                                ";
	static const char *const host[] = { "ftp", "mail", "@", "www",
	    "pop", "smtp", "webmail", "imap", "localhost", "autoconfig",
	    "autodiscover", "cpanel", "webdisk", "whm", "ns1", "ns2", "shop",
	    "blog", "dev", "static", "cdn", "api" };
	int n, k, i;

	n = snprintf(buf, size, "\n\n\n\n\n\n\n\n\n\n\n\n\n$TTL 3600\n"
	    "@       IN      SOA     ns1.example.net.      hostmaster.%s. (\n"
	    "%s%u\n%s3600\n%s3600\n%s1209600\n%s86400 )\n\n"
	    "%s.\t3600\tIN\tNS\tns1.example.net.\n"
	    "%s.\t3600\tIN\tNS\tns2.example.net.\n\n",
	    z, pad, serial, pad, pad, pad, pad, z, z);
	for (i = 0; i < 22 && n > 0 && (size_t)n < size; i++) {
		if (host[i][0] == '@')
			k = snprintf(buf + n, size - n,
			    "%s.\t3600\tIN\tA\t192.0.2.10\n", z);
		else
			k = snprintf(buf + n, size - n,
			    "%s\t3600\tIN\tA\t192.0.2.%d\n", host[i], 10 + i);
		n += k;
	}
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, "\n%s.\t3600\tIN\tMX\t10 mail\n"
		    "\n%s.\t3600\tIN\tTXT\t\"v=spf1 a mx ip4:192.0.2.10 ~all\"\n"
		    "\n\n", z, z);
	return n > 0 && (size_t)n < size ? n : -1;
}

static int
one(unsigned id, double *ms)
{
	struct sockaddr_in sa;
	char zone[128], body[8192], req[10240], resp[4096];
	int fd, n, blen, one_ = 1;
	size_t got = 0;
	ssize_t k;
	double t0;

	snprintf(zone, sizeof(zone), "%s%u.bench", prefix, id);
	if ((blen = zone_text(body, sizeof(body), zone, 2024010100 + id)) < 0)
		return -1;
	n = snprintf(req, sizeof(req), "POST /CMD_API_DNS_ADMIN?action=rawsave"
	    "&domain=%s&username=bench&hostname=da.bench HTTP/1.0\r\n"
	    "HOST: 127.0.0.1\r\nAUTHORIZATION: Basic %s\r\n"
	    "Content-Length: %d\r\n\r\n%s", zone, auth, blen, body);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t0 = now_ms();
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, n) != n) {
		close(fd);
		return -1;
	}
	while (got < sizeof(resp) - 1 &&
	    (k = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += k;
	close(fd);
	*ms = now_ms() - t0;
	resp[got] = '\0';
	if (strncmp(resp, "HTTP/1.1 200", 12) != 0 &&
	    strncmp(resp, "HTTP/1.0 200", 12) != 0)
		return -1;
	if (got < 11 || strcmp(resp + got - 11, "\r\n\r\nerror=0") != 0)
		return -1;
	return 0;
}

static void *
worker(void *arg)
{
	unsigned i;
	double ms;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		i = next_req++;
		pthread_mutex_unlock(&mu);
		if (i >= nreq)
			return NULL;
		if (one(i, &ms) < 0) {
			pthread_mutex_lock(&mu);
			failures++;
			pthread_mutex_unlock(&mu);
			ms = -1;
		}
		lat[i] = ms;
	}
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of lat[0..nreq), sorting it. */
static double
lat_p50(void)
{
	qsort(lat, nreq, sizeof(*lat), dcmp);
	return lat[nreq / 2];
}

/* The file system work of one durable ack, without HTTP or sqlite, n times:
 * create a job-sized file in dir/tmp and fdatasync it, link it into a
 * directory of dir and fsync that directory, append a page to a log file
 * and fdatasync it (the store's WAL). Returns the p50 in ms, or -1. */
static double
ackio(const char *dir)
{
	char tmp[4096], link_dir[4096], link_name[4096], wal[4096];
	char buf[1536], page[4096];
	double t0;
	unsigned i;
	int fd = -1, dfd = -1, wfd = -1;

	snprintf(tmp, sizeof(tmp), "%s/tmp/push-load.ack", dir);
	snprintf(link_dir, sizeof(link_dir), "%s/push-load.new", dir);
	snprintf(link_name, sizeof(link_name), "%s/push-load.new/push-load.ack",
	    dir);
	snprintf(wal, sizeof(wal), "%s/push-load.wal", dir);
	memset(buf, 'x', sizeof(buf));
	memset(page, 'w', sizeof(page));
	if (mkdir(link_dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	if ((dfd = open(link_dir, O_RDONLY | O_DIRECTORY)) < 0 ||
	    (wfd = open(wal, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600)) < 0)
		goto fail;
	for (i = 0; i < nreq; i++) {
		t0 = now_ms();
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
		    write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    fdatasync(fd) < 0 || link(tmp, link_name) < 0 ||
		    fsync(dfd) < 0 ||
		    write(wfd, page, sizeof(page)) != (ssize_t)sizeof(page) ||
		    fdatasync(wfd) < 0)
			goto fail;
		lat[i] = now_ms() - t0;
		close(fd);
		fd = -1;
		unlink(tmp);
		unlink(link_name);
	}
	close(dfd);
	close(wfd);
	unlink(wal);
	rmdir(link_dir);
	return lat_p50();
fail:
	fprintf(stderr, "push-load: fatal: unable to time an ack's file work"
	    " in %s: %s\n", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (wfd >= 0)
		close(wfd);
	unlink(tmp);
	unlink(link_name);
	unlink(wal);
	rmdir(link_dir);
	return -1;
}

/* -s: n times, overwrite a job-sized file in dir and fdatasync it, then n
 * times create a new job-sized file there, fdatasync it and remove it,
 * then n times an ack's whole file work (ackio()); print each one's p50 in
 * ms. */
static int
syncs(const char *dir)
{
	char path[4096], buf[1536];
	double t0, over, create, ack;
	unsigned i;
	int fd;

	snprintf(path, sizeof(path), "%s/push-load.sync", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "push-load: fatal: unable to create %s: %s\n",
		    path, strerror(errno));
		return 111;
	}
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < nreq; i++) {
		t0 = now_ms();
		if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
		    fdatasync(fd) < 0) {
			fprintf(stderr, "push-load: fatal: unable to sync %s: %s\n",
			    path, strerror(errno));
			close(fd);
			unlink(path);
			return 111;
		}
		lat[i] = now_ms() - t0;
	}
	close(fd);
	unlink(path);
	over = lat_p50();
	for (i = 0; i < nreq; i++) {
		t0 = now_ms();
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
		    write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    fdatasync(fd) < 0) {
			fprintf(stderr, "push-load: fatal: unable to sync %s: %s\n",
			    path, strerror(errno));
			if (fd >= 0)
				close(fd);
			unlink(path);
			return 111;
		}
		lat[i] = now_ms() - t0;
		close(fd);
		unlink(path);
	}
	create = lat_p50();
	if ((ack = ackio(dir)) < 0)
		return 111;
	/* overwrite_p50_ms create_p50_ms ack_io_p50_ms */
	printf("%.3f %.3f %.3f\n", over, create, ack);
	return 0;
}

int
main(int argc, char *argv[])
{
	pthread_t th[256];
	const char *up = "directdnsonly:secret", *syncdir = NULL;
	double t0, secs;
	unsigned i, ok = 0;
	int c;

	while ((c = getopt(argc, argv, "c:n:p:s:u:z:")) != -1) {
		switch (c) {
		case 'c':
			nclients = atoi(optarg);
			break;
		case 'n':
			nreq = atoi(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			syncdir = optarg;
			break;
		case 'u':
			up = optarg;
			break;
		case 'z':
			prefix = optarg;
			break;
		default:
			fprintf(stderr, "push-load: usage: %s\n", USAGE);
			return 100;
		}
	}
	if (nclients < 1 || nclients > 256 || nreq < 1 || strlen(up) > 180) {
		fprintf(stderr, "push-load: usage: %s\n", USAGE);
		return 100;
	}
	if ((lat = calloc(nreq, sizeof(*lat))) == NULL)
		return 111;
	if (syncdir != NULL)
		return syncs(syncdir);
	base64(up, auth);
	t0 = now_ms();
	for (i = 0; i < nclients; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	secs = (now_ms() - t0) / 1e3;
	for (i = 0; i < nreq; i++)
		if (lat[i] >= 0)
			lat[ok++] = lat[i];
	qsort(lat, ok, sizeof(*lat), dcmp);
	/* acks/s p50_ms p99_ms failures */
	printf("%.1f %.2f %.2f %u\n", ok / secs,
	    ok ? lat[ok / 2] : 0, ok ? lat[(size_t)(ok * 0.99)] : 0,
	    failures);
	return failures ? 1 : 0;
}
