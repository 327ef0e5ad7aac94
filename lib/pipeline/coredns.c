/* coredns.c -- zone texts as rows of the CoreDNS mysql plugin's schema */
/* SPDX-License-Identifier: ISC */
/*
 * The plugin (coredns_mysql_extend) rebuilds every answer from a row as
 * "<hostname>.<zone> <ttl> IN <type> <data>" and parses that with miekg/dns;
 * a row that does not parse breaks its name (SERVFAIL, no answer, or a
 * crashed CoreDNS). So the text is first validated as NSD would load it
 * (zone_prepare()), then read record by record with ldns, each record is
 * printed in presentation form, and the row is parsed back and compared
 * with the record it came from. Only types whose presentation form ldns
 * and miekg/dns agree on are let through.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "buf.h"
#include "coredns.h"
#include "zone.h"

#define LINE_MAX_	(COREDNS_DATA_MAX * 4 + 1024)	/* a row as one RR */

/* Row strings live in one growing buffer (an arena), each ended by its
 * NUL; rows hold offsets until the end, as the buffer may move. */
struct rowoff {
	size_t		 host, type, data;
	uint32_t	 ttl;
};

static const struct coredns_limits max_limits = {
	COREDNS_HOSTNAME_MAX, COREDNS_TYPE_MAX, COREDNS_DATA_MAX
};

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Types whose zone-file form ldns prints the way miekg/dns reads it. */
static int
type_ok(ldns_rr_type t)
{
	const ldns_rr_descriptor *d;

	switch (t) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_DNAME:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_TXT:
	case LDNS_RR_TYPE_SPF:
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_CAA:
	case LDNS_RR_TYPE_NAPTR:
	case LDNS_RR_TYPE_HINFO:
	case LDNS_RR_TYPE_DS:
	case LDNS_RR_TYPE_CDS:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_CDNSKEY:
	case LDNS_RR_TYPE_TLSA:
	case LDNS_RR_TYPE_SSHFP:
		return 1;
	default:
		/* Unknown to ldns: RFC 3597 "\# len hex", which miekg
		 * reads for any type. */
		d = ldns_rr_descript(t);
		return d == NULL || d->_name == NULL;
	}
}

/* Add s[0..n) and a NUL to the arena a; *off is where it starts. */
static int
arena_add(struct buf *a, const char *s, size_t n, size_t *off)
{
	*off = a->len;
	if (buf_add(a, s, n) < 0 || buf_add(a, "", 1) < 0)
		return -1;
	return 0;
}

int
coredns_zone_fits(const struct coredns_zone *z,
    const struct coredns_limits *lim, char *err, size_t errlen)
{
	size_t i, n;

	for (i = 0; i < z->nrows; i++) {
		const struct coredns_row *r = &z->rows[i];

		if (strlen(r->hostname) > lim->hostname) {
			fail(err, errlen, "hostname %s longer than the "
			    "hostname column (%zu)", r->hostname,
			    lim->hostname);
			return 0;
		}
		if (strlen(r->type) > lim->type) {
			fail(err, errlen, "type %s longer than the type "
			    "column (%zu)", r->type, lim->type);
			return 0;
		}
		if ((n = strlen(r->data)) > lim->data) {
			fail(err, errlen, "%s record at %s: data of %zu "
			    "characters does not fit the data column (%zu)",
			    r->type, r->hostname, n, lim->data);
			return 0;
		}
	}
	return 1;
}

int
coredns_ident_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i >= 1 && i <= 64;
}

int
coredns_row_cmp(const struct coredns_row *a, const struct coredns_row *b)
{
	int c;

	if ((c = strcmp(a->hostname, b->hostname)) != 0)
		return c;
	if ((c = strcmp(a->type, b->type)) != 0)
		return c;
	if ((c = strcmp(a->data, b->data)) != 0)
		return c;
	return a->ttl < b->ttl ? -1 : a->ttl > b->ttl;
}

static int
row_qcmp(const void *a, const void *b)
{
	return coredns_row_cmp(a, b);
}

/* Hostname: "@", or labels of printable ASCII without blanks, none empty,
 * "\" only as an escape (what ldns prints for a relative name). */
static const char *
hostname_bad(const char *h)
{
	size_t i;

	if (h[0] == '\0')
		return "empty hostname";
	if (strcmp(h, "@") == 0)
		return NULL;
	if (h[0] == '.')
		return "hostname begins with a dot";
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] <= ' ' || h[i] >= 0x7f)
			return "hostname holds a blank, control or non-ASCII "
			    "byte";
		if (h[i] >= 'A' && h[i] <= 'Z')
			return "hostname is not lower case";
		if (h[i] == '.' && h[i + 1] == '.')
			return "empty label in hostname";
		if (h[i] == '\\' && h[++i] == '\0')
			return "hostname ends with a backslash";
	}
	if (h[i - 1] == '.' && (i < 2 || h[i - 2] != '\\'))
		return "hostname ends with a dot (it must be relative)";
	return NULL;
}

/*
 * Parse the row back as the plugin will, and when orig is not NULL
 * compare it with the record it was made from. Returns 0 or -1 with err.
 */
static int
row_verify(const char *zone, const struct coredns_row *r,
    const struct coredns_limits *lim, const ldns_rr *orig, char *err,
    size_t errlen)
{
	char line[LINE_MAX_], *ts;
	const char *why;
	ldns_rr *rr = NULL;
	ldns_status st;
	size_t i, n;
	int c;

	if (lim == NULL)
		lim = &max_limits;
	if ((why = hostname_bad(r->hostname)) != NULL)
		return fail(err, errlen, "%s: %s", why, r->hostname);
	if (strlen(r->hostname) > lim->hostname)
		return fail(err, errlen, "hostname %s longer than the column "
		    "(%zu)", r->hostname, lim->hostname);
	n = strlen(r->type);
	if (n == 0 || n > lim->type)
		return fail(err, errlen, "record type %s at %s does not fit "
		    "the type column (%zu)", r->type, r->hostname, lim->type);
	for (i = 0; i < n; i++)
		if (!((r->type[i] >= 'A' && r->type[i] <= 'Z') ||
		    (r->type[i] >= '0' && r->type[i] <= '9')))
			return fail(err, errlen, "invalid record type at %s",
			    r->hostname);
	n = strlen(r->data);
	if (n == 0)
		return fail(err, errlen, "empty %s data at %s", r->type,
		    r->hostname);
	if (n > lim->data)
		return fail(err, errlen, "%s record at %s: data of %zu "
		    "characters does not fit the data column (%zu)", r->type,
		    r->hostname, n, lim->data);
	for (i = 0; i < n; i++)
		if ((unsigned char)r->data[i] < ' ' ||
		    (unsigned char)r->data[i] >= 0x7f)
			return fail(err, errlen, "%s record at %s: control or "
			    "non-ASCII byte in data", r->type, r->hostname);
	if (r->ttl > 2147483647U)
		return fail(err, errlen, "%s record at %s: TTL %u out of "
		    "range", r->type, r->hostname, r->ttl);

	if (strcmp(r->hostname, "@") == 0)
		c = snprintf(line, sizeof(line), "%s %u IN %s %s", zone,
		    r->ttl, r->type, r->data);
	else
		c = snprintf(line, sizeof(line), "%s.%s %u IN %s %s",
		    r->hostname, zone, r->ttl, r->type, r->data);
	if (c < 0 || (size_t)c >= sizeof(line))
		return fail(err, errlen, "%s record at %s too long", r->type,
		    r->hostname);
	st = ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
	if (st != LDNS_STATUS_OK)
		return fail(err, errlen, "%s record at %s does not parse "
		    "back: %s", r->type, r->hostname,
		    ldns_get_errorstr_by_id(st));
	/* The type column must name the type the data is read as. */
	ts = ldns_rr_type2str(ldns_rr_get_type(rr));
	c = ts != NULL && strcmp(ts, r->type) == 0;
	LDNS_FREE(ts);
	if (!c) {
		ldns_rr_free(rr);
		return fail(err, errlen, "record type %s at %s is not read "
		    "back as itself", r->type, r->hostname);
	}
	if (orig != NULL && (ldns_rr_compare(orig, rr) != 0 ||
	    ldns_rr_ttl(orig) != ldns_rr_ttl(rr) ||
	    ldns_rr_rd_count(orig) != ldns_rr_rd_count(rr))) {
		ldns_rr_free(rr);
		return fail(err, errlen, "%s record at %s changes when read "
		    "back from its row", r->type, r->hostname);
	}
	ldns_rr_free(rr);
	return 0;
}

int
coredns_row_check(const char *zone_fqdn, const struct coredns_row *r,
    const struct coredns_limits *lim, char *err, size_t errlen)
{
	char norm[ZONE_NAME_MAX + 1];
	const char *why;
	size_t n = strlen(zone_fqdn);

	if (n < 2 || zone_fqdn[n - 1] != '.' ||
	    zone_name_norm(zone_fqdn, norm, &why) < 0 ||
	    strncmp(norm, zone_fqdn, n - 1) != 0)
		return fail(err, errlen, "invalid zone name %s", zone_fqdn);
	return row_verify(zone_fqdn, r, lim, NULL, err, errlen);
}

/*
 * One record as a row: hostname cut from the owner's presentation form
 * (the zone's part prints as the zone, which is plain LDH), data = the
 * record's RDATA as ldns prints it in a zone file.
 */
static int
make_row(struct coredns_zone *z, struct buf *a, struct rowoff *ro,
    ldns_rr *rr, const struct coredns_limits *lim, char *err,
    size_t errlen)
{
	struct coredns_row row;
	ldns_rr_type t = ldns_rr_get_type(rr);
	char *owner = NULL, *text = NULL, *type = NULL, *p, *end;
	size_t zlen = strlen(z->name), olen, i;
	int r = -1;

	ldns_dname2canonical(ldns_rr_owner(rr));
	if ((owner = ldns_rdf2str(ldns_rr_owner(rr))) == NULL ||
	    (type = ldns_rr_type2str(t)) == NULL ||
	    (text = ldns_rr2str_fmt(ldns_output_format_nocomments, rr)) ==
	    NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	if (!type_ok(t)) {
		fail(err, errlen, "record type %s at %s is not supported by "
		    "the CoreDNS mysql plugin", type, owner);
		goto out;
	}
	olen = strlen(owner);
	if (olen == zlen && strcmp(owner, z->name) == 0)
		owner[0] = '@', owner[1] = '\0';
	else if (olen > zlen + 1 && owner[olen - zlen - 1] == '.' &&
	    strcmp(owner + olen - zlen, z->name) == 0)
		owner[olen - zlen - 1] = '\0';
	else {
		fail(err, errlen, "record outside the zone: %s", owner);
		goto out;
	}
	/* "owner\tttl\tIN\tTYPE\tRDATA\n": the RDATA after the 4th tab. */
	for (p = text, i = 0; i < 4 && p != NULL; i++)
		if ((p = strchr(p, '\t')) != NULL)
			p++;
	if (p == NULL || *p == '\0') {
		fail(err, errlen, "%s record at %s: no data", type, owner);
		goto out;
	}
	end = p + strlen(p);
	while (end > p && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	row.hostname = owner;
	row.type = type;
	row.data = p;
	row.ttl = ldns_rr_ttl(rr);
	if (row_verify(z->name, &row, lim, rr, err, errlen) < 0)
		goto out;
	if (arena_add(a, owner, strlen(owner), &ro->host) < 0 ||
	    arena_add(a, type, strlen(type), &ro->type) < 0 ||
	    arena_add(a, p, (size_t)(end - p), &ro->data) < 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	ro->ttl = row.ttl;
	r = 0;
out:
	LDNS_FREE(owner);
	LDNS_FREE(type);
	LDNS_FREE(text);
	return r;
}

int
coredns_zone_parse(struct coredns_zone *z, const char *zone,
    const char *text, size_t len, const struct coredns_limits *lim,
    char *err, size_t errlen)
{
	struct zone_info info;
	struct buf a = { NULL, 0, 0, 0 };
	struct rowoff *ro = NULL, *nro;
	char norm[ZONE_NAME_MAX + 1], *prep = NULL;
	const char *why;
	size_t plen, nro_ = 0, capro = 0, i, k;
	ldns_rdf *origin = NULL, *prev = NULL;
	ldns_rr *rr;
	ldns_status st;
	uint32_t ttl = 300;
	int line = 0, r = -1, rc;
	FILE *fp = NULL;

	memset(z, 0, sizeof(*z));
	if (lim == NULL)
		lim = &max_limits;
	if (zone_name_norm(zone, norm, &why) < 0)
		return fail(err, errlen, "invalid zone name: %s", why);
	snprintf(z->name, sizeof(z->name), "%s.", norm);
	if (zone_prepare(norm, text, len, &prep, &plen, &info, err,
	    errlen) < 0)
		return -1;
	z->serial = info.serial;
	if ((fp = fmemopen(prep, plen, "r")) == NULL ||
	    (origin = ldns_dname_new_frm_str(z->name)) == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		rr = NULL;
		st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev,
		    &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN) {
			if (feof(fp))
				break;
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			/* zone_prepare() accepted it: ldns disagrees. */
			fail(err, errlen, "line %d: %s", line,
			    ldns_get_errorstr_by_id(st));
			goto out;
		}
		if (nro_ == capro) {
			capro = capro ? capro * 2 : 32;
			if ((nro = reallocarray(ro, capro, sizeof(*ro))) ==
			    NULL) {
				ldns_rr_free(rr);
				fail(err, errlen, "out of memory");
				goto out;
			}
			ro = nro;
		}
		rc = make_row(z, &a, &ro[nro_], rr, lim, err, errlen);
		ldns_rr_free(rr);
		if (rc != 0)
			goto out;
		nro_++;
	}
	if (nro_ == 0) {
		fail(err, errlen, "no records");
		goto out;
	}
	if ((z->rows = calloc(nro_, sizeof(*z->rows))) == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < nro_; i++) {
		z->rows[i].hostname = a.p + ro[i].host;
		z->rows[i].type = a.p + ro[i].type;
		z->rows[i].data = a.p + ro[i].data;
		z->rows[i].ttl = ro[i].ttl;
	}
	/* An RRset is a set: one row per record, the lowest TTL kept. */
	qsort(z->rows, nro_, sizeof(*z->rows), row_qcmp);
	for (i = 0, k = 0; i < nro_; i++) {
		if (k > 0 && strcmp(z->rows[i].hostname,
		    z->rows[k - 1].hostname) == 0 &&
		    strcmp(z->rows[i].type, z->rows[k - 1].type) == 0 &&
		    strcmp(z->rows[i].data, z->rows[k - 1].data) == 0)
			continue;
		z->rows[k++] = z->rows[i];
	}
	z->nrows = k;
	z->mem_ = a.p;
	a.p = NULL;
	r = 0;
out:
	if (fp != NULL)
		fclose(fp);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	free(prep);
	free(ro);
	free(a.p);
	if (r < 0) {
		free(z->rows);
		memset(z, 0, sizeof(*z));
	}
	return r;
}

void
coredns_zone_free(struct coredns_zone *z)
{
	free(z->rows);
	free(z->mem_);
	memset(z, 0, sizeof(*z));
}
