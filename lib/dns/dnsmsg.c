/* dnsmsg.c -- DNS message parsing and validation for dns-proxy */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsmsg.h"

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Skip a possibly compressed name; returns the offset after it or -1. */
static long
skip_name(const uint8_t *pkt, size_t len, size_t off)
{
	size_t total = 0;
	unsigned l;

	for (;;) {
		if (off >= len)
			return -1;
		l = pkt[off];
		if (l == 0)
			return (long)off + 1;
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > len)
				return -1;
			return (long)off + 2;
		}
		if (l & 0xc0)
			return -1;	/* 0x40/0x80 label types are obsolete */
		total += l + 1;
		if (total > DNSMSG_NAME_MAX - 1)
			return -1;
		off += l + 1;
	}
}

/* Parse the OPT record at off (its name must be the root). */
static int
parse_opt(const uint8_t *pkt, size_t len, size_t off, struct dnsmsg *m,
    const char **why)
{
	size_t rdlen;

	if (off + 11 > len) {
		*why = "truncated OPT record";
		return -1;
	}
	if (pkt[off] != 0) {
		*why = "OPT record with a non-root owner";
		return -1;
	}
	if (m->edns) {
		*why = "more than one OPT record";
		return -1;
	}
	rdlen = get16(pkt + off + 9);
	if (off + 11 + rdlen > len) {
		*why = "truncated OPT record";
		return -1;
	}
	m->edns = 1;
	m->opt = (uint16_t)off;
	m->edns_size = get16(pkt + off + 3);
	if (m->edns_size < 512)
		m->edns_size = 512;
	m->edns_version = pkt[off + 6];
	m->do_bit = (pkt[off + 7] & 0x80) != 0;
	return 0;
}

int
dnsmsg_parse(const uint8_t *pkt, size_t len, struct dnsmsg *m,
    const char **why)
{
	size_t off, total, i, nrr;
	unsigned l;
	long next;

	memset(m, 0, sizeof(*m));
	m->edns_size = 512;
	if (len < DNSMSG_HDR) {
		*why = "shorter than a header";
		return -1;
	}
	m->id = get16(pkt);
	m->flags = get16(pkt + 2);
	m->qdcount = get16(pkt + 4);
	m->ancount = get16(pkt + 6);
	m->nscount = get16(pkt + 8);
	m->arcount = get16(pkt + 10);
	if (m->qdcount != 1) {
		*why = "question count is not 1";
		return -1;
	}
	off = DNSMSG_HDR;
	total = 0;
	for (;;) {
		if (off >= len) {
			*why = "truncated question name";
			return -1;
		}
		l = pkt[off];
		if (l == 0)
			break;
		if (l & 0xc0) {
			*why = "compressed or bad label in the question";
			return -1;
		}
		total += l + 1;
		if (total > DNSMSG_NAME_MAX - 1) {
			*why = "question name longer than 255 bytes";
			return -1;
		}
		m->labels++;
		off += l + 1;
	}
	off++;
	m->qname_len = (uint16_t)(off - DNSMSG_HDR);
	if (off + 4 > len) {
		*why = "truncated question";
		return -1;
	}
	m->qtype = get16(pkt + off);
	m->qclass = get16(pkt + off + 2);
	off += 4;
	m->qend = (uint16_t)off;
	if (m->arcount == 0)
		return 0;
	/* The common EDNS query: one OPT record right after the question. */
	if (m->ancount == 0 && m->nscount == 0 && m->arcount == 1 &&
	    off + 11 <= len && pkt[off] == 0 &&
	    get16(pkt + off + 1) == DNSMSG_T_OPT)
		return parse_opt(pkt, len, off, m, why);
	nrr = (size_t)m->ancount + m->nscount + m->arcount;
	for (i = 0; i < nrr; i++) {
		if ((next = skip_name(pkt, len, off)) < 0 ||
		    (size_t)next + 10 > len) {
			*why = "truncated or bad record";
			return -1;
		}
		if (i >= (size_t)m->ancount + m->nscount &&
		    get16(pkt + next) == DNSMSG_T_OPT) {
			if (parse_opt(pkt, len, off, m, why) < 0)
				return -1;
		}
		off = (size_t)next + 10 + get16(pkt + next + 8);
		if (off > len) {
			*why = "record data past the end";
			return -1;
		}
	}
	return 0;
}

int
dnsmsg_scan(const uint8_t *pkt, size_t len, const struct dnsmsg *m,
    struct dnsmsg_ttls *t, const char **why)
{
	size_t off = m->qend, i, nrr, rdlen, nauth;
	uint32_t ttl, smin;
	uint16_t type;
	long next;

	t->n = 0;
	t->min_ttl = UINT32_MAX;
	t->soa_min = UINT32_MAX;
	t->has_soa = 0;
	t->records = 0;
	t->sig = 0;
	nrr = (size_t)m->ancount + m->nscount + m->arcount;
	nauth = (size_t)m->ancount + m->nscount;
	for (i = 0; i < nrr; i++) {
		if ((next = skip_name(pkt, len, off)) < 0 ||
		    (size_t)next + 10 > len) {
			*why = "truncated or bad record";
			return -1;
		}
		type = get16(pkt + next);
		rdlen = get16(pkt + next + 8);
		if ((size_t)next + 10 + rdlen > len) {
			*why = "record data past the end";
			return -1;
		}
		if (i >= nauth && (type == DNSMSG_T_TSIG ||
		    type == DNSMSG_T_SIG))
			t->sig = 1;
		if (type != DNSMSG_T_OPT) {
			if (t->n == DNSMSG_TTL_MAX) {
				*why = "too many records";
				return -1;
			}
			t->off[t->n++] = (uint16_t)(next + 4);
			ttl = get32(pkt + next + 4);
			if (ttl > 0x7fffffff)	/* RFC 2181 8 */
				ttl = 0;
			if (ttl < t->min_ttl)
				t->min_ttl = ttl;
			t->records = 1;
			if (type == DNSMSG_T_SOA && i >= m->ancount &&
			    i < nauth && rdlen >= 22) {
				smin = get32(pkt + next + 10 + rdlen - 4);
				if (ttl < smin)
					smin = ttl;
				if (smin < t->soa_min)
					t->soa_min = smin;
				t->has_soa = 1;
			}
		}
		off = (size_t)next + 10 + rdlen;
	}
	if (!t->records)
		t->min_ttl = 0;
	if (!t->has_soa)
		t->soa_min = 0;
	return 0;
}

int
dnsmsg_strip_opts(uint8_t *pkt, size_t *len, const struct dnsmsg *m)
{
	size_t rd, end, off, w, olen;
	uint16_t code;

	if (!m->edns || (size_t)m->opt + 11 > *len)
		return 0;
	rd = (size_t)m->opt + 11;
	end = rd + get16(pkt + m->opt + 9);
	if (end > *len)
		return -1;
	if (end == rd)
		return 0;
	/* Records after it could point into what moves. */
	if (end != *len)
		return -1;
	for (off = w = rd; off < end; off += 4 + olen) {
		if (off + 4 > end)
			return -1;
		code = get16(pkt + off);
		olen = get16(pkt + off + 2);
		if (off + 4 + olen > end)
			return -1;
		/* FAMILY, SOURCE PREFIX, SCOPE PREFIX (RFC 7871 6). */
		if (code == DNSMSG_OPT_ECS && (olen < 4 || pkt[off + 7] != 0))
			return -1;
		if (code != DNSMSG_OPT_EDE)
			continue;
		memmove(pkt + w, pkt + off, 4 + olen);
		w += 4 + olen;
	}
	put16(pkt + m->opt + 9, (uint16_t)(w - rd));
	*len = w;
	return 0;
}

int
dnsmsg_name_unpack(const uint8_t *pkt, size_t len, size_t off, uint8_t *out,
    size_t *end)
{
	size_t o = 0, lim = off, ptr;
	int hops = 0, jumped = 0;
	unsigned l;

	for (;;) {
		if (off >= len)
			return -1;
		l = pkt[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > len)
				return -1;
			ptr = (size_t)(l & 0x3f) << 8 | pkt[off + 1];
			/* Only strictly backwards, and never into the
			 * header: no loop can be built. */
			if (ptr >= lim || ptr < DNSMSG_HDR || ++hops > 127)
				return -1;
			if (!jumped)
				*end = off + 2;
			jumped = 1;
			lim = ptr;
			off = ptr;
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (off + 1 + l > len || o + 1 + l > DNSMSG_NAME_MAX)
			return -1;
		memcpy(out + o, pkt + off, l + 1);
		o += l + 1;
		if (l == 0)
			break;
		off += l + 1;
	}
	if (!jumped)
		*end = off + 1;
	return (int)o;
}

static const uint8_t lower[256] = {
#define R(a) (a), (a)+1, (a)+2, (a)+3, (a)+4, (a)+5, (a)+6, (a)+7
	R(0), R(8), R(16), R(24), R(32), R(40), R(48), R(56),
	64, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm',
	'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
	91, 92, 93, 94, 95,
	R(96), R(104), R(112), R(120), R(128), R(136), R(144), R(152),
	R(160), R(168), R(176), R(184), R(192), R(200), R(208), R(216),
	R(224), R(232), R(240), R(248)
#undef R
};

size_t
dnsmsg_key(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *key)
{
	const uint8_t *q = pkt + DNSMSG_HDR;
	size_t i, n = m->qname_len;
	uint8_t f = 0;

	/* Label length bytes are < 64 and map to themselves. */
	for (i = 0; i < n; i++)
		key[i] = lower[q[i]];
	memcpy(key + n, pkt + DNSMSG_HDR + n, 4);
	if (m->edns)
		f |= DNSMSG_KF_EDNS;
	if (m->do_bit)
		f |= DNSMSG_KF_DO;
	if (m->flags & DNSMSG_RD)
		f |= DNSMSG_KF_RD;
	if (m->flags & DNSMSG_CD)
		f |= DNSMSG_KF_CD;
	key[n + 4] = f;
	return n + 5;
}

uint64_t
dnsmsg_hash(const uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* Final mix so the low bits (bucket index) depend on every byte. */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

size_t
dnsmsg_reply(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *out,
    size_t cap, int rcode, int tc, int ra)
{
	size_t n = m->qend;
	uint16_t f;

	if (n + (m->edns ? 11 : 0) > cap)
		return 0;
	memmove(out + DNSMSG_HDR, pkt + DNSMSG_HDR, n - DNSMSG_HDR);
	put16(out, m->id);
	f = DNSMSG_QR | (m->flags & (0x7800 | DNSMSG_RD | DNSMSG_CD)) |
	    (rcode & 0xf);
	if (tc)
		f |= DNSMSG_TC;
	if (ra)
		f |= DNSMSG_RA;
	put16(out + 2, f);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, m->edns ? 1 : 0);
	if (m->edns) {
		memset(out + n, 0, 11);
		put16(out + n + 1, DNSMSG_T_OPT);
		put16(out + n + 3, 1232);
		if (m->do_bit)
			out[n + 7] = 0x80;
		n += 11;
	}
	return n;
}

int
dnsmsg_name_from_text(const char *text, uint8_t *out)
{
	size_t o = 0, l;
	const char *dot;

	if (strcmp(text, ".") == 0 || *text == '\0') {
		out[0] = 0;
		return 1;
	}
	while (*text != '\0') {
		dot = strchr(text, '.');
		l = dot ? (size_t)(dot - text) : strlen(text);
		if (l == 0 || l > 63 || o + l + 2 > DNSMSG_NAME_MAX)
			return -1;
		out[o++] = (uint8_t)l;
		while (l-- > 0)
			out[o++] = lower[(uint8_t)*text++];
		if (*text == '.')
			text++;
	}
	out[o++] = 0;
	return (int)o;
}

char *
dnsmsg_name_to_text(const uint8_t *p, char *buf, size_t size)
{
	size_t o = 0;
	unsigned l, i;

	if (size == 0)
		return buf;
	if (*p == 0) {
		snprintf(buf, size, ".");
		return buf;
	}
	while ((l = *p++) != 0 && l < 64) {
		for (i = 0; i < l; i++, p++) {
			if (o + 5 >= size)
				goto out;
			if (*p > ' ' && *p < 0x7f && *p != '.')
				buf[o++] = (char)*p;
			else
				o += (size_t)snprintf(buf + o, size - o, "\\%03u",
				    *p);
		}
		if (o + 2 >= size)
			break;
		buf[o++] = '.';
	}
out:
	buf[o] = '\0';
	return buf;
}

size_t
dnsmsg_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
    uint16_t type, int rd)
{
	uint8_t wire[DNSMSG_NAME_MAX];
	int n;

	if ((n = dnsmsg_name_from_text(name, wire)) < 0 ||
	    (size_t)n + 16 > cap)
		return 0;
	memset(out, 0, DNSMSG_HDR);
	put16(out, id);
	put16(out + 2, rd ? DNSMSG_RD : 0);
	put16(out + 4, 1);
	memcpy(out + DNSMSG_HDR, wire, (size_t)n);
	put16(out + DNSMSG_HDR + n, type);
	put16(out + DNSMSG_HDR + n + 2, DNSMSG_C_IN);
	return (size_t)DNSMSG_HDR + n + 4;
}

int
dnsmsg_type_from_text(const char *s)
{
	static const struct {
		const char *name;
		int type;
	} t[] = {
		{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 },
		{ "PTR", 12 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
		{ "SRV", 33 }, { "DS", 43 }, { "DNSKEY", 48 }, { "CAA", 257 },
		{ "ANY", 255 },
	};
	size_t i;
	char *end;
	long v;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].name) == 0)
			return t[i].type;
	if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4])) {
		v = strtol(s + 4, &end, 10);
		if (*end == '\0' && v > 0 && v < 65536)
			return (int)v;
	}
	return -1;
}
