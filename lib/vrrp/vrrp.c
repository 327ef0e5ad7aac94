/* vrrp.c -- VRRPv3 (RFC 5798) and VRRPv2 (RFC 3768) packets, IPv4 and IPv6 */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "vrrp.h"

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
vrrp_checksum(int version, uint32_t src, uint32_t dst, const uint8_t *msg,
    size_t len)
{
	uint8_t ph[12];
	uint32_t sum = 0;

	if (version == 3) {
		memcpy(ph, &src, 4);
		memcpy(ph + 4, &dst, 4);
		ph[8] = 0;
		ph[9] = VRRP_PROTO;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		sum = sum16(sum, ph, sizeof(ph));
	}
	return fold(sum16(sum, msg, len));
}

uint16_t
vrrp_checksum6(const uint8_t src[16], const uint8_t dst[16],
    const uint8_t *msg, size_t len)
{
	uint8_t ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = VRRP_PROTO;
	return fold(sum16(sum16(0, ph, sizeof(ph)), msg, len));
}

size_t
vrrp_build6(uint8_t *m, size_t size, const struct vrrp_pkt *p,
    const uint8_t src[16], const uint8_t dst[16])
{
	size_t mlen;
	uint16_t c;

	if (!p->v6 || p->version != 3 || p->naddr < 0 ||
	    p->naddr > VRRP_ADDRS_MAX || p->adver < 1 || p->adver > 4095)
		return 0;
	mlen = 8 + 16 * (size_t)p->naddr;
	if (size < mlen)
		return 0;
	memset(m, 0, mlen);
	m[0] = 3 << 4 | 1;
	m[1] = p->vrid;
	m[2] = p->prio;
	m[3] = (uint8_t)p->naddr;
	m[4] = (uint8_t)(p->adver >> 8 & 0x0f);
	m[5] = (uint8_t)p->adver;
	memcpy(m + 8, p->addr6, 16 * (size_t)p->naddr);
	c = vrrp_checksum6(src, dst, m, mlen);
	m[6] = (uint8_t)(c >> 8);
	m[7] = (uint8_t)c;
	return mlen;
}

enum vrrp_err
vrrp_parse6(const uint8_t *m, size_t len, const uint8_t src[16],
    const uint8_t dst[16], int hoplimit, struct vrrp_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->v6 = 1;
	p->ttl = hoplimit;
	memcpy(p->src6, src, 16);
	memcpy(p->dst6, dst, 16);
	if (len < 8 || (m[0] & 0x0f) != 1)
		return VRRP_EMALFORMED;
	p->version = m[0] >> 4;
	if (p->version != 3)
		return VRRP_EVERSION;
	p->vrid = m[1];
	p->prio = m[2];
	p->naddr = m[3];
	if (p->naddr > VRRP_ADDRS_MAX || len < 8 + 16 * (size_t)p->naddr)
		return VRRP_EMALFORMED;
	p->adver = (unsigned int)(m[4] & 0x0f) << 8 | m[5];
	if (p->adver == 0)
		return VRRP_EMALFORMED;
	memcpy(p->addr6, m + 8, 16 * (size_t)p->naddr);
	/* Bytes past the addresses are part of the message and its sum. */
	if (vrrp_checksum6(src, dst, m, len) != 0)
		return VRRP_ECHECKSUM;
	return VRRP_OK;
}

size_t
vrrp_build(uint8_t *buf, size_t size, const struct vrrp_pkt *p, uint32_t src,
    uint32_t dst, uint16_t ipid)
{
	uint8_t *m = buf + 20;
	size_t mlen, total;
	uint16_t c;

	if (p->v6 || (p->version != 2 && p->version != 3) || p->naddr < 0 ||
	    p->naddr > VRRP_ADDRS_MAX)
		return 0;
	if (p->version == 3 && (p->adver < 1 || p->adver > 4095))
		return 0;
	if (p->version == 2 && (p->adver < 100 || p->adver > 25500 ||
	    p->adver % 100 != 0))
		return 0;
	mlen = 8 + 4 * (size_t)p->naddr + (p->version == 2 ? VRRP_PASS_LEN : 0);
	total = 20 + mlen;
	if (size < total)
		return 0;
	memset(buf, 0, total);
	buf[0] = 0x45;
	buf[1] = 0xc0;		/* DSCP CS6, as keepalived sends */
	buf[2] = (uint8_t)(total >> 8);
	buf[3] = (uint8_t)total;
	buf[4] = (uint8_t)(ipid >> 8);
	buf[5] = (uint8_t)ipid;
	buf[8] = VRRP_TTL;
	buf[9] = VRRP_PROTO;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	c = fold(sum16(0, buf, 20));
	buf[10] = (uint8_t)(c >> 8);
	buf[11] = (uint8_t)c;

	m[0] = (uint8_t)(p->version << 4 | 1);
	m[1] = p->vrid;
	m[2] = p->prio;
	m[3] = (uint8_t)p->naddr;
	if (p->version == 3) {
		m[4] = (uint8_t)(p->adver >> 8 & 0x0f);
		m[5] = (uint8_t)p->adver;
	} else {
		m[4] = (uint8_t)p->auth_type;
		m[5] = (uint8_t)(p->adver / 100);
	}
	memcpy(m + 8, p->addr, 4 * (size_t)p->naddr);
	if (p->version == 2 && p->auth_type == 1)
		memcpy(m + 8 + 4 * p->naddr, p->pass, VRRP_PASS_LEN);
	c = vrrp_checksum(p->version, src, dst, m, mlen);
	m[6] = (uint8_t)(c >> 8);
	m[7] = (uint8_t)c;
	return total;
}

enum vrrp_err
vrrp_parse(const uint8_t *buf, size_t len, struct vrrp_pkt *p)
{
	const uint8_t *m;
	size_t ihl, tot, mlen, need;

	memset(p, 0, sizeof(*p));
	if (len < 20 || buf[0] >> 4 != 4)
		return VRRP_EMALFORMED;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = (size_t)buf[2] << 8 | buf[3];
	/* Bytes past the IP total length (link padding) are ignored. */
	if (ihl < 20 || tot < ihl || tot > len || buf[9] != VRRP_PROTO)
		return VRRP_EMALFORMED;
	p->ttl = buf[8];
	memcpy(&p->src, buf + 12, 4);
	memcpy(&p->dst, buf + 16, 4);
	m = buf + ihl;
	mlen = tot - ihl;
	if (mlen < 8)
		return VRRP_EMALFORMED;
	p->version = m[0] >> 4;
	if ((p->version != 2 && p->version != 3) || (m[0] & 0x0f) != 1)
		return VRRP_EMALFORMED;
	p->vrid = m[1];
	p->prio = m[2];
	p->naddr = m[3];
	if (p->naddr > VRRP_ADDRS_MAX)
		return VRRP_EMALFORMED;
	need = 8 + 4 * (size_t)p->naddr;
	if (p->version == 2)
		need += VRRP_PASS_LEN;
	if (mlen < need)
		return VRRP_EMALFORMED;
	if (p->version == 3) {
		p->adver = (unsigned int)(m[4] & 0x0f) << 8 | m[5];
		if (p->adver == 0)
			return VRRP_EMALFORMED;
	} else {
		p->auth_type = m[4];
		p->adver = (unsigned int)m[5] * 100;
		memcpy(p->pass, m + 8 + 4 * p->naddr, VRRP_PASS_LEN);
	}
	memcpy(p->addr, m + 8, 4 * (size_t)p->naddr);
	/* The sum over a message that includes its own checksum is zero. */
	if (vrrp_checksum(p->version, p->src, p->dst, m, mlen) != 0)
		return VRRP_ECHECKSUM;
	return VRRP_OK;
}

enum vrrp_err
vrrp_match(const struct vrrp_pkt *p, const struct vrrp_pkt *want, int ttl_any)
{
	int i, j;

	if (!ttl_any && p->ttl != VRRP_TTL)
		return VRRP_ETTL;
	if (p->version != want->version || p->v6 != want->v6)
		return VRRP_EVERSION;
	if (p->vrid != want->vrid)
		return VRRP_EVRID;
	if (p->naddr != want->naddr)
		return VRRP_EADDRS;
	for (i = 0; i < want->naddr; i++) {
		for (j = 0; j < p->naddr; j++)
			if (want->v6 ? memcmp(p->addr6[j], want->addr6[i],
			    16) == 0 : p->addr[j] == want->addr[i])
				break;
		if (j == p->naddr)
			return VRRP_EADDRS;
	}
	if (p->version == 2) {
		if (p->auth_type != want->auth_type)
			return VRRP_EAUTH;
		if (want->auth_type == 1 &&
		    memcmp(p->pass, want->pass, VRRP_PASS_LEN) != 0)
			return VRRP_EAUTH;
		if (p->adver != want->adver)
			return VRRP_EINTERVAL;
	}
	return VRRP_OK;
}

const char *
vrrp_err_name(enum vrrp_err err)
{
	static const char *names[VRRP_NERR] = {
		"ok", "malformed", "checksum", "ttl", "version", "vrid",
		"addrs", "auth", "interval", "source"
	};

	if ((int)err < 0 || err >= VRRP_NERR)
		return "unknown";
	return names[err];
}

long
vrrp_skew_ms(int prio, unsigned int adver_cs)
{
	return (long)(256 - prio) * (long)adver_cs * 10 / 256;
}

long
vrrp_master_down_ms(int prio, unsigned int adver_cs)
{
	return 3 * (long)adver_cs * 10 + vrrp_skew_ms(prio, adver_cs);
}
