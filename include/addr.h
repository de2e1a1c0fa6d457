/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_ADDR_H
#define SVCNFT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address; addr holds 4 or 16 bytes in network order. */
struct ip_addr {
	uint8_t family;		/* AF_INET or AF_INET6; 0: none */
	uint8_t addr[16];
};

struct ip_prefix {
	struct ip_addr addr;
	unsigned len;
};

#define IP_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */

/* 0 or -EINVAL. */
int ip_addr_parse(struct ip_addr *a, const char *s);
/* "ADDR/LEN"; host bits must be zero. 0 or -EINVAL. */
int ip_prefix_parse(struct ip_prefix *p, const char *s);
/* The same, with host bits cleared rather than refused ("203.0.113.7/24"
 * is 203.0.113.0/24), as Go's net.ParseCIDR reads a prefix. */
int ip_prefix_parse_masked(struct ip_prefix *p, const char *s);
const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t len);
int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b);
bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a);

struct sockaddr;
struct sockaddr_storage;
/* a and port (host order) as a socket address, family 0 as 0.0.0.0;
 * returns its length. */
size_t ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port,
			   struct sockaddr_storage *ss);
/* The address of an AF_INET or AF_INET6 socket address. 0 or
 * -EAFNOSUPPORT. */
int ip_addr_from_sockaddr(struct ip_addr *a, const struct sockaddr *sa);

#endif
