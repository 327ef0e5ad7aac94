/* promfile.h -- Prometheus text for node_exporter's textfile collector:
 * samples built in a buffer, one file replaced atomically */
/* SPDX-License-Identifier: ISC */
#ifndef PROMFILE_H
#define PROMFILE_H

#include <stddef.h>

#include "buf.h"

#define PROMFILE_LABEL_MAX	512	/* one label pair, escaped */

/* Append the "# HELP" and "# TYPE" lines of the metric name to b; type is
 * counter, gauge or histogram. */
void promfile_head(struct buf *b, const char *name, const char *type,
    const char *help);

/* Append the sample name{labels} v to b; labels is "" or pairs as
 * promfile_label() writes them, comma-separated. */
void promfile_uint(struct buf *b, const char *name, const char *labels,
    unsigned long long v);

/* Like promfile_uint() for a real number (seconds, timestamps). */
void promfile_num(struct buf *b, const char *name, const char *labels,
    double v);

/* Write the pair name="value" into out[0..size), the value escaped as the
 * text format wants (\\, \", \n) and cut to fit. Returns out. */
char *promfile_label(char *out, size_t size, const char *name,
    const char *value);

/* Is name (before ".prom") a file name promfile_write() takes: 1-100 of
 * A-Z a-z 0-9 . _ -, not beginning with a dot? Returns 1 or 0. */
int promfile_name_ok(const char *name);

/*
 * Replace dir/name.prom with b's text: written to dir/name.prom.tmp
 * (which the collector does not read), mode 0644, then renamed over it,
 * so a scrape never sees half a file. No fsync: the file describes a
 * running process. Returns 0, or -1 with errno set (EINVAL for a bad
 * name, ENOMEM when b ran out of memory) and the temporary file removed.
 */
int promfile_write(const char *dir, const char *name, const struct buf *b);

#endif
