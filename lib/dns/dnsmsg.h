/* dnsmsg.h -- DNS message parsing and validation for dns-proxy */
/* SPDX-License-Identifier: ISC */
#ifndef DNSMSG_H
#define DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_HDR	12	/* header bytes */
#define DNSMSG_NAME_MAX	255	/* wire length of a name, root label included */
#define DNSMSG_KEY_MAX	(DNSMSG_NAME_MAX + 5)	/* name, type, class, flags */
#define DNSMSG_TTL_MAX	64	/* TTL offsets recorded per message */

/* Header flag bits (the 16-bit word after the ID). */
#define DNSMSG_QR	0x8000
#define DNSMSG_AA	0x0400
#define DNSMSG_TC	0x0200
#define DNSMSG_RD	0x0100
#define DNSMSG_RA	0x0080
#define DNSMSG_AD	0x0020
#define DNSMSG_CD	0x0010
#define DNSMSG_OPCODE(f)	(((f) >> 11) & 0xf)
#define DNSMSG_RCODE(f)		((f) & 0xf)

#define DNSMSG_NOERROR	0
#define DNSMSG_FORMERR	1
#define DNSMSG_SERVFAIL	2
#define DNSMSG_NXDOMAIN	3
#define DNSMSG_NOTIMP	4
#define DNSMSG_REFUSED	5

#define DNSMSG_T_A	1
#define DNSMSG_T_NS	2
#define DNSMSG_T_SOA	6
#define DNSMSG_T_SIG	24
#define DNSMSG_T_OPT	41
#define DNSMSG_T_TSIG	250
#define DNSMSG_T_ANY	255
#define DNSMSG_C_IN	1
#define DNSMSG_C_CH	3

/* EDNS option codes. */
#define DNSMSG_OPT_NSID		3
#define DNSMSG_OPT_ECS		8
#define DNSMSG_OPT_COOKIE	10
#define DNSMSG_OPT_EDE		15

/* Cache-key flag bits (last byte of a key). */
#define DNSMSG_KF_DO	0x01
#define DNSMSG_KF_RD	0x02
#define DNSMSG_KF_CD	0x04
#define DNSMSG_KF_EDNS	0x08

struct dnsmsg {
	uint16_t	 id;
	uint16_t	 flags;
	uint16_t	 qdcount, ancount, nscount, arcount;
	uint16_t	 qtype, qclass;
	uint16_t	 qname_len;	/* wire bytes at offset 12, root included */
	uint16_t	 qend;		/* offset just after the question */
	uint16_t	 edns_size;	/* requestor's UDP size, 512 without OPT */
	uint16_t	 opt;		/* OPT record's offset, 0 without */
	uint8_t		 edns;		/* an OPT record is present */
	uint8_t		 edns_version;
	uint8_t		 do_bit;
	uint8_t		 labels;	/* labels in the question name */
};

/* TTL bookkeeping of a response, for caching and ageing. */
struct dnsmsg_ttls {
	uint16_t	 n;			/* offsets recorded */
	uint16_t	 off[DNSMSG_TTL_MAX];	/* of each 32-bit TTL field */
	uint32_t	 min_ttl;	/* lowest TTL of a non-OPT record */
	uint32_t	 soa_min;	/* min(SOA TTL, SOA MINIMUM) in authority */
	uint8_t		 has_soa;
	uint8_t		 records;	/* 1 when any non-OPT record exists */
	uint8_t		 sig;		/* a TSIG or SIG(0) record is present */
};

/* Parse the header and the one question of pkt (len bytes), and find the
 * OPT record when the additional section has one. The question name must
 * be uncompressed (as every resolver sends it). Returns 0, or -1 with *why
 * set; on -1, m->id and m->flags are valid when len >= 12 (so a FORMERR
 * can be answered). */
int dnsmsg_parse(const uint8_t *pkt, size_t len, struct dnsmsg *m,
    const char **why);

/* Walk every resource record after the question of a response parsed by
 * dnsmsg_parse(), checking bounds, and record TTL offsets and minimums
 * into t. Returns 0, or -1 with *why set (malformed or too many records
 * to age). */
int dnsmsg_scan(const uint8_t *pkt, size_t len, const struct dnsmsg *m,
    struct dnsmsg_ttls *t, const char **why);

/* Remove in place every EDNS option but Extended DNS Errors from the OPT
 * record of the response pkt (*len bytes, parsed by dnsmsg_parse() as m),
 * and shorten *len: COOKIE, NSID, ECS, padding and the like belong to the
 * client that asked. Returns 0, or -1 when the answer is for that client
 * alone: an ECS option with a non-zero scope, options in an OPT record
 * that is not the last record, or malformed options. */
int dnsmsg_strip_opts(uint8_t *pkt, size_t *len, const struct dnsmsg *m);

/* Decompress the name at off into out (wire form, at least
 * DNSMSG_NAME_MAX bytes), following pointers only backwards, never into
 * the header, and at most 127 times. Sets *end to the offset after the name where it appears.
 * Returns the wire length of the name, or -1 (out of bounds, loop, bad
 * label type, longer than 255 bytes). */
int dnsmsg_name_unpack(const uint8_t *pkt, size_t len, size_t off,
    uint8_t *out, size_t *end);

/* Build the cache key of a parsed message: the case-folded question
 * name, qtype, qclass and one byte of DNSMSG_KF_* bits from the query's
 * EDNS presence, DO, RD and CD. key must hold DNSMSG_KEY_MAX bytes.
 * Returns the key length. */
size_t dnsmsg_key(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *key);

/* A 64-bit hash of len bytes (FNV-1a variant, seeded). */
uint64_t dnsmsg_hash(const uint8_t *p, size_t len, uint64_t seed);

/* Write to out (cap bytes) an answer to the parsed query pkt: the header
 * with QR set, RD copied, RA set when ra, rcode and TC as given, the
 * question, and an OPT record (payload 1232) when the query had one.
 * Returns its length, or 0 when cap is too small. */
size_t dnsmsg_reply(const uint8_t *pkt, const struct dnsmsg *m, uint8_t *out,
    size_t cap, int rcode, int tc, int ra);

/* Write a query for name (dotted text) and type to out with the given ID
 * and RD bit. Returns its length, or 0 when the name is invalid or cap is
 * too small. */
size_t dnsmsg_query(uint8_t *out, size_t cap, uint16_t id, const char *name,
    uint16_t type, int rd);

/* Convert dotted text to case-folded wire form in out (DNSMSG_NAME_MAX
 * bytes). "." and "" are the root. Returns the wire length, or -1. */
int dnsmsg_name_from_text(const char *text, uint8_t *out);

/* Write the wire name at p as dotted text (lower case untouched) into
 * buf of size bytes. Returns buf. */
char *dnsmsg_name_to_text(const uint8_t *p, char *buf, size_t size);

/* Parse a record type name ("A", "AAAA", "TYPE65", ...). Returns the type
 * number, or -1. */
int dnsmsg_type_from_text(const char *s);

#endif
