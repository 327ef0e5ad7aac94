/* rndcmsg.h -- BIND's control channel messages: encode a signed command,
 * decode and verify an answer */
/* SPDX-License-Identifier: ISC */
#ifndef RNDCMSG_H
#define RNDCMSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* BIND's numbers for the HMAC algorithms of a control channel key. */
#define RNDCMSG_HMAC_MD5	157
#define RNDCMSG_HMAC_SHA1	161
#define RNDCMSG_HMAC_SHA224	162
#define RNDCMSG_HMAC_SHA256	163
#define RNDCMSG_HMAC_SHA384	164
#define RNDCMSG_HMAC_SHA512	165

#define RNDCMSG_SECRET_MAX	256	/* bytes of a decoded secret */
#define RNDCMSG_MAX		(1024 * 1024)	/* one answer, framed */
#define RNDCMSG_CMD_MAX		30000	/* one command; named takes 32 KiB */
#define RNDCMSG_ERR_MAX		256

/* A control channel key: algorithm and decoded secret. */
struct rndcmsg_key {
	int		 alg;		/* RNDCMSG_HMAC_* */
	size_t		 len;
	unsigned char	 secret[RNDCMSG_SECRET_MAX];
};

/* What one answer held. */
struct rndcmsg_answer {
	uint32_t	 ser;		/* _ctrl _ser: the request's serial */
	uint32_t	 nonce;		/* _ctrl _nonce, 0 when absent */
	int		 reply;		/* _ctrl _rpl is there */
	int		 has_result;
	uint32_t	 result;	/* _data result (ISC result code) */
	char		 err[RNDCMSG_ERR_MAX];	/* _data err, "" when none */
	char		*text;		/* _data text, malloc'd, "" at least */
	size_t		 textlen;
};

/* The RNDCMSG_HMAC_* of an algorithm name ("hmac-sha256"), or -1. */
int rndcmsg_alg(const char *name);

/* The name of algorithm alg ("hmac-sha256"), or "unknown". */
const char *rndcmsg_alg_name(int alg);

/*
 * Append to out the framed message (length, version, _auth, _ctrl, _data)
 * of command cmd ("addzone example.com { ... };") with serial ser, time
 * now (Unix seconds, expiring 60 seconds later) and nonce (0: none, for
 * the first message of a connection), signed with key. Returns 0, or -1
 * with why set (command too long, out of memory, unknown algorithm).
 */
int rndcmsg_encode(struct buf *out, const struct rndcmsg_key *key,
    uint32_t ser, uint32_t now, uint32_t nonce, const char *cmd,
    char *why, size_t size);

/*
 * Decode the message msg (len bytes after the 4-byte length), verify its
 * signature with key and fill a. Returns 0; -1 when malformed and -2 when
 * the signature does not verify, with why set; a->text is NULL then.
 */
int rndcmsg_decode(const unsigned char *msg, size_t len,
    const struct rndcmsg_key *key, struct rndcmsg_answer *a, char *why,
    size_t size);

/* Free what rndcmsg_decode() allocated in a. */
void rndcmsg_answer_free(struct rndcmsg_answer *a);

/* Decode base64 src (NUL-terminated, no white space) into dst of size
 * bytes. Returns the length, or -1 when invalid or too long. */
int rndcmsg_base64_decode(const char *src, unsigned char *dst, size_t size);

#endif
