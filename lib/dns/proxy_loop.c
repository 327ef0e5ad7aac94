/* proxy_loop.c -- dns-proxy's event loop: epoll, the tick, signals */
/* SPDX-License-Identifier: ISC */
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "proxy.h"
#include "proxy_guard.h"
#include "ratelimit.h"

struct proxy px = { .epfd = -1, .sigfd = -1 };

static uint64_t next_tick;

void
clock_update(void)
{
	px.now_us = (uint64_t)clock_us();
	px.now_ms = px.now_us / 1000;
	px.now_s = (uint32_t)(px.now_us / 1000000);
}

static void
reseed(void)
{
	uint64_t s[4];
	int i;

	if (getrandom(s, sizeof(s), GRND_NONBLOCK) == sizeof(s))
		for (i = 0; i < 4; i++)
			px.rng[i] ^= s[i];
	if ((px.rng[0] | px.rng[1] | px.rng[2] | px.rng[3]) == 0)
		px.rng[0] = (uint64_t)px.now_us | 1;
}

int
ep_add(int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e;

	e.events = events;
	e.data.ptr = ev;
	return epoll_ctl(px.epfd, EPOLL_CTL_ADD, fd, &e);
}

int
ep_mod(int fd, uint32_t events, struct ev *ev)
{
	struct epoll_event e;

	e.events = events;
	e.data.ptr = ev;
	return epoll_ctl(px.epfd, EPOLL_CTL_MOD, fd, &e);
}

/* Objects closed while an epoll batch may still name them are freed
 * after the batch. Each struct starts with its struct ev. */
static struct ev **grave;
static size_t ngrave, capgrave;

void
defer_free(struct ev *e)
{
	struct ev **p;

	e->type = EV_DEAD;
	if (ngrave == capgrave) {
		capgrave = capgrave ? capgrave * 2 : 64;
		if ((p = realloc(grave, capgrave * sizeof(*p))) == NULL)
			die(EXIT_TEMP, "out of memory");
		grave = p;
	}
	grave[ngrave++] = e;
}

static void
bury(void)
{
	while (ngrave > 0)
		free(grave[--ngrave]);
}

static void
tick(void)
{
	struct backend *b, **pp;
	size_t i;

	reseed();
	admin_sync();
	for (i = 0; i < px.nbackends; i++) {
		check_tick(px.backends[i]);
		backend_timeouts(px.backends[i]);
	}
	for (pp = &px.draining; (b = *pp) != NULL;) {
		backend_timeouts(b);
		if (b->outstanding == 0) {
			*pp = b->next_drain;
			backend_free(b);
		} else
			pp = &b->next_drain;
	}
	for (i = 0; i < px.npools; i++)
		pool_stats(&px.pools[i]);
	if (px.rl != NULL)
		px.ws->rl_clients = ratelimit_count(px.rl);
	tcp_tick();
	admin_tick();
	guard_tick();
	flush_all();
	tcp_accept_resume();
}

static void
handle_signal(void)
{
	struct signalfd_siginfo si;
	unsigned w;
	pid_t pid;
	int st;

	while (read(px.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (px.worker_id == 0)
				for (w = 1; w < px.conf->workers; w++)
					if (px.children[w] > 0)
						kill(px.children[w], SIGHUP);
			proxy_reload();
			break;
		case SIGTERM:
		case SIGINT:
			px.stopping = 1;
			break;
		case SIGCHLD:
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				for (w = 1; w < px.conf->workers; w++)
					if (px.children[w] == pid)
						px.children[w] = 0;
				if (!px.stopping) {
					log_warn("worker exited pid=%d "
					    "status=%d", (int)pid, st);
					px.stopping = 2;
				}
			}
			break;
		}
	}
}

void
proxy_loop(void)
{
	struct epoll_event evs[64];
	struct ev *e;
	int n, i, timeout;

	clock_update();
	next_tick = px.now_ms + TICK_MS;
	while (!px.stopping) {
		timeout = px.now_ms >= next_tick ? 0 :
		    (int)(next_tick - px.now_ms);
		n = epoll_wait(px.epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR)
			die_sys(EXIT_TEMP, "unable to wait for events");
		clock_update();
		for (i = 0; i < n; i++) {
			e = evs[i].data.ptr;
			switch (e->type) {
			case EV_UDP:
				udp_read(e->p);
				break;
			case EV_BACKEND:
				backend_read(e->p);
				break;
			case EV_CHECK:
				check_read(e->p);
				break;
			case EV_TCP_LISTEN:
				tcp_accept(e->p);
				break;
			case EV_TCP_CLIENT:
				tconn_event(e->p, evs[i].events);
				break;
			case EV_TCP_BACKEND:
				bconn_event(e->p, evs[i].events);
				break;
			case EV_HTTP_LISTEN:
				admin_accept(0);
				break;
			case EV_CTL_LISTEN:
				admin_accept(1);
				break;
			case EV_HTTP:
			case EV_CTL:
				admin_event(e->p);
				break;
			case EV_SIGNAL:
				handle_signal();
				break;
			case EV_DEAD:
				/* Closed by an earlier event of this batch. */
				break;
			}
		}
		flush_all();
		bury();
		if (px.now_ms >= next_tick) {
			tick();
			bury();
			next_tick = px.now_ms + TICK_MS;
		}
	}
}
