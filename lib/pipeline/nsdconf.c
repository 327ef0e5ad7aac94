/* nsdconf.c -- what an nsd.conf file is: NSD's main file or an include */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "io.h"
#include "nsdconf.h"

#define CONF_MAX	(256 * 1024 * 1024)	/* longest file read: an
						 * include of many zones */
#define DEPTH_MAX	8			/* nested include: levels */

/*
 * Copy the next word of NSD's configuration syntax at *sp into
 * w[0..size), truncated: a quoted string without its quotes (*quoted set)
 * or a run of other characters up to a blank, a '#' or a '"'
 * ("include:\"x\"" is two words). Comments are skipped. Returns 0, or -1
 * at the end of the text.
 */
static int
word(const char **sp, char *w, size_t size, int *quoted)
{
	const char *s = *sp, *b;
	size_t n;

	for (;;) {
		s += strspn(s, " \t\r\n");
		if (*s != '#')
			break;
		s += strcspn(s, "\n");
	}
	if (*s == '\0')
		return -1;
	if ((*quoted = *s == '"')) {
		b = ++s;
		s += strcspn(s, "\"\n");
		n = (size_t)(s - b);
		if (*s == '"')
			s++;
	} else {
		b = s;
		s += strcspn(s, " \t\r\n#\"");
		n = (size_t)(s - b);
	}
	if (n >= size)
		n = size - 1;
	memcpy(w, b, n);
	w[n] = '\0';
	*sp = s;
	return 0;
}

static int
load(const char *path, char **textp, char *err, size_t errlen)
{
	size_t len;

	if (io_read_file(AT_FDCWD, path, CONF_MAX, textp, &len) < 0) {
		err_set_sys(err, errlen, "unable to read %s", path);
		return -1;
	}
	return 0;
}

int
nsdconf_has_server(const char *path, char *err, size_t errlen)
{
	char *text, w[64];
	const char *s;
	int quoted, found = 0;

	if (load(path, &text, err, errlen) < 0)
		return -1;
	for (s = text; !found && word(&s, w, sizeof(w), &quoted) == 0; )
		found = !quoted && strcmp(w, "server:") == 0;
	free(text);
	return found;
}

/* Whether conf (depth levels of include: down) includes the file dev,
 * ino; 0 also when conf cannot be read below the top. */
static int
includes(const char *conf, dev_t dev, ino_t ino, int depth, char *err,
    size_t errlen)
{
	struct stat st;
	glob_t g;
	char *text, w[PATH_MAX];
	const char *s;
	size_t i;
	int quoted, found = 0;

	if (load(conf, &text, err, errlen) < 0)
		return depth == 0 ? -1 : 0;
	for (s = text; !found && word(&s, w, sizeof(w), &quoted) == 0; ) {
		if (quoted || strcmp(w, "include:") != 0 ||
		    word(&s, w, sizeof(w), &quoted) < 0)
			continue;
		if (glob(w, 0, NULL, &g) != 0)
			continue;
		for (i = 0; !found && i < g.gl_pathc; i++) {
			if (stat(g.gl_pathv[i], &st) < 0)
				continue;
			if (st.st_dev == dev && st.st_ino == ino)
				found = 1;
			else if (depth + 1 < DEPTH_MAX)
				found = includes(g.gl_pathv[i], dev, ino,
				    depth + 1, err, errlen) == 1;
		}
		globfree(&g);
	}
	free(text);
	return found;
}

int
nsdconf_includes(const char *conf, const char *path, char *err,
    size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		/* A file that is not there is in no configuration; conf
		 * must still be readable. */
		char *text;

		if (load(conf, &text, err, errlen) < 0)
			return -1;
		free(text);
		return 0;
	}
	return includes(conf, st.st_dev, st.st_ino, 0, err, errlen);
}
