/* catalog.h -- the RFC 9432 catalog zone (version 2): labels, text, members */
/* SPDX-License-Identifier: ISC */
#ifndef CATALOG_H
#define CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define CATALOG_LABEL_LEN	32	/* hex digits of a member label */
#define CATALOG_MEMBERS_MAX	1000000	/* members read from one text */

/* The member label of zone (lower case, no final dot): the first 32 hex
 * digits of the SHA-256 of its name, so a member keeps its label for as
 * long as it is a member (RFC 9432 §4.1). */
void catalog_label(const char *zone, char out[CATALOG_LABEL_LEN + 1]);

/* The text of the catalog zone name with serial: SOA and NS "invalid.",
 * "version" TXT "2", one PTR per member of members[0..n) in the order
 * given. Returns it malloc'd and NUL-terminated with *lenp, or NULL when
 * out of memory. */
char *catalog_text(const char *name, uint32_t serial, char *const members[],
    size_t n, size_t *lenp);

/* The digest (SHA-256, hex) of the catalog zone name and its members
 * members[0..n), sorted: what changes when membership does. */
void catalog_digest(const char *name, char *const members[], size_t n,
    char out[65]);

/*
 * The members of a catalog text text[0..len) as catalog_text() writes
 * it: the PTR targets of "<label>.zones" records, each checked as a zone
 * name and against its label. Returns their count with *members (a
 * malloc'd array of malloc'd names, sorted; catalog_free() it) and
 * *serial set, or -1 with *why set to a static message naming what was
 * wrong (ENOMEM too).
 */
long catalog_members(const char *text, size_t len, char ***members,
    uint32_t *serial, const char **why);

/* Free the n names of members and the array. */
void catalog_free(char **members, size_t n);

#endif
