/* knotctl.c -- knotd's control socket: conf transactions, zone commands */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/control/control.h>
#include <libknot/errcode.h>
#include <libknot/error.h>

#include "err.h"
#include "knotctl.h"
#include "zone.h"

#define INFLIGHT	64	/* conf commands sent before answers are read */

_Static_assert(KNOTCTL_FIELDS == KNOT_CTL_IDX__COUNT,
    "libknot's control unit has another number of fields");

/* Whether the knotd name a ("example.com." or "EXAMPLE.com") is zone
 * b ("example.com"). */
static int
same_zone(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

int
knotctl_take(const char *const d[KNOTCTL_FIELDS], struct knotctl_zone *z,
    size_t n, char *why, size_t whylen)
{
	const char *e = d[KNOTCTL_ERROR], *name;
	size_t i;

	if (e == NULL)
		return 0;
	name = d[KNOTCTL_ZONE] != NULL ? d[KNOTCTL_ZONE] : d[KNOTCTL_ID];
	for (i = 0; name != NULL && i < n; i++) {
		if (!same_zone(name, z[i].zone))
			continue;
		z[i].failed = 1;
		snprintf(z[i].why, sizeof(z[i].why), "%s", e);
		return 1;
	}
	if (why != NULL && whylen > 0 && why[0] == '\0')
		err_set(why, whylen, "%s%s%s", name ? name : "", name ? ": " :
		    "", e);
	return 1;
}

int
knotctl_template_unit(const char *const d[KNOTCTL_FIELDS], const char *tmpl,
    char *zone, size_t size)
{
	char norm[ZONE_NAME_MAX + 1];
	const char *why;

	if (d[KNOTCTL_ERROR] != NULL || d[KNOTCTL_SECTION] == NULL ||
	    d[KNOTCTL_ITEM] == NULL || d[KNOTCTL_ID] == NULL ||
	    d[KNOTCTL_DATA] == NULL || strcmp(d[KNOTCTL_SECTION], "zone") !=
	    0 || strcmp(d[KNOTCTL_ITEM], "template") != 0 ||
	    strcmp(d[KNOTCTL_DATA], tmpl) != 0)
		return 0;
	if (zone_name_norm(d[KNOTCTL_ID], norm, &why) < 0 ||
	    strlen(norm) >= size)
		return -1;
	memcpy(zone, norm, strlen(norm) + 1);
	return 1;
}

/* Lose the connection after a failure of the socket itself: the rest of
 * the batch must not read a half answer as the next one. */
static int
lost(struct knotctl *k, int ret, const char *what, char *err, size_t errlen)
{
	err_set(err, errlen, "knotd control %s %s: %s", k->socket, what,
	    knot_strerror(ret));
	knot_ctl_free(k->ctl);
	k->ctl = NULL;
	return -1;
}

int
knotctl_open(struct knotctl *k, char *err, size_t errlen)
{
	int ret;

	if (k->ctl != NULL)
		return 0;
	if ((k->ctl = knot_ctl_alloc()) == NULL) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	knot_ctl_set_timeout(k->ctl, k->timeout_ms);
	if ((ret = knot_ctl_connect(k->ctl, k->socket)) != KNOT_EOK)
		return lost(k, ret, "connect", err, errlen);
	return 0;
}

void
knotctl_close(struct knotctl *k)
{
	if (k->ctl == NULL)
		return;
	(void)knot_ctl_send(k->ctl, KNOT_CTL_TYPE_END, NULL);
	knot_ctl_close(k->ctl);
	knot_ctl_free(k->ctl);
	k->ctl = NULL;
}

/* Send one unit: type DATA with the fields d, or another type. */
static int
send_unit(struct knotctl *k, knot_ctl_type_t type, const char *const *d,
    char *err, size_t errlen)
{
	knot_ctl_data_t data;
	int ret;

	memset(&data, 0, sizeof(data));
	if (d != NULL)
		memcpy(&data, d, sizeof(data));
	if ((ret = knot_ctl_send(k->ctl, type, d ? &data : NULL)) !=
	    KNOT_EOK)
		return lost(k, ret, "send", err, errlen);
	return 0;
}

/*
 * Read the answer of one command up to its end of block, each unit
 * through take(arg, fields). Returns 0, 1 when a unit carried an error,
 * or -1 with a message in err when the connection failed.
 */
static int
answer(struct knotctl *k, int (*take)(void *arg, const char *const *d),
    void *arg, char *err, size_t errlen)
{
	knot_ctl_type_t type;
	knot_ctl_data_t data;
	int ret, failed = 0;

	for (;;) {
		memset(&data, 0, sizeof(data));
		if ((ret = knot_ctl_receive(k->ctl, &type, &data)) !=
		    KNOT_EOK)
			return lost(k, ret, "receive", err, errlen);
		if (type == KNOT_CTL_TYPE_BLOCK)
			return failed;
		if (type == KNOT_CTL_TYPE_END)
			return lost(k, KNOT_EMALF, "answer", err, errlen);
		if (take(arg, (const char *const *)data) != 0)
			failed = 1;
	}
}

/* What answer() hands a unit of a command over zones to. */
struct zones_arg {
	struct knotctl_zone *z;
	size_t		 n;
	char		 why[KNOTCTL_WHY_MAX];
};

static int
take_zones(void *arg, const char *const *d)
{
	struct zones_arg *a = arg;

	return knotctl_take(d, a->z, a->n, a->why, sizeof(a->why));
}

int
knotctl_simple(struct knotctl *k, const char *cmd, char *err,
    size_t errlen)
{
	const char *d[KNOTCTL_FIELDS] = { 0 };
	struct zones_arg a;
	int rc;

	if (knotctl_open(k, err, errlen) < 0)
		return -1;
	d[KNOTCTL_CMD] = cmd;
	if (send_unit(k, KNOT_CTL_TYPE_DATA, d, err, errlen) < 0 ||
	    send_unit(k, KNOT_CTL_TYPE_BLOCK, NULL, err, errlen) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	if ((rc = answer(k, take_zones, &a, err, errlen)) == 1)
		err_set(err, errlen, "%s: %s", cmd, a.why);
	return rc;
}

int
knotctl_zones(struct knotctl *k, const char *cmd, const char *flags,
    struct knotctl_zone *z, size_t n, char *err, size_t errlen)
{
	const char *d[KNOTCTL_FIELDS] = { 0 };
	struct zones_arg a;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		z[i].failed = 0;
	if (n == 0)
		return 0;
	if (knotctl_open(k, err, errlen) < 0)
		return -1;
	d[KNOTCTL_CMD] = cmd;
	d[KNOTCTL_FLAGS] = flags;
	for (i = 0; i < n; i++) {
		d[KNOTCTL_ZONE] = z[i].zone;
		if (send_unit(k, KNOT_CTL_TYPE_DATA, d, err, errlen) < 0)
			return -1;
		d[KNOTCTL_CMD] = NULL;
		d[KNOTCTL_FLAGS] = NULL;
	}
	if (send_unit(k, KNOT_CTL_TYPE_BLOCK, NULL, err, errlen) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.z = z;
	a.n = n;
	if ((rc = answer(k, take_zones, &a, err, errlen)) < 0)
		return -1;
	if (a.why[0] == '\0')
		return 0;
	err_set(err, errlen, "%s: %s", cmd, a.why);
	for (i = 0; i < n; i++)
		if (!z[i].failed) {
			z[i].failed = 1;
			snprintf(z[i].why, sizeof(z[i].why), "%s", a.why);
		}
	return 1;
}

/* Send the units of zone z for conf-set or conf-unset, the first unit
 * naming the command when first is set; with block, end the command. */
static int
conf_units(struct knotctl *k, int set, int first, int block,
    const char *tmpl, const char *file, const struct knotctl_zone *z,
    char *err, size_t errlen)
{
	const char *d[KNOTCTL_FIELDS] = { 0 };

	if (first)
		d[KNOTCTL_CMD] = set ? "conf-set" : "conf-unset";
	d[KNOTCTL_SECTION] = "zone";
	d[KNOTCTL_ID] = z->zone;
	if (send_unit(k, KNOT_CTL_TYPE_DATA, d, err, errlen) < 0)
		return -1;
	d[KNOTCTL_CMD] = NULL;
	d[KNOTCTL_ITEM] = "template";
	d[KNOTCTL_DATA] = tmpl;
	if (set && send_unit(k, KNOT_CTL_TYPE_DATA, d, err, errlen) < 0)
		return -1;
	d[KNOTCTL_ITEM] = "file";
	d[KNOTCTL_DATA] = file;
	if (set && file != NULL && send_unit(k, KNOT_CTL_TYPE_DATA, d, err,
	    errlen) < 0)
		return -1;
	return block ? send_unit(k, KNOT_CTL_TYPE_BLOCK, NULL, err, errlen) :
	    0;
}

/* Send the conf-set or conf-unset command of zone z alone. */
static int
conf_send(struct knotctl *k, int set, const char *tmpl, const char *file,
    const struct knotctl_zone *z, char *err, size_t errlen)
{
	return conf_units(k, set, 1, 1, tmpl, file, z, err, errlen);
}

/*
 * All n zones in one command: one child transaction in knotd instead of
 * n. Returns 0 when knotd took them all, 1 when it refused one (it then
 * took none: the caller goes zone by zone), -1 when the connection
 * failed.
 */
static int
conf_all(struct knotctl *k, int set, const char *tmpl,
    const char *const file[], struct knotctl_zone *z, size_t n, char *err,
    size_t errlen)
{
	struct zones_arg a;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (conf_units(k, set, i == 0, i + 1 == n, tmpl, file ?
		    file[i] : NULL, &z[i], err, errlen) < 0)
			return -1;
	memset(&a, 0, sizeof(a));
	a.z = z;
	a.n = n;
	if ((rc = answer(k, take_zones, &a, err, errlen)) < 0)
		return -1;
	if (rc == 0)
		for (i = 0; i < n; i++) {
			z[i].failed = 0;
			z[i].why[0] = '\0';
		}
	return rc;
}

int
knotctl_conf_zones(struct knotctl *k, int set, const char *tmpl,
    const char *const file[], struct knotctl_zone *z, size_t n, char *err,
    size_t errlen)
{
	struct zones_arg a;
	size_t sent = 0, got = 0, i;

	for (i = 0; i < n; i++) {
		z[i].failed = 1;
		snprintf(z[i].why, sizeof(z[i].why), "not answered");
	}
	if (n > 0 && knotctl_open(k, err, errlen) < 0)
		goto fail;
	if (n > 1) {
		switch (conf_all(k, set, tmpl, file, z, n, err, errlen)) {
		case 0:
			return 0;
		case -1:
			goto fail;
		}
		for (i = 0; i < n; i++) {
			z[i].failed = 1;
			snprintf(z[i].why, sizeof(z[i].why), "not answered");
		}
	}
	/* Zone by zone, so that a refusal fails its zone alone. knotd
	 * answers each command in turn: keep INFLIGHT of them ahead, far
	 * below what a socket buffer holds either way. */
	while (got < n) {
		while (sent < n && sent - got < INFLIGHT) {
			if (conf_send(k, set, tmpl, file ? file[sent] : NULL,
			    &z[sent], err, errlen) < 0)
				goto fail;
			sent++;
		}
		memset(&a, 0, sizeof(a));
		a.z = &z[got];
		a.n = 1;
		z[got].failed = 0;
		z[got].why[0] = '\0';
		if (answer(k, take_zones, &a, err, errlen) < 0)
			goto fail;
		if (a.why[0] != '\0') {
			z[got].failed = 1;
			snprintf(z[got].why, sizeof(z[got].why), "%s", a.why);
		}
		got++;
	}
	return 0;
fail:
	for (i = got; i < n; i++)
		snprintf(z[i].why, sizeof(z[i].why), "%s", err);
	return -1;
}

/* What answer() hands a unit of conf-read zone.template to. */
struct tmpl_arg {
	const char	*tmpl;
	int		(*fn)(void *arg, const char *zone);
	void		*arg;
	int		 stopped;
	char		 why[KNOTCTL_WHY_MAX];
};

static int
take_tmpl(void *arg, const char *const *d)
{
	struct tmpl_arg *a = arg;
	char zone[ZONE_NAME_MAX + 1];

	if (d[KNOTCTL_ERROR] != NULL)
		return knotctl_take(d, NULL, 0, a->why, sizeof(a->why));
	if (a->stopped || knotctl_template_unit(d, a->tmpl, zone,
	    sizeof(zone)) != 1)
		return 0;
	if (a->fn(a->arg, zone) != 0)
		a->stopped = 1;
	return 0;
}

int
knotctl_template_zones(struct knotctl *k, const char *tmpl,
    int (*fn)(void *arg, const char *zone), void *arg, char *err,
    size_t errlen)
{
	const char *d[KNOTCTL_FIELDS] = { 0 };
	struct tmpl_arg a;
	int rc;

	if (knotctl_open(k, err, errlen) < 0)
		return -1;
	d[KNOTCTL_CMD] = "conf-read";
	d[KNOTCTL_SECTION] = "zone";
	d[KNOTCTL_ITEM] = "template";
	if (send_unit(k, KNOT_CTL_TYPE_DATA, d, err, errlen) < 0 ||
	    send_unit(k, KNOT_CTL_TYPE_BLOCK, NULL, err, errlen) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.tmpl = tmpl;
	a.fn = fn;
	a.arg = arg;
	if ((rc = answer(k, take_tmpl, &a, err, errlen)) < 0)
		return -1;
	if (rc == 1) {
		/* No zone at all has a template: knotd says so. */
		if (strstr(a.why, "not exist") != NULL ||
		    strstr(a.why, "not found") != NULL)
			return a.stopped ? -2 : 0;
		err_set(err, errlen, "conf-read zone.template: %s", a.why);
		return 1;
	}
	return a.stopped ? -2 : 0;
}
