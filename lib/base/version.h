/* version.h -- the release every program answers -V with */
/* SPDX-License-Identifier: ISC */
#ifndef VERSION_H
#define VERSION_H

/* The Makefile's $(VERSION), given as -DDADNS_VERSION. */
#ifndef DADNS_VERSION
#define DADNS_VERSION	"unknown"
#endif

/* Print "prog VERSION" on stdout and exit 0 (111 when stdout cannot be
 * written): -V and --version of every program. */
void version_exit(const char *prog) __attribute__((noreturn));

#endif
