/* nlink.c -- addresses on one interface (rtnetlink via libmnl), gratuitous
 * ARP and unsolicited neighbour advertisements */
/* SPDX-License-Identifier: ISC */
#include <net/if.h>		/* before any linux/ header (IFF_* clash) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>

#include "nlink.h"

struct nlink {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	int ifindex;
	int arpfd;
	int nafd;		/* raw ICMPv6, opened on first use */
	uint8_t mac[6];
};

struct nlink *
nlink_open(const char *ifname)
{
	struct nlink *nl;
	struct ifreq ifr;
	int e;

	if (strlen(ifname) >= IFNAMSIZ) {
		errno = ENODEV;
		return NULL;
	}
	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return NULL;
	nl->arpfd = -1;
	nl->nafd = -1;
	if ((nl->ifindex = (int)if_nametoindex(ifname)) == 0) {
		errno = ENODEV;
		goto fail;
	}
	if ((nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		goto fail;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	nl->arpfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
	    htons(ETH_P_ARP));
	if (nl->arpfd < 0)
		goto fail;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(nl->arpfd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	memcpy(nl->mac, ifr.ifr_hwaddr.sa_data, 6);
	return nl;
fail:
	e = errno;
	nlink_close(nl);
	errno = e;
	return NULL;
}

void
nlink_close(struct nlink *nl)
{
	if (nl == NULL)
		return;
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	if (nl->arpfd >= 0)
		close(nl->arpfd);
	if (nl->nafd >= 0)
		close(nl->nafd);
	free(nl);
}

int
nlink_ifindex(const struct nlink *nl)
{
	return nl->ifindex;
}

/* Send one request and run cb over the replies until the ACK or the end of
 * the dump. Returns 0, or -1 with errno set from the kernel's answer. */
static int
talk(struct nlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
		if (rc == MNL_CB_ERROR)
			return -1;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

struct scan {
	int ifindex;
	const uint32_t *skip;
	int nskip;
	uint32_t want;		/* nlink_has: the address looked for */
	int found;
	uint32_t addr;
};

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;
	uint32_t local = 0;
	int have = 0, i;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
	    (int)ifa->ifa_index != s->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_LOCAL &&
		    mnl_attr_get_payload_len(a) == 4) {
			memcpy(&local, mnl_attr_get_payload(a), 4);
			have = 1;
		}
	}
	if (!have || s->found)
		return MNL_CB_OK;
	if (s->skip == NULL) {
		if (local == s->want)
			s->found = 1;
		return MNL_CB_OK;
	}
	if (ifa->ifa_flags & IFA_F_SECONDARY)
		return MNL_CB_OK;
	for (i = 0; i < s->nskip; i++)
		if (s->skip[i] == local)
			return MNL_CB_OK;
	s->found = 1;
	s->addr = local;
	return MNL_CB_OK;
}

static int
dump(struct nlink *nl, struct scan *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++nl->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_index = (unsigned int)nl->ifindex;
	s->ifindex = nl->ifindex;
	return talk(nl, nlh, addr_cb, s);
}

int
nlink_primary(struct nlink *nl, uint32_t *addr, const uint32_t *skip, int n)
{
	static const uint32_t none;
	struct scan s;

	memset(&s, 0, sizeof(s));
	s.skip = skip != NULL ? skip : &none;
	s.nskip = skip != NULL ? n : 0;
	if (dump(nl, &s) < 0)
		return -1;
	if (!s.found) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	*addr = s.addr;
	return 0;
}

int
nlink_has(struct nlink *nl, uint32_t addr)
{
	struct scan s;

	memset(&s, 0, sizeof(s));
	s.want = addr;
	if (dump(nl, &s) < 0)
		return -1;
	return s.found;
}

static int
change(struct nlink *nl, int type, uint32_t addr, int plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t mask, brd;

	if (plen < 0 || plen > 32) {
		errno = EINVAL;
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = ++nl->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)nl->ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	if (type == RTM_NEWADDR && plen < 31) {
		mask = plen ? 0xffffffffu << (32 - plen) : 0;
		brd = htonl(ntohl(addr) | ~mask);
		mnl_attr_put_u32(nlh, IFA_BROADCAST, brd);
	}
	if (talk(nl, nlh, NULL, NULL) == 0)
		return 0;
	if (type == RTM_NEWADDR && errno == EEXIST)
		return 1;
	if (type == RTM_DELADDR && errno == EADDRNOTAVAIL)
		return 1;
	return -1;
}

int
nlink_add(struct nlink *nl, uint32_t addr, int plen)
{
	return change(nl, RTM_NEWADDR, addr, plen);
}

int
nlink_del(struct nlink *nl, uint32_t addr, int plen)
{
	return change(nl, RTM_DELADDR, addr, plen);
}

int
nlink_garp(struct nlink *nl, uint32_t addr)
{
	struct sockaddr_ll ll;
	uint8_t arp[28];

	arp[0] = 0;
	arp[1] = ARPHRD_ETHER;
	arp[2] = ETH_P_IP >> 8;
	arp[3] = ETH_P_IP & 0xff;
	arp[4] = 6;
	arp[5] = 4;
	arp[6] = 0;
	arp[7] = ARPOP_REQUEST;
	memcpy(arp + 8, nl->mac, 6);
	memcpy(arp + 14, &addr, 4);
	memset(arp + 18, 0xff, 6);
	memcpy(arp + 24, &addr, 4);
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ARP);
	ll.sll_ifindex = nl->ifindex;
	ll.sll_halen = 6;
	memset(ll.sll_addr, 0xff, 6);
	if (sendto(nl->arpfd, arp, sizeof(arp), 0, (struct sockaddr *)&ll,
	    sizeof(ll)) < 0)
		return -1;
	return 0;
}

struct scan6 {
	int ifindex;
	int found;
	uint8_t addr[16];
};

static int
ll_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan6 *s = data;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;
	uint32_t flags;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET6 ||
	    (int)ifa->ifa_index != s->ifindex || s->found ||
	    ifa->ifa_scope != RT_SCOPE_LINK)
		return MNL_CB_OK;
	flags = ifa->ifa_flags;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
		if (mnl_attr_get_type(a) == IFA_FLAGS &&
		    mnl_attr_get_payload_len(a) == 4)
			flags = mnl_attr_get_u32(a);
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if ((mnl_attr_get_type(a) == IFA_ADDRESS ||
		    mnl_attr_get_type(a) == IFA_LOCAL) &&
		    mnl_attr_get_payload_len(a) == 16) {
			memcpy(s->addr, mnl_attr_get_payload(a), 16);
			s->found = 1;
			break;
		}
	}
	return MNL_CB_OK;
}

int
nlink_linklocal(struct nlink *nl, uint8_t addr[16])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct scan6 s;

	memset(&s, 0, sizeof(s));
	s.ifindex = nl->ifindex;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++nl->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_index = (unsigned int)nl->ifindex;
	if (talk(nl, nlh, ll_cb, &s) < 0)
		return -1;
	if (!s.found) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	memcpy(addr, s.addr, 16);
	return 0;
}

static int
change6(struct nlink *nl, int type, const uint8_t addr[16], int plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (plen < 1 || plen > 128) {
		errno = EINVAL;
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = ++nl->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)nl->ifindex;
	if (type == RTM_NEWADDR) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	if (talk(nl, nlh, NULL, NULL) == 0)
		return 0;
	if (type == RTM_NEWADDR && errno == EEXIST)
		return 1;
	if (type == RTM_DELADDR && errno == EADDRNOTAVAIL)
		return 1;
	return -1;
}

int
nlink_add6(struct nlink *nl, const uint8_t addr[16], int plen)
{
	return change6(nl, RTM_NEWADDR, addr, plen);
}

int
nlink_del6(struct nlink *nl, const uint8_t addr[16], int plen)
{
	return change6(nl, RTM_DELADDR, addr, plen);
}

int
nlink_una(struct nlink *nl, const uint8_t addr[16], const uint8_t src[16])
{
	struct sockaddr_in6 to, from;
	uint8_t na[32];
	int hops = 255, idx = nl->ifindex;

	if (nl->nafd < 0) {
		nl->nafd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC,
		    IPPROTO_ICMPV6);
		if (nl->nafd < 0)
			return -1;
		memset(&from, 0, sizeof(from));
		from.sin6_family = AF_INET6;
		memcpy(&from.sin6_addr, src, 16);
		from.sin6_scope_id = (uint32_t)nl->ifindex;
		/* The kernel fills in the ICMPv6 checksum. */
		if (setsockopt(nl->nafd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
		    &hops, sizeof(hops)) < 0 ||
		    setsockopt(nl->nafd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
		    &idx, sizeof(idx)) < 0 ||
		    bind(nl->nafd, (struct sockaddr *)&from,
		    sizeof(from)) < 0) {
			int e = errno;

			close(nl->nafd);
			nl->nafd = -1;
			errno = e;
			return -1;
		}
	}
	memset(na, 0, sizeof(na));
	na[0] = ND_NEIGHBOR_ADVERT;
	na[4] = 0x20;		/* override; not solicited, not a router */
	memcpy(na + 8, addr, 16);
	na[24] = ND_OPT_TARGET_LINKADDR;
	na[25] = 1;		/* 8 bytes */
	memcpy(na + 26, nl->mac, 6);
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_addr.s6_addr[0] = 0xff;
	to.sin6_addr.s6_addr[1] = 0x02;
	to.sin6_addr.s6_addr[15] = 0x01;
	to.sin6_scope_id = (uint32_t)nl->ifindex;
	if (sendto(nl->nafd, na, sizeof(na), 0, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		return -1;
	return 0;
}
