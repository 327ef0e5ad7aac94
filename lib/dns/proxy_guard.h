/* proxy_guard.h -- dns-proxy under attack: dynamic blocks, serve stale,
 * query log and dnstap, metrics authentication */
/* SPDX-License-Identifier: ISC */
#ifndef PROXY_GUARD_H
#define PROXY_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "netaddr.h"

struct dnsmsg;
struct qctx;
struct backend;
struct slot;

/* 1 once guard_apply() ran: callers test it before the other hooks. */
extern int guard_on;

/* Map the shared block table and counters (once, before the workers
 * fork). */
void guard_setup(void);

/* Take px.conf's dynamic_blocks, query_log and metrics keys (at start and
 * after each reload). */
void guard_apply(void);

/* The action of the dynamic block on client, before any parsing: a
 * PROXYCONF_* action (counted), PROXYCONF_ALLOW when none. */
int guard_block(const union netaddr_sa *client, int tcp);

/* Count the parsed query m (pkt, len bytes) from client against the
 * rates (a block added when one is exceeded), log it when sampled and
 * send it to dnstap. */
void guard_query(const uint8_t *pkt, size_t len, const struct dnsmsg *m,
    const union netaddr_sa *client, int tcp);

/* Count the answer ans (len bytes) sent to client (rcode, bytes) and send
 * it to dnstap. */
void guard_answer(const union netaddr_sa *client, const uint8_t *ans,
    size_t len, int tcp);

/* An expired cached answer to the query of qc (pkt) into out (BUFSZ
 * bytes) when its pool serves stale: 1 with *outlen set, else 0. */
int guard_stale(const uint8_t *pkt, int tcp, uint8_t *out, size_t *outlen,
    struct qctx *qc);

/* The same for the parsed query m (pkt) that b failed to answer, with
 * pkt's ID in out: the caller puts the client's. */
int guard_stale_query(const struct backend *b, const uint8_t *pkt,
    const struct dnsmsg *m, int tcp, uint8_t *out, size_t *outlen);

/* The same for the UDP query of slot s to b that timed out, answered
 * with the client's ID and spelling: the length, or 0. */
size_t guard_stale_slot(const struct backend *b, const struct slot *s,
    uint8_t *out);

/* 1 when the HTTP request head req may read the metrics (no credentials
 * configured, or matching ones); else 0 with a 401 answer in out. */
int guard_http_auth(const char *req, struct buf *out);

/* Control commands "show blocks", "clear blocks [PREFIX]" and "block
 * PREFIX [SECONDS]": 1 when line (words w, nw of them) was one, with its
 * answer in b. */
int guard_ctl(char **w, size_t nw, struct buf *b);

/* Append the Prometheus text of the guard's counters to b. */
void guard_metrics(struct buf *b);

/* Send queued dnstap frames, reconnect a lost dnstap socket. */
void guard_tick(void);

/* Flush and close dnstap (at exit). */
void guard_stop(void);

#endif
