/* rndcconf.h -- rndc's configuration (rndc.conf, rndc.key): the key,
 * address and port of named's control channel */
/* SPDX-License-Identifier: ISC */
#ifndef RNDCCONF_H
#define RNDCCONF_H

#include <stddef.h>

#include "rndcmsg.h"

#define RNDCCONF_NAME_MAX	255	/* a key or server name */
#define RNDCCONF_FILE_MAX	(64 * 1024)	/* one file */
#define RNDCCONF_INCLUDE_MAX	4	/* includes within includes */
#define RNDCCONF_KEYS_MAX	16
#define RNDCCONF_SERVERS_MAX	16
#define RNDCCONF_DEFAULT_CONF	"/etc/bind/rndc.conf"
#define RNDCCONF_DEFAULT_KEY	"/etc/bind/rndc.key"

/* Where and how rndc would talk to named. */
struct rndcconf {
	char		 keyname[RNDCCONF_NAME_MAX + 1];
	struct rndcmsg_key key;
	char		 server[RNDCCONF_NAME_MAX + 1];	/* an address */
	unsigned	 port;
	/* private: what the files said */
	struct rndcconf_key_ {
		char		 name[RNDCCONF_NAME_MAX + 1];
		struct rndcmsg_key k;
	}		 keys_[RNDCCONF_KEYS_MAX];
	size_t		 nkeys_;
	struct rndcconf_server_ {
		char		 name[RNDCCONF_NAME_MAX + 1];
		char		 key[RNDCCONF_NAME_MAX + 1];
		unsigned	 port;
	}		 servers_[RNDCCONF_SERVERS_MAX];
	size_t		 nservers_;
	char		 dkey_[RNDCCONF_NAME_MAX + 1];
	char		 dserver_[RNDCCONF_NAME_MAX + 1];
	unsigned	 dport_;
	int		 includes_;
	char		*why_;		/* the caller's, for nested files */
	size_t		 whysize_;
};

/*
 * Read rndc's configuration at path the way rndc -c does (NULL: rndc's
 * default, RNDCCONF_DEFAULT_CONF or else the key file
 * RNDCCONF_DEFAULT_KEY) and settle the server, port and key rndc would
 * use. Returns 0, or -1 with why set ("FILE:LINE: what").
 */
int rndcconf_load(struct rndcconf *c, const char *path, char *why,
    size_t size);

/*
 * Parse len bytes of text from a file called name into c (c zeroed by
 * the caller, includes read files only when includes is set), then
 * settle c like rndcconf_load(). Returns 0, or -1 with why set.
 */
int rndcconf_parse(struct rndcconf *c, const char *text, size_t len,
    const char *name, int includes, char *why, size_t size);

/* Wipe the secrets of c. */
void rndcconf_wipe(struct rndcconf *c);

#endif
