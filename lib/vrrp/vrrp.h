/* vrrp.h -- VRRPv3 (RFC 5798) and VRRPv2 (RFC 3768) packets over IPv4 */
/* SPDX-License-Identifier: ISC */
#ifndef VRRP_H
#define VRRP_H

#include <stddef.h>
#include <stdint.h>

#define VRRP_PROTO	112		/* IP protocol number */
#define VRRP_GROUP	0xe0000012u	/* 224.0.0.18, host order */
#define VRRP_TTL	255
#define VRRP_ADDRS_MAX	20		/* keepalived's limit per instance */
#define VRRP_PASS_LEN	8		/* VRRPv2 simple text password */
#define VRRP_PKT_MAX	(20 + 8 + 4 * VRRP_ADDRS_MAX + VRRP_PASS_LEN)

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
	VRRP_NERR
};

/* One advertisement. Addresses are in network byte order. */
struct vrrp_pkt {
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
	int ttl;		/* (parse only) */
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

/* Check a parsed packet against what this router is configured with
 * (want: version, vrid, adver for v2, auth_type and pass for v2, the address
 * list in any order): TTL 255, same version, same VRID, exactly the same
 * addresses, v2 password and interval. Returns VRRP_OK or the reason. */
enum vrrp_err vrrp_match(const struct vrrp_pkt *p, const struct vrrp_pkt *want);

/* A short lowercase name for err, used as a counter name ("checksum"). */
const char *vrrp_err_name(enum vrrp_err err);

/* Skew_Time and Master_Down_Interval (RFC 5798 6.1) in milliseconds for a
 * local priority and a master advertisement interval in centiseconds. */
long vrrp_skew_ms(int prio, unsigned int adver_cs);
long vrrp_master_down_ms(int prio, unsigned int adver_cs);

#endif
