/* proxy_listen.c -- dns-proxy's DNS listeners: UDP and TCP sockets,
 * shared by the workers (SO_REUSEPORT, with client steering) */
/* SPDX-License-Identifier: ISC */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"

static int
is_wildcard(const union netaddr_sa *sa)
{
	if (sa->sa.sa_family == AF_INET)
		return sa->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&sa->sin6.sin6_addr);
}

/* Steer each client address to one worker, so that per-client limits
 * hold across SO_REUSEPORT workers: index = source address mod workers
 * (IPv6: the /64). */
static void
attach_steering(int fd, int family)
{
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, px.conf->workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, px.conf->workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog;

	if (family == AF_INET) {
		prog.len = sizeof(v4) / sizeof(v4[0]);
		prog.filter = v4;
	} else {
		prog.len = sizeof(v6) / sizeof(v6[0]);
		prog.filter = v6;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)) < 0)
		log_debug("unable to attach reuseport steering: %s",
		    strerror(errno));
}

int
listener_open(struct listener *l, const char *text, const union netaddr_sa *sa,
    int tcp)
{
	int fd, one = 1, sz = (int)px.conf->udp_buffer;
	socklen_t salen = sa->sa.sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	char buf[80];

	fd = socket(sa->sa.sa_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (tcp)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	if (px.conf->workers > 1)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one));
	if (sa->sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	/* A VIP may live on the other node right now (VRRP backup). */
	(void)setsockopt(fd, sa->sa.sa_family == AF_INET ? IPPROTO_IP :
	    IPPROTO_IPV6, sa->sa.sa_family == AF_INET ? IP_FREEBIND :
	    IPV6_FREEBIND, &one, sizeof(one));
	memset(l, 0, offsetof(struct listener, gen));
	if (!tcp) {
		if (sz > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz,
			    sizeof(sz));
		if (sz > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz,
			    sizeof(sz));
		if (is_wildcard(sa)) {
			l->pktinfo = 1;
			if (sa->sa.sa_family == AF_INET)
				(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO,
				    &one, sizeof(one));
			else
				(void)setsockopt(fd, IPPROTO_IPV6,
				    IPV6_RECVPKTINFO, &one, sizeof(one));
		}
	}
	if (bind(fd, &sa->sa, salen) < 0)
		goto fail;
	if (tcp && listen(fd, 1024) < 0)
		goto fail;
	if (!tcp && px.conf->workers > 1 && !px.conf->steer_flow)
		attach_steering(fd, sa->sa.sa_family);
	if (!tcp) {
		if ((l->pend = calloc(1, sizeof(*l->pend))) == NULL ||
		    (l->pktinfo && (l->pend->ctl = calloc(BATCH, CTLSZ)) ==
		    NULL))
			goto fail;
		l->pend->fd = fd;
		l->pend->pktinfo = l->pktinfo;
	}
	l->ev.type = tcp ? EV_TCP_LISTEN : EV_UDP;
	l->ev.p = l;
	l->fd = fd;
	l->tcp = tcp;
	l->sa = *sa;
	snprintf(l->addr, sizeof(l->addr), "%s", text);
	if (ep_add(fd, EPOLLIN, &l->ev) < 0)
		goto fail;
	l->used = 1;
	return 0;
fail:
	log_warn_sys("unable to listen on %s/%s", netaddr_format(sa, buf,
	    sizeof(buf)), tcp ? "tcp" : "udp");
	if (fd >= 0)
		close(fd);
	if (l->pend != NULL) {
		free(l->pend->ctl);
		free(l->pend);
		l->pend = NULL;
	}
	l->used = 0;
	return -1;
}

void
listener_close(struct listener *l)
{
	close(l->fd);
	if (l->pend != NULL) {
		free(l->pend->ctl);
		free(l->pend);
	}
	l->pend = NULL;
	l->used = 0;
	l->gen++;	/* answers in flight for it are dropped */
}
