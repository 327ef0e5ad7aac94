/* job.c -- the spool's job file: header lines, a blank line, zone text */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "job.h"
#include "zone.h"

#define SEQ_DIGITS	16
#define SEQ_MAX		9999999999999999ULL	/* SEQ_DIGITS nines */

/* The only characters a header value may hold: printable ASCII, no space
 * (names are validated by the caller again where it matters). */
static int
value_ok(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return 0;
	return 1;
}

/* Parse a decimal unsigned number of at most 20 digits. */
static int
parse_u64(const char *v, size_t len, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n > (UINT64_MAX - (v[i] - '0')) / 10)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	*out = n;
	return 0;
}

static int
copy_name(char *dst, const char *v, size_t len)
{
	if (len > JOB_NAME_MAX || !value_ok(v, len))
		return -1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

/* What the header lines of a job said, beyond the fields of the job. */
struct header {
	unsigned	 tags;		/* one bit per tag letter seen */
	int		 seen_v, seen_l, seen_s;
	uint64_t	 textlen;
};

/* The value of a name tag (z, h, u) into job. Returns 0, or -1 with *why
 * set. */
static int
header_name(struct job *job, int tag, const char *v, size_t vlen,
    const char **why)
{
	char norm[ZONE_NAME_MAX + 1];
	const char *zwhy;

	switch (tag) {
	case 'z':
		/* The zone names a file and a backend's zone: only a valid
		 * name in normal form (lower case) is taken. */
		if (copy_name(job->zone, v, vlen) < 0 ||
		    zone_name_norm(job->zone, norm, &zwhy) < 0 ||
		    strcmp(norm, job->zone) != 0) {
			*why = "invalid zone name";
			return -1;
		}
		return 0;
	case 'h':
		if (copy_name(job->hostname, v, vlen) < 0) {
			*why = "invalid hostname";
			return -1;
		}
		return 0;
	default:
		if (copy_name(job->username, v, vlen) < 0) {
			*why = "invalid username";
			return -1;
		}
		return 0;
	}
}

/* The value of a number tag (q, t, s, l) into job or h. Returns 0, or -1
 * with *why set. */
static int
header_number(struct job *job, struct header *h, int tag, const char *v,
    size_t vlen, const char **why)
{
	uint64_t n;

	switch (tag) {
	case 'q':
		if (parse_u64(v, vlen, &job->seq) < 0 || job->seq > SEQ_MAX) {
			*why = "invalid sequence (at most 16 digits)";
			return -1;
		}
		return 0;
	case 't':
		if (parse_u64(v, vlen, &n) < 0 || n > INT64_MAX) {
			*why = "invalid push time";
			return -1;
		}
		job->pushed_us = (long long)n;
		return 0;
	case 's':
		if (parse_u64(v, vlen, &n) < 0 || n > UINT32_MAX) {
			*why = "invalid serial";
			return -1;
		}
		job->serial = (uint32_t)n;
		h->seen_s = 1;
		return 0;
	default:
		if (parse_u64(v, vlen, &h->textlen) < 0 ||
		    h->textlen > JOB_MAX) {
			*why = "invalid text length";
			return -1;
		}
		h->seen_l = 1;
		return 0;
	}
}

/* One header line, "T VALUE" from p to nl (the newline). Returns 0, or
 * -1 with *why set. */
static int
header_line(struct job *job, struct header *h, const char *p,
    const char *nl, const char **why)
{
	const char *v = p + 2;
	size_t vlen;

	if (nl - p < 3 || p[1] != ' ') {
		*why = "malformed header line";
		return -1;
	}
	vlen = nl - v;
	/* Each tag may appear once. */
	if (p[0] < 'a' || p[0] > 'z' || (h->tags & (1u << (p[0] - 'a')))) {
		*why = "unknown or repeated header tag";
		return -1;
	}
	h->tags |= 1u << (p[0] - 'a');
	switch (p[0]) {
	case 'v':
		if (vlen != 1 || v[0] != '1') {
			*why = "unsupported job version";
			return -1;
		}
		h->seen_v = 1;
		return 0;
	case 'a':
		if (vlen == 4 && memcmp(v, "save", 4) == 0)
			job->action = JOB_SAVE;
		else if (vlen == 6 && memcmp(v, "delete", 6) == 0)
			job->action = JOB_DELETE;
		else {
			*why = "unknown action";
			return -1;
		}
		return 0;
	case 'z':
	case 'h':
	case 'u':
		return header_name(job, p[0], v, vlen, why);
	case 'q':
	case 't':
	case 's':
	case 'l':
		return header_number(job, h, p[0], v, vlen, why);
	default:
		*why = "unknown or repeated header tag";
		return -1;
	}
}

/* The header lines from buf up to the blank line. Returns the first byte
 * after the blank line, or NULL with *why set. */
static const char *
header_read(const char *buf, const char *end, struct job *job,
    struct header *h, const char **why)
{
	const char *p = buf, *nl;

	for (;;) {
		if (p >= end) {
			*why = "missing blank line after header";
			return NULL;
		}
		if ((nl = memchr(p, '\n', end - p)) == NULL) {
			*why = "header line without newline";
			return NULL;
		}
		if (nl == p)
			return p + 1;
		if (header_line(job, h, p, nl, why) < 0)
			return NULL;
		p = nl + 1;
	}
}

/* The text after the header, p to end, against what the header said.
 * Returns 0, or -1 with *why set. */
static int
body_check(struct job *job, const struct header *h, const char *p,
    const char *end, const char **why)
{
	if (job->action == JOB_SAVE) {
		if (!h->seen_l || !h->seen_s) {
			*why = "save without text length or serial";
			return -1;
		}
		if ((uint64_t)(end - p) != h->textlen) {
			*why = "text length does not match (truncated job?)";
			return -1;
		}
		if (h->textlen == 0) {
			*why = "save without zone text";
			return -1;
		}
		job->text = p;
		job->textlen = h->textlen;
	} else if (p != end || h->seen_l) {
		*why = "delete job with text";
		return -1;
	} else if (h->seen_s) {
		/* A delete carries no text, so no serial: job_format() has
		 * none to write back. */
		*why = "delete job with a serial";
		return -1;
	}
	return 0;
}

int
job_parse(const char *buf, size_t len, struct job *job, const char **why)
{
	struct header h;
	const char *p;

	memset(job, 0, sizeof(*job));
	memset(&h, 0, sizeof(h));
	if (len > JOB_MAX) {
		*why = "job too large";
		return -1;
	}
	if ((p = header_read(buf, buf + len, job, &h, why)) == NULL)
		return -1;
	if (!h.seen_v) {
		*why = "missing version";
		return -1;
	}
	if (job->action == 0) {
		*why = "missing action";
		return -1;
	}
	if (job->zone[0] == '\0') {
		*why = "missing zone";
		return -1;
	}
	return body_check(job, &h, p, buf + len, why);
}

char *
job_format(const struct job *job, size_t *lenp)
{
	char head[2048];
	char *buf;
	size_t textlen;
	int n;

	if ((job->action != JOB_SAVE && job->action != JOB_DELETE) ||
	    !value_ok(job->zone, strlen(job->zone)) || job->zone[0] == '\0' ||
	    !value_ok(job->hostname, strlen(job->hostname)) ||
	    !value_ok(job->username, strlen(job->username)) ||
	    job->pushed_us < 0 ||
	    (job->action == JOB_SAVE && job->textlen == 0)) {
		errno = EINVAL;
		return NULL;
	}
	n = snprintf(head, sizeof(head), "v 1\na %s\nz %s\nq %" PRIu64
	    "\nt %lld\n", job->action == JOB_SAVE ? "save" : "delete",
	    job->zone, job->seq, job->pushed_us);
	if (job->hostname[0] != '\0')
		n += snprintf(head + n, sizeof(head) - n, "h %s\n",
		    job->hostname);
	if (job->username[0] != '\0')
		n += snprintf(head + n, sizeof(head) - n, "u %s\n",
		    job->username);
	if (job->action == JOB_SAVE)
		n += snprintf(head + n, sizeof(head) - n,
		    "s %" PRIu32 "\nl %zu\n", job->serial, job->textlen);
	n += snprintf(head + n, sizeof(head) - n, "\n");
	if ((size_t)n >= sizeof(head)) {
		errno = EINVAL;
		return NULL;
	}
	textlen = job->action == JOB_SAVE ? job->textlen : 0;
	if ((buf = malloc(n + textlen + 1)) == NULL)
		return NULL;
	memcpy(buf, head, n);
	if (textlen > 0)
		memcpy(buf + n, job->text, textlen);
	buf[n + textlen] = '\0';
	*lenp = n + textlen;
	return buf;
}

int
job_name_key(const char *zone, char *buf, size_t size)
{
	char hex[HASH_HEX_LEN + 1];
	size_t len = strlen(zone);
	int n;

	if (len <= JOB_KEY_ZONE_MAX)
		n = snprintf(buf, size, "%s", zone);
	else {
		hash_hex(zone, len, hex);
		n = snprintf(buf, size, "%.64s=%s", zone, hex);
	}
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int
job_name(const struct job *job, char *buf, size_t size)
{
	char key[JOB_KEY_MAX + 1];
	int n;

	if (job->seq > SEQ_MAX || job_name_key(job->zone, key, sizeof(key)) < 0)
		return -1;
	n = snprintf(buf, size, "%0*" PRIu64 "_%s", SEQ_DIGITS, job->seq,
	    key);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int
job_name_parse(const char *name, uint64_t *seqp, const char **keyp)
{
	size_t i;

	for (i = 0; i < SEQ_DIGITS; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	if (name[SEQ_DIGITS] != '_' || name[SEQ_DIGITS + 1] == '\0' ||
	    strlen(name + SEQ_DIGITS + 1) > JOB_NAME_MAX)
		return -1;
	if (parse_u64(name, SEQ_DIGITS, seqp) < 0)
		return -1;
	*keyp = name + SEQ_DIGITS + 1;
	return 0;
}
