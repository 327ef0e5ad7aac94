/* vrrp.c -- libFuzzer target for lib/vrrp/vrrp.c: parse any datagram, check it
 * against a configuration, and check that a parsed packet survives
 * vrrp_build() and a second parse unchanged */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vrrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrrp_pkt p, q, want;
	uint8_t buf[VRRP_PKT_MAX];
	size_t len;

	if (vrrp_parse(data, size, &p) != VRRP_OK)
		return 0;
	memset(&want, 0, sizeof(want));
	want.version = 3;
	want.vrid = 51;
	want.naddr = 1;
	want.addr[0] = 0x640063a0;
	(void)vrrp_err_name(vrrp_match(&p, &want));
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
