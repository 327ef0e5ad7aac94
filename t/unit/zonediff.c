/* zonediff.c -- differential test of lib/pipeline/zone.c against nsd-checkzone */
/* SPDX-License-Identifier: ISC */
/*
 * Generates zone texts, deterministically from a seed, and checks that
 * zone_prepare() accepts exactly what nsd-checkzone accepts, except
 * where a stricter rule is documented (strict[] below, README lists
 * them). Each case starts from a base text -- the DirectAdmin shape of
 * t/helper.bash, a fixture of t/fixtures/zone, or a bare SOA with
 * boundary values -- adds records of every type DirectAdmin writes with
 * names, numbers and strings at and past their limits, changes $TTL and
 * $ORIGIN, and sometimes mutates a line byte by byte.
 *
 * Case n of seed s is the same text on every machine: `zonediff -s S -c
 * N -p` prints it (-p alone prints all the cases). nsd-checkzone sees what a writer would write: the
 * prepared text when zone_prepare() accepts, otherwise the same prefix
 * ($TTL 300, $ORIGIN zone.) when the text lacks the directive.
 *
 * Exit 0 when every case agrees, 1 on a mismatch (each printed, and its
 * text saved in the -k directory), 100 on wrong usage, 111 on a system
 * error.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "zone.h"

#define USAGE "zonediff [-v] [-p] [-f fixtures] [-k dir] [-s seed] " \
	"[-n count] [-c case]"
#define NFIX_MAX	64
#define NSD_OUT_MAX	4096

struct gen {
	uint64_t	 rng;
	const char	*zone;		/* normalised */
	char		 origin[512];	/* current $ORIGIN, no final dot */
	int		 have_owner;	/* a record gave an owner */
	int		 odd;		/* values at and past the limits */
};

/*
 * Refusals stricter than NSD 4 on purpose, as extended regular
 * expressions on zone_prepare()'s message: a text refused with one of
 * these while nsd-checkzone accepts it is no mismatch. README lists
 * them for operators.
 */
static const char *strict[] = {
	/* NSD wraps numbers silently (MX 70000 is served as 4464); a TTL
	 * is 0-2^31-1 (RFC 2181 8). */
	"out of range \\(0-[0-9]+\\)",
	/* TTLs are digits with units (1h30m); NSD also takes "h", "1hh". */
	"invalid \\$?TTL '",
	/* Numbers are plain decimal; NSD takes "-1" and "\0093600". */
	"invalid [A-Z0-9]+ (preference|priority|weight|port|flags|key tag|"
	    "algorithm|digest type|usage|selector|matching type|serial|"
	    "refresh|retry|expire|minimum|field [0-9]+) '",
	/* No escapes in addresses: NSD reads 192.0\.2.1 as 192.0.2.1. */
	"invalid IPv[46] address '[^']*\\\\",
	/* RFC 3597 data (\#) of a known type has the length of its hex
	 * and makes one whole record of the type: NSD takes an empty TXT,
	 * a DS without digest, a TXT string running past the data. */
	"generic data \\(\\\\#\\)",
	/* No NUL byte anywhere (NSD lets some through). */
	"NUL byte in zone text",
	/* A '(' is closed before the end of the text. */
	"'\\(' not closed",
	/* \DDD is 000-255 with three digits; NSD wraps \256, takes \9. */
	"bad escape sequence",
	/* A CAA value is quoted: ldns, which the CoreDNS-MySQL writer
	 * reads zones with, wants the quotes. */
	"CAA value must be quoted",
	/* Only text fields may be quoted (NSD takes CAA 0 "issue" ...). */
	"unexpected quoted string",
	/* $ORIGIN stays inside the zone, even with no record after it,
	 * and is an absolute name (NSD also takes "@"). */
	"\\$ORIGIN outside the zone",
	"invalid \\$ORIGIN '@'",
	/* NSD warns about an unknown $WORD and reads the rest of the
	 * line as a record of the previous owner. */
	"unknown directive '",
	/* $INCLUDE would read the writer's file system. */
	"\\$INCLUDE is not allowed",
	/* A quoted string ends on its line (BIND refuses it otherwise). */
	"unterminated quoted string",
	/* One record is at most 65000 bytes of text. */
	"record longer than",
	/* A CR ends a line only before a LF (NSD takes a lone CR as a
	 * blank). */
	"carriage return without line feed",
	/* Hex data has whole octets; NSD reads a lone "0" as no data. */
	"odd number of hex digits",
	/* '@' is the origin only alone; NSD reads "@5" as a label. */
	"'@' must stand alone",
};
static regex_t strict_re[sizeof(strict) / sizeof(strict[0])];

static int vflag;

/* Stop on a failed allocation: a generator out of memory is fatal. */
static void
s_ok(int r)
{
	if (r == -1)
		die(111, "out of memory");
}

static void
s_add(struct buf *s, const void *p, size_t n)
{
	s_ok(buf_add(s, p, n));
}

static void
s_cat(struct buf *s, const char *p)
{
	s_ok(buf_adds(s, p));
}

/* buf_printf() into s, out of memory fatal as above. */
#define S_PRINTF(s, ...)	s_ok(buf_printf((s), __VA_ARGS__))

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
next(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
R(struct gen *g, unsigned n)
{
	return (unsigned)(next(g) % n);
}

#define PICK(g, a)	((a)[R((g), sizeof(a) / sizeof((a)[0]))])

/* ------------------------------------------------------------------ */
/* Names */

/* Labels of 1-63 letters making exactly n characters (n >= 1). */
static void
labels(struct gen *g, struct buf *s, size_t n)
{
	size_t l;

	while (n > 0) {
		l = n > 63 ? 63 - R(g, 4) * 20 : n;
		if (l == 0)
			l = 1;
		if (n - l == 1)
			l--;		/* no empty last label */
		if (l == 0)
			l = 1;
		while (l-- > 0) {
			s_add(s, &"abcdefghij"[R(g, 10)], 1);
			n--;
		}
		if (n > 0) {
			s_add(s, ".", 1);
			n--;
		}
	}
}

/* A name. owner: may be "@", "*", out of the zone. */
static void
name(struct gen *g, struct buf *s, int owner)
{
	static const char *plain[] = {
		"www", "mail", "_dmarc", "x._domainkey", "*", "*.shop",
		"a-b", "_sip._tcp", "WWW", "Mail.Sub", "sub", "10.2.0.192.in-addr",
		"xn--bcher-kva", "a_b", "0", "-a", "a-",
	};
	static const char *odd[] = {
		"a\\.b", "\\046x", "\\065bc", "a\\ b", "\\256", "\\0", "\\00",
		"\\000", "a\\\\b", "\\$x", "\\@", "a\\;b", "a\\(b", "\\\"x",
		"a..b", ".", "..", "a.", "@", "@.x", "x.@", "a*b", "*a", "a.*",
		"\\255\\255", "a\\009b", "$x", "a$", "\\x",
	};
	size_t olen = strlen(g->origin), w, i;

	if (!g->odd) {
		if (R(g, 3) == 0)
			S_PRINTF(s, "%s.%s.", PICK(g, plain),
			    owner || R(g, 2) ? g->zone : "example.net");
		else
			s_cat(s, owner && R(g, 3) == 0 ? "@" : R(g, 2) ? "www" :
			    "mail");
		return;
	}
	switch (R(g, 12)) {
	case 0:
	case 1:
	case 2:
		s_cat(s, owner && R(g, 2) ? "@" : PICK(g, plain));
		break;
	case 3:
		s_cat(s, PICK(g, odd));
		break;
	case 4:
		/* Absolute, in the zone or not. */
		S_PRINTF(s, "%s.%s.", PICK(g, plain),
		    R(g, 3) ? g->zone : "example.net");
		break;
	case 5:
	case 6:
		/* Relative, exactly 253-258 octets in wire form once the
		 * origin is appended. */
		w = 253 + R(g, 6);
		labels(g, s, w > olen + 4 ? w - olen - 3 : 1);
		break;
	case 7:
		/* Absolute, 253-258 octets in wire form. */
		w = 253 + R(g, 6);
		labels(g, s, w - 2);
		s_add(s, ".", 1);
		break;
	case 8:
		/* A 62-65 octet label. */
		for (w = 62 + R(g, 4); w > 0; w--)
			s_add(s, "k", 1);
		if (R(g, 2))
			s_cat(s, ".sub");
		break;
	case 9:
		/* Many one-letter labels, around the 127 limit. */
		for (w = 60 + R(g, 70); w > 0; w--)
			s_cat(s, "a.");
		s->len--;
		s->p[s->len] = '\0';
		if (R(g, 2))
			S_PRINTF(s, ".%s.", g->zone);
		break;
	case 10:
		/* Escapes that make the text long and the name short, or
		 * sized so only the octets count. */
		w = R(g, 2) ? 60 + R(g, 6) : 120 + R(g, 130);
		i = R(g, 2);	/* one label of 60-65 octets, or several */
		while (w-- > 0)
			s_cat(s, i || R(g, 4) ? "\\097" : (R(g, 2) ? "\\." :
			    "b"));
		break;
	default:
		S_PRINTF(s, "%s.%s", PICK(g, plain), PICK(g, plain));
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Numbers */

static const char *
u8(struct gen *g)
{
	static const char *v[] = { "0", "1", "3", "13", "127", "128", "255",
	    "256", "-1", "08", "1e2", "0x1", "65535", "4294967296" };

	return g->odd ? PICK(g, v) : "0";
}

static const char *
u16(struct gen *g)
{
	static const char *v[] = { "0", "1", "10", "443", "5060", "65535",
	    "65536", "-1", "010", "99999", "4294967296", "1.5", "10x",
	    "18446744073709551616" };

	return g->odd ? PICK(g, v) : "10";
}

static const char *
u32(struct gen *g)
{
	static const char *v[] = { "0", "1", "3600", "2147483647",
	    "2147483648", "4294967295", "4294967296", "99999999999", "-1",
	    "1h", "1w2d", "1h2m3s", "2024061501", "18446744073709551616",
	    "1x", "1H", "60S" };

	return g->odd ? PICK(g, v) : "3600";
}

static const char *
ttl(struct gen *g)
{
	static const char *v[] = { "0", "1", "300", "3600", "2147483647",
	    "2147483648", "4294967295", "4294967296", "1h2m", "1H", "1w",
	    "2d3h", "1h2m3s", "60s", "1x", "h", "1hh", "1h2", "01",
	    "99999999999999999999", "1W1D1H1M1S", "3600s" };

	return g->odd ? PICK(g, v) : "3600";
}

static const char *
klass(struct gen *g)
{
	static const char *v[] = { "IN", "in", "In", "CH", "HS", "NONE",
	    "ANY", "CLASS1", "CLASS3", "CLASS255", "CLASS65536", "CS" };

	return g->odd ? PICK(g, v) : "IN";
}

/* ------------------------------------------------------------------ */
/* Record data */

static void
hex(struct gen *g, struct buf *s, size_t n)
{
	while (n-- > 0)
		s_add(s, &"0123456789abcdefABCDEF"[R(g, 22)], 1);
}

static void
text_string(struct gen *g, struct buf *s)
{
	size_t n, i;

	switch (g->odd ? R(g, 10) : 9) {
	case 0:
		s_cat(s, "\"\"");
		return;
	case 1:
		s_cat(s, "word");
		return;
	case 2:
	case 3:
		/* 253-257 bytes in one string. */
		n = 253 + R(g, 5);
		s_add(s, "\"", 1);
		for (i = 0; i < n; i++)
			s_add(s, "x", 1);
		s_add(s, "\"", 1);
		return;
	case 4:
		/* Escaped bytes: long text, short string, or past 255. */
		n = 250 + R(g, 10);
		s_add(s, "\"", 1);
		for (i = 0; i < n; i++)
			s_cat(s, R(g, 2) ? "\\097" : "\\\"");
		s_add(s, "\"", 1);
		return;
	case 5:
		s_cat(s, R(g, 2) ? "\"a\\255b\"" : "\"a\\256b\"");
		return;
	case 6:
		s_cat(s, R(g, 2) ? "\"semi;colon (paren) \\\\ \\\"q\\\"\"" :
		    "\"a\\9b\\09c\"");
		return;
	default:
		s_cat(s, "\"v=spf1 a mx -all\"");
		return;
	}
}

static const char *sep[] = { " ", "\t", "  ", " \t" };

/* Rdata fields joined by separators; sometimes across lines in
 * parentheses. */
static void
fields(struct gen *g, struct buf *s, const char **f, size_t n)
{
	size_t i, brk = n > 1 && R(g, 5) == 0 ? 1 + R(g, n - 1) : 0;

	if (brk)
		s_cat(s, "( ");
	for (i = 0; i < n; i++) {
		if (i > 0)
			s_cat(s, brk && i == brk ? "\n\t\t" : PICK(g, sep));
		s_cat(s, f[i]);
	}
	if (brk)
		s_cat(s, R(g, 2) ? " )" : "\n )");
}

/* The owner, or a blank for the previous one, then TTL and class in any
 * order NSD allows. */
static void
record_head(struct gen *g, struct buf *s)
{
	if (g->have_owner && R(g, 8) == 0)
		s_cat(s, "\t");
	else {
		name(g, s, 1);
		g->have_owner = 1;
		s_cat(s, PICK(g, sep));
	}
	switch (R(g, 6)) {
	case 0:
		break;
	case 1:
		S_PRINTF(s, "%s%s", ttl(g), PICK(g, sep));
		break;
	case 2:
		S_PRINTF(s, "%s%s", klass(g), PICK(g, sep));
		break;
	case 3:
		S_PRINTF(s, "%s%s%s%s", ttl(g), PICK(g, sep), "IN",
		    PICK(g, sep));
		break;
	default:
		S_PRINTF(s, "%s%s%s%s", "IN", PICK(g, sep), ttl(g),
		    PICK(g, sep));
		break;
	}
}

/* Where the rdata fields of one record live. */
struct rdata {
	const char	*f[8];		/* the fields */
	size_t		 n;
	struct buf	 rd, nm;	/* text and name fields point here */
	char		 t1[32], t2[32];
};

/* TXT: one to three strings, now and then past 64 KiB of rdata. */
static void
txt_data(struct gen *g, struct rdata *d)
{
	size_t i;

	for (i = 1 + R(g, 3); i > 0; i--) {
		text_string(g, &d->rd);
		if (i > 1 && R(g, 6) != 0)
			s_add(&d->rd, " ", 1);
	}
	if (g->odd && R(g, 10) == 0)
		/* Past 64 KiB of rdata. */
		for (i = 0; i < 260; i++) {
			s_add(&d->rd, " \"", 2);
			while (d->rd.len % 256 != 0)
				s_add(&d->rd, "y", 1);
			s_add(&d->rd, "\"", 1);
		}
	d->f[d->n++] = d->rd.p;
}

/* CAA: flags, tag, value. */
static void
caa_data(struct gen *g, struct rdata *d)
{
	static const char *tags[] = { "issue", "issuewild", "iodef",
	    "Issue", "aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "tag-x", "a",
	    "\"issue\"", "0" };
	static const char *caav[] = { "\"letsencrypt.org\"",
	    "letsencrypt.org", "\"\"", "\"mailto:a@example.com\"",
	    "\"a; b\"" };

	d->f[d->n++] = g->odd ? PICK(g, ((const char *[]){ "0", "128",
	    "255", "256", "1", "-1" })) : "0";
	d->f[d->n++] = g->odd ? PICK(g, tags) : tags[R(g, 3)];
	d->f[d->n++] = g->odd ? PICK(g, caav) : caav[R(g, 2) * 3];
}

/* DS: key tag, algorithm, digest type, digest. */
static void
ds_data(struct gen *g, struct rdata *d)
{
	static const char *alg[] = { "8", "13", "0", "255", "256",
	    "RSASHA256", "ECDSAP256SHA256", "FOO" };
	static const char *dt[] = { "1", "2", "4", "0", "255", "256" };

	d->f[d->n++] = u16(g);
	d->f[d->n++] = g->odd ? PICK(g, alg) : "13";
	d->f[d->n++] = g->odd ? PICK(g, dt) : "2";
	hex(g, &d->rd, g->odd ? PICK(g, ((const size_t[]){ 40, 64, 96,
	    63, 2, 1, 64, 64 })) : 64);
	if (g->odd && R(g, 8) == 0)
		s_cat(&d->rd, R(g, 2) ? " ab" : "zz");
	if (d->rd.len == 0)
		s_cat(&d->rd, "-");
	d->f[d->n++] = d->rd.p;
}

/* TLSA: usage, selector, matching type, data. */
static void
tlsa_data(struct gen *g, struct rdata *d)
{
	d->f[d->n++] = R(g, 2) ? u8(g) : "3";
	d->f[d->n++] = R(g, 2) ? u8(g) : "1";
	d->f[d->n++] = R(g, 2) ? u8(g) : "1";
	hex(g, &d->rd, g->odd ? PICK(g, ((const size_t[]){ 64, 64, 128,
	    63, 2, 1 })) : 64);
	d->f[d->n++] = d->rd.p;
}

/* SOA: a second one, or one below the apex. */
static void
soa_data(struct gen *g, struct rdata *d)
{
	name(g, &d->nm, 0);
	d->f[d->n++] = d->nm.p;
	d->f[d->n++] = "hostmaster.example.net.";
	d->f[d->n++] = u32(g);
	snprintf(d->t1, sizeof(d->t1), "%s", u32(g));
	snprintf(d->t2, sizeof(d->t2), "%s", u32(g));
	d->f[d->n++] = d->t1;
	d->f[d->n++] = d->t2;
	d->f[d->n++] = u32(g);
	d->f[d->n++] = u32(g);
}

/* The rdata of type, with odd values. */
static void
record_data(struct gen *g, const char *type, struct rdata *d)
{
	static const char *a[] = { "192.0.2.1", "0.0.0.0",
	    "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5",
	    "01.2.3.4", "1.2.3.4x", "::1", "\\# 4 c0000201",
	    "\\# 3 c00002", "\\# 4 c00002", "\\# 0" };
	static const char *aaaa[] = { "2001:db8::1", "::",
	    "::ffff:192.0.2.1", "2001:db8::1::2", "1:2:3:4:5:6:7:8",
	    "1:2:3:4:5:6:7:8:9", "g::1", "192.0.2.1", "2001:DB8::A" };

	if (strcmp(type, "A") == 0)
		d->f[d->n++] = g->odd ? PICK(g, a) : a[0];
	else if (strcmp(type, "AAAA") == 0)
		d->f[d->n++] = g->odd ? PICK(g, aaaa) : aaaa[0];
	else if (strcmp(type, "CNAME") == 0 || strcmp(type, "NS") == 0 ||
	    strcmp(type, "PTR") == 0) {
		name(g, &d->nm, 0);
		d->f[d->n++] = d->nm.p;
	} else if (strcmp(type, "MX") == 0) {
		d->f[d->n++] = u16(g);
		name(g, &d->nm, 0);
		d->f[d->n++] = d->nm.p;
	} else if (strcmp(type, "TXT") == 0)
		txt_data(g, d);
	else if (strcmp(type, "SRV") == 0) {
		d->f[d->n++] = u16(g);
		d->f[d->n++] = u16(g);
		d->f[d->n++] = u16(g);
		name(g, &d->nm, 0);
		d->f[d->n++] = R(g, 6) ? d->nm.p : ".";
	} else if (strcmp(type, "CAA") == 0)
		caa_data(g, d);
	else if (strcmp(type, "DS") == 0)
		ds_data(g, d);
	else if (strcmp(type, "TLSA") == 0)
		tlsa_data(g, d);
	else
		soa_data(g, d);
}

/* Now and then RFC 3597 generic data of any length for the type in
 * place of the fields, or a field short or one too many. */
static void
record_odd(struct gen *g, struct rdata *d)
{
	size_t i;

	if (g->odd && R(g, 6) == 0) {
		i = PICK(g, ((const size_t[]){ 0, 1, 2, 3, 4, 5, 7, 16, 18 }));
		buf_clear(&d->rd);
		S_PRINTF(&d->rd, "\\# %zu ", i);
		hex(g, &d->rd, R(g, 8) ? 2 * i : 2 * i + 1);
		if (R(g, 4) == 0 && i > 0)
			/* The common forms: a name's wire form. */
			s_cat(&d->rd, R(g, 2) ? "00" : "");
		d->f[0] = d->rd.p;
		d->n = 1;
	}
	if (g->odd && R(g, 10) == 0 && d->n > 0)
		d->n--;
	else if (g->odd && R(g, 10) == 0)
		d->f[d->n++] = "extra";
}

/* One record of a type DirectAdmin writes, with odd values. */
static void
record(struct gen *g, struct buf *s)
{
	static const char *types[] = { "A", "AAAA", "CNAME", "MX", "NS",
	    "PTR", "TXT", "SRV", "CAA", "DS", "TLSA", "SOA" };
	struct rdata d;
	const char *type;

	memset(&d, 0, sizeof(d));
	g->odd = R(g, 4) == 0;
	/* A second SOA is refused by both: rarely. */
	do
		type = PICK(g, types);
	while (strcmp(type, "SOA") == 0 && (!g->odd || R(g, 4) != 0));
	record_head(g, s);
	if (g->odd && R(g, 4) == 0)
		s_cat(s, R(g, 2) ? "a" : "Mx");
	else
		s_cat(s, type);
	s_cat(s, PICK(g, sep));
	record_data(g, type, &d);
	record_odd(g, &d);
	fields(g, s, d.f, d.n);
	if (R(g, 8) == 0)
		s_cat(s, R(g, 2) ? " ; comment" : ";c");
	s_cat(s, "\n");
	buf_free(&d.rd);
	buf_free(&d.nm);
}

/* ------------------------------------------------------------------ */
/* Bases */

/* The DirectAdmin shape of t/helper.bash da_zone. */
static void
base_da(struct gen *g, struct buf *s, int with_ttl)
{
	const char *z = g->zone;

	s_cat(s, "\n\n\n\n\n\n\n\n\n\n\n\n\n");
	if (with_ttl)
		S_PRINTF(s, "$TTL %s\n", R(g, 3) ? "3600" : ttl(g));
	S_PRINTF(s, "@       IN      SOA     ns1.example.net.      "
	    "hostmaster.%s. (\n", R(g, 8) ? z : "example.net");
	S_PRINTF(s, "                                                %s\n",
	    R(g, 3) ? "2021082500" : u32(g));
	S_PRINTF(s, "                                                %s\n",
	    R(g, 3) ? "3600" : u32(g));
	S_PRINTF(s, "                                                %s\n",
	    R(g, 3) ? "3600" : u32(g));
	S_PRINTF(s, "                                                %s\n",
	    R(g, 3) ? "1209600" : u32(g));
	S_PRINTF(s, "                                                %s )\n\n",
	    R(g, 3) ? "86400" : u32(g));
	S_PRINTF(s, "%s.\t3600\tIN\tNS\tns1.example.net.\n", z);
	S_PRINTF(s, "%s.\t3600\tIN\tNS\tns2.example.net.\n\n", z);
	s_cat(s, "ftp\t3600\tIN\tA\t192.0.2.10\n");
	s_cat(s, "mail\t3600\tIN\tA\t192.0.2.10\n");
	S_PRINTF(s, "%s.\t3600\tIN\tA\t192.0.2.10\n", z);
	s_cat(s, "www\t3600\tIN\tA\t192.0.2.10\n\n");
	S_PRINTF(s, "%s.\t3600\tIN\tMX\t10 mail\n\n", z);
	S_PRINTF(s, "%s.\t3600\tIN\tTXT\t\"v=spf1 a mx ip4:192.0.2.10 "
	    "~all\"\n\n\n", z);
}

/* A bare SOA on one line or in parentheses, fields at their limits. */
static void
base_soa(struct gen *g, struct buf *s, int with_ttl)
{
	const char *f[7];
	struct buf nm = { 0 };

	if (with_ttl)
		S_PRINTF(s, "$TTL %s\n", ttl(g));
	S_PRINTF(s, "%s%s", R(g, 2) ? "@" : g->zone, R(g, 2) ? "." : "");
	if (R(g, 2))
		S_PRINTF(s, "\t%s", ttl(g));
	s_cat(s, R(g, 4) ? "\tIN\tSOA\t" : "\tSOA\t");
	name(g, &nm, 0);
	f[0] = R(g, 2) ? nm.p : "ns1.example.net.";
	f[1] = R(g, 4) ? "hostmaster.example.net." : "h";
	f[2] = u32(g);
	f[3] = u32(g);
	f[4] = u32(g);
	f[5] = u32(g);
	f[6] = u32(g);
	fields(g, s, f, 7);
	S_PRINTF(s, "\n@\tNS\tns1.example.net.\n");
	free(nm.p);
}

/* A fixture with example.com replaced by the zone. */
static void
base_fixture(struct gen *g, struct buf *s, const char *fix, int with_ttl)
{
	const char *p = fix, *q, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		nl = nl != NULL ? nl + 1 : p + strlen(p);
		if (!with_ttl && strncmp(p, "$TTL", 4) == 0) {
			p = nl;
			continue;
		}
		while (p < nl) {
			q = strstr(p, "example.com");
			if (q == NULL || q >= nl) {
				s_add(s, p, nl - p);
				break;
			}
			s_add(s, p, q - p);
			s_cat(s, g->zone);
			p = q + strlen("example.com");
		}
		p = nl;
	}
}

/* Change one line byte by byte, or one of its numbers. */
static void
mutate(struct gen *g, struct buf *s)
{
	/* The final NUL is one of the bytes too. */
	static const char ins[] = " \t\"\\();.$@*0123456789aZ-_\n\r\303\251\177";
	static const char *nums[] = { "65535", "65536", "255", "256",
	    "2147483647", "2147483648", "4294967295", "4294967296", "0",
	    "-1" };
	struct buf o = { 0 };
	size_t at, nlines = 0, i, start, end;

	for (i = 0; i < s->len; i++)
		nlines += s->p[i] == '\n';
	if (nlines == 0 || s->len == 0)
		return;
	at = R(g, nlines);
	for (start = 0, i = 0; i < at; start++)
		i += s->p[start] == '\n';
	for (end = start; end < s->len && s->p[end] != '\n'; end++)
		;
	if (end == start)
		return;
	i = start + R(g, end - start);
	s_add(&o, s->p, i);
	switch (R(g, 5)) {
	case 0:		/* delete a byte */
		i++;
		break;
	case 1:		/* insert a byte */
		s_add(&o, ins + R(g, sizeof(ins)), 1);
		break;
	case 2:		/* replace a byte */
		s_add(&o, ins + R(g, sizeof(ins)), 1);
		i++;
		break;
	case 3:		/* replace a number */
		if (s->p[i] >= '0' && s->p[i] <= '9') {
			while (i > start && s->p[i - 1] >= '0' &&
			    s->p[i - 1] <= '9') {
				i--;
				o.p[--o.len] = '\0';
			}
			while (i < end && s->p[i] >= '0' && s->p[i] <= '9')
				i++;
			s_cat(&o, PICK(g, nums));
		}
		break;
	default:	/* upper-case the rest of the line */
		for (; i < end; i++) {
			char c = s->p[i];

			if (c >= 'a' && c <= 'z')
				c -= 'a' - 'A';
			s_add(&o, &c, 1);
		}
		break;
	}
	s_add(&o, s->p + i, s->len - i);
	free(s->p);
	*s = o;
}

/* ------------------------------------------------------------------ */

struct fixture {
	char	*name;
	char	*text;
};

static struct fixture fix[NFIX_MAX];
static size_t nfix;

static char *
slurp(const char *path)
{
	struct buf s = { 0 };
	char buf[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		die_sys(111, "unable to open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		s_add(&s, buf, n);
	if (n == -1)
		die_sys(111, "unable to read %s", path);
	close(fd);
	s_add(&s, "", 0);
	return s.p;
}

static int
fixcmp(const void *a, const void *b)
{
	return strcmp(((const struct fixture *)a)->name,
	    ((const struct fixture *)b)->name);
}

static void
load_fixtures(const char *dir)
{
	struct dirent *d;
	char path[4096];
	size_t n;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		die_sys(111, "unable to open %s", dir);
	while ((d = readdir(dp)) != NULL && nfix < NFIX_MAX) {
		n = strlen(d->d_name);
		if (n < 6 || strcmp(d->d_name + n - 5, ".zone") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if ((fix[nfix].name = strdup(d->d_name)) == NULL)
			die(111, "out of memory");
		fix[nfix++].text = slurp(path);
	}
	closedir(dp);
	/* Directory order differs between file systems. */
	qsort(fix, nfix, sizeof(fix[0]), fixcmp);
}

/* The zone of a case: example.com mostly, sometimes long or deep. */
static void
zone_of(struct gen *g, char *z)
{
	struct buf s = { 0 };
	size_t n, i;

	switch (R(g, 6)) {
	case 0:
		/* 200-253 characters. */
		n = 200 + R(g, 54);
		labels(g, &s, n - 4);
		s_cat(&s, ".com");
		break;
	case 1:
		for (n = 100 + R(g, 27), i = 0; i < n; i++)
			s_cat(&s, i ? ".a" : "a");
		break;
	case 2:
		s_cat(&s, PICK(g, ((const char *[]){ "sub.example.com",
		    "2.0.192.in-addr.arpa", "test", "xn--bcher-kva.example",
		    "_x.example" })));
		break;
	default:
		s_cat(&s, "example.com");
		break;
	}
	snprintf(z, ZONE_NAME_MAX + 1, "%s", s.p);
	free(s.p);
}

/* Build case n of seed. */
static void
make_case(uint64_t seed, unsigned long n, char *z, struct buf *s)
{
	struct gen g;
	const char *why;
	char norm[ZONE_NAME_MAX + 1];
	size_t i, k;
	int with_ttl, base;

	memset(&g, 0, sizeof(g));
	g.rng = seed * 0x100000001b3ULL ^ n;
	(void)next(&g);
	zone_of(&g, z);
	if (zone_name_norm(z, norm, &why) == -1 || strcmp(norm, z) != 0)
		snprintf(z, ZONE_NAME_MAX + 1, "example.com");
	g.zone = z;
	snprintf(g.origin, sizeof(g.origin), "%s", z);
	with_ttl = R(&g, 5) != 0;
	base = R(&g, 10);
	g.odd = R(&g, 3) == 0;
	if (base < 4)
		base_da(&g, s, with_ttl);
	else if (base < 6 || nfix == 0)
		base_soa(&g, s, with_ttl);
	else if (base < 9)
		/* The good fixture. */
		for (i = 0; i < nfix; i++) {
			if (strncmp(fix[i].name, "nsd-bad", 7) == 0)
				continue;
			base_fixture(&g, s, fix[i].text, with_ttl);
			break;
		}
	else
		base_fixture(&g, s, fix[R(&g, nfix)].text, with_ttl);
	g.have_owner = 1;
	/* Directives, then records. */
	g.odd = R(&g, 2);
	if (R(&g, 6) == 0)
		S_PRINTF(s, "$TTL%s%s\n", PICK(&g, sep), ttl(&g));
	if (R(&g, 8) == 0) {
		struct buf o = { 0 };

		switch (R(&g, 6)) {
		case 0:
			S_PRINTF(&o, "sub.%s.", z);
			break;
		case 5:
			/* In the zone, 240-256 octets: relative names after
			 * it reach the limit at once. */
			i = 240 + R(&g, 17);
			if (i > strlen(z) + 4)
				labels(&g, &o, i - strlen(z) - 3);
			else
				s_cat(&o, "a");
			S_PRINTF(&o, ".%s.", z);
			break;
		case 1:
			s_cat(&o, "sub");
			break;
		case 2:
			s_cat(&o, "example.net.");
			break;
		default:
			name(&g, &o, 0);
			break;
		}
		S_PRINTF(s, "$ORIGIN %s\n", o.p);
		/* Track it for sizing names; a wrong guess only shifts
		 * the boundary cases. */
		if (o.len > 0 && o.p[o.len - 1] == '.' && o.len < 500) {
			snprintf(g.origin, sizeof(g.origin), "%.*s",
			    (int)o.len - 1, o.p);
		}
		free(o.p);
	}
	for (k = R(&g, 7); k > 0; k--)
		record(&g, s);
	for (k = R(&g, 4) == 0 ? 1 + R(&g, 2) : 0; k > 0; k--)
		mutate(&g, s);
}

/* Has the text this directive in column 0? zone_prepare() prepends the
 * directive otherwise. */
static int
has_directive(const char *p, size_t len, const char *d)
{
	size_t n = strlen(d), i;

	for (i = 0; i + n < len; i++)
		if ((i == 0 || p[i - 1] == '\n') &&
		    memcmp(p + i, d, n) == 0 &&
		    (p[i + n] == ' ' || p[i + n] == '\t'))
			return 1;
	return 0;
}

/* Run nsd-checkzone zone path; return 1 when it accepts, 0 when not,
 * its last output line in msg. */
static int
nsd_check(const char *zone, const char *path, char *msg, size_t msglen)
{
	char out[NSD_OUT_MAX], *p, *e;
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) == -1)
		die_sys(111, "pipe");
	if ((pid = fork()) == -1)
		die_sys(111, "fork");
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		alarm(30);	/* a hung checker counts as a refusal */
		execlp("nsd-checkzone", "nsd-checkzone", zone, path,
		    (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	/* Drain what did not fit. */
	while (n > 0 || (n == -1 && errno == EINTR))
		n = read(fds[0], msg, msglen);
	out[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) == -1)
		die_sys(111, "waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		die(111, "unable to run nsd-checkzone");
	/* The first error line says most. */
	msg[0] = '\0';
	if ((p = strstr(out, "error: ")) != NULL) {
		p += 7;
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		snprintf(msg, msglen, "%.*s", (int)(e - p), p);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int
is_strict(const char *err)
{
	size_t i;

	for (i = 0; i < sizeof(strict) / sizeof(strict[0]); i++)
		if (regexec(&strict_re[i], err, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

static void
write_file(const char *path, const char *p1, size_t n1, const char *p2,
    size_t n2)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		die_sys(111, "unable to create %s", path);
	if (fwrite(p1, 1, n1, f) != n1 || fwrite(p2, 1, n2, f) != n2 ||
	    fclose(f) == EOF)
		die_sys(111, "unable to write %s", path);
}

/* What the cases came to. */
struct tally {
	unsigned long	 both_ok, both_no, stricter, bad;
};

/*
 * Write to path what nsd-checkzone is to see of the text s of zone z:
 * the prepared text when zone_prepare() accepts it, else the text with
 * the directives zone_prepare() would have prepended. Returns 1 when
 * zone_prepare() accepts, 0 with its message in err.
 */
static int
write_ours(const char *path, const char *z, const struct buf *s, char *err,
    size_t errlen)
{
	struct zone_info info;
	char pre[600], *out;
	size_t outlen, plen = 0;

	if (zone_prepare(z, s->p, s->len, &out, &outlen, &info, err,
	    errlen) == 0) {
		write_file(path, out, outlen, "", 0);
		free(out);
		return 1;
	}
	if (!has_directive(s->p, s->len, "$TTL"))
		plen += snprintf(pre + plen, sizeof(pre) - plen, "$TTL 300\n");
	if (!has_directive(s->p, s->len, "$ORIGIN"))
		plen += snprintf(pre + plen, sizeof(pre) - plen,
		    "$ORIGIN %s.\n", z);
	write_file(path, pre, plen, s->p, s->len);
	return 0;
}

/*
 * Case n of seed, zone z and text s: zone_prepare() against nsd-checkzone
 * on a file in dir. Counts it in t; prints a mismatch and keeps its text
 * in keep (unless NULL).
 */
static void
compare_case(const char *dir, const char *keep, uint64_t seed,
    unsigned long n, const char *z, const struct buf *s, struct tally *t)
{
	char err[1024], msg[512], path[4096];
	int ours, theirs;

	snprintf(path, sizeof(path), "%s/z", dir);
	ours = write_ours(path, z, s, err, sizeof(err));
	theirs = nsd_check(z, path, msg, sizeof(msg));
	if (ours && theirs)
		t->both_ok++;
	else if (!ours && !theirs)
		t->both_no++;
	else if (!ours && is_strict(err))
		t->stricter++;
	if (vflag)
		printf("zonediff: case %lu: dadns %s; nsd %s%s\n", n,
		    ours ? "accepts" : err,
		    theirs ? "accepts" : "refuses: ", theirs ? "" : msg);
	if (ours == theirs || (!ours && is_strict(err)))
		return;
	t->bad++;
	printf("zonediff: mismatch: case %lu (-s %llu -c %lu) zone %s: %s\n",
	    n, (unsigned long long)seed, n, z, ours ?
	    "dadns accepts, nsd-checkzone refuses:" :
	    "dadns refuses, nsd-checkzone accepts:");
	printf("zonediff:   %s\n", ours ? msg : err);
	if (keep != NULL) {
		snprintf(path, sizeof(path), "%s/mismatch-%llu-%lu.zone",
		    keep, (unsigned long long)seed, n);
		write_file(path, s->p, s->len, "", 0);
	}
}

int
main(int argc, char *argv[])
{
	const char *fixdir = NULL, *keep = NULL;
	char z[ZONE_NAME_MAX + 1], path[4096];
	char tmpl[] = "/tmp/zonediff.XXXXXX", *end;
	unsigned long count = 300, one = 0, n, first, last;
	struct tally t = { 0, 0, 0, 0 };
	uint64_t seed = 1;
	struct buf s = { 0 };
	size_t i;
	int c, pflag = 0, cflag = 0;

	log_init("zonediff");
	while ((c = getopt(argc, argv, "c:f:k:n:ps:v")) != -1) {
		switch (c) {
		case 'c':
			one = strtoul(optarg, &end, 10);
			if (*end != '\0')
				die_usage(USAGE);
			cflag = 1;
			break;
		case 'f':
			fixdir = optarg;
			break;
		case 'k':
			keep = optarg;
			break;
		case 'n':
			count = strtoul(optarg, &end, 10);
			if (*end != '\0' || count == 0)
				die_usage(USAGE);
			break;
		case 'p':
			pflag = 1;
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*end != '\0')
				die_usage(USAGE);
			break;
		case 'v':
			vflag = 1;
			break;
		default:
			die_usage(USAGE);
		}
	}
	if (optind != argc)
		die_usage(USAGE);
	for (i = 0; i < sizeof(strict) / sizeof(strict[0]); i++)
		if (regcomp(&strict_re[i], strict[i], REG_EXTENDED |
		    REG_NOSUB) != 0)
			die(111, "bad pattern %s", strict[i]);
	if (fixdir != NULL)
		load_fixtures(fixdir);
	if (!pflag && mkdtemp(tmpl) == NULL)
		die_sys(111, "mkdtemp");
	first = cflag ? one : 0;
	last = cflag ? one + 1 : count;
	for (n = first; n < last; n++) {
		buf_clear(&s);
		make_case(seed, n, z, &s);
		if (!pflag) {
			compare_case(tmpl, keep, seed, n, z, &s, &t);
			continue;
		}
		printf("; case %lu zone %s\n", n, z);
		fwrite(s.p, 1, s.len, stdout);
	}
	buf_free(&s);
	if (pflag)
		return fflush(stdout) == 0 ? 0 : 111;
	snprintf(path, sizeof(path), "%s/z", tmpl);
	unlink(path);
	rmdir(tmpl);
	printf("zonediff: %lu cases from seed %llu: %lu accepted by both, "
	    "%lu refused by both, %lu refused by a stricter rule, "
	    "%lu mismatches\n", last - first, (unsigned long long)seed,
	    t.both_ok, t.both_no, t.stricter, t.bad);
	return t.bad ? 1 : 0;
}
