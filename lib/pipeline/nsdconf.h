/* nsdconf.h -- what an nsd.conf file is: NSD's main file or an include */
/* SPDX-License-Identifier: ISC */
#ifndef NSDCONF_H
#define NSDCONF_H

#include <stddef.h>

/*
 * Whether the NSD configuration file at path has a server: clause, as
 * NSD's main configuration has and an include file (zone: and pattern:
 * entries, as directdnsonly wrote) has not. Returns 1, 0, or -1 with a
 * message in err when the file cannot be read.
 */
int nsdconf_has_server(const char *path, char *err, size_t errlen);

/*
 * Whether the NSD configuration conf includes the file at path (the same
 * file, by device and inode) through its include: statements, globbed as
 * NSD does and followed into included files. Returns 1, 0, or -1 with a
 * message in err when conf cannot be read.
 */
int nsdconf_includes(const char *conf, const char *path, char *err,
    size_t errlen);

#endif
