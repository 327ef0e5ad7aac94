/* proxy_admin.c -- dns-proxy's metrics (HTTP) and control endpoints:
 * listening sockets and small request/response connections */
/* SPDX-License-Identifier: ISC */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"

/* One request and its answer, on either endpoint. */
struct hconn {
	struct ev	 ev;
	int		 fd, ctl;
	char		*buf;
	size_t		 len, off, cap;
	int		 writing;
	uint64_t	 start_ms;
	struct hconn	*prev, *next;
};

static struct hconn *hconns;
static int http_fd = -1, ctl_fd = -1;
static struct ev http_ev = { EV_HTTP_LISTEN, NULL };
static struct ev ctl_ev = { EV_CTL_LISTEN, NULL };
static char ctl_path[1024];

static void
hconn_close(struct hconn *h)
{
	close(h->fd);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		hconns = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	free(h->buf);
	defer_free(&h->ev);
}

void
admin_accept(int ctl)
{
	struct hconn *h;
	int fd, lfd = ctl ? ctl_fd : http_fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		if ((h = calloc(1, sizeof(*h))) == NULL ||
		    (h->buf = malloc(HTTP_MAX + 1)) == NULL) {
			free(h);
			close(fd);
			continue;
		}
		h->cap = HTTP_MAX;
		h->ev.type = EV_HTTP;
		h->ev.p = h;
		h->fd = fd;
		h->ctl = ctl;
		h->start_ms = px.now_ms;
		if (ep_add(fd, EPOLLIN, &h->ev) < 0) {
			close(fd);
			free(h->buf);
			free(h);
			continue;
		}
		h->next = hconns;
		if (hconns != NULL)
			hconns->prev = h;
		hconns = h;
	}
}

static void
hconn_respond(struct hconn *h)
{
	struct buf out = { NULL, 0, 0, 0 };

	h->buf[h->len] = '\0';
	if (h->ctl)
		ctl_command(h->buf, &out);
	else if (guard_http_auth(h->buf, &out))
		metrics_http(h->buf, &out);
	free(h->buf);
	h->buf = out.p;
	h->len = out.len;
	h->off = 0;
	h->writing = 1;
	ep_mod(h->fd, EPOLLOUT, &h->ev);
}

void
admin_event(void *conn)
{
	struct hconn *h = conn;
	ssize_t n;

	if (!h->writing) {
		n = read(h->fd, h->buf + h->len, h->cap - h->len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			h->len += (size_t)n;
		h->buf[h->len] = '\0';
		if (n <= 0 || h->len == h->cap ||
		    (h->ctl && memchr(h->buf, '\n', h->len) != NULL) ||
		    (!h->ctl && strstr(h->buf, "\r\n\r\n") != NULL) ||
		    (!h->ctl && strstr(h->buf, "\n\n") != NULL)) {
			if (n < 0) {
				hconn_close(h);
				return;
			}
			hconn_respond(h);
		}
		return;
	}
	while (h->off < h->len) {
		n = write(h->fd, h->buf + h->off, h->len - h->off);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		h->off += (size_t)n;
	}
	hconn_close(h);
}

void
admin_tick(void)
{
	struct hconn *h, *next;

	for (h = hconns; h != NULL; h = next) {
		next = h->next;
		if (px.now_ms - h->start_ms > 5000)
			hconn_close(h);
	}
}

static int
stream_listen(const union netaddr_sa *sa)
{
	int fd, one = 1;
	socklen_t salen = sa->sa.sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	if ((fd = socket(sa->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &sa->sa, salen) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
unix_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t mode = (mode_t)px.conf->guard.control_mode, um;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	(void)unlink(path);
	/* Never a moment with looser permissions than configured, and
	 * never writable by all (checked at load, checked here). */
	um = umask(0777 & ~mode);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(um);
	if (r < 0 || chmod(path, mode) < 0 || stat(path, &st) < 0 ||
	    (st.st_mode & S_IWOTH) || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Watch the endpoint fd (-1 when it could not be opened) listening on
 * what. Returns 0, or -1 after a warning; the first time (initial) a
 * failure is fatal. */
static int
endpoint_watch(int fd, struct ev *ev, const char *what, int initial)
{
	if (fd >= 0 && ep_add(fd, EPOLLIN, ev) == 0)
		return 0;
	if (initial)
		die_sys(EXIT_TEMP, "unable to listen on %s", what);
	log_warn_sys("unable to listen on %s", what);
	return -1;
}

/* Metrics and control endpoints: worker 0 only. */
void
admin_endpoints(const struct proxyconf *old)
{
	const struct proxyconf *c = px.conf;

	if (px.worker_id != 0)
		return;
	if (old == NULL || strcmp(old->metrics_listen,
	    c->metrics_listen) != 0) {
		if (http_fd >= 0)
			close(http_fd);
		http_fd = -1;
		if (c->metrics_listen[0] != '\0') {
			http_fd = stream_listen(&c->metrics_sa);
			(void)endpoint_watch(http_fd, &http_ev,
			    c->metrics_listen, old == NULL);
		}
	}
	if (old == NULL || strcmp(old->control_socket,
	    c->control_socket) != 0) {
		if (ctl_fd >= 0) {
			close(ctl_fd);
			(void)unlink(ctl_path);
		}
		ctl_fd = -1;
		ctl_path[0] = '\0';
		if (c->control_socket[0] != '\0') {
			ctl_fd = unix_listen(c->control_socket);
			if (endpoint_watch(ctl_fd, &ctl_ev, c->control_socket,
			    old == NULL) == 0)
				snprintf(ctl_path, sizeof(ctl_path), "%s",
				    c->control_socket);
		}
	}
}

void
admin_close(void)
{
	if (ctl_path[0] != '\0')
		(void)unlink(ctl_path);
}
