/* vrrpconf.c -- the vrrp: section's instances and sync groups checked as a
 * whole */
/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dnscheck.h"
#include "vrrpconf.h"

struct ck {
	vrrpconf_fault_fn fn;
	void		*arg;
	int		 n;
};

static void __attribute__((format(printf, 3, 4)))
fault(struct ck *ck, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->fn(ck->arg, key, msg);
	ck->n++;
}

int
vrrpconf_family(const char *list)
{
	char a[64];
	size_t n;

	while (*list == ' ')
		list++;
	n = strcspn(list, " /");
	if (n == 0 || n >= sizeof(a))
		return 0;
	memcpy(a, list, n);
	a[n] = '\0';
	return strchr(a, ':') != NULL ? 6 : 4;
}

/* Is word w one of the space-separated words of list? */
static int
has_word(const char *list, const char *w)
{
	size_t n = strlen(w), k;

	while (*list != '\0') {
		while (*list == ' ')
			list++;
		k = strcspn(list, " ");
		if (k == n && strncmp(list, w, n) == 0)
			return 1;
		list += k;
	}
	return 0;
}

#define PICK(i, d, m)	((i)->m[0] != '\0' ? (i)->m : (d)->m)
#define PICKN(i, d, m)	((i)->m != 0 ? (i)->m : (d)->m)

/* One instance's settings (its own over the defaults d). */
static void
check_one(struct ck *ck, const char *key, const struct config_vrrp *d,
    const struct config_vrrp_instance *in, int multi)
{
	char k[160];
	const char *vips, *src, *peers, *allow;
	unsigned version, advert;
	int fam, f;

	vips = PICK(in, d, vips);
	version = PICKN(in, d, version);
	advert = PICKN(in, d, advert);
	src = PICK(in, d, unicast_src);
	peers = PICK(in, d, unicast_peers);
	allow = PICK(in, d, allow_peers);
	if (multi && in->name[0] == '\0') {
		snprintf(k, sizeof(k), "%s.name", key);
		fault(ck, k, "missing: every instance needs a name");
	}
	if (multi && PICK(in, d, interface)[0] == '\0') {
		snprintf(k, sizeof(k), "%s.interface", key);
		fault(ck, k, "missing: no interface here nor in vrrp:");
	}
	if (multi && PICKN(in, d, vrid) == 0) {
		snprintf(k, sizeof(k), "%s.vrid", key);
		fault(ck, k, "missing: no VRID here nor in vrrp:");
	}
	if (multi && vips[0] == '\0') {
		snprintf(k, sizeof(k), "%s.vips", key);
		fault(ck, k, "missing: no VIP here nor in vrrp:");
	}
	fam = vrrpconf_family(vips);
	snprintf(k, sizeof(k), "%s.version", key);
	if (fam == 6 && version == 2)
		fault(ck, k, "IPv6 VIPs need VRRPv3 (version: 3)");
	if (multi && version == 2 && advert != 0 && advert % 100 != 0) {
		snprintf(k, sizeof(k), "%s.advert", key);
		fault(ck, k, "%u cs: VRRPv2 counts whole seconds (100, 200,"
		    " ...)", advert);
	}
	if (multi && PICK(in, d, auth_pass)[0] != '\0' && version != 2) {
		snprintf(k, sizeof(k), "%s.auth_pass", key);
		fault(ck, k, "a password needs VRRPv2 (version: 2)");
	}
	if (multi && in->check_type[0] != '\0' &&
	    dnscheck_type(in->check_type) < 0) {
		snprintf(k, sizeof(k), "%s.check_type", key);
		fault(ck, k, "unknown type: %s", in->check_type);
	}
	if (src[0] != '\0' && fam != 0 &&
	    (f = strchr(src, ':') != NULL ? 6 : 4) != fam) {
		snprintf(k, sizeof(k), "%s.unicast_src", key);
		fault(ck, k, "IPv%d, but the VIPs are IPv%d", f, fam);
	}
	if (fam != 0 && (f = vrrpconf_family(peers)) != 0 && f != fam) {
		snprintf(k, sizeof(k), "%s.unicast_peers", key);
		fault(ck, k, "IPv%d, but the VIPs are IPv%d", f, fam);
	}
	if (fam != 0 && (f = vrrpconf_family(allow)) != 0 && f != fam) {
		snprintf(k, sizeof(k), "%s.allow_peers", key);
		fault(ck, k, "IPv%d, but the VIPs are IPv%d", f, fam);
	}
}

int
vrrpconf_check(const struct config_vrrp *v, vrrpconf_fault_fn fn, void *arg)
{
	const struct config_vrrp_instance *a, *b;
	struct config_vrrp_instance none;
	struct ck ck = { fn, arg, 0 };
	char key[96], w[64];
	const char *p;
	size_t i, j, k, n;

	n = strlen(v->metrics_file);
	if (n > 0 && (n <= 5 || strcmp(v->metrics_file + n - 5, ".prom") != 0))
		fault(&ck, "vrrp.metrics_file", "%s: the name must end in"
		    " .prom", v->metrics_file);
	if (v->ninstances == 0) {
		memset(&none, 0, sizeof(none));
		check_one(&ck, "vrrp", v, &none, 0);
	}
	for (i = 0; i < v->ninstances; i++) {
		snprintf(key, sizeof(key), "vrrp.instances[%zu]", i);
		check_one(&ck, key, v, &v->instances[i], 1);
	}
	for (i = 0; i < v->ninstances; i++) {
		a = &v->instances[i];
		for (j = 0; j < i; j++) {
			b = &v->instances[j];
			snprintf(key, sizeof(key), "vrrp.instances[%zu]", i);
			if (a->name[0] != '\0' && strcmp(a->name, b->name) == 0)
				fault(&ck, key, "name %s is also instance"
				    " %zu's", a->name, j);
			if (strcmp(PICK(a, v, interface),
			    PICK(b, v, interface)) == 0 &&
			    PICKN(a, v, vrid) == PICKN(b, v, vrid) &&
			    vrrpconf_family(PICK(a, v, vips)) ==
			    vrrpconf_family(PICK(b, v, vips)))
				fault(&ck, key, "VRID %u on %s is also instance"
				    " %zu's (same family)", PICKN(a, v, vrid),
				    PICK(a, v, interface), j);
		}
	}
	for (i = 0; i < v->ngroups; i++) {
		snprintf(key, sizeof(key), "vrrp.sync_groups[%zu]", i);
		if (v->groups[i].name[0] == '\0')
			fault(&ck, key, "missing: every sync group needs a"
			    " name");
		for (j = 0; j < i; j++)
			if (strcmp(v->groups[i].name, v->groups[j].name) == 0)
				fault(&ck, key, "name %s is also sync group"
				    " %zu's", v->groups[i].name, j);
		if (v->groups[i].instances[0] == '\0')
			fault(&ck, key, "missing: instances");
		for (p = v->groups[i].instances; *p != '\0'; p += n) {
			while (*p == ' ')
				p++;
			n = strcspn(p, " ");
			if (n == 0 || n >= sizeof(w))
				break;
			memcpy(w, p, n);
			w[n] = '\0';
			for (k = 0; k < v->ninstances; k++)
				if (strcmp(v->instances[k].name, w) == 0)
					break;
			if (k == v->ninstances)
				fault(&ck, key, "no instance named %s", w);
			for (j = 0; j < i; j++)
				if (has_word(v->groups[j].instances, w))
					fault(&ck, key, "instance %s is also in"
					    " sync group %s", w,
					    v->groups[j].name);
		}
	}
	return ck.n;
}
