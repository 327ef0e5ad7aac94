/* rndcmsg.c -- libFuzzer target for the control channel answer parser */
/* SPDX-License-Identifier: ISC */
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rndcmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The message of version 1, an _auth of a good HMAC-SHA256 of body under
 * key, then body; malloc'd, its length in *len. */
static uint8_t *
signed_msg(const struct rndcmsg_key *key, const uint8_t *body, size_t n,
    size_t *len)
{
	static const uint8_t head[] = { 0, 0, 0, 1,
	    5, '_', 'a', 'u', 't', 'h', 2, 0, 0, 0, 99,
	    4, 'h', 's', 'h', 'a', 1, 0, 0, 0, 89, RNDCMSG_HMAC_SHA256 };
	unsigned char mac[32];
	gnutls_datum_t d = { mac, sizeof(mac) }, e;
	uint8_t *m;

	if ((m = calloc(1, sizeof(head) + 88 + n)) == NULL)
		return NULL;
	memcpy(m, head, sizeof(head));
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key->secret, key->len, body, n,
	    mac);
	if (gnutls_base64_encode2(&d, &e) < 0) {
		free(m);
		return NULL;
	}
	memcpy(m + sizeof(head), e.data, e.size);
	gnutls_free(e.data);
	memcpy(m + sizeof(head) + 88, body, n);
	*len = sizeof(head) + 88 + n;
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *b64key =
	    "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
	struct rndcmsg_key key;
	struct rndcmsg_answer a;
	char why[RNDCMSG_ERR_MAX];
	uint8_t *m = NULL;
	size_t len;
	int rc, sign;

	memset(&key, 0, sizeof(key));
	/* The first byte picks the algorithm, so every verify path runs,
	 * or (bit 1) signs the rest as the body of a message, so what
	 * follows a good signature is parsed too. */
	key.alg = size > 0 && data[0] % 2 ? RNDCMSG_HMAC_MD5 :
	    RNDCMSG_HMAC_SHA256;
	sign = size > 0 && (data[0] & 2);
	key.len = (size_t)rndcmsg_base64_decode(b64key, key.secret,
	    sizeof(key.secret));
	if (size > 0) {
		data++;
		size--;
	}
	if (sign) {
		key.alg = RNDCMSG_HMAC_SHA256;
		if ((m = signed_msg(&key, data, size, &len)) == NULL)
			return 0;
		data = m;
		size = len;
	}
	why[0] = '\0';
	rc = rndcmsg_decode(data, size, &key, &a, why, sizeof(why));
	free(m);
	if (rc < 0) {
		/* Refused input is named. */
		if (why[0] == '\0' || a.text != NULL)
			abort();
		return 0;
	}
	if (a.text == NULL || strlen(a.text) > a.textlen ||
	    strlen(a.err) >= sizeof(a.err))
		abort();
	rndcmsg_answer_free(&a);
	return 0;
}
