/* rndcproto.h -- one kept connection to named's control channel: the
 * nonce handshake, then signed commands and their answers */
/* SPDX-License-Identifier: ISC */
#ifndef RNDCPROTO_H
#define RNDCPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rndcconf.h"
#include "rndcmsg.h"

struct rndcproto {
	const struct rndcconf *conf;
	int		 fd;		/* -1 when not connected */
	uint32_t	 nonce;		/* of this connection */
	uint32_t	 ser;		/* the last serial sent */
	unsigned long	 connects;	/* connections made so far */
	struct buf	 out;
	unsigned char	*in;		/* one answer */
	size_t		 incap;
};

/* Set up p for the server and key of conf (kept by the caller), not
 * connected yet. */
void rndcproto_init(struct rndcproto *p, const struct rndcconf *conf);

/*
 * Send command cmd ("reload example.com") and read its answer into a
 * within timeout_ms, connecting and taking a nonce first when p is not
 * connected; a kept connection that broke (named restarted) is made again
 * once. Returns 0 with a filled (a->err is set when named refused the
 * command; free with rndcmsg_answer_free()); -1 when named could not be
 * reached or the exchange failed (p is disconnected); -2 when named
 * refused the key or the answer's signature did not verify. why says
 * which.
 */
int rndcproto_cmd(struct rndcproto *p, const char *cmd, int timeout_ms,
    struct rndcmsg_answer *a, char *why, size_t size);

/* Close the connection and free p's buffers. */
void rndcproto_close(struct rndcproto *p);

#endif
