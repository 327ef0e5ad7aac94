/* guard.c -- libFuzzer target for dns-proxy's inputs against abuse: the
 * Authorization header of a metrics request (lib/dns/httpauth.c), the
 * prefix of a control command (lib/dns/dynblock.c) and the values of
 * dynamic_blocks, query_log and the endpoint keys (lib/dns/guardconf.c).
 * A failure must come with a message, a success with sane values. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dynblock.h"
#include "guardconf.h"
#include "httpauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
auth(const char *s)
{
	char user[HTTPAUTH_MAX], pass[HTTPAUTH_MAX];
	int r;

	r = httpauth_parse(s, user, pass);
	if (r < -1 || r > HTTPAUTH_BASIC)
		abort();
	if (strlen(user) >= HTTPAUTH_MAX || strlen(pass) >= HTTPAUTH_MAX)
		abort();
	if (r == HTTPAUTH_BEARER && (pass[0] == '\0' || user[0] != '\0'))
		abort();
	if (r <= 0 && (user[0] != '\0' || pass[0] != '\0'))
		abort();
}

static void
prefix(const char *s)
{
	struct dynblock_key k, k2;
	char t[64];
	uint64_t h;

	if ((h = dynblock_key_parse(s, 32, 56, &k)) == 0)
		return;
	if ((k.fam != 4 && k.fam != 6) || k.plen > (k.fam == 4 ? 32 : 128))
		abort();
	/* Its text reads back as the same key. */
	dynblock_key_text(&k, t, sizeof(t));
	if (dynblock_key_parse(t, 32, 56, &k2) != h ||
	    memcmp(&k, &k2, sizeof(k)) != 0)
		abort();
}

static void
conf(const char *s)
{
	struct guardconf g;
	const char *eq = strchr(s, '=');
	char key[64], msg[256];
	size_t n;
	int r;

	if (eq == NULL || (n = (size_t)(eq - s)) >= sizeof(key))
		return;
	memcpy(key, s, n);
	key[n] = '\0';
	guardconf_defaults(&g);
	msg[0] = '\0';
	r = guardconf_set(&g, key, eq + 1, msg, sizeof(msg));
	if (r < 0 && msg[0] == '\0')
		abort();
	if (r == 0 && ((g.control_mode & 0002) || g.window_ms < 100 ||
	    g.duration_s < 1 || g.v4_prefix > 32 || g.v6_prefix > 128))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		auth(s);
		break;
	case 1:
		prefix(s);
		break;
	default:
		conf(s);
	}
	free(s);
	return 0;
}
