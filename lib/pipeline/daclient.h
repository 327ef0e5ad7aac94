/* daclient.h -- list the domains of a DirectAdmin server (CMD_DNS_ADMIN) */
/* SPDX-License-Identifier: ISC */
#ifndef DACLIENT_H
#define DACLIENT_H

#include <stddef.h>

#define DACLIENT_PAGES_MAX	100000	/* pages followed at most */
#define DACLIENT_BODY_MAX	(64 * 1024 * 1024)	/* one page's body */

/* Where a DirectAdmin server listens and how to log in. */
struct daclient_server {
	const char	*hostname;	/* name or address to connect to */
	unsigned	 port;
	const char	*username;
	const char	*password;
	int		 ssl;		/* https, else http */
};

struct daclient_opts {
	int		 verify_ssl;	/* check the certificate and name */
	unsigned	 ipp;		/* items per page asked for */
	long		 timeout_ms;	/* one request, 0: 30 s */
	long		 connect_timeout_ms;	/* 0: 10 s */
};

/* What one listing saw. */
struct daclient_stats {
	unsigned long	 pages;		/* answers parsed */
	unsigned long	 domains;	/* names handed to the callback */
	unsigned long	 invalid;	/* names that are no domain name */
	int		 login;		/* the CMD_LOGIN cookie was used */
	int		 legacy;	/* the answer was list[]= form */
};

/* Called once for every listed name, normalised (zone_name_norm(): lower
 * case, no trailing dot); the same name may come more than once. A
 * non-zero return stops the listing, which then fails. */
typedef int (*daclient_fn)(void *arg, const char *domain);

/*
 * List the domains of server like directdnsonly does (docs §5.2): GET
 * /CMD_DNS_ADMIN?json=yes&page=N&ipp=IPP with Basic auth, redirects not
 * followed; a redirect once leads to POST /CMD_LOGIN and a retry with its
 * session cookie (DirectAdmin Evolution); JSON pages are followed up to
 * info.total_pages; a body that is not JSON is read as the legacy
 * list[]=a.com&list[]=b.com form. The caller has run curl_global_init().
 * Returns 0 when the server answered its whole list (stats filled, the
 * list may be empty), or -1 with a message in err when it did not
 * (unreachable, TLS, timeout, HTTP error, HTML answer, login refused,
 * JSON that is no listing, or fn asked to stop).
 */
int daclient_list(const struct daclient_server *server,
    const struct daclient_opts *opts, daclient_fn fn, void *arg,
    struct daclient_stats *stats, char *err, size_t errlen);

/*
 * Parse one answer body[0..len): JSON (every member whose name is all
 * digits and whose value is an object with a string "domain"; *total_pages
 * from info.total_pages, default 1) or, when body is not JSON, the legacy
 * form (*legacy set, *total_pages 1). Calls fn for each valid name and
 * counts the others in stats->invalid. Returns 0, or -1 with a message in
 * err (JSON that is not an object, or fn asked to stop).
 */
int daclient_parse(const char *body, size_t len, daclient_fn fn, void *arg,
    long long *total_pages, struct daclient_stats *stats, char *err,
    size_t errlen);

#endif
