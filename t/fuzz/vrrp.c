/* vrrp.c -- libFuzzer target for lib/vrrp/vrrp.c: parse any datagram, check it
 * against a configuration, and check that a parsed packet survives
 * vrrp_build() and a second parse unchanged; an input whose first byte is
 * 0x06 is an IPv6 message (then 16 bytes source, 16 destination, 1 hop
 * limit) and goes through vrrp_parse6() and vrrp_build6() the same way */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vrrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
one6(const uint8_t *data, size_t size)
{
	struct vrrp_pkt p, q, want;
	uint8_t buf[VRRP_MSG6_MAX];
	size_t len;

	if (size < 34)
		return 0;
	if (vrrp_parse6(data + 34, size - 34, data + 1, data + 17, data[33],
	    &p) != VRRP_OK)
		return 0;
	if (p.version != 3 || !p.v6 || p.adver < 1 || p.adver > 4095 ||
	    p.naddr > VRRP_ADDRS_MAX)
		abort();
	memset(&want, 0, sizeof(want));
	want.v6 = 1;
	want.version = 3;
	want.vrid = 52;
	want.naddr = 1;
	want.addr6[0][0] = 0x20;
	(void)vrrp_err_name(vrrp_match(&p, &want, 0));
	(void)vrrp_err_name(vrrp_match(&p, &want, 1));
	len = vrrp_build6(buf, sizeof(buf), &p, p.src6, p.dst6);
	if (len == 0)
		abort();
	if (vrrp_parse6(buf, len, p.src6, p.dst6, 255, &q) != VRRP_OK)
		abort();
	if (q.vrid != p.vrid || q.prio != p.prio || q.naddr != p.naddr ||
	    q.adver != p.adver ||
	    memcmp(q.addr6, p.addr6, 16 * (size_t)p.naddr) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrrp_pkt p, q, want;
	uint8_t buf[VRRP_PKT_MAX];
	size_t len;

	if (size > 0 && data[0] == 0x06)
		return one6(data, size);
	if (vrrp_parse(data, size, &p) != VRRP_OK)
		return 0;
	memset(&want, 0, sizeof(want));
	want.version = 3;
	want.vrid = 51;
	want.naddr = 1;
	want.addr[0] = 0x640063a0;
	(void)vrrp_err_name(vrrp_match(&p, &want, 0));
	(void)vrrp_master_down_ms(p.prio, p.adver);
	if (p.version == 3 && (p.adver < 1 || p.adver > 4095))
		abort();
	if (p.version == 2 && p.adver > 25500)
		abort();
	if (p.version == 2 && p.adver == 0)
		return 0;	/* v2 interval 0 parses but cannot be sent */
	len = vrrp_build(buf, sizeof(buf), &p, p.src, p.dst, 7);
	if (len == 0)
		abort();
	if (vrrp_parse(buf, len, &q) != VRRP_OK)
		abort();
	if (q.version != p.version || q.vrid != p.vrid || q.prio != p.prio ||
	    q.naddr != p.naddr || q.adver != p.adver ||
	    memcmp(q.addr, p.addr, 4 * (size_t)p.naddr) != 0 ||
	    q.src != p.src || q.dst != p.dst || q.ttl != 255)
		abort();
	if (p.version == 2 && (q.auth_type != p.auth_type ||
	    (p.auth_type == 1 && memcmp(q.pass, p.pass, VRRP_PASS_LEN) != 0)))
		abort();
	return 0;
}
