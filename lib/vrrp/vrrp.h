/* vrrp.h -- VRRPv3 (RFC 5798) and VRRPv2 (RFC 3768) packets, IPv4 and IPv6 */
/* SPDX-License-Identifier: ISC */
#ifndef VRRP_H
#define VRRP_H

#include <stddef.h>
#include <stdint.h>

#define VRRP_PROTO	112		/* IP protocol number */
#define VRRP_GROUP	0xe0000012u	/* 224.0.0.18, host order */
#define VRRP_GROUP6	"ff02::12"	/* the IPv6 group, link-local scope */
#define VRRP_TTL	255
#define VRRP_ADDRS_MAX	20		/* keepalived's limit per instance */
#define VRRP_PASS_LEN	8		/* VRRPv2 simple text password */
#define VRRP_PKT_MAX	(20 + 8 + 4 * VRRP_ADDRS_MAX + VRRP_PASS_LEN)
#define VRRP_MSG6_MAX	(8 + 16 * VRRP_ADDRS_MAX)	/* IPv6: no IP header */

/* Why a received packet was not accepted; indexes the drop counters. */
enum vrrp_err {
	VRRP_OK,
	VRRP_EMALFORMED,	/* short, bad IP header, bad length or type */
	VRRP_ECHECKSUM,
	VRRP_ETTL,		/* TTL is not 255 */
	VRRP_EVERSION,		/* not the configured VRRP version */
	VRRP_EVRID,		/* another virtual router */
	VRRP_EADDRS,		/* address count or list differs from ours */
	VRRP_EAUTH,		/* VRRPv2: wrong auth type or password */
	VRRP_EINTERVAL,		/* VRRPv2: advert interval differs from ours */
	VRRP_ESOURCE,		/* not from a configured or allowed peer */
	VRRP_NERR
};

/* One advertisement. Addresses are in network byte order; v6 says which
 * of addr/src/dst or addr6/src6/dst6 hold them. */
struct vrrp_pkt {
	int v6;			/* 0 IPv4, 1 IPv6 (VRRPv3 only) */
	int version;		/* 2 or 3 */
	uint8_t vrid;
	uint8_t prio;
	unsigned int adver;	/* centiseconds (v2: whole seconds * 100) */
	int auth_type;		/* v2: 0 none, 1 PASS */
	char pass[VRRP_PASS_LEN];	/* v2: zero padded */
	int naddr;
	uint32_t addr[VRRP_ADDRS_MAX];
	uint32_t src;		/* IP source, network order (parse only) */
	uint32_t dst;		/* IP destination, network order (parse only) */
	int ttl;		/* (parse only; IPv6: the hop limit) */
	uint8_t addr6[VRRP_ADDRS_MAX][16];
	uint8_t src6[16];	/* (parse only) */
	uint8_t dst6[16];	/* (parse only) */
};

/* The RFC 1071 checksum of a VRRP message of len bytes whose checksum
 * field is zero; version 3 includes the IPv4 pseudo-header (src, dst in
 * network order), version 2 does not. Returns it in host order. */
uint16_t vrrp_checksum(int version, uint32_t src, uint32_t dst,
    const uint8_t *msg, size_t len);

/* Write the IPv4 header (TOS 0xc0, TTL 255, DF clear, the given IP id) and
 * the VRRP message for p, sent from src to dst (network order), into buf.
 * Returns the total length, or 0 when p is invalid or size too small. */
size_t vrrp_build(uint8_t *buf, size_t size, const struct vrrp_pkt *p,
    uint32_t src, uint32_t dst, uint16_t ipid);

/* Parse an IPv4 datagram holding a VRRP advertisement (v2 or v3) into p,
 * checking the IP header, the lengths, the type and the checksum. Returns
 * VRRP_OK, VRRP_EMALFORMED or VRRP_ECHECKSUM. */
enum vrrp_err vrrp_parse(const uint8_t *buf, size_t len, struct vrrp_pkt *p);

/* The RFC 1071 checksum of a VRRPv3 message of len bytes over IPv6 with
 * its pseudo-header (src, dst, upper-layer length, next header 112).
 * Returns it in host order. */
uint16_t vrrp_checksum6(const uint8_t src[16], const uint8_t dst[16],
    const uint8_t *msg, size_t len);

/* Write the VRRPv3 message for p (p->v6 set) sent from src to dst into buf;
 * the kernel writes the IPv6 header (hop limit 255 set on the socket).
 * Returns the length, or 0 when p is invalid or size too small. */
size_t vrrp_build6(uint8_t *buf, size_t size, const struct vrrp_pkt *p,
    const uint8_t src[16], const uint8_t dst[16]);

/* Parse a VRRP message received over IPv6 (no IP header: src, dst and
 * the hop limit come from the socket) into p, checking the lengths, the
 * version (3 only), the type and the checksum. Returns VRRP_OK,
 * VRRP_EMALFORMED, VRRP_EVERSION or VRRP_ECHECKSUM. */
enum vrrp_err vrrp_parse6(const uint8_t *msg, size_t len,
    const uint8_t src[16], const uint8_t dst[16], int hoplimit,
    struct vrrp_pkt *p);

/* Check a parsed packet against what this router is configured with
 * (want: version, vrid, adver for v2, auth_type and pass for v2, the address
 * list in any order, of the family of want->v6): TTL 255 (any TTL with
 * ttl_any, as keepalived for unicast peers), same version and family, same
 * VRID, exactly the same addresses, v2 password and interval. Returns
 * VRRP_OK or the reason. */
enum vrrp_err vrrp_match(const struct vrrp_pkt *p, const struct vrrp_pkt *want,
    int ttl_any);

/* A short lowercase name for err, used as a counter name ("checksum"). */
const char *vrrp_err_name(enum vrrp_err err);

/* Skew_Time and Master_Down_Interval (RFC 5798 6.1) in milliseconds for a
 * local priority and a master advertisement interval in centiseconds. */
long vrrp_skew_ms(int prio, unsigned int adver_cs);
long vrrp_master_down_ms(int prio, unsigned int adver_cs);

#endif
