/* job.h -- the spool's job file: header lines, a blank line, zone text */
/* SPDX-License-Identifier: ISC */
#ifndef JOB_H
#define JOB_H

#include <stddef.h>
#include <stdint.h>

#define JOB_NAME_MAX	255	/* longest zone or owner name */
#define JOB_MAX		(16 * 1024 * 1024)	/* largest job file accepted */

enum job_action { JOB_SAVE = 1, JOB_DELETE = 2 };

/*
 * A job carries the full desired state of one zone, never a delta. Format:
 *	v 1\n  a save|delete\n  z ZONE\n  q SEQ\n  t PUSHED_US\n
 *	s SERIAL\n (save)  h HOSTNAME\n  u USERNAME\n  l TEXTLEN\n (save)
 *	\n  TEXT (save: exactly TEXTLEN bytes; delete: nothing)
 * Unknown tags are an error; every value is validated (the zone with
 * zone_name_norm(), and it must already be in normal form).
 */
struct job {
	enum job_action	 action;
	char		 zone[JOB_NAME_MAX + 1];	/* validated, lower case */
	char		 hostname[JOB_NAME_MAX + 1];	/* DA server, may be "" */
	char		 username[JOB_NAME_MAX + 1];	/* DA user, may be "" */
	uint64_t	 seq;		/* store change sequence, 0 if none */
	long long	 pushed_us;	/* when DA pushed it, µs since epoch */
	uint32_t	 serial;	/* SOA serial of text (save) */
	const char	*text;		/* zone text (save), not NUL-terminated */
	size_t		 textlen;
	int		 generated;	/* text made by dadns itself (the
					 * catalog zone), never from a file */
};

/* Parse the job in buf[0..len). On success returns 0 and fills job, whose
 * text points into buf. On failure returns -1 and sets *why to a static
 * message naming what was wrong. */
int job_parse(const char *buf, size_t len, struct job *job, const char **why);

/* Format job into a malloc'd buffer. Returns it with *lenp set, or NULL
 * with errno set (EINVAL when a field cannot be represented). */
char *job_format(const struct job *job, size_t *lenp);

/* The zone's part of a job file name: the zone itself when it has at most
 * JOB_KEY_ZONE_MAX octets, else its first 64 octets, '=' and the SHA-256 of
 * the whole name in hex, so every file name stays short. */
#define JOB_KEY_ZONE_MAX	200
#define JOB_KEY_MAX		JOB_KEY_ZONE_MAX	/* longest key */
#define JOB_FILE_NAME_MAX	(16 + 1 + JOB_KEY_MAX)	/* longest file name */

/* Build the zone key of zone into buf (JOB_KEY_MAX + 1 bytes at least).
 * Returns 0, or -1 when size is too small. */
int job_name_key(const char *zone, char *buf, size_t size);

/* Build the spool file name for job into buf: zero-padded sequence, '_',
 * zone key (job_name_key()), so names sort in arrival order and the jobs of
 * one zone share their ending. Returns 0, or -1 when size is too small or
 * the sequence has more than 16 digits. */
int job_name(const struct job *job, char *buf, size_t size);

/* Split a spool file name made by job_name(), or by an older version that
 * put any zone whole in the name. Returns 0 with *seqp and *keyp (the zone
 * key, pointing into name) set, or -1 when name is not a job name. */
int job_name_parse(const char *name, uint64_t *seqp, const char **keyp);

#endif
