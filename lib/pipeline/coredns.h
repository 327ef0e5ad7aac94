/* coredns.h -- zone texts as rows of the CoreDNS mysql plugin's schema */
/* SPDX-License-Identifier: ISC */
#ifndef COREDNS_H
#define COREDNS_H

#include <stddef.h>
#include <stdint.h>

#include "zone.h"

/* Column sizes of the schema in etc/coredns_mysql.sql (characters). */
#define COREDNS_HOSTNAME_MAX	512
#define COREDNS_TYPE_MAX	10
#define COREDNS_DATA_MAX	1024

/*
 * One row of the records table: hostname relative to the zone ("@" for
 * the apex, "*" for a wildcard, lower case), type as its upper-case
 * mnemonic (or TYPEnnn), data as zone-file RDATA with absolute names and
 * quoted strings, the record's TTL. The strings are NUL-terminated.
 */
struct coredns_row {
	const char	*hostname;
	const char	*type;
	const char	*data;
	uint32_t	 ttl;
};

/* The longest value each column of the target table takes. */
struct coredns_limits {
	size_t		 hostname;
	size_t		 type;
	size_t		 data;
};

/* A zone as rows, sorted by hostname, type, data, without duplicates. */
struct coredns_zone {
	char		 name[ZONE_NAME_MAX + 2];	/* with the trailing dot */
	uint32_t	 serial;
	struct coredns_row *rows;
	size_t		 nrows;
	char		*mem_;		/* private: the rows' strings */
};

/*
 * Turn the DirectAdmin zone text[0..len) of zone (a name zone_name_norm()
 * accepts) into rows: the text is validated like zone_prepare() does,
 * then every record becomes one row, which must fit lim (NULL: the
 * COREDNS_*_MAX sizes), be of a type the plugin parses the same way
 * (A, AAAA, NS, CNAME, DNAME, SOA, PTR, MX, TXT, SPF, SRV, CAA, NAPTR,
 * HINFO, DS, CDS, DNSKEY, CDNSKEY, TLSA, SSHFP, or TYPEnnn unknown to
 * ldns) and read back as the same record. Returns 0 with z filled (free
 * it with coredns_zone_free()), or -1 with a message in err; z then
 * holds nothing to free.
 */
int coredns_zone_parse(struct coredns_zone *z, const char *zone,
    const char *text, size_t len, const struct coredns_limits *lim,
    char *err, size_t errlen);

/* Whether every row of z fits lim (the columns of a table, which may be
 * narrower than when z was parsed). Returns 1, or 0 with a message naming
 * the first row that does not fit in err. */
int coredns_zone_fits(const struct coredns_zone *z,
    const struct coredns_limits *lim, char *err, size_t errlen);

/* Free what coredns_zone_parse() allocated in z. */
void coredns_zone_free(struct coredns_zone *z);

/*
 * Check one row as the plugin will read it for zone_fqdn (with the
 * trailing dot): "<hostname>.<zone> <ttl> IN <type> <data>" must parse,
 * hostname must be "@", "*" or relative labels, type upper case, data
 * non-empty, all within lim (NULL: the COREDNS_*_MAX sizes). Returns 0,
 * or -1 with a message in err.
 */
int coredns_row_check(const char *zone_fqdn, const struct coredns_row *r,
    const struct coredns_limits *lim, char *err, size_t errlen);

/* Order of rows: hostname, type, data (bytes), then TTL. */
int coredns_row_cmp(const struct coredns_row *a, const struct coredns_row *b);

/* An SQL identifier we quote safely: 1-64 of [A-Za-z0-9_]. Returns 1 or
 * 0. */
int coredns_ident_ok(const char *s);

#endif
