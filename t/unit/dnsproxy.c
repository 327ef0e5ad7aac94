/* dnsproxy.c -- unit driver for dns-proxy's modules: dnsmsg, pcache,
 * ratelimit, netaddr. Prints "ok" and exits 0, or names the failed check
 * and exits 1. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dnsmsg.h"
#include "netaddr.h"
#include "pcache.h"
#include "ratelimit.h"

/* www.Own.Test A, ID 0x1234, RD, with an OPT (DO set, 4096). */
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
	3, 'w', 'w', 'w', 3, 'O', 'w', 'n', 4, 'T', 'e', 's', 't', 0,
	0, 1, 0, 1,
	0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 0
};

/* An answer to it: one A record, TTL 300, plus the OPT. */
static const uint8_t answer[] = {
	0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 1,
	3, 'w', 'w', 'w', 3, 'O', 'w', 'n', 4, 'T', 'e', 's', 't', 0,
	0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 10,
	0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0
};

/* NXDOMAIN with an SOA in authority: TTL 3600, MINIMUM 300. */
static const uint8_t nxdomain[] = {
	0x00, 0x01, 0x85, 0x03, 0, 1, 0, 0, 0, 1, 0, 0,
	1, 'x', 3, 'o', 'w', 'n', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
	0xc0, 14, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 24,
	0xc0, 14, 0xc0, 14,
	0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 1, 0x51, 0x80,
	0, 0, 0x01, 0x2c
};

static uint32_t
ttl_at(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
	    (uint32_t)p[off + 2] << 8 | p[off + 3];
}

static void
test_dnsmsg(void)
{
	struct dnsmsg m;
	struct dnsmsg_ttls t;
	uint8_t key[DNSMSG_KEY_MAX], out[512], name[DNSMSG_NAME_MAX];
	uint8_t loop[64], fwd[64];
	const char *why;
	size_t klen, n, end;

	REQUIRE(dnsmsg_parse(query, sizeof(query), &m, &why) == 0);
	REQUIRE(m.id == 0x1234 && m.qtype == 1 && m.qclass == 1);
	REQUIRE(m.qname_len == 14 && m.qend == 30 && m.labels == 3);
	REQUIRE(m.edns && m.do_bit && m.edns_size == 4096);
	klen = dnsmsg_key(query, &m, key);
	REQUIRE(klen == 19);
	REQUIRE(memcmp(key, "\3www\3own\4test", 13) == 0);
	REQUIRE(key[18] == (DNSMSG_KF_EDNS | DNSMSG_KF_DO | DNSMSG_KF_RD));
	n = dnsmsg_reply(query, &m, out, sizeof(out), DNSMSG_REFUSED, 0, 0);
	REQUIRE(n == sizeof(query));
	REQUIRE(out[0] == 0x12 && out[1] == 0x34 && out[2] == 0x81 &&
	    out[3] == 0x05);
	REQUIRE(dnsmsg_parse(out, n, &m, &why) == 0 && m.edns);

	REQUIRE(dnsmsg_parse(answer, sizeof(answer), &m, &why) == 0);
	REQUIRE(dnsmsg_scan(answer, sizeof(answer), &m, &t, &why) == 0);
	REQUIRE(t.n == 1 && t.off[0] == 36 && t.min_ttl == 300);
	REQUIRE(dnsmsg_parse(nxdomain, sizeof(nxdomain), &m, &why) == 0);
	REQUIRE(dnsmsg_scan(nxdomain, sizeof(nxdomain), &m, &t, &why) == 0);
	REQUIRE(t.has_soa && t.soa_min == 300);

	/* Truncations of a valid query never parse as something else. */
	for (n = 0; n < 30; n++)
		REQUIRE(dnsmsg_parse(query, n, &m, &why) < 0 && why != NULL);
	/* A question that points at itself. */
	memcpy(loop, query, 12);
	loop[12] = 0xc0;
	loop[13] = 12;
	memset(loop + 14, 0, 4);
	REQUIRE(dnsmsg_parse(loop, 18, &m, &why) < 0);
	REQUIRE(dnsmsg_name_unpack(loop, 18, 12, name, &end) < 0);
	/* A forward pointer, a pointer past the end. */
	memset(fwd, 0, sizeof(fwd));
	fwd[12] = 0xc0;
	fwd[13] = 20;
	REQUIRE(dnsmsg_name_unpack(fwd, sizeof(fwd), 12, name, &end) < 0);
	fwd[13] = 200;
	REQUIRE(dnsmsg_name_unpack(fwd, sizeof(fwd), 12, name, &end) < 0);
	/* A backward pointer decompresses. */
	REQUIRE(dnsmsg_name_unpack(answer, sizeof(answer), 30, name, &end) ==
	    14 && end == 32 && memcmp(name, answer + 12, 14) == 0);
	REQUIRE(dnsmsg_name_from_text("Example.COM.", name) == 13 &&
	    memcmp(name, "\7example\3com", 13) == 0);
	REQUIRE(dnsmsg_name_from_text("a..b", name) < 0);
	REQUIRE(dnsmsg_type_from_text("aaaa") == 28);
	REQUIRE(dnsmsg_type_from_text("TYPE65") == 65);
	REQUIRE(dnsmsg_type_from_text("bogus") < 0);
}

static void
test_pcache(void)
{
	struct pcache_opts o = { 86400, 0, 60, 3600, 4096, 0 };
	struct pcache_stats st;
	struct pcache *c;
	struct dnsmsg m;
	uint8_t key[DNSMSG_KEY_MAX], out[512], tc[sizeof(answer)];
	const char *why;
	uint64_t h;
	size_t klen;
	int i, r;

	REQUIRE((c = pcache_new(4, &o)) != NULL);
	REQUIRE(dnsmsg_parse(query, sizeof(query), &m, &why) == 0);
	klen = dnsmsg_key(query, &m, key);
	h = dnsmsg_hash(key, klen, 7);
	REQUIRE(pcache_get(c, h, key, klen, 100, out, sizeof(out)) == 0);
	REQUIRE(dnsmsg_parse(answer, sizeof(answer), &m, &why) == 0);
	REQUIRE(pcache_put(c, h, key, klen, answer, sizeof(answer), &m, 100) ==
	    1);
	r = pcache_get(c, h, key, klen, 100, out, sizeof(out));
	REQUIRE(r == (int)sizeof(answer) && memcmp(out, answer, r) == 0);
	/* Ten seconds later the TTL says 290; the OPT is untouched. */
	r = pcache_get(c, h, key, klen, 110, out, sizeof(out));
	REQUIRE(r == (int)sizeof(answer) && ttl_at(out, 36) == 290);
	REQUIRE(memcmp(out + 46, answer + 46, 11) == 0);
	/* Too small a buffer is not a hit. */
	REQUIRE(pcache_get(c, h, key, klen, 110, out, 10) == -1);
	/* Expired at 400. */
	REQUIRE(pcache_get(c, h, key, klen, 400, out, sizeof(out)) == 0);
	/* The DO bit is part of the key. */
	key[klen - 1] ^= DNSMSG_KF_DO;
	REQUIRE(pcache_put(c, h, key, klen, answer, sizeof(answer), &m, 100) ==
	    1);
	REQUIRE(pcache_get(c, dnsmsg_hash(key, klen, 7), key, klen, 100, out,
	    sizeof(out)) == 0);
	/* TC answers are never stored. */
	memcpy(tc, answer, sizeof(tc));
	tc[2] |= 0x02;
	REQUIRE(dnsmsg_parse(tc, sizeof(tc), &m, &why) == 0);
	REQUIRE(pcache_put(c, h, key, klen, tc, sizeof(tc), &m, 100) == 0);
	/* Bounded: 50 names into 4 slots. */
	REQUIRE(dnsmsg_parse(answer, sizeof(answer), &m, &why) == 0);
	for (i = 0; i < 50; i++) {
		key[0] = (uint8_t)i;
		h = dnsmsg_hash(key, klen, 7);
		REQUIRE(pcache_put(c, h, key, klen, answer, sizeof(answer), &m,
		    100) == 1);
		REQUIRE(pcache_get(c, h, key, klen, 100, out, sizeof(out)) > 0);
	}
	pcache_get_stats(c, &st);
	REQUIRE(st.entries <= 4 && st.capacity == 4 && st.evictions >= 46);
	/* Negative answers live min(SOA TTL, MINIMUM) = 300 s. */
	REQUIRE(dnsmsg_parse(nxdomain, sizeof(nxdomain), &m, &why) == 0);
	klen = dnsmsg_key(nxdomain, &m, key);
	h = dnsmsg_hash(key, klen, 7);
	REQUIRE(pcache_put(c, h, key, klen, nxdomain, sizeof(nxdomain), &m,
	    1000) == 1);
	REQUIRE(pcache_get(c, h, key, klen, 1299, out, sizeof(out)) > 0);
	REQUIRE(pcache_get(c, h, key, klen, 1300, out, sizeof(out)) == 0);
	pcache_clear(c);
	pcache_get_stats(c, &st);
	REQUIRE(st.entries == 0);
	pcache_free(c);
}

/* answer with these EDNS options appended to its OPT (the last record). */
static size_t
with_opts(uint8_t *out, const uint8_t *opts, size_t n)
{
	memcpy(out, answer, sizeof(answer));
	memcpy(out + sizeof(answer), opts, n);
	out[sizeof(answer) - 2] = (uint8_t)(n >> 8);
	out[sizeof(answer) - 1] = (uint8_t)n;
	return sizeof(answer) + n;
}

/* What one client's OPT carried is never handed to the next one. */
static void
test_pcache_opts(void)
{
	static const uint8_t opts[] = {
		0, 10, 0, 24, 1, 2, 3, 4, 5, 6, 7, 8,	/* COOKIE */
		9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
		0, 3, 0, 3, 'n', 's', '1',		/* NSID */
		0, 15, 0, 2, 0, 3,			/* EDE 3: stale */
		0, 12, 0, 4, 0, 0, 0, 0,		/* padding */
	};
	static const uint8_t ecs24[] = {
		0, 8, 0, 7, 0, 1, 24, 24, 192, 0, 2,
	};
	static const uint8_t ecs0[] = {
		0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2,
	};
	struct pcache_opts o = { 86400, 0, 60, 3600, 4096, 0 };
	struct pcache *c;
	struct dnsmsg m;
	uint8_t key[DNSMSG_KEY_MAX], out[512], a[512];
	const char *why;
	uint64_t h;
	size_t klen, n;
	int r;

	REQUIRE((c = pcache_new(4, &o)) != NULL);
	REQUIRE(dnsmsg_parse(query, sizeof(query), &m, &why) == 0);
	klen = dnsmsg_key(query, &m, key);
	h = dnsmsg_hash(key, klen, 7);
	/* Only the Extended DNS Error stays. */
	n = with_opts(a, opts, sizeof(opts));
	REQUIRE(dnsmsg_parse(a, n, &m, &why) == 0 && m.opt == 46);
	REQUIRE(pcache_put(c, h, key, klen, a, n, &m, 100) == 1);
	r = pcache_get(c, h, key, klen, 100, out, sizeof(out));
	REQUIRE(r == (int)sizeof(answer) + 6);
	REQUIRE(memcmp(out, answer, sizeof(answer) - 2) == 0);
	REQUIRE(out[sizeof(answer) - 2] == 0 && out[sizeof(answer) - 1] == 6);
	REQUIRE(memcmp(out + sizeof(answer), opts + 35, 6) == 0);
	REQUIRE(dnsmsg_parse(out, (size_t)r, &m, &why) == 0);
	/* An answer made for one client subnet is not shared... */
	pcache_clear(c);
	n = with_opts(a, ecs24, sizeof(ecs24));
	REQUIRE(dnsmsg_parse(a, n, &m, &why) == 0);
	REQUIRE(pcache_put(c, h, key, klen, a, n, &m, 100) == 0);
	REQUIRE(pcache_get(c, h, key, klen, 100, out, sizeof(out)) == 0);
	/* ...one valid for every subnet (scope 0) is, without the option. */
	n = with_opts(a, ecs0, sizeof(ecs0));
	REQUIRE(dnsmsg_parse(a, n, &m, &why) == 0);
	REQUIRE(pcache_put(c, h, key, klen, a, n, &m, 100) == 1);
	r = pcache_get(c, h, key, klen, 100, out, sizeof(out));
	REQUIRE(r == (int)sizeof(answer) && memcmp(out, answer, r) == 0);
	/* Malformed options: not cached. */
	n = with_opts(a, opts, 10);
	REQUIRE(dnsmsg_parse(a, n, &m, &why) == 0);
	REQUIRE(pcache_put(c, h, key, klen, a, n, &m, 200) == 0);
	pcache_free(c);
}

static void
test_ratelimit(void)
{
	struct ratelimit *rl;
	int i, ok;

	REQUIRE((rl = ratelimit_new(64, 10, 10)) != NULL);
	for (i = 0, ok = 0; i < 20; i++)
		ok += ratelimit_take(rl, 42, 1000);
	REQUIRE(ok == 10);
	REQUIRE(ratelimit_take(rl, 42, 1100) == 1);	/* one token per 100 ms */
	REQUIRE(ratelimit_take(rl, 42, 1100) == 0);
	REQUIRE(ratelimit_take(rl, 43, 1099) == 1);	/* another client */
	for (i = 0; i < 100000; i++)
		(void)ratelimit_take(rl, 1000 + (uint64_t)i, 2000);
	REQUIRE(ratelimit_count(rl) <= 64);
	ratelimit_free(rl);
}

static void
test_netaddr(void)
{
	union netaddr_sa sa, sb;
	struct netaddr_acl acl = { NULL, 0, 0 };
	struct netaddr_net n;
	char buf[80];

	REQUIRE(netaddr_parse("192.0.2.1:5300", 53, &sa) > 0);
	REQUIRE(strcmp(netaddr_format(&sa, buf, sizeof(buf)),
	    "192.0.2.1:5300") == 0);
	REQUIRE(netaddr_parse("192.0.2.1", 53, &sa) > 0 &&
	    ntohs(sa.sin.sin_port) == 53);
	REQUIRE(netaddr_parse("[2001:db8::1]:853", 53, &sa) > 0);
	REQUIRE(strcmp(netaddr_format(&sa, buf, sizeof(buf)),
	    "[2001:db8::1]:853") == 0);
	REQUIRE(netaddr_parse("2001:db8::1", 53, &sa) > 0);
	REQUIRE(netaddr_parse("192.0.2.1:0", 53, &sa) < 0);
	REQUIRE(netaddr_parse("192.0.2.1:99999", 53, &sa) < 0);
	REQUIRE(netaddr_parse("host.example:53", 53, &sa) < 0);
	REQUIRE(netaddr_parse("192.0.2.1", 0, &sa) < 0);
	REQUIRE(netaddr_net_parse("10.0.0.0/33", &n) < 0);
	REQUIRE(netaddr_net_parse("10.1.2.3/8", &n) == 0 && n.addr[1] == 0);
	REQUIRE(netaddr_acl_add(&acl, &n) == 0);
	REQUIRE(netaddr_net_parse("2001:db8::/32", &n) == 0);
	REQUIRE(netaddr_acl_add(&acl, &n) == 0);
	netaddr_parse("10.200.0.1", 53, &sa);
	REQUIRE(netaddr_acl_match(&acl, &sa));
	netaddr_parse("11.0.0.1", 53, &sa);
	REQUIRE(!netaddr_acl_match(&acl, &sa));
	netaddr_parse("::ffff:10.9.9.9", 53, &sa);
	REQUIRE(netaddr_acl_match(&acl, &sa));
	netaddr_parse("2001:db8:ffff::1", 53, &sa);
	REQUIRE(netaddr_acl_match(&acl, &sa));
	netaddr_parse("2001:db9::1", 53, &sa);
	REQUIRE(!netaddr_acl_match(&acl, &sa));
	/* One /64 is one client; the next /64 is another. */
	netaddr_parse("2001:db8:0:1::1", 53, &sa);
	netaddr_parse("2001:db8:0:1:ffff::2", 53, &sb);
	REQUIRE(netaddr_client_key(&sa) == netaddr_client_key(&sb));
	netaddr_parse("2001:db8:0:2::1", 53, &sb);
	REQUIRE(netaddr_client_key(&sa) != netaddr_client_key(&sb));
	netaddr_parse("::ffff:10.9.9.9", 53, &sa);
	netaddr_parse("10.9.9.9", 53, &sb);
	REQUIRE(netaddr_client_key(&sa) == netaddr_client_key(&sb));
	netaddr_acl_free(&acl);
}

int
main(void)
{
	test_dnsmsg();
	test_pcache();
	test_pcache_opts();
	test_ratelimit();
	test_netaddr();
	printf("ok\n");
	return 0;
}
