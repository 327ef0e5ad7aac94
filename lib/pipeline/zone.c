/* zone.c -- zone names and zone texts: validation and normalisation */
/* SPDX-License-Identifier: ISC */
/*
 * A zone text is checked in one pass. Our own lexer splits it into
 * records the way NSD's zlexer does (parentheses, quotes, comments,
 * directives only in column 0, a leading blank meaning "previous owner"),
 * so every error carries the line of the offending token. Directives are
 * handled here; each record is handed to ldns_rr_new_frm_str() as one
 * flat line, with the zone (or the current $ORIGIN) as origin. What ldns
 * lets through silently -- wrapped integers, out-of-zone owners, a second
 * SOA, CNAME beside other data, unterminated quotes -- is checked here.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "buf.h"
#include "zone.h"

#define DEFAULT_TTL	300		/* $TTL prepended when absent */
#define TTL_MAX		2147483647U	/* RFC 2181 section 8 */
#define FLAT_MAX	65000		/* one record as a single line */
#define SHOW_MAX	64		/* bytes of a token quoted in errors */

struct tok {
	const char	*p;		/* first byte, the quote if quoted */
	size_t		 len;		/* quotes included */
	unsigned	 line;
	int		 quoted;
	int		 glued;		/* no separator before it */
};

struct lex {
	const char	*p, *end;
	unsigned	 line;		/* line of *p, from 1 */
	struct tok	*tok;
	size_t		 ntok, captok;
	const char	*rstart;	/* first byte of the record */
	unsigned	 rline;		/* first line of the record */
	int		 indented;	/* starts with a blank: previous owner */
	int		 directive;	/* first token is $WORD in column 0 */
	int		 refused;	/* ... and not $TTL or $ORIGIN */
};

/* One record's owner, for check_names() after the pass. */
struct own {
	size_t		 off;		/* into the names arena */
	const uint8_t	*name;		/* see name_key() */
	uint16_t	 len;
	uint16_t	 type;
	uint16_t	 tlen;		/* CNAME target's key, after the name */
	unsigned	 line;
};

struct prep {
	char		*err;
	size_t		 errlen;
	ldns_rdf	*zone;		/* the apex */
	uint8_t		 zkey[256];	/* apex, see name_key() */
	size_t		 zklen;
	ldns_rdf	*origin;	/* current $ORIGIN */
	ldns_rdf	*prev;		/* previous owner, kept by ldns */
	int		 have_prev;
	uint32_t	 ttl;		/* current $TTL */
	int		 has_ttl, has_origin;
	struct buf	 flat;
	struct buf	 names;
	struct own	*own;
	size_t		 nown, capown;
	size_t		 ncname, ndname;
	unsigned	 soa_line;
	uint32_t	 serial;
};

static int
fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err == NULL || errlen == 0)
		return -1;
	if (line > 0) {
		n = snprintf(err, errlen, "line %u: ", line);
		if (n < 0 || (size_t)n >= errlen)
			return -1;
	}
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* The message for a byte not allowed in a zone name. */
static const char *
badchar(unsigned char c)
{
	switch (c) {
	case ' ':	return "invalid character ' ' in name";
	case '!':	return "invalid character '!' in name";
	case '"':	return "invalid character '\"' in name";
	case '#':	return "invalid character '#' in name";
	case '$':	return "invalid character '$' in name";
	case '%':	return "invalid character '%' in name";
	case '&':	return "invalid character '&' in name";
	case '\'':	return "invalid character ''' in name";
	case '(':	return "invalid character '(' in name";
	case ')':	return "invalid character ')' in name";
	case '*':	return "invalid character '*' in name";
	case '+':	return "invalid character '+' in name";
	case ',':	return "invalid character ',' in name";
	case '/':	return "invalid character '/' in name";
	case ':':	return "invalid character ':' in name";
	case ';':	return "invalid character ';' in name";
	case '<':	return "invalid character '<' in name";
	case '=':	return "invalid character '=' in name";
	case '>':	return "invalid character '>' in name";
	case '?':	return "invalid character '?' in name";
	case '@':	return "invalid character '@' in name";
	case '[':	return "invalid character '[' in name";
	case '\\':	return "invalid character '\\' in name";
	case ']':	return "invalid character ']' in name";
	case '^':	return "invalid character '^' in name";
	case '`':	return "invalid character '`' in name";
	case '{':	return "invalid character '{' in name";
	case '|':	return "invalid character '|' in name";
	case '}':	return "invalid character '}' in name";
	case '~':	return "invalid character '~' in name";
	}
	if (c >= 0x80)
		return "non-ASCII byte in name";
	return "control character in name";
}

int
zone_name_norm(const char *in, char out[ZONE_NAME_MAX + 1], const char **why)
{
	size_t len, i, label = 0;
	unsigned char c;

	len = strlen(in);
	if (len == 0) {
		*why = "empty name";
		return -1;
	}
	if (len == 1 && in[0] == '.') {
		*why = "the root zone is not accepted";
		return -1;
	}
	if (in[len - 1] == '.')
		len--;
	if (len > ZONE_NAME_MAX) {
		*why = "name longer than 253 octets";
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '.') {
			if (label == 0) {
				*why = "empty label in name";
				return -1;
			}
			if (out[i - 1] == '-') {
				*why = "label ends with a hyphen";
				return -1;
			}
			label = 0;
			out[i] = '.';
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		else if (!(c >= 'a' && c <= 'z') && !isdig(c) && c != '-' &&
		    c != '_') {
			*why = badchar(c);
			return -1;
		}
		if (c == '-' && label == 0) {
			*why = "label begins with a hyphen";
			return -1;
		}
		if (++label > 63) {
			*why = "label longer than 63 octets";
			return -1;
		}
		out[i] = c;
	}
	if (label == 0) {
		*why = "empty label in name";
		return -1;
	}
	if (out[len - 1] == '-') {
		*why = "label ends with a hyphen";
		return -1;
	}
	out[len] = '\0';
	return 0;
}

const char *
zone_parent(const char *name)
{
	const char *dot;

	dot = strchr(name, '.');
	return dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
}

int
zone_serial_cmp(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	if (d == 0)
		return 0;
	if (d < 0x80000000U)
		return 1;
	if (d > 0x80000000U)
		return -1;
	/*
	 * RFC 1982 leaves a distance of exactly 2^31 undefined. Ordering
	 * by plain value keeps the answer antisymmetric, so two peers
	 * never both see the other's serial as newer.
	 */
	return a > b ? 1 : -1;
}

/* A token in printable form for a message: at most SHOW_MAX bytes, other
 * bytes as \DDD. */
static const char *
show(char *dst, size_t size, const char *p, size_t n)
{
	size_t i, j = 0;
	unsigned char c;

	for (i = 0; i < n && j + 8 < size; i++) {
		if (i == SHOW_MAX) {
			memcpy(dst + j, "...", 3);
			j += 3;
			break;
		}
		c = (unsigned char)p[i];
		if (c < 0x20 || c >= 0x7f)
			j += snprintf(dst + j, size - j, "\\%03u", c);
		else
			dst[j++] = c;
	}
	dst[j] = '\0';
	return dst;
}

#define SHOWBUF	(SHOW_MAX * 4 + 8)

static int
lex_push(struct lex *lx, const char *p, size_t len, unsigned line,
    int quoted)
{
	struct tok *t;
	size_t cap;
	int glued;

	if (lx->ntok == lx->captok) {
		cap = lx->captok ? lx->captok * 2 : 32;
		if ((t = reallocarray(lx->tok, cap, sizeof(*t))) == NULL)
			return -1;
		lx->tok = t;
		lx->captok = cap;
	}
	glued = lx->ntok > 0 &&
	    lx->tok[lx->ntok - 1].p + lx->tok[lx->ntok - 1].len == p;
	t = &lx->tok[lx->ntok++];
	t->glued = glued;
	t->p = p;
	t->len = len;
	t->line = line;
	t->quoted = quoted;
	return 0;
}

/* Start a record at lx->p. */
static void
lex_begin(struct lex *lx)
{
	lx->ntok = 0;
	lx->rstart = lx->p;
	lx->rline = lx->line;
	lx->indented = *lx->p == ' ' || *lx->p == '\t';
	lx->directive = 0;
	lx->refused = 0;
}

/*
 * A quoted string from its opening quote at p. Returns the byte after
 * the closing quote, or NULL with err set.
 */
static const char *
lex_quoted(struct lex *lx, const char *p, char *err, size_t errlen)
{
	const char *start = p++, *end = lx->end;
	unsigned qline = lx->line;

	for (;;) {
		/* A quoted string ends on its own line (BIND rejects it
		 * otherwise; ldns would silently close it at the end of
		 * the line). */
		if (p == end || *p == '\n' || *p == '\r' ||
		    (*p == '\\' && (p + 1 == end || p[1] == '\n' ||
		    p[1] == '\r'))) {
			fail(err, errlen, qline, "unterminated quoted string");
			return NULL;
		}
		if (*p == '\\')
			p += 2;
		else if (*p++ == '"')
			break;
	}
	if (lex_push(lx, start, p - start, qline, 1) == -1) {
		fail(err, errlen, 0, "out of memory");
		return NULL;
	}
	return p;
}

/*
 * The end of the word at start: the first blank, line end, comment,
 * parenthesis or quote that no backslash escapes. Returns NULL with err
 * set where NSD would read the word otherwise than ldns: a backslash at
 * the end of a line, '$' starting a label, '@' not standing alone.
 */
static const char *
lex_word_end(const struct lex *lx, const char *start, char *err,
    size_t errlen)
{
	const char *p = start, *label = start, *end = lx->end;
	int dot = 0;

	while (p < end && *p != ' ' && *p != '\t' && *p != '\n' &&
	    *p != '\r' && *p != ';' && *p != '(' && *p != ')' && *p != '"') {
		if (*p == '\\') {
			if (p + 1 == end || p[1] == '\n' || p[1] == '\r') {
				fail(err, errlen, lx->line,
				    "backslash at end of line");
				return NULL;
			}
			p += 2;
			dot = 0;
			continue;
		}
		/* NSD reads '.' as a word of its own, so a '$' after it
		 * starts a word too. */
		if (*p == '$' && dot && !lx->refused) {
			fail(err, errlen, lx->line,
			    "unexpected '$' at the start of a label");
			return NULL;
		}
		/* NSD reads a lone '@' as the origin even between dots. */
		if (*p == '.' && p - label == 1 && *label == '@' &&
		    !lx->refused) {
			fail(err, errlen, lx->line, "'@' must stand alone");
			return NULL;
		}
		if ((dot = *p++ == '.'))
			label = p;
	}
	if (p - label == 1 && *label == '@' && label != start &&
	    !lx->refused) {
		fail(err, errlen, lx->line, "'@' must stand alone");
		return NULL;
	}
	return p;
}

/*
 * A word from its first byte at start. A '$' there makes it a directive,
 * which NSD knows only in column 0. Returns the byte after the word, or
 * NULL with err set.
 */
static const char *
lex_word(struct lex *lx, const char *start, char *err, size_t errlen)
{
	const char *p;

	if ((p = lex_word_end(lx, start, err, errlen)) == NULL)
		return NULL;
	if (*start == '$' && !lx->refused) {
		if (start != lx->rstart) {
			fail(err, errlen, lx->line,
			    "unexpected '$' (directives start in column 0)");
			return NULL;
		}
		lx->directive = 1;
		/* The rest of $GENERATE and the like is not zone syntax;
		 * do_directive() refuses it. */
		lx->refused = !(p - start == 4 &&
		    memcmp(start, "$TTL", 4) == 0) &&
		    !(p - start == 7 && memcmp(start, "$ORIGIN", 7) == 0);
	}
	if (lex_push(lx, start, p - start, lx->line, 0) == -1) {
		fail(err, errlen, 0, "out of memory");
		return NULL;
	}
	return p;
}

/*
 * Read one record from lx->p: its tokens up to a line end outside
 * parentheses, or up to the end of the text. It may have no tokens.
 * Returns 0, or -1 with err set.
 */
static int
lex_line(struct lex *lx, char *err, size_t errlen)
{
	const char *p = lx->p, *end = lx->end;
	unsigned pline = 0;
	int paren = 0, bol = 1;

	lex_begin(lx);
	while (p < end) {
		if (bol && paren && *p == '$')
			return fail(err, errlen, lx->line,
			    "directive inside parentheses");
		bol = 0;
		switch (*p) {
		case '\n':
			lx->line++;
			p++;
			bol = 1;
			if (paren)
				continue;
			lx->p = p;
			return 0;
		case '\r':
			if (p + 1 < end && p[1] == '\n') {
				p++;
				continue;
			}
			return fail(err, errlen, lx->line,
			    "carriage return without line feed");
		case ' ':
		case '\t':
			p++;
			continue;
		case ';':
			while (p < end && *p != '\n' && *p != '\r')
				p++;
			continue;
		case '(':
			if (paren)
				return fail(err, errlen, lx->line,
				    "nested parentheses");
			paren = 1;
			pline = lx->line;
			p++;
			continue;
		case ')':
			if (!paren)
				return fail(err, errlen, lx->line,
				    "')' without '('");
			paren = 0;
			p++;
			continue;
		case '"':
			p = lex_quoted(lx, p, err, errlen);
			break;
		default:
			p = lex_word(lx, p, err, errlen);
			break;
		}
		if (p == NULL)
			return -1;
	}
	if (paren)
		return fail(err, errlen, pline, "'(' not closed");
	lx->p = p;
	return 0;
}

/*
 * Read the next record that has tokens. Returns 1, 0 at the end of the
 * text, or -1 with err set.
 */
static int
lex_record(struct lex *lx, char *err, size_t errlen)
{
	do {
		if (lx->p == lx->end)
			return 0;
		if (lex_line(lx, err, errlen) == -1)
			return -1;
	} while (lx->ntok == 0);
	return 1;
}

static int
tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return !t->quoted && t->len == n && memcmp(t->p, word, n) == 0;
}

static int
tok_ieq(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return !t->quoted && t->len == n && strncasecmp(t->p, word, n) == 0;
}

/*
 * Parse a TTL or period: groups of digits each with an optional unit
 * (s, m, h, d, w), as in 3600 or 1h30m. Returns 0 with *v set, -1 when
 * the token is not such a number, -2 when its value is over max.
 */
static int
parse_period(const char *s, size_t n, uint64_t max, uint32_t *v)
{
	uint64_t total = 0, num, mult;
	size_t i = 0;
	int over = 0;

	if (n == 0)
		return -1;
	while (i < n) {
		if (!isdig(s[i]))
			return -1;
		num = 0;
		while (i < n && isdig(s[i])) {
			if (num <= max)
				num = num * 10 + (s[i] - '0');
			i++;
		}
		mult = 1;
		if (i < n) {
			switch (lower(s[i])) {
			case 's': mult = 1; break;
			case 'm': mult = 60; break;
			case 'h': mult = 3600; break;
			case 'd': mult = 86400; break;
			case 'w': mult = 604800; break;
			default: return -1;
			}
			i++;
		}
		if (num > max || (total += num * mult) > max)
			over = 1;
	}
	if (over)
		return -2;
	*v = (uint32_t)total;
	return 0;
}

/* How many of the n bytes at s, from the start, are in set. */
static size_t
strspn_n(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0' && strchr(set, s[i]) != NULL; i++)
		;
	return i;
}

/* Plain decimal digits only. Same returns as parse_period(). */
static int
parse_uint(const char *s, size_t n, uint64_t max, uint32_t *v)
{
	uint64_t num = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		if (num <= max)
			num = num * 10 + (s[i] - '0');
	}
	if (num > max)
		return -2;
	*v = (uint32_t)num;
	return 0;
}

/* The RR type a token names, or 0. The common names are looked up here:
 * ldns_get_rr_type_by_name() scans its whole table with strlen() and
 * would cost more than the rest of the parse. TYPEnnn is parsed here
 * too because ldns wraps numbers over 65535. */
static uint16_t
tok_type(const struct tok *t)
{
	static const struct {
		const char	*name;
		uint16_t	 type;
	} common[] = {
		{ "A", LDNS_RR_TYPE_A }, { "NS", LDNS_RR_TYPE_NS },
		{ "CNAME", LDNS_RR_TYPE_CNAME }, { "SOA", LDNS_RR_TYPE_SOA },
		{ "PTR", LDNS_RR_TYPE_PTR }, { "MX", LDNS_RR_TYPE_MX },
		{ "TXT", LDNS_RR_TYPE_TXT }, { "AAAA", LDNS_RR_TYPE_AAAA },
		{ "SRV", LDNS_RR_TYPE_SRV }, { "CAA", LDNS_RR_TYPE_CAA },
		{ "NAPTR", LDNS_RR_TYPE_NAPTR }, { "DS", LDNS_RR_TYPE_DS },
		{ "TLSA", LDNS_RR_TYPE_TLSA }, { "SSHFP", LDNS_RR_TYPE_SSHFP },
		{ "HTTPS", LDNS_RR_TYPE_HTTPS }, { "SVCB", LDNS_RR_TYPE_SVCB },
		{ "SPF", LDNS_RR_TYPE_SPF }, { "DNAME", LDNS_RR_TYPE_DNAME },
	};
	char word[24];
	uint32_t v;
	size_t i;

	if (t->quoted || t->len < 1 || t->len >= sizeof(word) ||
	    isdig(t->p[0]))
		return 0;
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (tok_ieq(t, common[i].name))
			return common[i].type;
	if (t->len > 4 && strncasecmp(t->p, "TYPE", 4) == 0) {
		if (parse_uint(t->p + 4, t->len - 4, 65535, &v) != 0)
			return 0;
		return (uint16_t)v;
	}
	if (tok_ieq(t, "IN"))
		return 0;
	memcpy(word, t->p, t->len);
	word[t->len] = '\0';
	return (uint16_t)ldns_get_rr_type_by_name(word);
}

/* Why type may not appear in a zone handed to NSD, or NULL. */
static const char *
type_refused(uint16_t type, const struct tok *t)
{
	switch (type) {
	case 0:
	case LDNS_RR_TYPE_OPT:
	case LDNS_RR_TYPE_TKEY:
	case LDNS_RR_TYPE_TSIG:
	case LDNS_RR_TYPE_IXFR:
	case LDNS_RR_TYPE_AXFR:
	case LDNS_RR_TYPE_MAILB:
	case LDNS_RR_TYPE_MAILA:
	case LDNS_RR_TYPE_ANY:
		return "is not allowed in a zone";
	}
	/* Mnemonics NSD 4 does not know (TYPEnnn works for them). */
	if (t->len > 4 && strncasecmp(t->p, "TYPE", 4) == 0)
		return NULL;
	switch (type) {
	case LDNS_RR_TYPE_NSAP_PTR:
	case LDNS_RR_TYPE_GPOS:
	case LDNS_RR_TYPE_EID:
	case LDNS_RR_TYPE_NIMLOC:
	case LDNS_RR_TYPE_ATMA:
	case LDNS_RR_TYPE_A6:
	case LDNS_RR_TYPE_SINK:
	case LDNS_RR_TYPE_HIP:
	case LDNS_RR_TYPE_TALINK:
		return "is not supported by NSD (write it as TYPEnnn)";
	}
	return NULL;
}

/* The name of rdata field i of type, for messages, or NULL. */
static const char *
field_name(uint16_t type, size_t i)
{
	static const char *soa[] = { "primary name server", "mailbox",
	    "serial", "refresh", "retry", "expire", "minimum" };
	static const char *srv[] = { "priority", "weight", "port", "target" };
	static const char *naptr[] = { "order", "preference" };
	static const char *ds[] = { "key tag", "algorithm", "digest type" };
	static const char *dnskey[] = { "flags", "protocol", "algorithm" };
	static const char *tlsa[] = { "usage", "selector", "matching type" };
	static const char *sshfp[] = { "algorithm", "fingerprint type" };
	static const char *caa[] = { "flags", "tag" };
	static const char *cert[] = { "type", "key tag", "algorithm" };
	static const char *mx[] = { "preference", "exchange" };
	static const char *rrsig[] = { "type covered", "algorithm",
	    "labels", "original TTL", "expiration", "inception", "key tag",
	    "signer" };

#define PICK(a)	return i < sizeof(a) / sizeof(a[0]) ? a[i] : NULL
	switch (type) {
	case LDNS_RR_TYPE_SOA:		PICK(soa);
	case LDNS_RR_TYPE_SRV:		PICK(srv);
	case LDNS_RR_TYPE_NAPTR:	PICK(naptr);
	case LDNS_RR_TYPE_DS:
	case LDNS_RR_TYPE_CDS:
	case LDNS_RR_TYPE_DLV:		PICK(ds);
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_CDNSKEY:
	case LDNS_RR_TYPE_KEY:		PICK(dnskey);
	case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_SMIMEA:	PICK(tlsa);
	case LDNS_RR_TYPE_SSHFP:	PICK(sshfp);
	case LDNS_RR_TYPE_CAA:		PICK(caa);
	case LDNS_RR_TYPE_CERT:		PICK(cert);
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_SIG:		PICK(rrsig);
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_KX:
	case LDNS_RR_TYPE_AFSDB:
	case LDNS_RR_TYPE_RT:		PICK(mx);
	}
#undef PICK
	return NULL;
}

/* Fields that are always exactly one token in presentation form. */
static int
one_token(ldns_rdf_type ft)
{
	switch (ft) {
	case LDNS_RDF_TYPE_DNAME:
	case LDNS_RDF_TYPE_INT8:
	case LDNS_RDF_TYPE_INT16:
	case LDNS_RDF_TYPE_INT32:
	case LDNS_RDF_TYPE_A:
	case LDNS_RDF_TYPE_AAAA:
	case LDNS_RDF_TYPE_STR:
	case LDNS_RDF_TYPE_TYPE:
	case LDNS_RDF_TYPE_CLASS:
	case LDNS_RDF_TYPE_CERT_ALG:
	case LDNS_RDF_TYPE_ALG:
	case LDNS_RDF_TYPE_TIME:
	case LDNS_RDF_TYPE_PERIOD:
	case LDNS_RDF_TYPE_TAG:
	case LDNS_RDF_TYPE_LONG_STR:
	case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
	case LDNS_RDF_TYPE_SELECTOR:
	case LDNS_RDF_TYPE_MATCHING_TYPE:
	case LDNS_RDF_TYPE_ILNP64:
	case LDNS_RDF_TYPE_EUI48:
	case LDNS_RDF_TYPE_EUI64:
		return 1;
	default:
		return 0;
	}
}

/* What a field holds, for "invalid ..." messages. */
static const char *
field_kind(ldns_rdf_type ft)
{
	switch (ft) {
	case LDNS_RDF_TYPE_DNAME:	return "domain name";
	case LDNS_RDF_TYPE_A:		return "IPv4 address";
	case LDNS_RDF_TYPE_AAAA:	return "IPv6 address";
	case LDNS_RDF_TYPE_STR:
	case LDNS_RDF_TYPE_LONG_STR:	return "text";
	case LDNS_RDF_TYPE_PERIOD:	return "time value";
	case LDNS_RDF_TYPE_TYPE:	return "record type";
	case LDNS_RDF_TYPE_TIME:	return "timestamp";
	case LDNS_RDF_TYPE_TAG:		return "tag";
	default:			return "number";
	}
}

/* "line N: invalid MX preference 'x'" or "... out of range (0-max)". */
static int
field_fail(struct prep *pp, const ldns_rr_descriptor *desc, uint16_t type,
    size_t i, const struct tok *t, int r, uint64_t max)
{
	const char *fname;
	char sb[SHOWBUF], what[64];

	if ((fname = field_name(type, i)) != NULL)
		snprintf(what, sizeof(what), "%s %s", desc->_name, fname);
	else
		snprintf(what, sizeof(what), "%s field %zu", desc->_name,
		    i + 1);
	show(sb, sizeof(sb), t->p, t->len);
	if (r == -2)
		return fail(pp->err, pp->errlen, t->line,
		    "%s out of range (0-%llu): %s", what,
		    (unsigned long long)max, sb);
	return fail(pp->err, pp->errlen, t->line, "invalid %s '%s'", what,
	    sb);
}

static int
ishex(int c)
{
	return isdig(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

static int
isalpha_(int c)
{
	return lower(c) >= 'a' && lower(c) <= 'z';
}

/* RFC 3597 data, "\# length hex...": the length must match the digits
 * (ldns reads the length with atoi() and trusts it). */
static int
check_generic(struct prep *pp, const struct tok *rd, size_t nrd)
{
	uint32_t n;
	size_t j, k, digits = 0;

	if (nrd < 2 || rd[1].quoted ||
	    parse_uint(rd[1].p, rd[1].len, 65535, &n) != 0)
		return fail(pp->err, pp->errlen, rd[0].line,
		    "generic data (\\#) needs a length of 0-65535");
	for (j = 2; j < nrd; j++) {
		for (k = 0; k < rd[j].len; k++)
			if (rd[j].quoted || !ishex(rd[j].p[k]))
				return fail(pp->err, pp->errlen, rd[j].line,
				    "generic data (\\#) must be hex digits");
		digits += rd[j].len;
	}
	if (digits != 2 * (size_t)n)
		return fail(pp->err, pp->errlen, rd[0].line,
		    "generic data (\\#) of %u bytes has %zu hex digits", n,
		    digits);
	return 0;
}

static ldns_status str2rdf(ldns_rdf_type, const char *);
static const char *tok_cstr(char *, size_t, const struct tok *);

/*
 * IPSECKEY (precedence, gateway type, algorithm, gateway, key) and
 * AMTRELAY (precedence, discovery bit, type, relay): ldns reads the
 * numbers with atoi() and leaks memory when a field is wrong, so every
 * field is checked here first.
 */
static int
check_gateway(struct prep *pp, const ldns_rr_descriptor *desc,
    ldns_rdf_type ft, const struct tok *rd, size_t nrd)
{
	static const uint32_t ipseckey[] = { 255, 3, 255 };
	static const uint32_t amtrelay[] = { 255, 1, 3 };
	static const ldns_rdf_type gw[] = { LDNS_RDF_TYPE_NONE,
	    LDNS_RDF_TYPE_A, LDNS_RDF_TYPE_AAAA, LDNS_RDF_TYPE_DNAME };
	const uint32_t *max = ft == LDNS_RDF_TYPE_IPSECKEY ? ipseckey :
	    amtrelay;
	size_t want = ft == LDNS_RDF_TYPE_IPSECKEY ? 5 : 4, j;
	uint32_t v, gwtype = 0;
	char s[LDNS_MAX_DOMAINLEN * 4 + 1], sb[SHOWBUF], *key;
	ldns_status st;

	if (nrd != want)
		return fail(pp->err, pp->errlen, rd[0].line,
		    "%s record needs %zu fields, not %zu", desc->_name, want,
		    nrd);
	for (j = 0; j < nrd; j++) {
		if (rd[j].quoted)
			return fail(pp->err, pp->errlen, rd[j].line,
			    "unexpected quoted string in %s record",
			    desc->_name);
		if (j < 3 && parse_uint(rd[j].p, rd[j].len, max[j], &v) != 0)
			return fail(pp->err, pp->errlen, rd[j].line,
			    "%s field %zu must be a number of 0-%u",
			    desc->_name, j + 1, max[j]);
		if (j == (ft == LDNS_RDF_TYPE_IPSECKEY ? 1 : 2))
			gwtype = v;
	}
	show(sb, sizeof(sb), rd[3].p, rd[3].len);
	if (tok_cstr(s, sizeof(s), &rd[3]) == NULL ||
	    (gwtype == 0 ? !tok_is(&rd[3], ".") :
	    str2rdf(gw[gwtype], s) != LDNS_STATUS_OK))
		return fail(pp->err, pp->errlen, rd[3].line,
		    "invalid %s gateway '%s'", desc->_name, sb);
	if (want == 4)
		return 0;
	if ((key = malloc(rd[4].len + 1)) == NULL)
		return fail(pp->err, pp->errlen, 0, "out of memory");
	memcpy(key, rd[4].p, rd[4].len);
	key[rd[4].len] = '\0';
	st = str2rdf(LDNS_RDF_TYPE_B64, key);
	free(key);
	if (st != LDNS_STATUS_OK)
		return fail(pp->err, pp->errlen, rd[4].line,
		    "invalid %s public key '%s'", desc->_name,
		    show(sb, sizeof(sb), rd[4].p, rd[4].len));
	return 0;
}

/*
 * One single-token field t of type ft as NSD reads it: integers plain
 * decimal and in range, timestamps YYYYMMDDHHmmSS, type names that
 * exist, tags of 1-15 lower-case letters and digits. Returns 0 when it
 * is good or not checked here, -1 when it is not such a value, -2 when
 * it is over *max (set for numbers).
 */
static int
field_value(ldns_rdf_type ft, const struct tok *t, uint64_t *max)
{
	uint32_t v;
	size_t j;
	int r;

	switch (ft) {
	case LDNS_RDF_TYPE_INT8:
		*max = 255;
		return parse_uint(t->p, t->len, *max, &v);
	case LDNS_RDF_TYPE_INT16:
		*max = 65535;
		return parse_uint(t->p, t->len, *max, &v);
	case LDNS_RDF_TYPE_CERT_ALG:
		if (isalpha_(t->p[0]))
			return 0;
		/* ldns leaks its rdf when refusing type 0. */
		*max = 65535;
		if ((r = parse_uint(t->p, t->len, *max, &v)) == 0 && v == 0)
			r = -1;
		return r;
	case LDNS_RDF_TYPE_INT32:
		*max = 4294967295U;
		return parse_uint(t->p, t->len, *max, &v);
	case LDNS_RDF_TYPE_PERIOD:
		*max = 4294967295U;
		return parse_period(t->p, t->len, *max, &v);
	case LDNS_RDF_TYPE_ALG:
	case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
	case LDNS_RDF_TYPE_SELECTOR:
	case LDNS_RDF_TYPE_MATCHING_TYPE:
		/* Mnemonics are ldns's business; numbers wrap. */
		if (isalpha_(t->p[0]))
			return 0;
		*max = 255;
		return parse_uint(t->p, t->len, *max, &v);
	case LDNS_RDF_TYPE_TIME:
		/* NSD takes only the 14-digit form. */
		return t->len == 14 &&
		    parse_uint(t->p, 14, UINT64_MAX / 10, &v) != -1 ? 0 : -1;
	case LDNS_RDF_TYPE_TYPE:
		return tok_type(t) != 0 ? 0 : -1;
	case LDNS_RDF_TYPE_TAG:
		/* RFC 8659: 1-15 letters and digits; NSD takes lower case
		 * only. */
		if (t->len > 15)
			return -1;
		for (j = 0; j < t->len; j++)
			if (!isdig(t->p[j]) &&
			    !(t->p[j] >= 'a' && t->p[j] <= 'z'))
				return -1;
		return 0;
	default:
		return 0;
	}
}

/*
 * The fields from rd[i] on, after the single-token ones: hex data has
 * an even number of digits, an IPSECKEY or AMTRELAY gateway is checked
 * whole, an NSEC bitmap names known types. Returns 0 or -1 with err set.
 */
static int
check_rest(struct prep *pp, const ldns_rr_descriptor *desc,
    const struct tok *rd, size_t nrd, size_t i)
{
	ldns_rdf_type ft = ldns_rr_descriptor_field_type(desc, i);
	size_t j, k, digits = 0;
	char sb[SHOWBUF];

	if (ft == LDNS_RDF_TYPE_HEX &&
	    i == ldns_rr_descriptor_maximum(desc) - 1) {
		/* ldns pads an odd digit; NSD refuses it. */
		for (j = i; j < nrd; j++) {
			for (k = 0; k < rd[j].len; k++)
				if (!ishex(rd[j].p[k]))
					return 0;	/* ldns's to report */
			digits += rd[j].len;
		}
		if (digits % 2)
			return fail(pp->err, pp->errlen, rd[i].line,
			    "odd number of hex digits in %s record",
			    desc->_name);
	}
	if (ft == LDNS_RDF_TYPE_IPSECKEY || ft == LDNS_RDF_TYPE_AMTRELAY)
		return check_gateway(pp, desc, ft, rd + i, nrd - i);
	if (ft == LDNS_RDF_TYPE_NSEC) {
		for (j = i; j < nrd; j++)
			if (rd[j].quoted || tok_type(&rd[j]) == 0)
				return fail(pp->err, pp->errlen, rd[j].line,
				    "unknown record type '%s' in %s record",
				    show(sb, sizeof(sb), rd[j].p, rd[j].len),
				    desc->_name);
	}
	return 0;
}

/*
 * Check rdata against the raw text where ldns is laxer than NSD:
 * integers must be plain decimal and in range (ldns wraps them), only
 * text fields may be quoted, timestamps are YYYYMMDDHHmmSS, type names
 * exist, hex data has an even number of digits. Returns 0 or -1 with
 * err set.
 */
static int
check_fields(struct prep *pp, uint16_t type, const struct tok *rd,
    size_t nrd)
{
	const ldns_rr_descriptor *desc;
	char sb[SHOWBUF];
	uint64_t max = 0;
	size_t i, nmax;
	int r;
	ldns_rdf_type ft;

	if (nrd > 0 && tok_is(&rd[0], "\\#"))
		return check_generic(pp, rd, nrd);
	if ((desc = ldns_rr_descript(type)) == NULL || desc->_name == NULL)
		return 0;
	nmax = ldns_rr_descriptor_maximum(desc);
	for (i = 0; i < nrd && i < nmax; i++) {
		ft = ldns_rr_descriptor_field_type(desc, i);
		if (!one_token(ft))
			break;
		if (rd[i].quoted) {
			if (ft == LDNS_RDF_TYPE_STR ||
			    ft == LDNS_RDF_TYPE_LONG_STR)
				continue;
			return fail(pp->err, pp->errlen, rd[i].line,
			    "unexpected quoted string %s",
			    show(sb, sizeof(sb), rd[i].p, rd[i].len));
		}
		if ((r = field_value(ft, &rd[i], &max)) != 0)
			return field_fail(pp, desc, type, i, &rd[i], r, max);
	}
	if (i >= nrd || i >= nmax)
		return 0;
	return check_rest(pp, desc, rd, nrd, i);
}

/* Parse one token as rdata field type ft; return ldns's status. */
static ldns_status
str2rdf(ldns_rdf_type ft, const char *s)
{
	ldns_rdf *r = NULL;
	ldns_status st;

	switch (ft) {
	case LDNS_RDF_TYPE_DNAME:
		st = ldns_str2rdf_dname(&r, s);
		break;
	case LDNS_RDF_TYPE_A:
		st = ldns_str2rdf_a(&r, s);
		break;
	case LDNS_RDF_TYPE_AAAA:
		st = ldns_str2rdf_aaaa(&r, s);
		break;
	case LDNS_RDF_TYPE_STR:
		st = ldns_str2rdf_str(&r, s);
		break;
	case LDNS_RDF_TYPE_LONG_STR:
		st = ldns_str2rdf_long_str(&r, s);
		break;
	case LDNS_RDF_TYPE_TYPE:
		st = ldns_str2rdf_type(&r, s);
		break;
	case LDNS_RDF_TYPE_TIME:
		st = ldns_str2rdf_time(&r, s);
		break;
	case LDNS_RDF_TYPE_TAG:
		st = ldns_str2rdf_tag(&r, s);
		break;
	case LDNS_RDF_TYPE_ALG:
		st = ldns_str2rdf_alg(&r, s);
		break;
	case LDNS_RDF_TYPE_CERT_ALG:
		st = ldns_str2rdf_cert_alg(&r, s);
		break;
	case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
		st = ldns_str2rdf_certificate_usage(&r, s);
		break;
	case LDNS_RDF_TYPE_SELECTOR:
		st = ldns_str2rdf_selector(&r, s);
		break;
	case LDNS_RDF_TYPE_MATCHING_TYPE:
		st = ldns_str2rdf_matching_type(&r, s);
		break;
	case LDNS_RDF_TYPE_ILNP64:
		st = ldns_str2rdf_ilnp64(&r, s);
		break;
	case LDNS_RDF_TYPE_EUI48:
		st = ldns_str2rdf_eui48(&r, s);
		break;
	case LDNS_RDF_TYPE_EUI64:
		st = ldns_str2rdf_eui64(&r, s);
		break;
	case LDNS_RDF_TYPE_B64:
		st = ldns_str2rdf_b64(&r, s);
		break;
	default:
		return LDNS_STATUS_OK;	/* checked by check_fields() */
	}
	ldns_rdf_deep_free(r);
	return st;
}

/* A token as a C string for ldns (quotes stripped); NULL when too long. */
static const char *
tok_cstr(char *dst, size_t size, const struct tok *t)
{
	const char *p = t->p;
	size_t n = t->len;

	if (t->quoted) {
		p++;
		n -= 2;
	}
	if (n >= size)
		return NULL;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return dst;
}

/*
 * ldns refused a record: find the token at fault to name it and its
 * line. owner is NULL when the record has none of its own.
 */
static int
diagnose(struct prep *pp, unsigned rline, const struct tok *owner,
    uint16_t type, const struct tok *rd, size_t nrd, ldns_status st)
{
	const ldns_rr_descriptor *desc;
	char s[LDNS_MAX_DOMAINLEN * 4 + 1], sb[SHOWBUF], tname[16];
	ldns_status fst;
	ldns_rdf_type ft;
	size_t i;

	if (owner != NULL) {
		show(sb, sizeof(sb), owner->p, owner->len);
		if (tok_cstr(s, sizeof(s), owner) == NULL)
			return fail(pp->err, pp->errlen, owner->line,
			    "invalid owner name '%s': name too long", sb);
		if (!tok_is(owner, "@") &&
		    (fst = str2rdf(LDNS_RDF_TYPE_DNAME, s)) != LDNS_STATUS_OK)
			return fail(pp->err, pp->errlen, owner->line,
			    "invalid owner name '%s': %s", sb,
			    ldns_get_errorstr_by_id(fst));
	}
	desc = ldns_rr_descript(type);
	if (desc != NULL && desc->_name != NULL)
		snprintf(tname, sizeof(tname), "%s", desc->_name);
	else
		snprintf(tname, sizeof(tname), "TYPE%u", type);
	if (nrd > 0 && tok_is(&rd[0], "\\#"))
		return fail(pp->err, pp->errlen, rline,
		    "%s record: generic data (\\#) is not one whole %s record: "
		    "%s", tname, tname, ldns_get_errorstr_by_id(st));
	if (desc != NULL) {
		for (i = 0; i < nrd && i < ldns_rr_descriptor_maximum(desc);
		    i++) {
			ft = ldns_rr_descriptor_field_type(desc, i);
			if (!one_token(ft))
				break;
			show(sb, sizeof(sb), rd[i].p, rd[i].len);
			if (tok_cstr(s, sizeof(s), &rd[i]) == NULL)
				fst = LDNS_STATUS_INVALID_STR;
			else if ((fst = str2rdf(ft, s)) == LDNS_STATUS_OK)
				continue;
			if (ft == LDNS_RDF_TYPE_STR &&
			    fst == LDNS_STATUS_INVALID_STR)
				return fail(pp->err, pp->errlen, rd[i].line,
				    "text string longer than 255 bytes "
				    "(split it into several quoted strings)");
			if (fst == LDNS_STATUS_INVALID_STR)
				return fail(pp->err, pp->errlen, rd[i].line,
				    "invalid %s in %s record: '%s' is too "
				    "long", field_kind(ft), tname, sb);
			if (ft == LDNS_RDF_TYPE_A ||
			    ft == LDNS_RDF_TYPE_AAAA)
				return fail(pp->err, pp->errlen, rd[i].line,
				    "invalid %s '%s'", field_kind(ft), sb);
			return fail(pp->err, pp->errlen, rd[i].line,
			    "invalid %s '%s' in %s record: %s",
			    field_kind(ft), sb, tname,
			    ldns_get_errorstr_by_id(fst));
		}
	}
	if (st == LDNS_STATUS_SYNTAX_SUPERFLUOUS_TEXT_ERR && desc != NULL &&
	    desc->_variable == LDNS_RDF_TYPE_NONE &&
	    nrd > ldns_rr_descriptor_maximum(desc)) {
		i = ldns_rr_descriptor_maximum(desc);
		return fail(pp->err, pp->errlen, rd[i].line,
		    "%s record: superfluous text '%s'", tname,
		    show(sb, sizeof(sb), rd[i].p, rd[i].len));
	}
	if (st == LDNS_STATUS_SYNTAX_MISSING_VALUE_ERR || nrd == 0)
		return fail(pp->err, pp->errlen, rline,
		    "%s record: data missing", tname);
	return fail(pp->err, pp->errlen, rline, "%s record: %s", tname,
	    ldns_get_errorstr_by_id(st));
}

/*
 * The sort key of a wire name: its labels from the top down, each with
 * its length byte, lower-cased, without the root. A name's descendants
 * are exactly the keys that start with its key, so they sort right after
 * it. Returns the key's length (the wire length less one).
 */
static size_t
name_key(uint8_t *key, const uint8_t *w, size_t n)
{
	size_t off[128], nl = 0, pos = 0, k = 0, i, j;

	while (pos < n && w[pos] != 0 && nl < 128) {
		off[nl++] = pos;
		pos += w[pos] + 1;
	}
	while (nl > 0) {
		i = off[--nl];
		key[k++] = w[i];
		for (j = 1; j <= w[i]; j++)
			key[k++] = lower(w[i + j]);
	}
	return k;
}

/* Print a name given by its key, for messages. */
static const char *
key_show(char *dst, size_t size, const uint8_t *key, size_t klen)
{
	uint8_t w[LDNS_MAX_DOMAINLEN + 1];
	size_t off[128], nl = 0, pos = 0, k = 0, i;
	ldns_rdf *d;
	char *s;

	while (pos < klen && nl < 128) {
		off[nl++] = pos;
		pos += key[pos] + 1;
	}
	while (nl > 0) {
		i = off[--nl];
		memcpy(w + k, key + i, key[i] + 1);
		k += key[i] + 1;
	}
	w[k++] = 0;
	d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, k, w);
	if (d == NULL || (s = ldns_rdf2str(d)) == NULL) {
		snprintf(dst, size, "?");
	} else {
		snprintf(dst, size, "%s", s);
		LDNS_FREE(s);
	}
	ldns_rdf_deep_free(d);
	return dst;
}

/* Is the name with this key the apex or below it? */
static int
in_zone(const struct prep *pp, const uint8_t *key, size_t klen)
{
	return klen >= pp->zklen && memcmp(key, pp->zkey, pp->zklen) == 0;
}

/* Presentation form of a wire name, for messages. */
static const char *
dname_show(char *dst, size_t size, ldns_rdf *d)
{
	char *s;

	if ((s = ldns_rdf2str(d)) == NULL) {
		snprintf(dst, size, "?");
		return dst;
	}
	snprintf(dst, size, "%s", s);
	LDNS_FREE(s);
	return dst;
}

static int
do_ttl(struct prep *pp, const struct lex *lx)
{
	const struct tok *t = lx->tok;
	char sb[SHOWBUF];
	int r;

	if (lx->ntok != 2 || t[1].quoted)
		return fail(pp->err, pp->errlen, t[0].line,
		    "$TTL needs exactly one value");
	r = parse_period(t[1].p, t[1].len, TTL_MAX, &pp->ttl);
	show(sb, sizeof(sb), t[1].p, t[1].len);
	if (r == -1)
		return fail(pp->err, pp->errlen, t[1].line,
		    "invalid $TTL '%s'", sb);
	if (r == -2)
		return fail(pp->err, pp->errlen, t[1].line,
		    "$TTL out of range (0-%u): %s", TTL_MAX, sb);
	pp->has_ttl = 1;
	return 0;
}

static int
do_origin(struct prep *pp, const struct lex *lx)
{
	const struct tok *t = lx->tok;
	char s[LDNS_MAX_DOMAINLEN * 4 + 1], sb[SHOWBUF];
	uint8_t w[LDNS_MAX_DOMAINLEN + 1];
	ldns_rdf *d = NULL;
	ldns_status st;

	if (lx->ntok != 2 || t[1].quoted)
		return fail(pp->err, pp->errlen, t[0].line,
		    "$ORIGIN needs exactly one name");
	show(sb, sizeof(sb), t[1].p, t[1].len);
	if (tok_cstr(s, sizeof(s), &t[1]) == NULL || tok_is(&t[1], "@"))
		return fail(pp->err, pp->errlen, t[1].line,
		    "invalid $ORIGIN '%s'", sb);
	if ((st = ldns_str2rdf_dname(&d, s)) != LDNS_STATUS_OK)
		return fail(pp->err, pp->errlen, t[1].line,
		    "invalid $ORIGIN '%s': %s", sb,
		    ldns_get_errorstr_by_id(st));
	/* NSD takes only absolute names here. */
	if (!ldns_dname_str_absolute(s)) {
		ldns_rdf_deep_free(d);
		return fail(pp->err, pp->errlen, t[1].line,
		    "$ORIGIN needs an absolute name (ending in a dot): %s",
		    sb);
	}
	if (!in_zone(pp, w, name_key(w, ldns_rdf_data(d),
	    ldns_rdf_size(d)))) {
		dname_show(s, sizeof(s), d);
		ldns_rdf_deep_free(d);
		return fail(pp->err, pp->errlen, t[1].line,
		    "$ORIGIN outside the zone: %s", s);
	}
	ldns_rdf_deep_free(pp->origin);
	pp->origin = d;
	pp->has_origin = 1;
	return 0;
}

static int
do_directive(struct prep *pp, const struct lex *lx)
{
	const struct tok *t = lx->tok;
	char sb[SHOWBUF];

	if (tok_is(t, "$TTL"))
		return do_ttl(pp, lx);
	if (tok_is(t, "$ORIGIN"))
		return do_origin(pp, lx);
	if (tok_ieq(t, "$INCLUDE"))
		return fail(pp->err, pp->errlen, t->line,
		    "$INCLUDE is not allowed");
	if (tok_ieq(t, "$GENERATE"))
		return fail(pp->err, pp->errlen, t->line,
		    "$GENERATE is not supported (NSD does not know it)");
	return fail(pp->err, pp->errlen, t->line, "unknown directive '%s'",
	    show(sb, sizeof(sb), t->p, t->len));
}

static int
own_add(struct prep *pp, const uint8_t *key, size_t klen,
    const uint8_t *tkey, size_t tklen, uint16_t type, unsigned line)
{
	struct own *o;
	size_t cap;

	if (pp->nown == pp->capown) {
		cap = pp->capown ? pp->capown * 2 : 64;
		if ((o = reallocarray(pp->own, cap, sizeof(*o))) == NULL)
			return -1;
		pp->own = o;
		pp->capown = cap;
	}
	if (buf_add(&pp->names, key, klen) == -1 ||
	    buf_add(&pp->names, tkey, tklen) == -1)
		return -1;
	o = &pp->own[pp->nown++];
	o->off = pp->names.len - klen - tklen;
	o->len = (uint16_t)klen;
	o->tlen = (uint16_t)tklen;
	o->type = type;
	o->line = line;
	return 0;
}

/* Checks on a record ldns parsed: every name at most 255 octets, owner
 * in the zone, one SOA at the apex, no CNAME there. Remembers the owner
 * for check_names(). */
static int
check_rr(struct prep *pp, ldns_rr *rr, unsigned line)
{
	ldns_rdf *owner = ldns_rr_owner(rr), *rdf;
	uint8_t key[LDNS_MAX_DOMAINLEN + 1], tkey[LDNS_MAX_DOMAINLEN + 1];
	char s[LDNS_MAX_DOMAINLEN * 4 + 1];
	uint16_t type = ldns_rr_get_type(rr);
	size_t n = ldns_rdf_size(owner), klen, tklen = 0, i;

	/* ldns appends the origin to a relative name without checking
	 * the sum; NSD refuses the zone. */
	if (n > LDNS_MAX_DOMAINLEN)
		return fail(pp->err, pp->errlen, line,
		    "owner name longer than 255 octets once the origin is "
		    "appended");
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rdf = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME &&
		    ldns_rdf_size(rdf) > LDNS_MAX_DOMAINLEN)
			return fail(pp->err, pp->errlen, line,
			    "name in the record data longer than 255 octets "
			    "once the origin is appended");
	}
	klen = name_key(key, ldns_rdf_data(owner), n);
	if (!in_zone(pp, key, klen))
		return fail(pp->err, pp->errlen, line,
		    "record outside the zone: %s",
		    dname_show(s, sizeof(s), owner));
	switch (type) {
	case LDNS_RR_TYPE_SOA:
		if (klen != pp->zklen)
			return fail(pp->err, pp->errlen, line,
			    "SOA record not at the zone apex: %s",
			    dname_show(s, sizeof(s), owner));
		if (pp->soa_line)
			return fail(pp->err, pp->errlen, line,
			    "second SOA record (the first is on line %u)",
			    pp->soa_line);
		pp->soa_line = line;
		pp->serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
		break;
	case LDNS_RR_TYPE_CNAME:
		if (klen == pp->zklen)
			return fail(pp->err, pp->errlen, line,
			    "CNAME at the zone apex");
		pp->ncname++;
		break;
	case LDNS_RR_TYPE_DNAME:
		pp->ndname++;
		break;
	}
	/* The target tells a duplicate CNAME, which NSD drops, from a
	 * second one. */
	if (type == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
	    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME)
		tklen = name_key(tkey, ldns_rdf_data(ldns_rr_rdf(rr, 0)),
		    ldns_rdf_size(ldns_rr_rdf(rr, 0)));
	if (own_add(pp, key, klen, tkey, tklen, type, line) == -1)
		return fail(pp->err, pp->errlen, 0, "out of memory");
	return 0;
}

static int
own_cmp(const void *a, const void *b)
{
	const struct own *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if ((c = memcmp(x->name, y->name, n)) != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

enum clash {
	CLASH_CNAME2,		/* two CNAMEs at one name */
	CLASH_CNAME,		/* CNAME and other data */
	CLASH_DNAME		/* data below a DNAME */
};

/* Remember the conflict a reader meets first in the text. */
static void
conflict(unsigned *later, unsigned *earlier, const struct own **at,
    enum clash *kind, unsigned l1, unsigned l2, const struct own *o,
    enum clash k)
{
	unsigned hi = l1 > l2 ? l1 : l2, lo = l1 < l2 ? l1 : l2;

	if (*later == 0 || hi < *later) {
		*later = hi;
		*earlier = lo;
		*at = o;
		*kind = k;
	}
}

/*
 * No CNAME beside other data (RRSIG and NSEC excepted), no two CNAMEs
 * at one name, nothing below a DNAME. Sorted by name, so O(n log n).
 */
static int
check_names(struct prep *pp)
{
	enum clash kind = CLASH_CNAME2;
	const struct own *at = NULL, *o = pp->own, *first = NULL;
	unsigned cname, cname2, other, dname, later = 0, earlier = 0;
	char s[LDNS_MAX_DOMAINLEN * 4 + 1];
	size_t i, j;

	if (pp->ncname == 0 && pp->ndname == 0)
		return 0;
	for (i = 0; i < pp->nown; i++)
		pp->own[i].name = (const uint8_t *)pp->names.p +
		    pp->own[i].off;
	qsort(pp->own, pp->nown, sizeof(*pp->own), own_cmp);
	for (i = 0; i < pp->nown; i = j) {
		cname = cname2 = other = dname = 0;
		/* Lines ascend within a name, so the first of each kind is
		 * the earliest. */
		for (j = i; j < pp->nown && o[j].len == o[i].len &&
		    memcmp(o[j].name, o[i].name, o[i].len) == 0; j++) {
			switch (o[j].type) {
			case LDNS_RR_TYPE_CNAME:
				if (!cname) {
					cname = o[j].line;
					first = &o[j];
				} else if (!cname2 && (o[j].tlen != first->tlen ||
				    memcmp(o[j].name + o[j].len, first->name +
				    first->len, first->tlen) != 0))
					cname2 = o[j].line;
				break;
			case LDNS_RR_TYPE_RRSIG:
			case LDNS_RR_TYPE_NSEC:
				break;
			case LDNS_RR_TYPE_DNAME:
				if (!dname)
					dname = o[j].line;
				/* FALLTHROUGH */
			default:
				if (!other)
					other = o[j].line;
			}
		}
		if (cname && cname2)
			conflict(&later, &earlier, &at, &kind, cname, cname2,
			    &o[i], CLASH_CNAME2);
		if (cname && other)
			conflict(&later, &earlier, &at, &kind, cname, other,
			    &o[i], CLASH_CNAME);
		/* A descendant, if any, is the next name in the order. */
		if (dname && j < pp->nown && o[j].len > o[i].len &&
		    memcmp(o[j].name, o[i].name, o[i].len) == 0)
			conflict(&later, &earlier, &at, &kind, dname, o[j].line,
			    &o[i], CLASH_DNAME);
	}
	if (!later)
		return 0;
	key_show(s, sizeof(s), at->name, at->len);
	switch (kind) {
	case CLASH_CNAME2:
		return fail(pp->err, pp->errlen, later,
		    "second CNAME at %s (the first is on line %u)", s,
		    earlier);
	case CLASH_CNAME:
		return fail(pp->err, pp->errlen, later,
		    "CNAME and other data at %s (lines %u and %u)", s,
		    earlier, later);
	default:
		return fail(pp->err, pp->errlen, later,
		    "data below the DNAME at %s (lines %u and %u)", s,
		    earlier, later);
	}
}

/* A record split into its fields by do_record(). */
struct rec {
	const struct tok	*owner;	/* NULL: the previous owner */
	uint32_t		 ttl;
	int			 have_ttl;
	uint16_t		 type;
	const struct tok	*rd;	/* the rdata tokens */
	size_t			 nrd;
};

/*
 * The owner field, or the blank that stands for the previous owner: sets
 * r->owner. Returns the index of the next token, or -1 with err set.
 */
static int
record_owner(struct prep *pp, const struct lex *lx, struct rec *r)
{
	const struct tok *t = lx->tok, *owner = &t[0];
	const char *p;
	char sb[SHOWBUF];

	r->owner = NULL;
	if (lx->indented) {
		if (!pp->have_prev)
			return fail(pp->err, pp->errlen, t[0].line,
			    "record without an owner name (line starts "
			    "with a blank)");
		/* NSD wants the TTL, class or type right after the
		 * blanks that stand for the owner. */
		for (p = lx->rstart; p < t[0].p; p++)
			if (*p != ' ' && *p != '\t')
				return fail(pp->err, pp->errlen, t[0].line,
				    "'(' before the first field of a record "
				    "without owner name");
		return 0;
	}
	show(sb, sizeof(sb), owner->p, owner->len);
	if (owner->quoted)
		return fail(pp->err, pp->errlen, owner->line,
		    "quoted owner name %s", sb);
	/* ldns takes any owner starting with '@' for the origin; NSD
	 * reads "@x" as a label. */
	if (owner->p[0] == '@' && owner->len > 1)
		return fail(pp->err, pp->errlen, owner->line,
		    "invalid owner name '%s': '@' must stand alone", sb);
	/* NSD ends the owner only at a blank. */
	if (lx->ntok > 1 && owner->p[owner->len] != ' ' &&
	    owner->p[owner->len] != '\t')
		return fail(pp->err, pp->errlen, owner->line,
		    "no blank after owner name '%s'", sb);
	r->owner = owner;
	return 1;
}

/* Is the token a class ldns knows (any, IN included)? */
static int
tok_class(const struct tok *t)
{
	char word[16];

	if (isdig(t->p[0]) || t->len >= sizeof(word))
		return 0;
	memcpy(word, t->p, t->len);
	word[t->len] = '\0';
	return ldns_get_rr_class_by_name(word) != 0;
}

/* The TTL field of a record. Returns 0, or -1 with err set. */
static int
record_ttl(struct prep *pp, const struct tok *t, struct rec *r)
{
	char sb[SHOWBUF];
	int v;

	if (r->have_ttl++)
		return fail(pp->err, pp->errlen, t->line,
		    "two TTLs in one record");
	v = parse_period(t->p, t->len, TTL_MAX, &r->ttl);
	if (v == -1)
		return fail(pp->err, pp->errlen, t->line, "invalid TTL '%s'",
		    show(sb, sizeof(sb), t->p, t->len));
	if (v == -2)
		return fail(pp->err, pp->errlen, t->line,
		    "TTL out of range (0-%u): %s", TTL_MAX,
		    show(sb, sizeof(sb), t->p, t->len));
	return 0;
}

/*
 * TTL, class and type from token i on, in any order, the type last, as
 * NSD tries them: type, class, TTL. Sets r->ttl, r->have_ttl, r->type
 * and the rdata after them. Returns 0, or -1 with err set.
 */
static int
record_head(struct prep *pp, const struct lex *lx, size_t i, struct rec *r)
{
	const struct tok *t = lx->tok;
	char sb[SHOWBUF];
	const char *why;
	int have_class = 0;

	for (r->type = 0; i < lx->ntok; i++) {
		if (t[i].glued)
			return fail(pp->err, pp->errlen, t[i].line,
			    "no blank before %s",
			    show(sb, sizeof(sb), t[i].p, t[i].len));
		if (t[i].quoted)
			return fail(pp->err, pp->errlen, t[i].line,
			    "unexpected quoted string %s",
			    show(sb, sizeof(sb), t[i].p, t[i].len));
		if ((r->type = tok_type(&t[i])) != 0) {
			i++;
			break;
		}
		if (tok_ieq(&t[i], "IN") || tok_ieq(&t[i], "CLASS1")) {
			if (have_class++)
				return fail(pp->err, pp->errlen, t[i].line,
				    "two classes in one record");
			continue;
		}
		if (tok_class(&t[i]))
			return fail(pp->err, pp->errlen, t[i].line,
			    "class %s is not supported (only IN)",
			    show(sb, sizeof(sb), t[i].p, t[i].len));
		/* NSD reads a word of digits and units as a TTL. */
		if (isdig(t[i].p[0]) || t[i].len == strspn_n(t[i].p, t[i].len,
		    "0123456789smhdwSMHDW")) {
			if (record_ttl(pp, &t[i], r) == -1)
				return -1;
			continue;
		}
		return fail(pp->err, pp->errlen, t[i].line,
		    "unknown record type '%s'",
		    show(sb, sizeof(sb), t[i].p, t[i].len));
	}
	if (r->type == 0)
		return fail(pp->err, pp->errlen, t[lx->ntok - 1].line,
		    "record type missing");
	if ((why = type_refused(r->type, &t[i - 1])) != NULL)
		return fail(pp->err, pp->errlen, t[i - 1].line,
		    "record type %s %s",
		    show(sb, sizeof(sb), t[i - 1].p, t[i - 1].len), why);
	r->rd = &t[i];
	r->nrd = lx->ntok - i;
	return 0;
}

/* Checks on the rdata tokens before ldns reads them. Returns 0, or -1
 * with err set. */
static int
record_rdata(struct prep *pp, const struct rec *r)
{
	const struct tok *rd = r->rd;
	char sb[SHOWBUF];
	size_t i;

	/* NSD wants blanks between rdata fields, except between the
	 * strings of a TXT record. */
	for (i = 0; i < r->nrd; i++)
		if (rd[i].glued && (i == 0 || (r->type != LDNS_RR_TYPE_TXT &&
		    r->type != LDNS_RR_TYPE_SPF)))
			return fail(pp->err, pp->errlen, rd[i].line,
			    "no blank before %s",
			    show(sb, sizeof(sb), rd[i].p, rd[i].len));
	if (check_fields(pp, r->type, rd, r->nrd) == -1)
		return -1;
	/* NSD takes an unquoted CAA value, ldns (and so the CoreDNS-MySQL
	 * writer) does not; DirectAdmin quotes it. */
	if (r->type == LDNS_RR_TYPE_CAA && r->nrd == 3 && !rd[2].quoted &&
	    !tok_is(&rd[0], "\\#"))
		return fail(pp->err, pp->errlen, rd[2].line,
		    "CAA value must be quoted: %s",
		    show(sb, sizeof(sb), rd[2].p, rd[2].len));
	return 0;
}

/*
 * The record as one line for ldns, in pp->flat: owner (or nothing, so
 * ldns takes the previous one), TTL, type, rdata. The class is left out:
 * only IN gets here. Returns 0, or -1 with err set.
 */
static int
record_flat(struct prep *pp, const struct lex *lx, const struct rec *r)
{
	struct buf *b = &pp->flat;
	size_t i;

	buf_clear(b);
	if (r->owner != NULL)
		buf_add(b, r->owner->p, r->owner->len);
	if (r->have_ttl)
		buf_printf(b, " %u", r->ttl);
	/* TYPEnnn spares ldns its slow look-up of the name. */
	buf_printf(b, " TYPE%u", r->type);
	for (i = 0; i < r->nrd && !b->oom; i++) {
		buf_add(b, " ", 1);
		buf_add(b, r->rd[i].p, r->rd[i].len);
		if (b->len > FLAT_MAX)
			return fail(pp->err, pp->errlen, lx->rline,
			    "record longer than %d bytes", FLAT_MAX);
	}
	if (b->oom)
		return fail(pp->err, pp->errlen, 0, "out of memory");
	return 0;
}

/*
 * Checks on the record ldns parsed: generic data of a known type must
 * make a whole record, every byte used (ldns ignores the bytes past the
 * last field), and no field may be missing. Returns 0, or -1 with err
 * set.
 */
static int
record_whole(struct prep *pp, const struct lex *lx, const struct rec *r,
    const ldns_rr *rr)
{
	const ldns_rr_descriptor *desc;
	size_t i, wire = 0;
	uint32_t v;
	int generic = r->nrd > 0 && tok_is(&r->rd[0], "\\#");

	if ((desc = ldns_rr_descript(r->type)) == NULL)
		return 0;
	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		wire += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if (generic && desc->_name != NULL && (ldns_rr_rd_count(rr) <
	    ldns_rr_descriptor_minimum(desc) ||
	    parse_uint(r->rd[1].p, r->rd[1].len, 65535, &v) != 0 ||
	    wire != v))
		return fail(pp->err, pp->errlen, lx->rline,
		    "%s record: generic data (\\#) is not one whole %s record",
		    desc->_name, desc->_name);
	if (ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(desc))
		return fail(pp->err, pp->errlen, lx->rline,
		    "%s record: data missing", desc->_name);
	return 0;
}

/* One record: split owner, TTL, class and type, check, parse. */
static int
do_record(struct prep *pp, const struct lex *lx)
{
	struct rec r;
	ldns_rr *rr = NULL;
	ldns_status st;
	int i, ret;

	memset(&r, 0, sizeof(r));
	if ((i = record_owner(pp, lx, &r)) == -1 ||
	    record_head(pp, lx, (size_t)i, &r) == -1 ||
	    record_rdata(pp, &r) == -1 || record_flat(pp, lx, &r) == -1)
		return -1;
	st = ldns_rr_new_frm_str(&rr, pp->flat.p, pp->ttl, pp->origin,
	    &pp->prev);
	if (st != LDNS_STATUS_OK)
		return diagnose(pp, lx->rline, r.owner, r.type, r.rd, r.nrd,
		    st);
	if (record_whole(pp, lx, &r, rr) == -1) {
		ldns_rr_free(rr);
		return -1;
	}
	pp->have_prev = 1;
	ret = check_rr(pp, rr, r.owner != NULL ? r.owner->line : lx->rline);
	ldns_rr_free(rr);
	return ret;
}

static void
prep_free(struct prep *pp)
{
	ldns_rdf_deep_free(pp->zone);
	ldns_rdf_deep_free(pp->origin);
	ldns_rdf_deep_free(pp->prev);
	buf_free(&pp->flat);
	buf_free(&pp->names);
	free(pp->own);
}

/* The checks on the zone name and the text before the parse: a name in
 * normal form, a text of a sane size, not blank, without NUL. Returns 0,
 * or -1 with err set. */
static int
text_check(const char *name, const char *text, size_t len, char *err,
    size_t errlen)
{
	char norm[ZONE_NAME_MAX + 1];
	const char *why, *nul;
	unsigned line;
	size_t i;

	if (zone_name_norm(name, norm, &why) == -1)
		return fail(err, errlen, 0, "invalid zone name: %s", why);
	if (strcmp(norm, name) != 0)
		return fail(err, errlen, 0, "zone name not normalised: %s",
		    name);
	if (len > ZONE_TEXT_MAX)
		return fail(err, errlen, 0,
		    "zone text larger than %d bytes", ZONE_TEXT_MAX);
	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			break;
	if (i == len)
		return fail(err, errlen, 0, "empty zone text");
	if ((nul = memchr(text, '\0', len)) != NULL) {
		for (line = 1, i = 0; text + i < nul; i++)
			line += text[i] == '\n';
		return fail(err, errlen, line, "NUL byte in zone text");
	}
	return 0;
}

/*
 * The text with the directives it lacks in front, into *out (malloc'd,
 * NUL-terminated). Original order: $ORIGIN is prepended first, then $TTL
 * before it, so $TTL ends up on the first line. Returns 0, or -1 with
 * err set.
 */
static int
with_directives(const struct prep *pp, const char *apex, const char *text,
    size_t len, char **out, size_t *outlen)
{
	char pre[300], *o;
	size_t plen = 0;

	if (!pp->has_ttl)
		plen += snprintf(pre + plen, sizeof(pre) - plen, "$TTL %d\n",
		    DEFAULT_TTL);
	if (!pp->has_origin)
		plen += snprintf(pre + plen, sizeof(pre) - plen,
		    "$ORIGIN %s\n", apex);
	if ((o = malloc(plen + len + 1)) == NULL)
		return fail(pp->err, pp->errlen, 0, "out of memory");
	memcpy(o, pre, plen);
	memcpy(o + plen, text, len);
	o[plen + len] = '\0';
	*out = o;
	*outlen = plen + len;
	return 0;
}

int
zone_prepare(const char *name, const char *text, size_t len, char **out,
    size_t *outlen, struct zone_info *info, char *err, size_t errlen)
{
	struct prep pp;
	struct lex lx;
	char apex[ZONE_NAME_MAX + 2];
	int r;

	*out = NULL;
	*outlen = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text_check(name, text, len, err, errlen) == -1)
		return -1;

	memset(&pp, 0, sizeof(pp));
	memset(&lx, 0, sizeof(lx));
	pp.err = err;
	pp.errlen = errlen;
	pp.ttl = DEFAULT_TTL;
	snprintf(apex, sizeof(apex), "%s.", name);
	if ((pp.zone = ldns_dname_new_frm_str(apex)) == NULL ||
	    (pp.origin = ldns_rdf_clone(pp.zone)) == NULL) {
		r = fail(err, errlen, 0, "out of memory");
		goto done;
	}
	pp.zklen = name_key(pp.zkey, ldns_rdf_data(pp.zone),
	    ldns_rdf_size(pp.zone));

	lx.p = text;
	lx.end = text + len;
	lx.line = 1;
	while ((r = lex_record(&lx, err, errlen)) == 1) {
		if (lx.directive)
			r = do_directive(&pp, &lx);
		else
			r = do_record(&pp, &lx);
		if (r == -1)
			goto done;
	}
	if (r == -1)
		goto done;
	if (!pp.soa_line) {
		r = fail(err, errlen, 0, "no SOA record");
		goto done;
	}
	if ((r = check_names(&pp)) == -1 ||
	    (r = with_directives(&pp, apex, text, len, out, outlen)) == -1)
		goto done;
	if (info != NULL) {
		info->serial = pp.serial;
		info->nrr = (unsigned)pp.nown;
	}
done:
	prep_free(&pp);
	free(lx.tok);
	return r;
}
