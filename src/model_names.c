// SPDX-License-Identifier: GPL-2.0-or-later
/* Name and value checks the Kubernetes API server applies, and messages. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "model_internal.h"

static void model_vmsg(struct model_ctx *ctx, enum diag_level level,
		       const struct obj_ref *obj, const struct src_pos *pos,
		       const char *field, const char *fmt, va_list ap)
{
	diag_vadd(ctx->diags, level, pos, obj->kind, obj->ns, obj->name, field,
		  fmt, ap);
}

void model_error(struct model_ctx *ctx, const struct obj_ref *obj,
		 const struct src_pos *pos, const char *field,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	model_vmsg(ctx, DIAG_ERROR, obj, pos, field, fmt, ap);
	va_end(ap);
}

void model_warning(struct model_ctx *ctx, const struct obj_ref *obj,
		   const struct src_pos *pos, const char *field,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	model_vmsg(ctx, DIAG_WARNING, obj, pos, field, fmt, ap);
	va_end(ap);
}

void model_note(struct model_ctx *ctx, const struct obj_ref *obj,
		const struct src_pos *pos, const char *field,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	model_vmsg(ctx, DIAG_NOTE, obj, pos, field, fmt, ap);
	va_end(ap);
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_dns1123_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool is_dns1035_label(const char *s)
{
	return is_dns1123_label(s) && s[0] >= 'a' && s[0] <= 'z';
}

bool is_dns1123_subdomain(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char label[64];
	const char *p = s;

	/* A trailing dot (fully qualified) is accepted, as resolvers do. */
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	while (p < s + n) {
		const char *dot = memchr(p, '.', s + n - p);
		size_t len = (dot ? dot : s + n) - p;

		if (len == 0 || len >= sizeof(label))
			return false;
		memcpy(label, p, len);
		label[len] = '\0';
		if (!is_dns1123_label(label))
			return false;
		p += len + (dot ? 1 : 0);
	}
	return true;
}

bool is_iana_svc_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	bool letter = false;

	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
		letter |= isalpha((unsigned char)s[i]) != 0;
	}
	return letter;
}

uint8_t protocol_parse(const char *s)
{
	if (!s || !strcmp(s, "TCP"))
		return IPPROTO_TCP;
	if (!strcmp(s, "UDP"))
		return IPPROTO_UDP;
	if (!strcmp(s, "SCTP"))
		return IPPROTO_SCTP;
	return 0;
}

const char *protocol_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		return "?";
	}
}

uint8_t protocol_from_name(const char *name)
{
	if (!strcmp(name, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(name, "udp"))
		return IPPROTO_UDP;
	return !strcmp(name, "sctp") ? IPPROTO_SCTP : 0;
}

const char *service_type_name(enum service_type t)
{
	static const char *const names[] = {
		[SERVICE_CLUSTER_IP] = "ClusterIP",
		[SERVICE_NODE_PORT] = "NodePort",
		[SERVICE_LOAD_BALANCER] = "LoadBalancer",
		[SERVICE_EXTERNAL_NAME] = "ExternalName",
	};

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "?";
}

/* Kubernetes refuses these as endpoint addresses (validation of Endpoints
 * and EndpointSlices): they would reach the node itself, not a backend. */
static const char *reserved_range(const struct ip_addr *a)
{
	static const struct {
		const char *prefix, *what;
	} ranges[] = {
		{ "127.0.0.0/8", "a loopback address" },
		{ "169.254.0.0/16", "a link-local address" },
		{ "224.0.0.0/24", "a link-local multicast address" },
		{ "::1/128", "a loopback address" },
		{ "fe80::/10", "a link-local address" },
		{ "ff02::/16", "a link-local multicast address" },
	};
	/* Parsed once: this runs for every endpoint of every sync. */
	static struct ip_prefix parsed[ARRAY_SIZE(ranges)];
	static bool ready;

	for (size_t i = 0; !ready && i < ARRAY_SIZE(ranges); i++)
		ip_prefix_parse(&parsed[i], ranges[i].prefix);
	ready = true;
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		if (ip_prefix_contains(&parsed[i], a))
			return ranges[i].what;
	return NULL;
}

int model_endpoint_addr(struct model_ctx *ctx, const struct obj_ref *obj,
			const char *field, const struct k8s_str *ip,
			struct ip_addr *out)
{
	const char *what;

	if (ip_addr_parse(out, ip->s) < 0) {
		model_error(ctx, obj, &ip->pos, field,
			    "\"%s\" is not an IP address: write an IPv4 or IPv6 address such as 10.1.2.3",
			    ip->s ? ip->s : "");
		return -EINVAL;
	}
	what = reserved_range(out);
	if (what) {
		model_error(ctx, obj, &ip->pos, field,
			    "\"%s\" is %s: endpoints may not be loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10) or link-local multicast (224.0.0.0/24)",
			    ip->s, what);
		return -EINVAL;
	}
	return 0;
}
