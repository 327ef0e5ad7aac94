/* vrrpconf.h -- the vrrp: section's instances and sync groups checked as a
 * whole */
/* SPDX-License-Identifier: ISC */
#ifndef VRRPCONF_H
#define VRRPCONF_H

#include "config.h"

/* Called once per fault with the key ("vrrp.instances[1].vips") and a
 * message that names what is wrong. */
typedef void (*vrrpconf_fault_fn)(void *arg, const char *key,
    const char *msg);

/* The family of a list of addresses as config.c stores them ("A/LEN B"):
 * 4, 6, or 0 when the list is empty. */
int vrrpconf_family(const char *list);

/*
 * Check what no single key can: every instance has a name, an interface,
 * a VRID and VIPs (its own or the vrrp: default), and a known check_type;
 * IPv6 VIPs speak VRRPv3; metrics_file ends in .prom;
 * a password needs VRRPv2; VRRPv2 adverts are whole seconds; unicast_src,
 * unicast_peers and allow_peers are of the VIPs' family; names are unique;
 * no two instances share interface, VRID and family; a sync group names
 * existing instances, each in one group at most. With no instances it
 * checks the vrrp: keys as the one instance (what is missing there is
 * left to the caller, who knows the VRRP_* variables). Calls fault for
 * every fault and returns how many there were.
 */
int vrrpconf_check(const struct config_vrrp *v, vrrpconf_fault_fn fault,
    void *arg);

#endif
