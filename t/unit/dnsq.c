/* dnsq.c -- unit checks of lib/dns/dnsq.c: query building, answer parsing */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dnsq.h"

struct pkt {
	unsigned char	 b[1024];
	size_t		 n;
};

static void
put(struct pkt *p, const void *v, size_t n)
{
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

static void
put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)v;
}

static void
put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void
put32(struct pkt *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p, (unsigned)(v & 0xffff));
}

/* An uncompressed name from "a.b" (no escapes). */
static void
putname(struct pkt *p, const char *s)
{
	const char *dot;
	size_t n;

	while (*s != '\0') {
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		put8(p, (unsigned)n);
		put(p, s, n);
		s += n + (dot != NULL);
	}
	put8(p, 0);
}

/* The question section's name starts at offset 12. */
#define QNAME_PTR	0xc00c

/* A header and the question for SOA of zone; counts as given. */
static void
start(struct pkt *p, unsigned id, unsigned flags, unsigned an, unsigned ns,
    unsigned ar, const char *qname)
{
	p->n = 0;
	put16(p, id);
	put16(p, flags);
	put16(p, 1);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
	putname(p, qname);
	put16(p, 6);
	put16(p, 1);
}

/* A SOA record owned by the question name with serial. */
static void
soa(struct pkt *p, unsigned long serial)
{
	size_t rdl;

	put16(p, QNAME_PTR);
	put16(p, 6);
	put16(p, 1);
	put32(p, 3600);
	rdl = p->n;
	put16(p, 0);
	put8(p, 3);
	put(p, "ns1", 3);
	put16(p, QNAME_PTR);		/* ns1.<zone> */
	put8(p, 10);
	put(p, "hostmaster", 10);
	put16(p, QNAME_PTR);
	put32(p, serial);
	put32(p, 3600);
	put32(p, 600);
	put32(p, 1209600);
	put32(p, 300);
	p->b[rdl] = (unsigned char)((p->n - rdl - 2) >> 8);
	p->b[rdl + 1] = (unsigned char)((p->n - rdl - 2) & 0xff);
}

static void
ns_rr(struct pkt *p, const char *target)
{
	size_t rdl;

	put16(p, QNAME_PTR);
	put16(p, 2);
	put16(p, 1);
	put32(p, 3600);
	rdl = p->n;
	put16(p, 0);
	putname(p, target);
	p->b[rdl + 1] = (unsigned char)(p->n - rdl - 2);
}

static void
a_rr(struct pkt *p, size_t owner_off, unsigned rdlen)
{
	unsigned i;

	put16(p, 0xc000 | (unsigned)owner_off);
	put16(p, 1);
	put16(p, 1);
	put32(p, 3600);
	put16(p, rdlen);
	for (i = 0; i < rdlen; i++)
		put8(p, 192);
}

static int
parse(const struct pkt *p, unsigned id, const char *zone,
    struct dnsq_result *r)
{
	const char *why = NULL;
	int rc = dnsq_parse(p->b, p->n, (unsigned short)id, zone, r, &why);

	CHECK(rc == 0 || why != NULL);
	return rc;
}

static void
test_servers(void)
{
	struct dnsq_server srv;
	const char *why;

	CHECK(dnsq_server_parse("127.0.0.1@5353", &srv, &why) == 0);
	CHECK(dnsq_server_parse("::1@53", &srv, &why) == 0);
	CHECK(dnsq_server_parse("192.0.2.1", &srv, &why) == 0);
	CHECK(dnsq_server_parse("host@53", &srv, &why) < 0);
	CHECK(dnsq_server_parse("192.0.2.1@0", &srv, &why) < 0);
	CHECK(dnsq_server_parse("192.0.2.1@65536", &srv, &why) < 0);
	CHECK(dnsq_server_parse("192.0.2.1@", &srv, &why) < 0);
	CHECK(dnsq_server_parse("192.0.2.1@53x", &srv, &why) < 0);
	CHECK(dnsq_server_parse("@53", &srv, &why) < 0);
}

static void
test_queries(void)
{
	unsigned char q[512];
	char label[70];
	size_t n;

	n = dnsq_query(0x1234, "Example.COM", q, sizeof(q));
	CHECK(n == 12 + 13 + 4);
	CHECK(q[0] == 0x12 && q[1] == 0x34 && q[2] == 0 && q[5] == 1);
	CHECK(memcmp(q + 12, "\7example\3com\0\0\6\0\1", 17) == 0);
	CHECK(dnsq_query(1, "a..b", q, sizeof(q)) == 0);
	CHECK(dnsq_query(1, "", q, sizeof(q)) == 0);
	CHECK(dnsq_query(1, "a b.c", q, sizeof(q)) == 0);
	memset(label, 'x', 64);
	label[64] = '\0';
	CHECK(dnsq_query(1, label, q, sizeof(q)) == 0);
	CHECK(dnsq_query(1, "example.com", q, 20) == 0);
}

/* Answers that are read: authoritative or not, REFUSED. */
static void
test_answers(void)
{
	struct dnsq_result r;
	struct pkt p;
	size_t ns_off;

	/* A good authoritative answer, authority and glue included. */
	start(&p, 7, 0x8400, 1, 1, 1, "example.com");
	soa(&p, 2024010101UL);
	ns_off = p.n;
	ns_rr(&p, "ns1.example.com");
	a_rr(&p, ns_off + 12, 4);
	CHECK(parse(&p, 7, "example.com", &r) == 0);
	CHECK(r.status == DNSQ_SOA && r.serial == 2024010101UL && r.aa);
	CHECK(parse(&p, 7, "EXAMPLE.com.", &r) == 0);
	CHECK(r.status == DNSQ_SOA);
	CHECK(parse(&p, 8, "example.com", &r) < 0);	/* id */
	CHECK(parse(&p, 7, "example.org", &r) < 0);	/* question */
	p.b[p.n++] = 0;
	CHECK(parse(&p, 7, "example.com", &r) < 0);	/* trailing byte */
	p.n--;
	p.n -= 1;
	CHECK(parse(&p, 7, "example.com", &r) < 0);	/* short A rdata */

	/* Glue with a bad A length. */
	start(&p, 7, 0x8400, 1, 1, 1, "example.com");
	soa(&p, 1);
	ns_off = p.n;
	ns_rr(&p, "ns1.example.com");
	a_rr(&p, ns_off + 12, 5);
	CHECK(parse(&p, 7, "example.com", &r) < 0);

	/* No AA: not authoritative. */
	start(&p, 9, 0x8000, 1, 0, 0, "example.com");
	soa(&p, 5);
	CHECK(parse(&p, 9, "example.com", &r) == 0);
	CHECK(r.status == DNSQ_OTHER && !r.aa);

	/* REFUSED, nothing but the question. */
	start(&p, 10, 0x8005, 0, 0, 0, "gone.example");
	CHECK(parse(&p, 10, "gone.example", &r) == 0);
	CHECK(r.status == DNSQ_OTHER && r.rcode == 5);
}

/* Answers that are refused: wrong header, records, names. */
static void
test_bad_answers(void)
{
	struct dnsq_result r;
	struct pkt p;
	const char *why;
	size_t n;

	/* Not a response, truncated, other opcode, no question. */
	start(&p, 11, 0x0400, 0, 0, 0, "a.example");
	CHECK(parse(&p, 11, "a.example", &r) < 0);
	start(&p, 11, 0x8600, 0, 0, 0, "a.example");
	CHECK(parse(&p, 11, "a.example", &r) < 0);
	start(&p, 11, 0x8800, 0, 0, 0, "a.example");
	CHECK(parse(&p, 11, "a.example", &r) < 0);
	start(&p, 11, 0x8005, 0, 0, 0, "a.example");
	p.b[5] = 0;
	CHECK(parse(&p, 11, "a.example", &r) < 0);

	/* Two SOA records of the zone. */
	start(&p, 12, 0x8400, 2, 0, 0, "example.com");
	soa(&p, 1);
	soa(&p, 2);
	CHECK(parse(&p, 12, "example.com", &r) < 0);

	/* A SOA with a short fixed part. */
	start(&p, 13, 0x8400, 1, 0, 0, "example.com");
	soa(&p, 1);
	p.n -= 4;
	CHECK(parse(&p, 13, "example.com", &r) < 0);

	/* Counts larger than the records present. */
	start(&p, 14, 0x8400, 2, 0, 0, "example.com");
	soa(&p, 1);
	CHECK(parse(&p, 14, "example.com", &r) < 0);

	/* A compression pointer to itself, forward, or into the header. */
	start(&p, 15, 0x8400, 1, 0, 0, "example.com");
	put16(&p, 0xc000 | (unsigned)p.n);
	put16(&p, 6);
	CHECK(parse(&p, 15, "example.com", &r) < 0);
	start(&p, 15, 0x8400, 1, 0, 0, "example.com");
	put16(&p, 0xc000 | (unsigned)(p.n + 2));
	put8(&p, 0);
	CHECK(parse(&p, 15, "example.com", &r) < 0);
	start(&p, 15, 0x8400, 1, 0, 0, "example.com");
	put16(&p, 0xc002);
	CHECK(parse(&p, 15, "example.com", &r) < 0);

	/* A label type other than 00 and 11. */
	start(&p, 16, 0x8400, 1, 0, 0, "example.com");
	put8(&p, 0x41);
	CHECK(parse(&p, 16, "example.com", &r) < 0);

	/* Short packets. */
	for (n = 0; n < 12; n++)
		CHECK(dnsq_parse(p.b, n, 16, "example.com", &r, &why) < 0);
}

int
main(void)
{
	test_servers();
	test_queries();
	test_answers();
	test_bad_answers();
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
