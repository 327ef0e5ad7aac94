/* secondary.c -- a primary's settings for its secondaries: NSD, BIND */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hash.h"
#include "io.h"
#include "secondary.h"
#include "zonefile.h"

#define PUT_MAX		(1024 * 1024)	/* largest file compared */

/* Whether key i of be's secondaries is the first of its name. */
static int
first_key(const struct config_backend *be, size_t i)
{
	size_t k;

	if (be->secondaries[i].tsig_key[0] == '\0')
		return 0;
	for (k = 0; k < i; k++)
		if (strcmp(be->secondaries[k].tsig_key,
		    be->secondaries[i].tsig_key) == 0)
			return 0;
	return 1;
}

/* notify and provide-xfr lines of every secondary. */
static void
nsd_acl(const struct config_backend *be, struct buf *out)
{
	const struct config_secondary *q;
	size_t i;

	for (i = 0; i < be->nsecondaries; i++) {
		q = &be->secondaries[i];
		buf_printf(out, "\tnotify: %s@%u %s\n", q->addr, q->port,
		    q->tsig_key[0] ? q->tsig_key : "NOKEY");
		buf_printf(out, "\tprovide-xfr: %s %s\n", q->addr,
		    q->tsig_key[0] ? q->tsig_key : "NOKEY");
	}
}

int
secondary_nsd_conf(const struct config_backend *be, const char *zdir,
    struct buf *out, char marker[SECONDARY_MARKER_MAX])
{
	char hex[HASH_HEX_LEN + 1];
	struct buf b = { 0 };
	size_t i;

	if (strpbrk(zdir, "\"\\\n#") != NULL)
		return -1;
	buf_printf(&b, "# written by zone-write-nsd from app.yml "
	    "(dns.backends.%s): its secondaries; do not edit\n", be->name);
	for (i = 0; i < be->nsecondaries; i++)
		if (first_key(be, i))
			buf_printf(&b, "key:\n\tname: \"%s\"\n\talgorithm: "
			    "%s\n\tsecret: \"%s\"\n",
			    be->secondaries[i].tsig_key,
			    be->secondaries[i].tsig_algorithm,
			    be->secondaries[i].tsig_secret);
	buf_printf(&b, "pattern:\n\tname: \"%s\"\n\tzonefile: \"%s/%%s.db\"\n",
	    be->pattern, zdir);
	nsd_acl(be, &b);
	buf_printf(&b, "pattern:\n\tname: \"%s\"\n\tzonefile: \"%s/%%s\"\n",
	    be->long_pattern, zdir);
	nsd_acl(be, &b);
	hash_hex(b.p != NULL ? b.p : "", b.len, hex);
	snprintf(marker, SECONDARY_MARKER_MAX, "dadns-%.16s", hex);
	buf_printf(&b, "# the mark that NSD read this text\npattern:\n"
	    "\tname: \"%s\"\n", marker);
	buf_add(out, b.p, b.len);
	explicit_bzero(b.p, b.len);
	buf_free(&b);
	return 0;
}

void
secondary_bind_zone(const struct config_backend *be, const char *zdir,
    const char *file, const char *zone, unsigned long long tag,
    struct buf *out)
{
	const struct config_secondary *q;
	char hex[HASH_HEX_LEN + 1];
	size_t i;

	buf_printf(out, "{ type primary; file \"%s/%s\";", zdir, file);
	if (be->nsecondaries == 0) {
		buf_adds(out, " };");
		return;
	}
	buf_adds(out, " notify explicit; also-notify {");
	for (i = 0; i < be->nsecondaries; i++) {
		q = &be->secondaries[i];
		buf_printf(out, " %s port %u", q->addr, q->port);
		if (q->tsig_key[0] != '\0')
			buf_printf(out, " key \"%s\"", q->tsig_key);
		buf_adds(out, ";");
	}
	buf_adds(out, " }; allow-transfer {");
	/* With a key, any address holding it; without, the address. */
	for (i = 0; i < be->nsecondaries; i++) {
		q = &be->secondaries[i];
		if (q->tsig_key[0] == '\0')
			buf_printf(out, " %s;", q->addr);
		else if (first_key(be, i))
			buf_printf(out, " key \"%s\";", q->tsig_key);
	}
	/* The journal lives in named's directory, which named may write;
	 * a name too long for a file is hashed. */
	if (strlen(zone) <= 200)
		buf_printf(out, " }; ixfr-from-differences yes; journal "
		    "\"dadns-%s-%llu.jnl\"; };", zone, tag);
	else {
		hash_hex(zone, strlen(zone), hex);
		buf_printf(out, " }; ixfr-from-differences yes; journal "
		    "\"dadns-%.32s-%llu.jnl\"; };", hex, tag);
	}
}

void
secondary_bind_keys(const struct config_backend *be, struct buf *out)
{
	size_t i;

	buf_printf(out, "# written by zone-write-bind from app.yml "
	    "(dns.backends.%s): the TSIG keys of its secondaries; do not "
	    "edit\n", be->name);
	for (i = 0; i < be->nsecondaries; i++)
		if (first_key(be, i))
			buf_printf(out, "key \"%s\" { algorithm %s; secret "
			    "\"%s\"; };\n", be->secondaries[i].tsig_key,
			    be->secondaries[i].tsig_algorithm,
			    be->secondaries[i].tsig_secret);
}

void
secondary_digest(const struct config_backend *be, char out[65])
{
	const struct config_secondary *q;
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < be->nsecondaries; i++) {
		q = &be->secondaries[i];
		buf_printf(&b, "%s %u %s %s %s\n", q->addr, q->port,
		    q->tsig_key, q->tsig_algorithm, q->tsig_secret);
	}
	hash_hex(b.p != NULL ? b.p : "", b.len, out);
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	buf_free(&b);
}

int
secondary_put(int dfd, const char *name, const char *text, size_t len)
{
	struct stat st;
	char tmp[64], *old = NULL;
	size_t olen;
	int fd, saved;

	if (zonefile_read(dfd, name, PUT_MAX, &old, &olen) == 0) {
		saved = olen == len && memcmp(old, text, len) == 0;
		explicit_bzero(old, olen);
		free(old);
		if (saved)
			return 0;
	} else if (errno != ENOENT)
		return -1;
	if ((fd = io_create_tmp(dfd, ".dadns-", ".tmp", 0640, tmp,
	    sizeof(tmp))) < 0)
		return -1;
	/* The server reads it through the directory's group (nsd, bind);
	 * when the file cannot have that group, the directory (0750)
	 * keeps others out. */
	if (fstat(dfd, &st) < 0 || (fchown(fd, (uid_t)-1, st.st_gid) < 0 &&
	    fchmod(fd, 0644) < 0)) {
		saved = errno;
		close(fd);
		unlinkat(dfd, tmp, 0);
		errno = saved;
		return -1;
	}
	if (io_write_all(fd, text, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlinkat(dfd, tmp, 0);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0 ||
	    fsync(dfd) < 0) {
		saved = errno;
		unlinkat(dfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return 1;
}
