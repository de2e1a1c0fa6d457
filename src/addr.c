// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

int ip_addr_parse(struct ip_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Clear the host bits; returns whether any was set. */
static bool mask_host_bits(struct ip_prefix *p)
{
	size_t n = addr_len(p->addr.family);
	bool had = false;

	for (size_t i = 0; i < n; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		had |= (p->addr.addr[i] & ~mask) != 0;
		p->addr.addr[i] &= mask;
	}
	return had;
}

static int parse_prefix(struct ip_prefix *p, const char *s, bool masked)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char buf[IP_ADDR_STRLEN];
	char *end;
	unsigned long len;

	memset(p, 0, sizeof(*p));
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (ip_addr_parse(&p->addr, buf) < 0)
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || len > addr_len(p->addr.family) * 8 ||
	    !isdigit((unsigned char)slash[1]))
		return -EINVAL;
	p->len = len;
	return mask_host_bits(p) && !masked ? -EINVAL : 0;
}

int ip_prefix_parse(struct ip_prefix *p, const char *s)
{
	return parse_prefix(p, s, false);
}

int ip_prefix_parse_masked(struct ip_prefix *p, const char *s)
{
	return parse_prefix(p, s, true);
}

/* inet_ntop() formats each IPv4 byte with sprintf(); dump prints some
 * 200k addresses at 10k Services. Same text, written by hand. */
static char *ipv4_str(const uint8_t *b, char *buf)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return buf;
}

const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET && len >= INET_ADDRSTRLEN)
		return ipv4_str(a->addr, buf);
	if (!a->family || !inet_ntop(a->family, a->addr, buf, len))
		snprintf(buf, len, "-");
	return buf;
}

int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, addr_len(a->family));
}

bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (a->family != p->addr.family)
		return false;
	if (memcmp(a->addr, p->addr.addr, full))
		return false;
	if (!rest)
		return true;
	return !((a->addr[full] ^ p->addr.addr[full]) & (0xff << (8 - rest)));
}

size_t ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->addr, 4);
	return sizeof(*s4);
}

int ip_addr_from_sockaddr(struct ip_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET6)
		memcpy(a->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else if (sa->sa_family == AF_INET)
		memcpy(a->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else
		return -EAFNOSUPPORT;
	a->family = sa->sa_family;
	return 0;
}
