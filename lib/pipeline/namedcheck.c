/* namedcheck.c -- validate zone files the way named will load them */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "io.h"
#include "job.h"
#include "namedcheck.h"
#include "rndc.h"

/* A zone name and its index in z, for looking up named-checkconf's lines. */
struct zidx {
	const char	*zone;
	size_t		 i;
};

static int
zidx_cmp(const void *a, const void *b)
{
	const struct zidx *x = a, *y = b;

	return strcmp(x->zone, y->zone);
}

/* The index of the zone s[0..len), or -1. */
static long
zidx_find(const struct zidx *idx, size_t n, const char *s, size_t len)
{
	char name[JOB_NAME_MAX + 1];
	struct zidx key, *f;

	if (len == 0 || len > JOB_NAME_MAX)
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	key.zone = name;
	if ((f = bsearch(&key, idx, n, sizeof(*idx), zidx_cmp)) == NULL)
		return -1;
	return (long)f->i;
}

/*
 * Which zone does one line of named-checkconf -z talk about? Lines name
 * the zone ("zone Z/IN: ...", "_default/Z/IN: ...") or its file
 * ("PREFIX I-HEX.tmp:4: near ..."). Sets *kind: 'L' loaded, 'F' the
 * verdict of a failure, 'D' a detail. Returns the index or -1.
 */
static long
check_line(const char *line, size_t len, const char *prefix,
    const struct zidx *idx, size_t m, size_t n, char *kind)
{
	const char *p, *e;
	size_t plen = strlen(prefix);
	unsigned long v;
	char *end;

	if ((p = memmem(line, len, prefix, plen)) != NULL) {
		v = strtoul(p + plen, &end, 10);
		*kind = 'D';
		if (*end != '-' || v >= n)
			return -1;
		end += 1 + strspn(end + 1, "0123456789abcdef");
		return strncmp(end, ".tmp", 4) == 0 ? (long)v : -1;
	}
	if (len > 5 && strncmp(line, "zone ", 5) == 0) {
		p = line + 5;
		if ((e = memmem(p, len - 5, "/IN: ", 5)) == NULL)
			return -1;
		if (memmem(e, len - (size_t)(e - line), ": loaded serial ",
		    16) != NULL)
			*kind = 'L';
		else if (memmem(e, len - (size_t)(e - line),
		    ": not loaded due to errors", 26) != NULL)
			*kind = 'F';
		else
			*kind = 'D';
		return zidx_find(idx, m, p, (size_t)(e - p));
	}
	if ((p = memchr(line, '/', len)) != NULL &&
	    (e = memmem(p, len - (size_t)(p - line), "/IN: ", 5)) != NULL) {
		*kind = 'F';
		return zidx_find(idx, m, p + 1, (size_t)(e - p - 1));
	}
	return -1;
}

/*
 * Write the configuration into the directory, its name into conf, and
 * fill idx[0..*m) with the zones listed, sorted. Returns 0, or -1 with a
 * message in err (conf is "" unless a file was created).
 */
static int
write_conf(int dfd, const char *dir, const char *prefix,
    const struct namedcheck_zone *z, size_t n, struct zidx *idx, size_t *m,
    char *conf, size_t conflen, char *err, size_t errlen)
{
	FILE *f = NULL;
	size_t i;
	int fd, saved;

	if ((fd = io_create_tmp(dfd, prefix, ".conf", 0600, conf,
	    conflen)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		saved = errno;
		/* Only a file we created may be removed. */
		if (fd >= 0)
			close(fd);
		else
			conf[0] = '\0';
		errno = saved;
		err_set_sys(err, errlen, "unable to write a configuration in "
		    "%s", dir);
		return -1;
	}
	fprintf(f, "options { directory \"%s\"; };\n", dir);
	for (*m = 0, i = 0; i < n; i++) {
		if (z[i].zone == NULL)
			continue;
		fprintf(f, "zone \"%s\" { type primary; file \"%s\"; };\n",
		    z[i].zone, z[i].file);
		idx[*m].zone = z[i].zone;
		idx[(*m)++].i = i;
	}
	if (fclose(f) != 0) {
		err_set_sys(err, errlen, "unable to write %s/%s", dir, conf);
		return -1;
	}
	qsort(idx, *m, sizeof(*idx), zidx_cmp);
	return 0;
}

/* Read named-checkconf's output: verdicts and first details. */
static void
read_verdicts(const char *out, const char *prefix, const struct zidx *idx,
    size_t m, struct namedcheck_zone *z, size_t n)
{
	const char *line, *nl, *t;
	unsigned long ln;
	size_t len;
	char kind, *r, *e;
	long k;

	for (line = out; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if ((k = check_line(line, len, prefix, idx, m, n, &kind)) < 0)
			goto next;
		r = z[k].why;
		if (kind == 'L')
			z[k].verdict = 1;
		else if (kind == 'F')
			z[k].verdict = -1;
		/* The first detail says most; drop our file's name from it
		 * ("FILE:4: near ..."). */
		if (kind == 'L' || r[0] != '\0')
			goto next;
		if ((t = memmem(line, len, ".tmp:", 5)) != NULL) {
			/* Line numbers of the text pushed, not of the file
			 * written. */
			ln = strtoul(t + 5, &e, 10);
			if (ln > z[k].pre)
				ln -= z[k].pre;
			snprintf(r, NAMEDCHECK_WHY_MAX, "line %lu%.*s", ln,
			    (int)(len - (size_t)(e - line)), e);
		} else
			snprintf(r, NAMEDCHECK_WHY_MAX, "%.*s", (int)len, line);
next:
		if (nl == NULL)
			break;
	}
}

int
namedcheck_run(int dfd, const char *dir, const char *prefix,
    struct namedcheck_zone *z, size_t n, int timeout_ms, char *err,
    size_t errlen)
{
	struct rndc_call call;
	struct zidx *idx;
	char conf[64], path[PATH_MAX + 64];
	const char *argv[4];
	size_t i, m = 0;
	int rc = -1;

	for (i = 0; i < n; i++) {
		z[i].verdict = 0;
		z[i].why[0] = '\0';
	}
	conf[0] = '\0';
	if ((idx = calloc(n > 0 ? n : 1, sizeof(*idx))) == NULL) {
		err_set_sys(err, errlen, "unable to write a configuration in "
		    "%s", dir);
		return -1;
	}
	if (write_conf(dfd, dir, prefix, z, n, idx, &m, conf, sizeof(conf),
	    err, errlen) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, conf);
	argv[0] = "named-checkconf";
	argv[1] = "-z";
	argv[2] = path;
	argv[3] = NULL;
	memset(&call, 0, sizeof(call));
	call.argv = argv;
	rndc_exec(&call, 1, 1, timeout_ms);
	if (call.status < 0) {
		err_set(err, errlen, "validate: %s", call.why);
		rndc_free(&call, 1);
		goto out;
	}
	read_verdicts(call.out, prefix, idx, m, z, n);
	for (i = 0; i < n; i++)
		if (z[i].zone != NULL && z[i].verdict == 0)
			snprintf(z[i].why, sizeof(z[i].why), "no verdict from "
			    "named-checkconf (exit %d)%s%.*s", call.status,
			    call.out[0] != '\0' ? ": " : "",
			    (int)strcspn(call.out, "\n"), call.out);
	rndc_free(&call, 1);
	rc = 0;
out:
	if (conf[0] != '\0')
		unlinkat(dfd, conf, 0);
	free(idx);
	return rc;
}
