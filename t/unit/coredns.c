/* coredns.c -- unit driver for lib/pipeline/coredns.c: zone texts to plugin rows */
/* SPDX-License-Identifier: ISC */
/*
 * Without arguments: run the built-in checks, print "ok" and exit 0 (or
 * name the first failing check and exit 1). "rows ZONE" prints the rows
 * of the zone text on stdin, one per line, tab-separated (hostname, type,
 * ttl, data); "-b ZONE" times the conversion of the text on stdin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "coredns.h"
#include "io.h"

#define USAGE "coredns [rows ZONE | -b ZONE]"

static int failures;

/* All of stdin, at most one byte more than a zone text may have. */
static char *
slurp(size_t *lenp)
{
	char *buf;

	if (io_read_all(0, ZONE_TEXT_MAX + 1, &buf, lenp) == -1)
		exit(111);
	return buf;
}

static void
check(int ok, const char *what, const char *detail)
{
	if (ok)
		return;
	failures++;
	fprintf(stderr, "coredns: FAIL: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
}

/* The row hostname/type/data of z, or NULL. */
static const struct coredns_row *
find(const struct coredns_zone *z, const char *host, const char *type,
    const char *data)
{
	size_t i;

	for (i = 0; i < z->nrows; i++)
		if (strcmp(z->rows[i].hostname, host) == 0 &&
		    strcmp(z->rows[i].type, type) == 0 &&
		    strcmp(z->rows[i].data, data) == 0)
			return &z->rows[i];
	return NULL;
}

static const char da_text[] =
    "$TTL 3600\n"
    "@       IN      SOA     ns1.example.net.      hostmaster.example.com. (\n"
    "                        2024061501\n"
    "                        3600\n"
    "                        3600\n"
    "                        1209600\n"
    "                        86400 )\n"
    "example.com.\t3600\tIN\tNS\tns1.example.net.\n"
    "example.com.\t3600\tIN\tNS\tns2.example.net.\n"
    "ftp\t3600\tIN\tA\t192.0.2.10\n"
    "Mail\t3600\tIN\tA\t192.0.2.10\n"
    "example.com.\t3600\tIN\tA\t192.0.2.10\n"
    "example.com.\t3600\tIN\tAAAA\t2001:db8::10\n"
    "www\t3600\tIN\tCNAME\texample.com.\n"
    "alias\t3600\tIN\tCNAME\t@\n"
    "example.com.\t3600\tIN\tMX\t10 mail\n"
    "example.com.\t3600\tIN\tTXT\t\"v=spf1 a mx ip4:192.0.2.10 ~all\"\n"
    "_dmarc\t3600\tIN\tTXT\t\"v=DMARC1; p=none\"\n"
    "x._domainkey\t3600\tIN\tTXT\t( \"v=DKIM1; k=rsa; p=MIIBIjANBgkqh\"\n"
    "\t\"second-chunk\" )\n"
    "q\t3600\tIN\tTXT\t\"say \\\"hi\\\" \\\\ ok\"\n"
    "_sip._tcp\t3600\tIN\tSRV\t10 60 5060 sipserver\n"
    "example.com.\t3600\tIN\tCAA\t0 issue \"letsencrypt.org\"\n"
    "example.com.\t3600\tIN\tCAA\t0 iodef \"mailto:a@example.com\"\n"
    "*\t3600\tIN\tA\t192.0.2.99\n"
    "*.sub\t600\tIN\tA\t192.0.2.98\n"
    "10\t3600\tIN\tPTR\thost.example.com.\n"
    "ftp\t3600\tIN\tA\t192.0.2.10\n";

static void
test_da_zone(void)
{
	struct coredns_zone z;
	const struct coredns_row *r;
	char err[512];
	size_t i;

	if (coredns_zone_parse(&z, "Example.COM.", da_text, strlen(da_text),
	    NULL, err, sizeof(err)) < 0) {
		check(0, "DA zone parses", err);
		return;
	}
	check(strcmp(z.name, "example.com.") == 0, "zone name with dot",
	    z.name);
	check(z.serial == 2024061501, "serial", NULL);
	/* 21 records, one duplicate. */
	check(z.nrows == 20, "row count (duplicates merged)", NULL);
	check(find(&z, "@", "SOA", "ns1.example.net. hostmaster.example.com. "
	    "2024061501 3600 3600 1209600 86400") != NULL, "SOA row", NULL);
	check(find(&z, "@", "NS", "ns1.example.net.") != NULL, "NS row",
	    NULL);
	check(find(&z, "mail", "A", "192.0.2.10") != NULL,
	    "owner lower-cased", NULL);
	check(find(&z, "@", "AAAA", "2001:db8::10") != NULL, "AAAA", NULL);
	check(find(&z, "www", "CNAME", "example.com.") != NULL, "CNAME",
	    NULL);
	check(find(&z, "alias", "CNAME", "example.com.") != NULL,
	    "CNAME @ made absolute", NULL);
	check(find(&z, "@", "MX", "10 mail.example.com.") != NULL,
	    "MX target made absolute", NULL);
	check(find(&z, "@", "TXT", "\"v=spf1 a mx ip4:192.0.2.10 ~all\"") !=
	    NULL, "TXT quoted", NULL);
	check(find(&z, "_dmarc", "TXT", "\"v=DMARC1; p=none\"") != NULL,
	    "TXT with ; quoted", NULL);
	check(find(&z, "x._domainkey", "TXT", "\"v=DKIM1; k=rsa; "
	    "p=MIIBIjANBgkqh\" \"second-chunk\"") != NULL,
	    "DKIM split strings", NULL);
	check(find(&z, "q", "TXT", "\"say \\\"hi\\\" \\\\ ok\"") != NULL,
	    "TXT escapes kept", NULL);
	check(find(&z, "_sip._tcp", "SRV", "10 60 5060 "
	    "sipserver.example.com.") != NULL, "SRV", NULL);
	check(find(&z, "@", "CAA", "0 issue \"letsencrypt.org\"") != NULL,
	    "CAA quoted", NULL);
	check(find(&z, "*", "A", "192.0.2.99") != NULL, "wildcard", NULL);
	r = find(&z, "*.sub", "A", "192.0.2.98");
	check(r != NULL && r->ttl == 600, "deeper wildcard with its TTL",
	    NULL);
	check(find(&z, "10", "PTR", "host.example.com.") != NULL, "PTR",
	    NULL);
	for (i = 0; i < z.nrows; i++) {
		check(coredns_row_check(z.name, &z.rows[i], NULL, err,
		    sizeof(err)) == 0, "every row checks", err);
		check(i == 0 || coredns_row_cmp(&z.rows[i - 1],
		    &z.rows[i]) < 0, "rows sorted and unique", NULL);
	}
	coredns_zone_free(&z);
}

static const char soa[] = "@ 300 IN SOA ns1.example.net. h.example.com. "
    "1 2 3 4 5\n";

/* text (after the SOA) must be refused with a message containing why. */
static void
refused(const char *zone, const char *text, const char *why)
{
	struct coredns_zone z;
	char err[512], buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", soa, text);
	if (coredns_zone_parse(&z, zone, buf, strlen(buf), NULL, err,
	    sizeof(err)) == 0) {
		check(0, "refused", text);
		coredns_zone_free(&z);
		return;
	}
	check(strstr(err, why) != NULL, text, err);
}

/* text (after the SOA) gives a row at host of type with data. */
static void
row_is(const char *text, const char *host, const char *type,
    const char *data)
{
	struct coredns_zone z;
	char err[512], buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", soa, text);
	if (coredns_zone_parse(&z, "example.com", buf, strlen(buf), NULL, err,
	    sizeof(err)) < 0) {
		check(0, text, err);
		return;
	}
	check(find(&z, host, type, data) != NULL, text, data);
	coredns_zone_free(&z);
}

static void
test_refusals(void)
{
	struct coredns_zone z;
	struct coredns_limits small = { 512, 10, 40 };
	char err[512], big[2048];
	size_t i;

	refused("example.com", "www 300 IN A 192.0.2.300\n",
	    "invalid IPv4 address");
	refused("example.com", "www 300 IN HTTPS 1 . alpn=h2\n",
	    "not supported by the CoreDNS mysql plugin");
	refused("example.com", "www.other.org. 300 IN A 192.0.2.1\n",
	    "outside the zone");
	refused("example.com", "$INCLUDE /etc/passwd\n", "$INCLUDE");
	refused("example.com", "'; DROP TABLE zones; -- 300 IN A 192.0.2.1\n",
	    "");
	refused("../etc", "www 300 IN A 192.0.2.1\n", "invalid zone name");
	/* "@" as a literal label would read back as the apex. */
	refused("example.com", "\\@ 300 IN A 192.0.2.1\n",
	    "changes when read back");
	/* Data longer than the column. */
	snprintf(big, sizeof(big), "%st 300 IN TXT \"%0200d\" \"%0200d\"\n",
	    soa, 1, 2);
	check(coredns_zone_parse(&z, "example.com", big, strlen(big), &small,
	    err, sizeof(err)) < 0 && strstr(err, "does not fit") != NULL,
	    "data column limit", err);
	/* Five 255-byte strings: more than the 1024 of the schema. */
	i = (size_t)snprintf(big, sizeof(big), "%st 300 IN TXT", soa);
	while (i + 260 < sizeof(big) && i < 1500) {
		big[i++] = ' ';
		big[i++] = '"';
		memset(big + i, 'a', 255);
		i += 255;
		big[i++] = '"';
	}
	big[i++] = '\n';
	big[i] = '\0';
	check(coredns_zone_parse(&z, "example.com", big, strlen(big), NULL,
	    err, sizeof(err)) < 0 && strstr(err, "does not fit") != NULL,
	    "data over 1024", err);
}

static void
test_inert(void)
{
	/* SQL-looking text is stored as data, quoted. */
	row_is("t 300 IN TXT \"'); DROP TABLE records; --\"\n", "t", "TXT",
	    "\"'); DROP TABLE records; --\"");
	/* Odd bytes in owner labels come out escaped. */
	row_is("a\\032b 300 IN A 192.0.2.1\n", "a\\032b", "A", "192.0.2.1");
	row_is("x'y 300 IN A 192.0.2.1\n", "x'y", "A", "192.0.2.1");
	row_is("a\\.b 300 IN A 192.0.2.1\n", "a\\.b", "A", "192.0.2.1");
	row_is("\\; 300 IN A 192.0.2.1\n", "\\;", "A", "192.0.2.1");
	row_is("t 300 IN TXT \"caf\\195\\169\"\n", "t", "TXT",
	    "\"caf\\195\\169\"");
	row_is("t 300 IN TYPE65280 \\# 3 010203\n", "t", "TYPE65280",
	    "\\# 3 010203");
	row_is("t 300 IN TXT \"\"\n", "t", "TXT", "\"\"");
}

static void
test_row_check(void)
{
	static const struct {
		const char	*zone, *hostname, *type, *data;
		int		 good;
		const char	*what;
	} t[] = {
		{ "example.com.", "www", "A", "192.0.2.1", 1, "good row" },
		{ "example.com.", "www", "A", "192.0.2.300", 0, "bad A row" },
		{ "example.com.", "www", "A", "", 0, "empty data" },
		{ "example.com.", "", "A", "192.0.2.1", 0, "empty hostname" },
		{ "example.com.", "WWW", "A", "192.0.2.1", 0,
		    "upper-case hostname" },
		{ "example.com.", "www.example.com.", "A", "192.0.2.1", 0,
		    "absolute hostname" },
		{ "example.com.", "www", "a", "192.0.2.1", 0,
		    "lower-case type" },
		{ "example.com.", "www", "MX", "10 mail", 1,
		    "relative MX parses (the plugin's problem, never written "
		    "by us)" },
		{ "example.com.", "www", "A", "192.0.2.1\n", 0,
		    "newline in data" },
		{ "example.com", "www", "A", "192.0.2.1\n", 0,
		    "zone without dot" },
	};
	struct coredns_row r;
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.hostname = t[i].hostname;
		r.type = t[i].type;
		r.data = t[i].data;
		r.ttl = 300;
		rc = coredns_row_check(t[i].zone, &r, NULL, err, sizeof(err));
		check(t[i].good ? rc == 0 : rc < 0, t[i].what,
		    t[i].good ? err : NULL);
	}
	check(coredns_ident_ok("records") && coredns_ident_ok("dns_rr2") &&
	    !coredns_ident_ok("") && !coredns_ident_ok("a`b") &&
	    !coredns_ident_ok("x y") && !coredns_ident_ok("a.b"),
	    "identifiers", NULL);
}

static int
rows(const char *zone)
{
	struct coredns_zone z;
	char err[512], *text;
	size_t len, i;

	text = slurp(&len);
	if (coredns_zone_parse(&z, zone, text, len, NULL, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "coredns: %s\n", err);
		free(text);
		return 100;
	}
	for (i = 0; i < z.nrows; i++)
		printf("%s\t%s\t%u\t%s\n", z.rows[i].hostname, z.rows[i].type,
		    z.rows[i].ttl, z.rows[i].data);
	coredns_zone_free(&z);
	free(text);
	return 0;
}

static int
bench(const char *zone)
{
	struct coredns_zone z;
	long long t0, t1;
	char err[512], *text;
	size_t len;
	int i, n = 2000;
	double us;

	text = slurp(&len);
	t0 = clock_us();
	for (i = 0; i < n; i++) {
		if (coredns_zone_parse(&z, zone, text, len, NULL, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "coredns: %s\n", err);
			return 100;
		}
		coredns_zone_free(&z);
	}
	t1 = clock_us();
	us = (double)(t1 - t0) / n;
	printf("%.1f us per zone, %.0f zones/s\n", us, 1e6 / us);
	free(text);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "rows") == 0)
		return rows(argv[2]);
	if (argc == 3 && strcmp(argv[1], "-b") == 0)
		return bench(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "coredns: usage: %s\n", USAGE);
		return 100;
	}
	test_da_zone();
	test_refusals();
	test_inert();
	test_row_check();
	if (failures > 0)
		return 1;
	printf("ok\n");
	return 0;
}
