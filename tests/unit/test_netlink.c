// SPDX-License-Identifier: GPL-2.0-or-later
/* The netlink message layer without a kernel: a table built into a batch,
 * the batch's messages read back, the expressions compared with what nft
 * itself writes, and kernel errors mapped back to objects and Services. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink.h"
#include "../../src/netlink_int.h"
#include "nl_walk.h"
#include "unit.h"
#include "util.h"

#define SERVICES 1000		/* 2 ClusterIPs each: several element messages */
#define BIG_PORTS 1200		/* default/big: one NodePort per port */

static void set_addr(struct ip_addr *a, const char *s)
{
	ck_assert_int_eq(ip_addr_parse(a, s), 0);
}

static struct rs_chain *base_chain(struct rs_table *t, const char *name,
				   enum rs_hook hook)
{
	struct rs_chain *c = rs_table_add_chain(t, name);

	c->hook = hook;
	c->type = RS_CHAIN_NAT;
	c->priority = -100;
	rs_chain_add_rule(c, RS_RULE_JUMP)->target = xstrdup("services");
	return c;
}

static void add_dnat(struct rs_chain *c, uint32_t mod, uint8_t proto,
		     const char *addr, uint16_t port)
{
	struct rs_rule *r = rs_chain_add_rule(c, RS_RULE_DNAT);

	r->numgen_mod = mod;
	r->l4proto = proto;
	set_addr(&r->addr, addr);
	r->port = port;
}

static void add_elem(struct rs_map *m, const char *chain, const char *addr,
		     uint8_t proto, uint16_t port)
{
	struct rs_elem *e = rs_map_add_elem(m, chain);

	if (addr)
		set_addr(&e->addr, addr);
	e->l4proto = proto;
	e->port = port;
}

static void add_fixed(struct rs_table *t)
{
	struct rs_chain *c;

	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	rs_table_add_map(t, RS_MAP_NODEPORTS_NAME, RS_MAP_NODEPORTS);
	base_chain(t, "prerouting", RS_HOOK_PREROUTING);
	base_chain(t, "output", RS_HOOK_OUTPUT)->priority = -90;
	c = rs_table_add_chain(t, RS_CHAIN_SERVICES_NAME);
	rs_chain_add_rule(c, RS_RULE_VMAP_SERVICE_IPS)->target =
		xstrdup(RS_MAP_SERVICE_IPS_NAME);
	rs_chain_add_rule(c, RS_RULE_VMAP_NODEPORTS)->target =
		xstrdup(RS_MAP_NODEPORTS_NAME);
}

/* default/web (3 endpoints), default/dns (udp, none), default/db (tcp,
 * none), default/ext (ExternalName), and many small services. */
static void add_named(struct rs_table *t)
{
	struct rs_chain *c = rs_table_add_chain(t, "svc-default/web/tcp/80");

	c->comment = xstrdup("ClusterIP default/web http");
	add_dnat(c, 3, IPPROTO_TCP, "198.18.1.2", 8080);
	add_dnat(c, 2, IPPROTO_TCP, "198.18.2.2", 8080);
	add_dnat(c, 0, IPPROTO_TCP, "198.18.3.2", 8080);
	add_elem(&t->maps[0], c->name, "198.19.0.10", IPPROTO_TCP, 80);
	c = rs_table_add_chain(t, "svc-default/dns/udp/53");
	rs_chain_add_rule(c, RS_RULE_REJECT)->l4proto = IPPROTO_UDP;
	add_elem(&t->maps[0], c->name, "198.19.0.53", IPPROTO_UDP, 53);
	c = rs_table_add_chain(t, "svc-default/db/tcp/5432");
	rs_chain_add_rule(c, RS_RULE_REJECT)->l4proto = IPPROTO_TCP;
	add_elem(&t->maps[0], c->name, "198.19.0.54", IPPROTO_TCP, 5432);
	c = rs_table_add_chain(t, "svc-default/ext");
	c->comment = xstrdup("ExternalName db.example.org");
}

static void add_many(struct rs_table *t)
{
	char name[64], addr[32];

	for (unsigned i = 0; i < SERVICES; i++) {
		struct rs_chain *c;

		snprintf(name, sizeof(name), "svc-ns%u/s%u/tcp/443", i % 7, i);
		c = rs_table_add_chain(t, name);
		snprintf(addr, sizeof(addr), "198.18.%u.%u", 100 + i / 250, i % 250);
		add_dnat(c, 0, IPPROTO_TCP, addr, 8443);
		snprintf(addr, sizeof(addr), "198.19.%u.%u", 1 + i / 250, i % 250);
		add_elem(&t->maps[0], name, addr, IPPROTO_TCP, 443);
		snprintf(addr, sizeof(addr), "198.19.%u.%u", 11 + i / 250, i % 250);
		add_elem(&t->maps[0], name, addr, IPPROTO_TCP, 443);
	}
	/* One Service with many ports: its NodePort elements fill several
	 * messages that each belong to that Service alone. */
	for (unsigned i = 0; i < BIG_PORTS; i++) {
		snprintf(name, sizeof(name), "svc-default/big/tcp/%u", 2000 + i);
		add_dnat(rs_table_add_chain(t, name), 0, IPPROTO_TCP,
			 "198.18.9.9", 2000 + i);
		add_elem(&t->maps[1], name, NULL, IPPROTO_TCP, 30000 + i);
	}
}

static void sample(struct rs_table *t)
{
	memset(t, 0, sizeof(*t));
	rs_table_init(t, NFPROTO_IPV4, "svcnft");
	add_fixed(t);
	add_named(t);
	add_many(t);
}


static void build(struct nl_batch *b, const struct rs_table *t)
{
	memset(b, 0, sizeof(*b));
	ck_assert_int_eq(nl_batch_build_replace(b, t, 100, 7), 0);
}

static void parse_cb(const struct nlmsghdr *nlh, void *data)
{
	ck_assert_int_eq(nl_parse_msg(data, nlh), 0);
}

static void read_back(const struct nl_batch *b, struct rs_table *out)
{
	struct nl_parser p;

	memset(out, 0, sizeof(*out));
	nl_parser_init(&p, NFPROTO_IPV4, "svcnft", out);
	walk(b, parse_cb, &p);
	ck_assert(p.have_table);
	nl_parser_free(&p);
}

START_TEST(test_roundtrip)
{
	struct rs_table t, got;
	struct nl_batch b;

	sample(&t);
	build(&b, &t);
	read_back(&b, &got);
	rs_table_sort_elems(&t);
	rs_table_sort_elems(&got);
	ck_assert_uint_eq(got.nchains, t.nchains);
	ck_assert_uint_eq(got.maps[0].nelems, 2 * SERVICES + 3);
	ck_assert_uint_eq(got.maps[1].nelems, BIG_PORTS);
	ck_assert(rs_table_equal(&t, &got));
	/* and it notices a difference */
	got.chains[3].rules[1].port = 8081;
	ck_assert(!rs_table_equal(&t, &got));
	rs_table_free(&got);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

START_TEST(test_readback_values)
{
	struct rs_table t, got;
	const struct rs_chain *c;
	struct nl_batch b;
	char a[IP_ADDR_STRLEN];

	sample(&t);
	build(&b, &t);
	read_back(&b, &got);
	c = rs_table_find_chain(&got, "svc-default/web/tcp/80");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->comment, "ClusterIP default/web http");
	ck_assert_int_eq(c->rules[0].kind, RS_RULE_DNAT);
	ck_assert_uint_eq(c->rules[0].numgen_mod, 3);
	ck_assert_str_eq(ip_addr_str(&c->rules[1].addr, a, sizeof(a)), "198.18.2.2");
	ck_assert_uint_eq(c->rules[2].port, 8080);
	ck_assert_uint_eq(c->rules[2].numgen_mod, 0);
	c = rs_table_find_chain(&got, "svc-default/dns/udp/53");
	ck_assert_int_eq(c->rules[0].kind, RS_RULE_REJECT);
	ck_assert_uint_eq(c->rules[0].l4proto, IPPROTO_UDP);
	c = rs_table_find_chain(&got, "output");
	ck_assert_int_eq(c->hook, RS_HOOK_OUTPUT);
	ck_assert_int_eq(c->type, RS_CHAIN_NAT);
	ck_assert_int_eq(c->priority, -90);
	ck_assert_str_eq(c->rules[0].target, "services");
	rs_table_free(&got);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

struct msg_census {
	const struct nl_batch *b;
	uint32_t next_seq;
	unsigned long messages, bytes, acks, elem_msgs[2];
	uint32_t ack_seq, max_len;
	uint16_t types[8];	/* the first few, in order */
};

static void census_cb(const struct nlmsghdr *nlh, void *data)
{
	struct msg_census *c = data;
	const struct nl_msg_ref *ref = nl_batch_ref(c->b, nlh->nlmsg_seq);

	ck_assert_uint_eq(nlh->nlmsg_seq, c->next_seq++);
	ck_assert_ptr_nonnull(ref);
	if (c->messages < ARRAY_SIZE(c->types))
		c->types[c->messages] = nlh->nlmsg_type;
	c->messages++;
	c->bytes += nlh->nlmsg_len;
	if (nlh->nlmsg_len > c->max_len)
		c->max_len = nlh->nlmsg_len;
	if (nlh->nlmsg_flags & NLM_F_ACK) {
		c->acks++;
		c->ack_seq = nlh->nlmsg_seq;
	}
	if (ref->kind == NL_OBJ_ELEMS)
		c->elem_msgs[ref->index]++;
}


START_TEST(test_batch_shape)
{
	struct msg_census c = { .next_seq = 100 };
	struct nl_batch b;
	struct rs_table t;

	sample(&t);
	build(&b, &t);
	c.b = &b;
	walk(&b, census_cb, &c);
	ck_assert_uint_eq(c.messages, b.messages);
	ck_assert_uint_eq(c.bytes, b.bytes);
	ck_assert_uint_le(c.max_len, NL_MSG_MAX);
	ck_assert_uint_ge(c.elem_msgs[0], 2);
	ck_assert_uint_ge(c.elem_msgs[1], 2);
	/* one ack, on the last message before the batch end */
	ck_assert_uint_eq(c.acks, 1);
	ck_assert_uint_eq(c.ack_seq, b.seq_ack);
	ck_assert_uint_eq(b.seq_ack + 1, b.seq_end);
	ck_assert_uint_eq(c.types[0], NFNL_MSG_BATCH_BEGIN);
	ck_assert_uint_eq(c.types[1], NFT(NFT_MSG_NEWTABLE));
	ck_assert_uint_eq(c.types[2], NFT(NFT_MSG_DELTABLE));
	ck_assert_uint_eq(c.types[3], NFT(NFT_MSG_NEWTABLE));
	ck_assert_uint_eq(c.types[4], NFT(NFT_MSG_NEWSET));
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST



/* Golden listings: what `nft --debug=netlink list table` shows for the
 * same rules loaded with nft -f (nft 1.0.6, Linux 6.x). */
START_TEST(test_expressions_as_nft)
{
	struct nl_batch b;
	struct rs_table t;

	sample(&t);
	build(&b, &t);
	assert_listing(&b, "services",
		"  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		"  [ meta load l4proto => reg 9 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 10 ]\n"
		"  [ lookup reg 1 set service-ips dreg 0 ]\n"
		"  [ fib daddr type => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000002 ]\n"
		"  [ payload load 1b @ network header + 16 => reg 1 ]\n"
		"  [ cmp neq reg 1 0x0000007f ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 9 ]\n"
		"  [ lookup reg 1 set service-nodeports dreg 0 ]\n");
	assert_listing(&b, "svc-default/web/tcp/80",
		"  [ numgen reg 1 = random mod 3 ]\n"
		"  [ cmp eq reg 1 0x00000000 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ immediate reg 1 0x020112c6 ]\n"
		"  [ immediate reg 2 0x0000901f ]\n"
		"  [ nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 2 proto_max reg 2 flags 0x3 ]\n"
		"  [ numgen reg 1 = random mod 2 ]\n"
		"  [ cmp eq reg 1 0x00000000 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ immediate reg 1 0x020212c6 ]\n"
		"  [ immediate reg 2 0x0000901f ]\n"
		"  [ nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 2 proto_max reg 2 flags 0x3 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ immediate reg 1 0x020312c6 ]\n"
		"  [ immediate reg 2 0x0000901f ]\n"
		"  [ nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 2 proto_max reg 2 flags 0x3 ]\n");
	assert_listing(&b, "svc-default/db/tcp/5432",
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ ct load state => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]\n"
		"  [ cmp neq reg 1 0x00000000 ]\n"
		"  [ reject type 1 code 0 ]\n");
	assert_listing(&b, "svc-default/dns/udp/53",
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000011 ]\n"
		"  [ ct load state => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]\n"
		"  [ cmp neq reg 1 0x00000000 ]\n"
		"  [ reject type 0 code 3 ]\n");
	assert_listing(&b, "prerouting", "  [ immediate reg 0 jump -> services ]\n");
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

START_TEST(test_key_bytes)
{
	static const uint8_t ips[] = { 0xc6, 0x13, 0x00, 0x0a, 0x06, 0, 0, 0,
				       0x00, 0x50, 0, 0 };
	static const uint8_t ports[] = { 0x11, 0, 0, 0, 0x75, 0x80, 0, 0 };
	struct rs_elem e = { .l4proto = IPPROTO_TCP, .port = 80 }, back;
	uint8_t key[NL_KEY_MAX];

	set_addr(&e.addr, "198.19.0.10");
	ck_assert_int_eq(nl_key_encode(NFPROTO_IPV4, RS_MAP_SERVICE_IPS, &e, key), 12);
	ck_assert_mem_eq(key, ips, sizeof(ips));
	ck_assert_int_eq(nl_key_decode(NFPROTO_IPV4, RS_MAP_SERVICE_IPS, key, 12, &back), 0);
	ck_assert_int_eq(ip_addr_cmp(&back.addr, &e.addr), 0);
	ck_assert_uint_eq(back.port, 80);
	e.l4proto = IPPROTO_UDP;
	e.port = 30080;
	ck_assert_int_eq(nl_key_encode(NFPROTO_IPV4, RS_MAP_NODEPORTS, &e, key), 8);
	ck_assert_mem_eq(key, ports, sizeof(ports));
	key[2] = 1;	/* padding that svcnft never writes */
	ck_assert_int_eq(nl_key_decode(NFPROTO_IPV4, RS_MAP_NODEPORTS, key, 8, &back), -EPROTO);
	ck_assert_uint_eq(nl_key_desc(NFPROTO_IPV4, RS_MAP_SERVICE_IPS)->type, 0x730d);
	ck_assert_uint_eq(nl_key_desc(NFPROTO_IPV4, RS_MAP_NODEPORTS)->type, 0x30d);
}
END_TEST

/* The new kinds' keys: addresses in network order, the affinity key's
 * port in the third 4-byte field (as nft's element dump shows them). */
START_TEST(test_key_bytes_sets)
{
	static const uint8_t pair[] = { 0xc6, 0x12, 0x01, 0x02, 0xc6, 0x12, 0x01, 0x02 };
	static const uint8_t aff[] = { 0xc6, 0x12, 0xc8, 0x02, 0xc6, 0x13, 0x00, 0x0a,
				       0x00, 0x50, 0, 0 };
	struct rs_elem e = { .port = 80 }, back;
	uint8_t key[NL_KEY_MAX];
	char a[IP_ADDR_STRLEN];

	set_addr(&e.addr, "198.18.1.2");
	set_addr(&e.addr2, "198.18.1.2");
	ck_assert_int_eq(nl_key_encode(NFPROTO_IPV4, RS_SET_ADDRS, &e, key), 4);
	ck_assert_mem_eq(key, pair, 4);
	ck_assert_int_eq(nl_key_encode(NFPROTO_IPV4, RS_SET_ADDR_PAIRS, &e, key), 8);
	ck_assert_mem_eq(key, pair, sizeof(pair));
	set_addr(&e.addr, "198.18.200.2");
	set_addr(&e.addr2, "198.19.0.10");
	ck_assert_int_eq(nl_key_encode(NFPROTO_IPV4, RS_MAP_AFFINITY, &e, key), 12);
	ck_assert_mem_eq(key, aff, sizeof(aff));
	ck_assert_int_eq(nl_key_decode(NFPROTO_IPV4, RS_MAP_AFFINITY, key, 12, &back), 0);
	ck_assert_str_eq(ip_addr_str(&back.addr2, a, sizeof(a)), "198.19.0.10");
	ck_assert_uint_eq(back.port, 80);
	ck_assert_int_eq(nl_key_decode(NFPROTO_IPV4, RS_SET_ADDR_PAIRS, key, 12, &back), -EPROTO);
	ck_assert_uint_eq(nl_key_desc(NFPROTO_IPV4, RS_SET_ADDR_PAIRS)->type, 0x1c7);
	ck_assert_uint_eq(nl_key_desc(NFPROTO_IPV4, RS_MAP_AFFINITY)->type, 0x71cd);
}
END_TEST

/*
 * The shapes of /work/notes/issue3-shapes.nft: every rule kind and set
 * kind of the semantics layout, in one table.
 */
static struct rs_rule *add_rule(struct rs_chain *c, enum rs_rule_kind kind,
				const char *target, uint32_t mark)
{
	struct rs_rule *r = rs_chain_add_rule(c, kind);

	r->target = target ? xstrdup(target) : NULL;
	r->mark = mark;
	return r;
}

static void add_prefix_rule(struct rs_chain *c, enum rs_rule_kind kind,
			    const char *addr, uint8_t len, uint32_t mark)
{
	struct rs_rule *r = add_rule(c, kind, NULL, mark);

	set_addr(&r->addr, addr);
	r->prefix_len = len;
}

static void shapes_sets(struct rs_table *t)
{
	struct rs_map *m;
	struct rs_elem *e;

	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	rs_table_add_map(t, RS_MAP_NODEPORTS_NAME, RS_MAP_NODEPORTS);
	m = rs_table_add_map(t, RS_SET_CLUSTER_IPS_NAME, RS_SET_ADDRS);
	set_addr(&rs_map_add_elem(m, NULL)->addr, "198.19.0.10");
	set_addr(&rs_map_add_elem(m, NULL)->addr, "198.19.0.11");
	m = rs_table_add_map(t, RS_SET_NODE_IPS_NAME, RS_SET_ADDRS);
	set_addr(&rs_map_add_elem(m, NULL)->addr, "198.18.200.1");
	m = rs_table_add_map(t, RS_SET_HAIRPIN_NAME, RS_SET_ADDR_PAIRS);
	e = rs_map_add_elem(m, NULL);
	set_addr(&e->addr, "198.18.1.2");
	set_addr(&e->addr2, "198.18.1.2");
	m = rs_table_add_map(t, RS_MAP_FIREWALL_NAME, RS_MAP_SERVICE_IPS);
	add_elem(m, "fw-default/web/tcp/80", "198.19.255.1", IPPROTO_TCP, 80);
	rs_table_add_map(t, "affinity-tcp-10800", RS_MAP_AFFINITY)->timeout = 10800;
}

static void shapes_services(struct rs_table *t)
{
	struct rs_chain *c = rs_table_add_chain(t, RS_CHAIN_SERVICES_NAME);
	struct rs_rule *r;

	add_prefix_rule(c, RS_RULE_MARK_SADDR, "198.18.0.0", 16, RS_MARK_FROM_POD);
	add_prefix_rule(c, RS_RULE_MARK_SADDR, "198.18.16.0", 20, RS_MARK_FROM_POD);
	add_rule(c, RS_RULE_MARK_NOT_POD_TO_SET, RS_SET_CLUSTER_IPS_NAME,
		 RS_MARK_MASQUERADE);
	r = add_rule(c, RS_RULE_AFFINITY_HIT, "affinity-tcp-10800",
		     RS_MARK_AFFINITY_CLASS(0));
	r->l4proto = IPPROTO_TCP;
	r = add_rule(c, RS_RULE_AFFINITY_DNAT, "affinity-tcp-10800",
		     RS_MARK_AFFINITY_CLASS(0));
	r->l4proto = IPPROTO_TCP;
	add_rule(c, RS_RULE_VMAP_SERVICE_IPS, RS_MAP_SERVICE_IPS_NAME, 0);
	add_rule(c, RS_RULE_VMAP_NODEPORTS, RS_MAP_NODEPORTS_NAME, 0);
	add_rule(c, RS_RULE_VMAP_NODEPORTS_NODE_IPS, RS_MAP_NODEPORTS_NAME, 0);
	add_rule(c, RS_RULE_REJECT_TO_SET, RS_SET_CLUSTER_IPS_NAME, 0);
}

static void shapes_chains(struct rs_table *t)
{
	struct rs_chain *c = base_chain(t, "postrouting", RS_HOOK_POSTROUTING);
	struct rs_rule *r;

	c->rules[0].kind = RS_RULE_AFFINITY_RECORD;	/* not a jump */
	free(c->rules[0].target);
	c->rules[0].target = xstrdup("affinity-tcp-10800");
	c->rules[0].mark = RS_MARK_AFFINITY_CLASS(0);
	c->rules[0].l4proto = IPPROTO_TCP;
	c->rules[0].timeout = 10800;
	add_rule(c, RS_RULE_MASQUERADE_MARKED, NULL, 0);
	add_rule(c, RS_RULE_MASQUERADE_HAIRPIN, RS_SET_HAIRPIN_NAME, 0);
	add_rule(c, RS_RULE_MARK_CLEAR, NULL, 0);
	c = rs_table_add_chain(t, "firewall-check");
	c->hook = RS_HOOK_PREROUTING;
	c->priority = -110;
	add_rule(c, RS_RULE_VMAP_SERVICE_IPS, RS_MAP_FIREWALL_NAME, 0);
	c = rs_table_add_chain(t, "fw-default/web/tcp/80");
	add_prefix_rule(c, RS_RULE_RETURN_IF_SADDR, "198.18.200.0", 24, 0);
	add_prefix_rule(c, RS_RULE_RETURN_IF_SADDR, "198.18.0.0", 15, 0);
	add_prefix_rule(c, RS_RULE_RETURN_IF_SADDR, "198.18.0.1", 32, 0);
	add_prefix_rule(c, RS_RULE_RETURN_IF_SADDR, "0.0.0.0", 0, 0);
	add_rule(c, RS_RULE_DROP, NULL, 0);
	c = rs_table_add_chain(t, "ext-default/web/tcp/80");
	add_rule(c, RS_RULE_GOTO_IF_MARK, "svc-default/web/tcp/80", RS_MARK_FROM_POD);
	add_rule(c, RS_RULE_GOTO_IF_LOCAL_SOURCE, "svc-default/web/tcp/80",
		 RS_MARK_MASQUERADE);
	add_rule(c, RS_RULE_MARK, NULL, RS_MARK_MASQUERADE);
	add_rule(c, RS_RULE_GOTO, "svc-default/web/tcp/80", 0);
	c = rs_table_add_chain(t, "svc-default/web/tcp/80");
	add_rule(c, RS_RULE_MARK, NULL, RS_MARK_AFFINITY_CLASS(0));
	add_dnat(c, 0, IPPROTO_TCP, "198.18.1.2", 8080);
	r = add_rule(c, RS_RULE_REJECT, NULL, 0);
	r->l4proto = IPPROTO_SCTP;
}

static void shapes(struct rs_table *t)
{
	memset(t, 0, sizeof(*t));
	rs_table_init(t, NFPROTO_IPV4, "svcnft");
	shapes_sets(t);
	shapes_services(t);
	shapes_chains(t);
}

/* Every kind read back from the batch as it was compiled. */
START_TEST(test_shapes_roundtrip)
{
	struct rs_table t, got;
	const struct rs_map *m;
	struct nl_batch b;

	shapes(&t);
	build(&b, &t);
	read_back(&b, &got);
	rs_table_sort_elems(&t);
	rs_table_sort_elems(&got);
	ck_assert(rs_table_equal(&t, &got));
	m = rs_table_find_map(&got, RS_SET_HAIRPIN_NAME);
	ck_assert_int_eq(m->kind, RS_SET_ADDR_PAIRS);
	ck_assert_ptr_null(m->elems[0].chain);
	m = rs_table_find_map(&got, "affinity-tcp-10800");
	ck_assert_int_eq(m->kind, RS_MAP_AFFINITY);
	ck_assert_uint_eq(m->timeout, 10800);
	ck_assert_int_eq(rs_table_find_chain(&got, "fw-default/web/tcp/80")->rules[1]
				 .prefix_len, 15);
	/* and a changed field of a new kind is noticed */
	rs_table_find_chain(&got, "postrouting")->rules[0].timeout = 10;
	ck_assert(!rs_table_equal(&t, &got));
	rs_table_free(&got);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

/* The kernel's own additions to a nat expression svcnft sent: the max
 * registers and NF_NAT_RANGE_MAP_IPS, plus extra flag bits. */
static void as_kernel_dumps(struct nftnl_rule *r, uint32_t extra_flags)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!strcmp(name, "nat")) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_2);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
					   NF_NAT_RANGE_PROTO_SPECIFIED |
					   NF_NAT_RANGE_MAP_IPS | extra_flags);
		} else if (!strcmp(name, "numgen")) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
		}
	}
	nftnl_expr_iter_destroy(it);
}

/* Rule rr of t as a dump reply, read both ways: libnftnl with
 * nl_rule_match, and netlink_fast.c. Returns whether the fast way took it;
 * when it did, both read the same rule. */
static bool read_both_ways(const struct rs_table *t, const struct rs_rule *rr,
			   bool kernel_form, uint32_t extra_flags)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct rs_rule slow = { .kind = RS_RULE_UNKNOWN }, fast;
	const char *table, *chain;
	struct nlmsghdr *nlh;
	char buf[8192];
	bool took;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "svc-default/web/tcp/80");
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, 42);
	nftnl_rule_set_u64(r, NFTNL_RULE_POSITION, 41);
	ck_assert_int_eq(nl_rule_exprs(r, t, rr), 0);
	if (kernel_form)
		as_kernel_dumps(r, extra_flags);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, t->family, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	r = nftnl_rule_alloc();
	ck_assert_int_eq(nftnl_rule_nlmsg_parse(nlh, r), 0);
	nl_rule_match(&slow, r);
	nftnl_rule_free(r);
	took = nl_rule_fast(nlh, t->family, &table, &chain, &fast);
	if (took) {
		ck_assert_str_eq(table, t->name);
		ck_assert_str_eq(chain, "svc-default/web/tcp/80");
		ck_assert_int_eq(slow.kind, RS_RULE_DNAT);
		ck_assert_int_eq(fast.kind, slow.kind);
		ck_assert_uint_eq(fast.handle, 42);
		ck_assert_uint_eq(fast.handle, slow.handle);
		ck_assert_uint_eq(fast.numgen_mod, slow.numgen_mod);
		ck_assert_uint_eq(fast.l4proto, slow.l4proto);
		ck_assert_uint_eq(fast.port, slow.port);
		ck_assert_int_eq(ip_addr_cmp(&fast.addr, &slow.addr), 0);
		ck_assert_ptr_null(fast.target);
	}
	free(slow.target);
	return took;
}

/* Endpoint DNAT rules are read without libnftnl, exactly as with it, as
 * svcnft sends them and as the kernel dumps them; every other kind, and a
 * DNAT with a flag svcnft does not set, are left to libnftnl. */
START_TEST(test_fast_dnat_read)
{
	struct rs_chain *c;
	struct rs_table t;
	size_t dnat = 0;

	shapes(&t);
	c = rs_table_add_chain(&t, "svc-default/more/udp/53");
	add_dnat(c, 3, IPPROTO_UDP, "198.18.7.250", 5353);
	add_dnat(c, 0, IPPROTO_SCTP, "198.18.0.1", 65535);
	for (size_t i = 0; i < t.nchains; i++) {
		for (size_t k = 0; k < t.chains[i].nrules; k++) {
			const struct rs_rule *rr = &t.chains[i].rules[k];
			bool is_dnat = rr->kind == RS_RULE_DNAT;

			ck_assert_int_eq(read_both_ways(&t, rr, false, 0), is_dnat);
			ck_assert_int_eq(read_both_ways(&t, rr, true, 0), is_dnat);
			ck_assert(!read_both_ways(&t, rr, true, NF_NAT_RANGE_PERSISTENT));
			dnat += is_dnat;
		}
	}
	ck_assert_uint_ge(dnat, 3);
	rs_table_free(&t);
}
END_TEST

/* Golden listings: nft 1.0.6's own bytecode for the same rules, as
 * /work/notes/issue3-shapes.debug lists it (Linux 6.1 reports lookups with
 * flags 0x0, which a request leaves out), and `nft --debug=netlink -c` for
 * the prefixes /15, /20, /32 and /0. */
START_TEST(test_shapes_as_nft)
{
	struct nl_batch b;
	struct rs_table t;

	shapes(&t);
	build(&b, &t);
	assert_listing(&b, "services",
		"  [ payload load 2b @ network header + 12 => reg 1 ]\n"
		"  [ cmp eq reg 1 0x000012c6 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xffff7fff ) ^ 0x00008000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x001012c6 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xffff7fff ) ^ 0x00008000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00008000 ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x00000000 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		"  [ lookup reg 1 set cluster-ips ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xffffbfff ) ^ 0x00004000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 9 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 10 ]\n"
		"  [ lookup reg 1 set affinity-tcp-10800 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xfffeffff ) ^ 0x00010000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00ff0000 ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x00010000 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 9 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 10 ]\n"
		"  [ lookup reg 1 set affinity-tcp-10800 dreg 1 ]\n"
		"  [ nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 9 proto_max reg 9 flags 0x3 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		"  [ meta load l4proto => reg 9 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 10 ]\n"
		"  [ lookup reg 1 set service-ips dreg 0 ]\n"
		"  [ fib daddr type => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000002 ]\n"
		"  [ payload load 1b @ network header + 16 => reg 1 ]\n"
		"  [ cmp neq reg 1 0x0000007f ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 9 ]\n"
		"  [ lookup reg 1 set service-nodeports dreg 0 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		"  [ lookup reg 1 set node-ips ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 9 ]\n"
		"  [ lookup reg 1 set service-nodeports dreg 0 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		"  [ lookup reg 1 set cluster-ips ]\n"
		"  [ reject type 0 code 3 ]\n");
	assert_listing(&b, "postrouting",
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00ff0000 ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x00010000 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ ct load dst_ip => reg 9 , dir original ]\n"
		"  [ ct load proto_dst => reg 10 , dir original ]\n"
		"  [ payload load 4b @ network header + 16 => reg 2 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 13 ]\n"
		"  [ dynset update reg_key 1 set affinity-tcp-10800 sreg_data 2 timeout 10800000ms ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00004000 ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x00004000 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xff003fff ) ^ 0x00000000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ masq flags 0x10 ]\n"
		"  [ ct load status => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00000020 ) ^ 0x00000000 ]\n"
		"  [ cmp neq reg 1 0x00000000 ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ payload load 4b @ network header + 16 => reg 9 ]\n"
		"  [ lookup reg 1 set hairpin ]\n"
		"  [ masq flags 0x10 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xff003fff ) ^ 0x00000000 ]\n"
		"  [ meta set mark with reg 1 ]\n");
	assert_listing(&b, "firewall-check",
		"  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		"  [ meta load l4proto => reg 9 ]\n"
		"  [ payload load 2b @ transport header + 2 => reg 10 ]\n"
		"  [ lookup reg 1 set firewall dreg 0 ]\n");
	assert_listing(&b, "fw-default/web/tcp/80",
		"  [ payload load 3b @ network header + 12 => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00c812c6 ]\n"
		"  [ immediate reg 0 return ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x0000feff ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x000012c6 ]\n"
		"  [ immediate reg 0 return ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ cmp eq reg 1 0x010012c6 ]\n"
		"  [ immediate reg 0 return ]\n"
		"  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00000000 ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x00000000 ]\n"
		"  [ immediate reg 0 return ]\n"
		"  [ immediate reg 0 drop ]\n");
	assert_listing(&b, "ext-default/web/tcp/80",
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00008000 ) ^ 0x00000000 ]\n"
		"  [ cmp eq reg 1 0x00008000 ]\n"
		"  [ immediate reg 0 goto -> svc-default/web/tcp/80 ]\n"
		"  [ fib saddr type => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000002 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xffffbfff ) ^ 0x00004000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ immediate reg 0 goto -> svc-default/web/tcp/80 ]\n"
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xffffbfff ) ^ 0x00004000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ immediate reg 0 goto -> svc-default/web/tcp/80 ]\n");
	assert_listing(&b, "svc-default/web/tcp/80",
		"  [ meta load mark => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0xfffeffff ) ^ 0x00010000 ]\n"
		"  [ meta set mark with reg 1 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000006 ]\n"
		"  [ immediate reg 1 0x020112c6 ]\n"
		"  [ immediate reg 2 0x0000901f ]\n"
		"  [ nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 2 proto_max reg 2 flags 0x3 ]\n"
		"  [ meta load l4proto => reg 1 ]\n"
		"  [ cmp eq reg 1 0x00000084 ]\n"
		"  [ ct load state => reg 1 ]\n"
		"  [ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]\n"
		"  [ cmp neq reg 1 0x00000000 ]\n"
		"  [ reject type 0 code 3 ]\n");
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

/* The NEWSET attributes of one set of a batch. */
struct set_probe {
	const char *name;
	struct nftnl_set *set;
};

static void set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct set_probe *p = data;
	struct nftnl_set *s;

	if (nlh->nlmsg_type != NFT(NFT_MSG_NEWSET))
		return;
	s = nftnl_set_alloc();
	ck_assert_int_eq(nftnl_set_nlmsg_parse(nlh, s), 0);
	if (!strcmp(nftnl_set_get_str(s, NFTNL_SET_NAME), p->name) && !p->set)
		p->set = s;
	else
		nftnl_set_free(s);
}

static struct nftnl_set *set_of(const struct nl_batch *b, const char *name)
{
	struct set_probe p = { .name = name };

	walk(b, set_cb, &p);
	ck_assert_ptr_nonnull(p.set);
	return p.set;
}

static void assert_userdata(const struct nftnl_set *s, const char *hex)
{
	uint32_t len;
	const uint8_t *ud = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
	char got[512] = "";

	ck_assert_ptr_nonnull(ud);
	ck_assert_uint_lt(len * 2, sizeof(got));
	for (uint32_t i = 0; i < len; i++)
		snprintf(got + 2 * i, 3, "%02x", ud[i]);
	ck_assert_str_eq(got, hex);
}

/* Flags, key, data, size, timeout and userdata as `nft --debug=mnl -f
 * issue3-shapes.nft` sends them (nft 1.0.6): with that userdata nft lists
 * the affinity map as `typeof ...`, like the one it made itself. */
START_TEST(test_set_messages)
{
	struct nftnl_set *s;
	struct nl_batch b;
	struct rs_table t;

	shapes(&t);
	build(&b, &t);
	s = set_of(&b, RS_SET_CLUSTER_IPS_NAME);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), 0);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), 7);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 4);
	ck_assert(!nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE));
	assert_userdata(s, "000402000000");
	nftnl_set_free(s);
	s = set_of(&b, RS_SET_HAIRPIN_NAME);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), 0x1c7);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 8);
	assert_userdata(s, "000400000000");
	nftnl_set_free(s);
	s = set_of(&b, "affinity-tcp-10800");
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), 0x38);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), 0x71cd);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 12);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE), 0x1cd);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN), 8);
	ck_assert_uint_eq(nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE), 65535);
	ck_assert_uint_eq(nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT), 10800000);
	assert_userdata(s, "000400000000010400000000034a00040d00000001420014000407"
		"000000010c00040c00000001040b0000000114000407000000010c00040c00"
		"000001040c0000000214000407000000010c00040b00000001040200000004"
		"3400040d000000012c0014000407000000010c00040c00000001040c000000"
		"0114000407000000010c00040b000000010402000000060400000000");
	nftnl_set_free(s);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

/* An affinity entry as a dump reports it: key and data, no verdict. */
static struct nlmsghdr *affinity_elem_msg(char *buf, uint16_t type,
					  const char *client, const char *endpoint)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t key[12] = { 0 }, data[8] = { 0 };
	struct nlmsghdr *nlh;

	ck_assert_int_eq(inet_pton(AF_INET, client, key), 1);
	ck_assert_int_eq(inet_pton(AF_INET, "198.19.0.10", key + 4), 1);
	key[9] = 80;		/* port 80, network order */
	ck_assert_int_eq(inet_pton(AF_INET, endpoint, data), 1);
	data[4] = 0x1f;		/* port 8080 */
	data[5] = 0x90;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "svcnft");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "affinity-tcp-10800");
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
	if (type == NFT_MSG_NEWSETELEM)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, sizeof(data));
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_IPV4, 0, 1);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh;
}

START_TEST(test_affinity_elements)
{
	char buf[4096], a[IP_ADDR_STRLEN];
	struct rs_table t, got;
	struct nl_batch b;
	struct nl_parser p;
	const struct rs_map *m;

	shapes(&t);
	build(&b, &t);
	memset(&got, 0, sizeof(got));
	nl_parser_init(&p, NFPROTO_IPV4, "svcnft", &got);
	walk(&b, parse_cb, &p);
	ck_assert_int_eq(nl_parse_msg(&p, affinity_elem_msg(buf, NFT_MSG_NEWSETELEM,
				"198.18.200.2", "198.18.1.2")), 0);
	ck_assert_int_eq(nl_parse_msg(&p, affinity_elem_msg(buf, NFT_MSG_NEWSETELEM,
				"198.18.200.3", "198.18.2.2")), 0);
	m = rs_table_find_map(&got, "affinity-tcp-10800");
	ck_assert_uint_eq(m->nelems, 2);
	ck_assert_ptr_null(m->elems[0].chain);
	ck_assert_str_eq(ip_addr_str(&m->elems[0].addr, a, sizeof(a)), "198.18.200.2");
	ck_assert_str_eq(ip_addr_str(&m->elems[0].addr2, a, sizeof(a)), "198.19.0.10");
	ck_assert_uint_eq(m->elems[0].port, 80);
	ck_assert_str_eq(ip_addr_str(&m->elems[0].to_addr, a, sizeof(a)), "198.18.1.2");
	ck_assert_uint_eq(m->elems[0].to_port, 8080);
	/* runtime state: the table still equals the compiled one */
	rs_table_sort_elems(&t);
	rs_table_sort_elems(&got);
	ck_assert(rs_table_equal(&t, &got));
	/* a delete by key removes that entry only */
	ck_assert_int_eq(nl_parse_msg(&p, affinity_elem_msg(buf, NFT_MSG_DELSETELEM,
				"198.18.200.2", "198.18.1.2")), 0);
	ck_assert_uint_eq(m->nelems, 1);
	ck_assert_str_eq(ip_addr_str(&m->elems[0].addr, a, sizeof(a)), "198.18.200.3");
	nl_parser_free(&p);
	rs_table_free(&got);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

/* The seq of the first message of that kind (and index), or 0. */
static uint32_t seq_of(const struct nl_batch *b, enum nl_obj_kind kind,
		       uint32_t index)
{
	for (size_t i = 0; i < b->nrefs; i++)
		if (b->refs[i].kind == kind && b->refs[i].index == index)
			return b->seq_first + i;
	return 0;
}

static void assert_describes(const struct nl_batch *b, const struct rs_table *t,
			     uint32_t seq, uint32_t bad_attr, const char *object,
			     const char *service)
{
	char *o, *s;

	ck_assert_uint_ne(seq, 0);
	nl_batch_describe(b, t, nl_batch_ref(b, seq), bad_attr, &o, &s);
	ck_assert_pstr_eq(o, object);
	ck_assert_pstr_eq(s, service);
	free(o);
	free(s);
}

static size_t chain_index(const struct rs_table *t, const char *name)
{
	return rs_table_find_chain(t, name) - t->chains;
}

START_TEST(test_seq_to_service)
{
	struct nl_batch b;
	struct rs_table t;
	size_t web, ext;

	sample(&t);
	build(&b, &t);
	web = chain_index(&t, "svc-default/web/tcp/80");
	ext = chain_index(&t, "svc-default/ext");
	assert_describes(&b, &t, seq_of(&b, NL_OBJ_CHAIN, web), 0,
			 "chain svc-default/web/tcp/80", "default/web");
	assert_describes(&b, &t, seq_of(&b, NL_OBJ_CHAIN, ext), 0,
			 "chain svc-default/ext", "default/ext");
	assert_describes(&b, &t, seq_of(&b, NL_OBJ_RULE, web) + 1, 0,
			 "rule 2 (numgen random mod 2 == 0 meta l4proto tcp dnat to 198.18.2.2:8080) in chain svc-default/web/tcp/80",
			 "default/web");
	assert_describes(&b, &t, seq_of(&b, NL_OBJ_CHAIN, 0), 0,
			 "chain prerouting", NULL);
	assert_describes(&b, &t, seq_of(&b, NL_OBJ_MAP, 1), 0,
			 "map service-nodeports", NULL);
	assert_describes(&b, &t, b.seq_first + 2, 0, "table ip svcnft", NULL);
	assert_describes(&b, &t, b.seq_first, 0, NULL, NULL);
	ck_assert_ptr_null(nl_batch_ref(&b, b.seq_first - 1));
	ck_assert_ptr_null(nl_batch_ref(&b, b.seq_end + 1));
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

/* Element messages: one Service's elements name it; mixed ones do not,
 * unless the kernel's extended ack points at the failing element. */
START_TEST(test_seq_to_service_elems)
{
	uint32_t ips, ports;
	struct nl_batch b;
	struct rs_table t;
	char *o;

	sample(&t);
	build(&b, &t);
	ips = seq_of(&b, NL_OBJ_ELEMS, 0);
	ports = seq_of(&b, NL_OBJ_ELEMS, 1);
	o = xasprintf("elements tcp . 30000 and %u more in map service-nodeports",
		      nl_batch_ref(&b, ports)->count - 1);
	assert_describes(&b, &t, ports, 0, o, "default/big");
	free(o);
	o = xasprintf("elements 198.19.0.10 . tcp . 80 and %u more in map service-ips",
		      nl_batch_ref(&b, ips)->count - 1);
	assert_describes(&b, &t, ips, 0, o, NULL);
	free(o);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

struct find_elem {
	uint32_t seq;
	unsigned nth;
	uint32_t offset;
};

/* The offset of the nth element attribute in message seq. */
static void elem_offset_cb(const struct nlmsghdr *nlh, void *data)
{
	struct find_elem *f = data;
	const struct nlattr *list, *a;
	unsigned i = 0;

	if (nlh->nlmsg_seq != f->seq)
		return;
	mnl_attr_for_each(list, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(a, list)
			if (i++ == f->nth)
				f->offset = (const char *)a - (const char *)nlh;
	}
}

START_TEST(test_seq_to_service_bad_attr)
{
	struct find_elem f = { .nth = 4 };
	const struct rs_elem *e;
	char a[IP_ADDR_STRLEN], *want, *svc;
	struct nl_batch b;
	struct rs_table t;

	sample(&t);
	build(&b, &t);
	/* the second service-ips message: its 5th element */
	f.seq = seq_of(&b, NL_OBJ_ELEMS, 0) + 1;
	ck_assert_int_eq(nl_batch_ref(&b, f.seq)->kind, NL_OBJ_ELEMS);
	walk(&b, elem_offset_cb, &f);
	ck_assert_uint_ne(f.offset, 0);
	e = &t.maps[0].elems[nl_batch_ref(&b, f.seq)->sub + 4];
	want = xasprintf("element %s . tcp . 443 in map service-ips",
			 ip_addr_str(&e->addr, a, sizeof(a)));
	svc = nl_chain_service(e->chain);
	assert_describes(&b, &t, f.seq, f.offset, want, svc);
	free(want);
	free(svc);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

struct bytes {
	char *v;
	size_t n;
};

static void bytes_cb(const struct nlmsghdr *nlh, void *data)
{
	struct bytes *b = data;

	b->v = realloc(b->v, b->n + nlh->nlmsg_len);
	ck_assert_ptr_nonnull(b->v);
	memcpy(b->v + b->n, nlh, nlh->nlmsg_len);
	b->n += nlh->nlmsg_len;
}

/* The same table makes the same bytes: no stale memory in padding. */
START_TEST(test_deterministic)
{
	struct bytes one = { 0 }, two = { 0 };
	struct nl_batch b;
	struct rs_table t;

	sample(&t);
	build(&b, &t);
	walk(&b, bytes_cb, &one);
	nl_batch_free(&b);
	build(&b, &t);
	walk(&b, bytes_cb, &two);
	nl_batch_free(&b);
	ck_assert_uint_eq(one.n, two.n);
	ck_assert(memcmp(one.v, two.v, one.n) == 0);
	free(one.v);
	free(two.v);
	rs_table_free(&t);
}
END_TEST

static void small(struct rs_table *t)
{
	memset(t, 0, sizeof(*t));
	rs_table_init(t, NFPROTO_IPV4, "svcnft");
	add_fixed(t);
	add_named(t);
}

/* The small table read back from its batch, then msg fed after it. */
static int read_back_plus(struct rs_table *got, const struct nlmsghdr *msg)
{
	struct rs_table t;
	struct nl_batch b;
	struct nl_parser p;
	int ret;

	small(&t);
	build(&b, &t);
	memset(got, 0, sizeof(*got));
	nl_parser_init(&p, NFPROTO_IPV4, "svcnft", got);
	walk(&b, parse_cb, &p);
	ret = nl_parse_msg(&p, msg);
	nl_parser_free(&p);
	nl_batch_free(&b);
	rs_table_free(&t);
	return ret;
}

static struct nlmsghdr *rule_msg(char *buf, const char *table,
				 const char *chain, struct nftnl_expr *e)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, 42);
	nftnl_rule_add_expr(r, e);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_IPV4, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return nlh;
}

START_TEST(test_unknown_rule)
{
	char buf[4096];
	struct rs_table got;
	const struct rs_chain *c;

	ck_assert_int_eq(read_back_plus(&got, rule_msg(buf, "svcnft", "services",
				nftnl_expr_alloc("counter"))), 0);
	c = rs_table_find_chain(&got, "services");
	ck_assert_uint_eq(c->nrules, 3);
	ck_assert_int_eq(c->rules[2].kind, RS_RULE_UNKNOWN);
	ck_assert_uint_eq(c->rules[2].handle, 42);
	rs_table_free(&got);
}
END_TEST

/* A reject with another code is not the reject svcnft writes. */
START_TEST(test_unknown_rule_close_match)
{
	struct nftnl_expr *e = nftnl_expr_alloc("reject");
	char buf[4096];
	struct rs_table got;
	const struct rs_chain *c;

	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 1);	/* host unreach */
	ck_assert_int_eq(read_back_plus(&got, rule_msg(buf, "svcnft",
				"svc-default/dns/udp/53", e)), 0);
	c = rs_table_find_chain(&got, "svc-default/dns/udp/53");
	ck_assert_uint_eq(c->nrules, 2);
	ck_assert_int_eq(c->rules[0].kind, RS_RULE_REJECT);
	ck_assert_int_eq(c->rules[1].kind, RS_RULE_UNKNOWN);
	rs_table_free(&got);
}
END_TEST

START_TEST(test_other_table_and_order)
{
	char buf[4096];
	struct rs_table got;

	/* another table's rule is none of ours */
	ck_assert_int_eq(read_back_plus(&got, rule_msg(buf, "other", "nochain",
				nftnl_expr_alloc("counter"))), 0);
	rs_table_free(&got);
	/* a rule for a chain that was never read is out of order */
	ck_assert_int_eq(read_back_plus(&got, rule_msg(buf, "svcnft", "nochain",
				nftnl_expr_alloc("counter"))), -EPROTO);
	rs_table_free(&got);
}
END_TEST

/* A set svcnft does not write still shows up, so that the table does not
 * compare equal to the compiled one; its elements are not read. */
START_TEST(test_foreign_set)
{
	char buf[4096];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	struct rs_table got, t;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, "svcnft");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "allowed");
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 8);	/* ipv6_addr */
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 16);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSET, NFPROTO_IPV4, 0, 1);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	ck_assert_int_eq(read_back_plus(&got, nlh), 0);
	ck_assert_uint_eq(got.nmaps, 3);
	ck_assert_str_eq(got.maps[2].name, "allowed");
	ck_assert_uint_eq(got.maps[2].nelems, 0);
	small(&t);
	ck_assert(!rs_table_equal(&t, &got));
	rs_table_free(&t);
	rs_table_free(&got);
}
END_TEST

START_TEST(test_delete_batch)
{
	struct msg_census c = { .next_seq = 5 };
	struct nl_batch b = { 0 };

	ck_assert_int_eq(nl_batch_build_delete(&b, NFPROTO_IPV4, "svcnft", 5), 0);
	c.b = &b;
	walk(&b, census_cb, &c);
	ck_assert_uint_eq(c.messages, 3);
	ck_assert_uint_eq(c.types[1], NFT(NFT_MSG_DELTABLE));
	ck_assert_uint_eq(c.ack_seq, 6);
	assert_describes(&b, NULL, 6, 0, "table ip svcnft", NULL);
	nl_batch_free(&b);
}
END_TEST

static void genid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	if (nlh->nlmsg_type != NFNL_MSG_BATCH_BEGIN)
		return;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFNL_BATCH_GENID)
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
}

START_TEST(test_genid)
{
	uint32_t genid = 0;
	struct nl_batch b;
	struct rs_table t;

	small(&t);
	build(&b, &t);		/* genid 7 */
	walk(&b, genid_cb, &genid);
	ck_assert_uint_eq(genid, 7);
	ck_assert_int_eq(nl_batch_set_genid(&b, 123456), 0);
	walk(&b, genid_cb, &genid);
	ck_assert_uint_eq(genid, 123456);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

START_TEST(test_build_errors)
{
	struct nl_batch b = { 0 };
	struct rs_table t;
	struct rs_chain *c;
	char *o, *s;

	small(&t);
	t.family = NFPROTO_IPV6;
	ck_assert_int_eq(nl_batch_build_replace(&b, &t, 1, 0), -EAFNOSUPPORT);
	nl_batch_free(&b);
	t.family = NFPROTO_IPV4;
	c = rs_table_find_chain(&t, "svc-default/ext");
	free(c->comment);
	c->comment = malloc(200);
	memset(c->comment, 'x', 199);
	c->comment[199] = '\0';
	ck_assert_int_eq(nl_batch_build_replace(&b, &t, 1, 0), -ENAMETOOLONG);
	nl_batch_describe(&b, &t, &b.build_failed, 0, &o, &s);
	ck_assert_str_eq(o, "chain svc-default/ext");
	ck_assert_str_eq(s, "default/ext");
	free(o);
	free(s);
	nl_batch_free(&b);
	rs_table_free(&t);
}
END_TEST

START_TEST(test_chain_service)
{
	char *s = nl_chain_service("svc-kube-system/coredns/udp/53");

	ck_assert_str_eq(s, "kube-system/coredns");
	free(s);
	s = nl_chain_service("svc-default/alias");
	ck_assert_str_eq(s, "default/alias");
	free(s);
	s = nl_chain_service("ext-default/web/tcp/80");
	ck_assert_str_eq(s, "default/web");
	free(s);
	ck_assert_ptr_null(nl_chain_service("services"));
	ck_assert_ptr_null(nl_chain_service("firewall-check"));
	ck_assert_ptr_null(nl_chain_service("svc-noslash"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("netlink");
	TCase *tc = tcase_create("netlink");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_readback_values);
	tcase_add_test(tc, test_batch_shape);
	tcase_add_test(tc, test_expressions_as_nft);
	tcase_add_test(tc, test_key_bytes);
	tcase_add_test(tc, test_key_bytes_sets);
	tcase_add_test(tc, test_shapes_roundtrip);
	tcase_add_test(tc, test_shapes_as_nft);
	tcase_add_test(tc, test_set_messages);
	tcase_add_test(tc, test_affinity_elements);
	tcase_add_test(tc, test_seq_to_service);
	tcase_add_test(tc, test_seq_to_service_elems);
	tcase_add_test(tc, test_seq_to_service_bad_attr);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_unknown_rule);
	tcase_add_test(tc, test_unknown_rule_close_match);
	tcase_add_test(tc, test_other_table_and_order);
	tcase_add_test(tc, test_foreign_set);
	tcase_add_test(tc, test_delete_batch);
	tcase_add_test(tc, test_genid);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_chain_service);
	tcase_add_test(tc, test_fast_dnat_read);
	suite_add_tcase(s, tc);
	return s;
}
