/* guard.c -- unit driver for dns-proxy's modules against abuse: dynblock
 * (keys, sliding rates, the block table), httpauth, dnstap's encoder and
 * pcache's stale answers. Prints "ok" and exits 0, or names the failed
 * check and exits 1. */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dnsmsg.h"
#include "dnstap.h"
#include "dynblock.h"
#include "httpauth.h"
#include "pcache.h"

static uint64_t
key4(const char *a, unsigned plen, struct dynblock_key *k)
{
	union netaddr_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin.sin_family = AF_INET;
	inet_pton(AF_INET, a, &sa.sin.sin_addr);
	return dynblock_key(&sa, plen, 56, k);
}

static void
test_keys(void)
{
	struct dynblock_key k, k2;
	union netaddr_sa sa;
	char t[64];
	uint64_t h;

	h = key4("192.0.2.77", 24, &k);
	REQUIRE(strcmp(dynblock_key_text(&k, t, sizeof(t)), "192.0.2.0/24") == 0);
	REQUIRE(key4("192.0.2.1", 24, &k2) == h);
	REQUIRE(key4("192.0.3.1", 24, &k2) != h);
	REQUIRE(dynblock_key_parse("192.0.2.5", 24, 56, &k2) == h);
	REQUIRE(dynblock_key_parse("192.0.2.0/24", 32, 56, &k2) == h);
	REQUIRE(dynblock_key_parse("192.0.2.0/33", 32, 56, &k2) == 0);
	REQUIRE(dynblock_key_parse("192.0.2.0/", 32, 56, &k2) == 0);
	REQUIRE(dynblock_key_parse("nope", 32, 56, &k2) == 0);
	/* IPv6 by its /56; IPv4-mapped as IPv4. */
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1:2ff:1::1", &sa.sin6.sin6_addr);
	h = dynblock_key(&sa, 32, 56, &k);
	REQUIRE(strcmp(dynblock_key_text(&k, t, sizeof(t)),
	    "2001:db8:1:200::/56") == 0);
	REQUIRE(dynblock_key_parse("2001:db8:1:2aa::9", 32, 56, &k2) == h);
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &sa.sin6.sin6_addr);
	h = dynblock_key(&sa, 32, 56, &k);
	REQUIRE(k.fam == 4 && key4("192.0.2.9", 32, &k2) == h);
}

static void
test_rates(void)
{
	struct dynblock_rate *r = dynblock_rate_new(16);
	struct dynblock_key k, o;
	uint64_t h, ho, v = 0;
	int i;

	REQUIRE(r != NULL);
	h = key4("198.51.100.1", 32, &k);
	/* 100 queries in the first 500 ms of a 1 s window: 100/s. */
	for (i = 0; i < 100; i++)
		v = dynblock_rate_add(r, &k, h, DYNBLOCK_QUERIES, 1,
		    1000 + (uint64_t)i * 5, 1000);
	REQUIRE(v == 100);
	/* Half into the next window: half of the previous one counts. */
	v = dynblock_rate_add(r, &k, h, DYNBLOCK_QUERIES, 1, 2500, 1000);
	REQUIRE(v == 51);
	/* Two windows later nothing is left. */
	v = dynblock_rate_add(r, &k, h, DYNBLOCK_QUERIES, 1, 5000, 1000);
	REQUIRE(v == 1);
	/* Counters are separate; bytes add n. */
	v = dynblock_rate_add(r, &k, h, DYNBLOCK_BYTES, 1400, 5001, 1000);
	REQUIRE(v == 1400);
	/* Another prefix in the same two slots takes the staler one, and
	 * starts from zero. */
	for (i = 0; i < 64; i++) {
		char a[32];

		snprintf(a, sizeof(a), "203.0.113.%d", i);
		ho = key4(a, 32, &o);
		v = dynblock_rate_add(r, &o, ho, DYNBLOCK_QUERIES, 1, 5002,
		    1000);
		REQUIRE(v == 1);
	}
	dynblock_rate_free(r);
}

static void
test_table(void)
{
	struct dynblock_tab *t = dynblock_tab_new();
	struct dynblock_key k, k2;
	uint64_t h, h2;
	int i, n;

	REQUIRE(t != NULL);
	h = key4("192.0.2.1", 32, &k);
	h2 = key4("192.0.2.2", 32, &k2);
	REQUIRE(dynblock_lookup(t, &k, h, 100) == 0);
	REQUIRE(dynblock_insert(t, &k, h, DYNBLOCK_QUERIES, 2, 100, 10) == 1);
	REQUIRE(dynblock_insert(t, &k, h, DYNBLOCK_QUERIES, 2, 101, 10) == 0);
	REQUIRE(dynblock_lookup(t, &k, h, 105) == 3);
	REQUIRE(dynblock_lookup(t, &k2, h2, 105) == 0);
	/* Extended to 111, then expired. */
	REQUIRE(dynblock_lookup(t, &k, h, 110) == 3);
	REQUIRE(dynblock_lookup(t, &k, h, 111) == 0);
	REQUIRE(dynblock_insert(t, &k, h, DYNBLOCK_NXDOMAIN, 1, 200, 60) == 1);
	REQUIRE(dynblock_insert(t, &k2, h2, DYNBLOCK_BYTES, 1, 200, 60) == 1);
	REQUIRE(dynblock_clear(t, &k) == 1);
	REQUIRE(dynblock_lookup(t, &k, h, 201) == 0);
	REQUIRE(dynblock_lookup(t, &k2, h2, 201) == 2);
	REQUIRE(dynblock_clear(t, NULL) == 1);
	REQUIRE(dynblock_lookup(t, &k2, h2, 201) == 0);
	/* The same hash over and over: 16 slots, then full. */
	for (i = n = 0; i < 20; i++) {
		k2.a[3] = (uint8_t)(10 + i);
		if (dynblock_insert(t, &k2, h, 0, 0, 300, 60) == 1)
			n++;
	}
	REQUIRE(n == 16);
}

static void
test_httpauth(void)
{
	char u[HTTPAUTH_MAX], p[HTTPAUTH_MAX];

	REQUIRE(httpauth_parse("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", u,
	    p) == HTTPAUTH_NONE);
	REQUIRE(httpauth_parse("GET / HTTP/1.1\r\nauthorization:  Bearer  abc "
	    "\r\n\r\n", u, p) == HTTPAUTH_BEARER && strcmp(p, "abc") == 0);
	/* "prom:pa ss:word" */
	REQUIRE(httpauth_parse("GET / HTTP/1.0\nAuthorization: Basic "
	    "cHJvbTpwYSBzczp3b3Jk\n\n", u, p) == HTTPAUTH_BASIC &&
	    strcmp(u, "prom") == 0 && strcmp(p, "pa ss:word") == 0);
	REQUIRE(httpauth_parse("GET / HTTP/1.0\nAuthorization: Basic "
	    "cHJvbQ==\n\n", u, p) == -1);		/* no colon */
	REQUIRE(httpauth_parse("GET / HTTP/1.0\nAuthorization: Basic "
	    "cHJ*bTph\n\n", u, p) == -1);		/* not base64 */
	REQUIRE(httpauth_parse("GET / HTTP/1.0\nAuthorization: Digest x\n\n",
	    u, p) == -1);
	/* The request line is not a header. */
	REQUIRE(httpauth_parse("Authorization: Bearer x\n\n", u, p) ==
	    HTTPAUTH_NONE);
}

static void
test_dnstap(void)
{
	static const uint8_t q[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 0, 0, 1, 0, 1 };
	union netaddr_sa sa;
	struct dnstap_msg m;
	uint8_t out[512];
	size_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sin.sin_family = AF_INET;
	sa.sin.sin_port = htons(5353);
	inet_pton(AF_INET, "192.0.2.1", &sa.sin.sin_addr);
	m.type = DNSTAP_CLIENT_QUERY;
	m.tcp = 0;
	m.client = &sa;
	m.sec = 1700000000;
	m.nsec = 5;
	m.dns = q;
	m.len = sizeof(q);
	n = dnstap_encode(&m, "id", out, sizeof(out));
	/* identity (1), version (2), message (14), type (15) = MESSAGE. */
	REQUIRE(n > 0 && out[0] == 0x0a && out[1] == 2 && memcmp(out + 2,
	    "id", 2) == 0);
	REQUIRE(out[4] == 0x12 && out[5] == 5 && memcmp(out + 6, "dadns", 5) == 0);
	REQUIRE(out[11] == 0x72);
	REQUIRE(out[n - 2] == 0x78 && out[n - 1] == 1);
	/* Message: type CLIENT_QUERY, INET, UDP, the address, port. */
	REQUIRE(out[13] == 0x08 && out[14] == 5 && out[15] == 0x10 &&
	    out[16] == 1 && out[17] == 0x18 && out[18] == 1);
	REQUIRE(out[19] == 0x22 && out[20] == 4 && out[21] == 192 &&
	    out[24] == 1);
	REQUIRE(out[25] == 0x30 && out[26] == ((5353 & 0x7f) | 0x80));
	REQUIRE(dnstap_encode(&m, "id", out, 20) == 0);
}

/* The answer of test_pcache in dnsproxy.c: www.Own.Test A 300. */
static const uint8_t answer[] = {
	0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 3, 'O', 'w', 'n', 4, 'T', 'e', 's', 't', 0,
	0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 10,
};

static void
test_stale(void)
{
	struct pcache_opts o = { 86400, 0, 60, 3600, 4096, 100 };
	uint8_t key[DNSMSG_KEY_MAX], out[512];
	struct dnsmsg m;
	struct pcache *c;
	const char *why;
	size_t klen;
	uint64_t h;

	REQUIRE(dnsmsg_parse(answer, sizeof(answer), &m, &why) == 0);
	klen = dnsmsg_key(answer, &m, key);
	h = dnsmsg_hash(key, klen, 0);
	REQUIRE((c = pcache_new(16, &o)) != NULL);
	REQUIRE(pcache_put(c, h, key, klen, answer, sizeof(answer), &m, 1000)
	    == 1);
	/* Fresh: aged as usual, by both. */
	REQUIRE(pcache_get_stale(c, h, key, klen, 1010, 30, out, sizeof(out))
	    == (int)sizeof(answer) && out[38] == 1 && out[39] == 0x22);
	/* Expired: a miss, kept for the stale read with TTL 30. */
	REQUIRE(pcache_get(c, h, key, klen, 1300, out, sizeof(out)) == 0);
	REQUIRE(pcache_get_stale(c, h, key, klen, 1300, 30, out, sizeof(out))
	    == (int)sizeof(answer));
	REQUIRE(out[36] == 0 && out[37] == 0 && out[38] == 0 && out[39] == 30);
	/* Past max_stale: gone. */
	REQUIRE(pcache_get(c, h, key, klen, 1400, out, sizeof(out)) == 0);
	REQUIRE(pcache_get_stale(c, h, key, klen, 1400, 30, out, sizeof(out))
	    == 0);
	pcache_free(c);
}

int
main(void)
{
	test_keys();
	test_rates();
	test_table();
	test_httpauth();
	test_dnstap();
	test_stale();
	printf("ok\n");
	return 0;
}
