/* nlink.h -- addresses on one interface (rtnetlink via libmnl), gratuitous
 * ARP and unsolicited neighbour advertisements */
/* SPDX-License-Identifier: ISC */
#ifndef NLINK_H
#define NLINK_H

#include <stdint.h>

struct nlink;

/* Open a route netlink socket and an ARP packet socket (CAP_NET_RAW) for
 * interface ifname and read its MAC address. Returns a handle, or NULL
 * with errno set (ENODEV when there is no such interface). */
struct nlink *nlink_open(const char *ifname);

/* Close the sockets and free nl (NULL is a no-op). */
void nlink_close(struct nlink *nl);

/* The interface's index. */
int nlink_ifindex(const struct nlink *nl);

/* Store in *addr (network order) the interface's first primary IPv4
 * address that is not one of the n addresses in skip. Returns 0, or -1 with
 * errno set (EADDRNOTAVAIL when the interface has none). */
int nlink_primary(struct nlink *nl, uint32_t *addr, const uint32_t *skip,
    int n);

/* Whether addr (network order) is configured on the interface: 1 yes,
 * 0 no, -1 with errno set on failure. */
int nlink_has(struct nlink *nl, uint32_t addr);

/* Add addr/plen (scope global, broadcast derived) to the interface
 * (CAP_NET_ADMIN). Returns 0 when added, 1 when it was already there, -1
 * with errno set. */
int nlink_add(struct nlink *nl, uint32_t addr, int plen);

/* Remove addr/plen from the interface. Returns 0 when removed, 1 when it
 * was not there, -1 with errno set. */
int nlink_del(struct nlink *nl, uint32_t addr, int plen);

/* Broadcast one gratuitous ARP request for addr from the interface's MAC
 * (sender = target = addr, target MAC ff:ff:ff:ff:ff:ff, as keepalived
 * sends). Returns 0, or -1 with errno set. */
int nlink_garp(struct nlink *nl, uint32_t addr);

/* Store in addr the interface's first IPv6 link-local address that has
 * passed duplicate address detection. Returns 0, or -1 with errno set
 * (EADDRNOTAVAIL when it has none yet). */
int nlink_linklocal(struct nlink *nl, uint8_t addr[16]);

/* Add the IPv6 addr/plen (scope global, no duplicate address detection,
 * as a VIP that moves must be usable at once). Returns 0 when added, 1
 * when it was already there, -1 with errno set. */
int nlink_add6(struct nlink *nl, const uint8_t addr[16], int plen);

/* Remove the IPv6 addr/plen. Returns 0 when removed, 1 when it was not
 * there, -1 with errno set. */
int nlink_del6(struct nlink *nl, const uint8_t addr[16], int plen);

/* Send one unsolicited neighbour advertisement for addr to ff02::1 (hop
 * limit 255, override flag, our MAC as target link-layer address), from
 * the link-local address src. Returns 0, or -1 with errno set. */
int nlink_una(struct nlink *nl, const uint8_t addr[16], const uint8_t src[16]);

#endif
