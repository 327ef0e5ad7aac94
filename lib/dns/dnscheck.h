/* dnscheck.h -- one DNS query over UDP as a health probe */
/* SPDX-License-Identifier: ISC */
#ifndef DNSCHECK_H
#define DNSCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSCHECK_MSG_MAX 512

/* Parse an address in netaddr_parse()'s syntax (port 53 by default)
 * into *ss and *sslen. Returns 0, or -1 for a bad address. */
int dnscheck_addr(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen);

/* The RR type number for a mnemonic as dnsmsg_type_from_text() reads it
 * (A, NS, SOA, AAAA, TXT, TYPE65, ...; any case) or a decimal number
 * 1..65535. Returns it, or -1 when unknown. */
int dnscheck_type(const char *s);

/* Write a query for name (a dotted name, "." for the root; sent in lower
 * case) and qtype with message id into buf (RD clear). Returns its
 * length, or 0 when the name is invalid or size too small. */
size_t dnscheck_query(uint8_t *buf, size_t size, uint16_t id,
    const char *name, int qtype);

/* Compare reply against the query it should answer (id, QR, opcode, the
 * question). Returns the RCODE (0..15), or -1 when it is not that reply. */
int dnscheck_reply(const uint8_t *reply, size_t len, const uint8_t *query,
    size_t qlen);

/* Whether rcode counts as healthy: NOERROR or NXDOMAIN (the server
 * answered from data it holds); SERVFAIL, REFUSED and others do not. */
int dnscheck_rcode_ok(int rcode);

/* The RCODE's mnemonic ("NOERROR", "SERVFAIL", ...). */
const char *dnscheck_rcode_name(int rcode);

/* Open a non-blocking UDP socket connected to the server (so a closed port
 * reports ECONNREFUSED). Returns the fd, or -1 with errno set. */
int dnscheck_open(const struct sockaddr_storage *ss, socklen_t sslen);

/* Ask once and wait up to timeout_ms. Returns the RCODE, or -1 with errno
 * set (ETIMEDOUT when no reply came, ECONNREFUSED when nothing listens). */
int dnscheck_once(const struct sockaddr_storage *ss, socklen_t sslen,
    const char *name, int qtype, int timeout_ms);

#endif
