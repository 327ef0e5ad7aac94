/* dnstap.h -- dnstap messages (protobuf, encoded by hand) over a Frame
 * Streams unix socket, without blocking the caller */
/* SPDX-License-Identifier: ISC */
#ifndef DNSTAP_H
#define DNSTAP_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

#define DNSTAP_CLIENT_QUERY	5
#define DNSTAP_CLIENT_RESPONSE	6
#define DNSTAP_BUF		(256 * 1024)	/* frames waiting */

/* One message: who asked, over what, when, and the DNS message. */
struct dnstap_msg {
	int		 type;		/* DNSTAP_CLIENT_* */
	int		 tcp;
	const union netaddr_sa *client;
	uint64_t	 sec;		/* wall clock */
	uint32_t	 nsec;
	const uint8_t	*dns;
	size_t		 len;
};

/* A writer: the connection and the frames not yet sent. */
struct dnstap {
	int		 fd;		/* -1: not connected */
	char		 path[108];
	char		 identity[64];
	uint8_t		*buf;
	size_t		 len, off;
	uint64_t	 frames, dropped;
};

/* Encode m as a protobuf Dnstap message from identity into out (cap
 * bytes). Returns its length, or 0 when cap is too small. */
size_t dnstap_encode(const struct dnstap_msg *m, const char *identity,
    uint8_t *out, size_t cap);

/* Set d up for the socket path (not connected yet). Returns 0, or -1
 * with errno set. */
int dnstap_init(struct dnstap *d, const char *path, const char *identity);

/* Connect and do the bidirectional Frame Streams handshake (READY,
 * ACCEPT, START) for "protobuf:dnstap.Dnstap", waiting at most a second.
 * Returns 0, or -1 with errno set (d stays unconnected). */
int dnstap_connect(struct dnstap *d);

/* Queue m as one data frame; counted as dropped when the buffer is full
 * or d is not connected. */
void dnstap_add(struct dnstap *d, const struct dnstap_msg *m);

/* Write what the socket takes now; on a write error close (a later
 * dnstap_connect() starts a new stream). */
void dnstap_flush(struct dnstap *d);

/* Send STOP, close and free. */
void dnstap_close(struct dnstap *d);

#endif
