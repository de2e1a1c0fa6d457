// SPDX-License-Identifier: GPL-2.0-or-later
/* The incremental update without a kernel: the difference of two rulesets,
 * its batches built and replayed onto a table read back from a full batch
 * (the kernel's part played by the parser), compared with the compiled
 * table; and the same over a sequence of random changes. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include "backend.h"
#include "netlink.h"
#include "ruleset_diff.h"
#include "nl_walk.h"
#include "unit.h"
#include "util.h"

#define MAX_SERVICES 64

/* A Service as the test changes it: one TCP port, nep endpoints. */
struct svc {
	bool live;
	unsigned addr;		/* ClusterIP 198.19.0.addr */
	unsigned nep, epbase;	/* endpoints 198.18.epbase+i.2 */
	bool nodeport;		/* tcp . 30000+index */
};

struct world {
	struct svc v[MAX_SERVICES];
	unsigned seed;
};

static void base_chain(struct rs_table *t, const char *name, enum rs_hook hook,
		       int prio)
{
	struct rs_chain *c = rs_table_add_chain(t, name);

	c->hook = hook;
	c->type = RS_CHAIN_NAT;
	c->priority = prio;
	rs_chain_add_rule(c, RS_RULE_JUMP)->target = xstrdup("services");
}

static void add_service(struct rs_table *t, const struct svc *s, unsigned i)
{
	char name[64];
	struct rs_chain *c;
	struct rs_elem *e;

	snprintf(name, sizeof(name), "svc-default/s%02u/tcp/80", i);
	c = rs_table_add_chain(t, name);
	c->comment = xasprintf("ClusterIP default/s%02u", i);
	for (unsigned j = 0; j < s->nep; j++) {
		struct rs_rule *r = rs_chain_add_rule(c, RS_RULE_DNAT);

		r->numgen_mod = j + 1 < s->nep ? s->nep - j : 0;
		r->l4proto = IPPROTO_TCP;
		r->addr.family = AF_INET;
		r->addr.addr[0] = 198, r->addr.addr[1] = 18;
		r->addr.addr[2] = s->epbase + j, r->addr.addr[3] = 2;
		r->port = 8080;
	}
	if (!s->nep)
		rs_chain_add_rule(c, RS_RULE_REJECT)->l4proto = IPPROTO_TCP;
	e = rs_map_add_elem(&t->maps[0], name);
	e->addr.family = AF_INET;
	e->addr.addr[0] = 198, e->addr.addr[1] = 19, e->addr.addr[3] = s->addr;
	e->l4proto = IPPROTO_TCP;
	e->port = 80;
	if (s->nodeport) {
		e = rs_map_add_elem(&t->maps[1], name);
		e->l4proto = IPPROTO_TCP;
		e->port = 30000 + i;
	}
}

static void compile(struct rs_table *t, const struct world *w)
{
	struct rs_chain *c;

	memset(t, 0, sizeof(*t));
	rs_table_init(t, NFPROTO_IPV4, "svcnft");
	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	rs_table_add_map(t, RS_MAP_NODEPORTS_NAME, RS_MAP_NODEPORTS);
	base_chain(t, "prerouting", RS_HOOK_PREROUTING, -100);
	base_chain(t, "output", RS_HOOK_OUTPUT, -100);
	c = rs_table_add_chain(t, RS_CHAIN_SERVICES_NAME);
	rs_chain_add_rule(c, RS_RULE_VMAP_SERVICE_IPS)->target =
		xstrdup(RS_MAP_SERVICE_IPS_NAME);
	rs_chain_add_rule(c, RS_RULE_VMAP_NODEPORTS)->target =
		xstrdup(RS_MAP_NODEPORTS_NAME);
	for (unsigned i = 0; i < MAX_SERVICES; i++)
		if (w->v[i].live)
			add_service(t, &w->v[i], i);
}

static void world_init(struct world *w, unsigned n)
{
	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < n; i++)
		w->v[i] = (struct svc){ .live = true, .addr = 10 + i,
					.nep = 1 + i % 3, .epbase = i,
					.nodeport = i % 4 == 0 };
}


/* The parser plays the kernel: every message must apply cleanly. */
static void replay_cb(const struct nlmsghdr *nlh, void *data)
{
	ck_assert_int_eq(nl_parse_msg(data, nlh), 0);
}

/* A kernel: the table as the parser holds it. */
struct fake_kernel {
	struct nl_parser p;
	struct rs_table t;
	unsigned long messages;
};

static void fk_init(struct fake_kernel *k)
{
	memset(k, 0, sizeof(*k));
	nl_parser_init(&k->p, NFPROTO_IPV4, "svcnft", &k->t);
}

static void fk_free(struct fake_kernel *k)
{
	nl_parser_free(&k->p);
	rs_table_free(&k->t);
}

static const struct rs_table *fk_table(const struct fake_kernel *k)
{
	return k->p.have_table ? &k->t : NULL;
}

static void fk_send(struct fake_kernel *k, struct nl_batch *b, int built)
{
	ck_assert_int_eq(built, 0);
	walk(b, replay_cb, &k->p);
	k->messages += b->messages;
	nl_batch_free(b);
}

/* What kernel_table_apply sends, sent to the fake kernel. */
static void fk_apply(struct fake_kernel *k, const struct rs_table *want)
{
	struct nl_batch b = { 0 };
	struct rs_diff d;

	rs_diff_compute(&d, want, fk_table(k));
	if (d.mode == RS_DIFF_CREATE)
		fk_send(k, &b, nl_batch_build_create(&b, want, 1, 5));
	else if (d.mode == RS_DIFF_REPLACE)
		fk_send(k, &b, nl_batch_build_replace(&b, want, 1, 5));
	else if (d.mode == RS_DIFF_UPDATE)
		fk_send(k, &b, nl_batch_build_update(&b, &d, 1, 5));
	if (rs_diff_late_chains(&d))
		fk_send(k, &b, nl_batch_build_late(&b, &d, 1, 6));
	rs_diff_free(&d);
}

static int chain_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rs_chain *)a)->name,
		      ((const struct rs_chain *)b)->name);
}

/* t as a fresh full batch reads it back, chains in name order. */
static void normalized(struct rs_table *out, const struct rs_table *t)
{
	struct fake_kernel k;

	fk_init(&k);
	fk_apply(&k, t);
	*out = k.t;
	memset(&k.t, 0, sizeof(k.t));
	fk_free(&k);
	qsort(out->chains, out->nchains, sizeof(*out->chains), chain_name_cmp);
	rs_table_sort_elems(out);
}

/* The same ruleset, whatever the order of chains and elements. */
static void assert_same_ruleset(const struct rs_table *a, const struct rs_table *b)
{
	struct rs_table na, nb;

	normalized(&na, a);
	normalized(&nb, b);
	ck_assert(rs_table_equal(&na, &nb));
	rs_table_free(&na);
	rs_table_free(&nb);
}

/* Every element leads to a chain that exists. */
static void assert_consistent(const struct rs_table *t)
{
	for (size_t i = 0; i < t->nmaps; i++)
		for (size_t j = 0; j < t->maps[i].nelems; j++)
			ck_assert_ptr_nonnull(
				rs_table_find_chain(t, t->maps[i].elems[j].chain));
}

/* A fake kernel holding t, which it frees. */
static struct fake_kernel *kernel_holding(struct rs_table *t)
{
	struct fake_kernel *k = xmalloc(sizeof(*k));

	fk_init(k);
	fk_apply(k, t);
	rs_table_free(t);
	return k;
}

static struct fake_kernel *kernel_with(const struct world *w)
{
	struct rs_table t;

	compile(&t, w);
	return kernel_holding(&t);
}

static void diff_of(struct rs_diff *d, struct rs_table *want,
		    const struct world *w, const struct fake_kernel *k)
{
	compile(want, w);
	rs_diff_compute(d, want, fk_table(k));
}

START_TEST(test_noop_is_empty)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct rs_diff d;
	unsigned long before;

	world_init(&w, 20);
	k = kernel_with(&w);
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_NONE);
	ck_assert(rs_diff_empty(&d));
	before = k->messages;
	fk_apply(k, &want);
	ck_assert_uint_eq(k->messages, before);	/* sends nothing */
	rs_diff_free(&d);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

START_TEST(test_missing_table_is_created)
{
	struct world w;
	struct rs_table want;
	struct rs_diff d;
	struct rs_diff_counts c;

	world_init(&w, 3);
	compile(&want, &w);
	rs_diff_compute(&d, &want, NULL);
	ck_assert_int_eq(d.mode, RS_DIFF_CREATE);
	rs_diff_count(&d, &c);
	ck_assert_uint_eq(c.chains_added, want.nchains);
	rs_diff_free(&d);
	rs_table_free(&want);
}
END_TEST

/* Changes the test makes, and what the diff must hold for each. */
START_TEST(test_add_remove_change)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct rs_diff d;
	struct rs_diff_counts c;

	world_init(&w, 10);
	k = kernel_with(&w);
	/* one Service added (with a node port), one removed, one changed */
	w.v[10] = (struct svc){ .live = true, .addr = 99, .nep = 2,
				.epbase = 50, .nodeport = true };
	w.v[4].live = false;	/* s04 has a node port: two elements go */
	w.v[5].nep = 4;
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);
	rs_diff_count(&d, &c);
	ck_assert_uint_eq(c.chains_added, 1);
	ck_assert_uint_eq(c.chains_refilled, 1);
	ck_assert_uint_eq(c.chains_deleted, 1);
	ck_assert_uint_eq(c.rules_added, 2 + 4);
	ck_assert_uint_eq(c.elems_added, 2);
	ck_assert_uint_eq(c.elems_deleted, 2);
	ck_assert_str_eq(d.add.chains[0].name, "svc-default/s05/tcp/80");
	ck_assert(!d.chain_new[0]);
	ck_assert(d.chain_new[1]);
	/* s04's chain is what its removed elements pointed at */
	ck_assert_str_eq(d.del.chains[0].name, "svc-default/s04/tcp/80");
	ck_assert(d.chain_late[0]);
	ck_assert_uint_eq(rs_diff_late_chains(&d), 1);
	rs_diff_free(&d);
	fk_apply(k, &want);
	assert_same_ruleset(&k->t, &want);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

/* Two Services swap ClusterIPs: the same keys now lead to other chains,
 * and nothing else changes. */
START_TEST(test_elements_move)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct rs_diff d;
	struct rs_diff_counts c;
	unsigned a;

	world_init(&w, 6);
	k = kernel_with(&w);
	a = w.v[1].addr;
	w.v[1].addr = w.v[2].addr;
	w.v[2].addr = a;
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);
	rs_diff_count(&d, &c);
	ck_assert_uint_eq(c.chains_added + c.chains_refilled + c.chains_deleted, 0);
	ck_assert_uint_eq(c.elems_added, 2);
	ck_assert_uint_eq(c.elems_deleted, 2);
	rs_diff_free(&d);
	fk_apply(k, &want);
	assert_same_ruleset(&k->t, &want);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

/* Someone deleted a rule and added one svcnft does not know: both chains
 * are refilled, nothing else. */
START_TEST(test_unknown_rule_repaired)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct rs_diff d;
	struct rs_chain *c;

	world_init(&w, 6);
	k = kernel_with(&w);
	c = rs_table_find_chain(&k->t, "svc-default/s02/tcp/80");
	c->rules[c->nrules - 1].kind = RS_RULE_UNKNOWN;
	c = rs_table_find_chain(&k->t, RS_CHAIN_SERVICES_NAME);
	free(c->rules[1].target);
	c->nrules = 1;
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);
	ck_assert_uint_eq(d.add.nchains, 2);
	ck_assert_str_eq(d.add.chains[0].name, RS_CHAIN_SERVICES_NAME);
	ck_assert_uint_eq(d.add.chains[0].nrules, 2);
	ck_assert_str_eq(d.add.chains[1].name, "svc-default/s02/tcp/80");
	ck_assert_uint_eq(d.del.nchains, 0);
	rs_diff_free(&d);
	fk_apply(k, &want);
	assert_same_ruleset(&k->t, &want);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

/* A changed chain comment (the Service's type) cannot be updated in place,
 * nor can a set svcnft does not know be left: the table is replaced. */
START_TEST(test_replace_when_not_in_place)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct rs_diff d;
	struct rs_chain *c;

	world_init(&w, 4);
	k = kernel_with(&w);
	c = rs_table_find_chain(&k->t, "svc-default/s01/tcp/80");
	free(c->comment);
	c->comment = xstrdup("NodePort default/s01");
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_REPLACE);
	ck_assert_str_eq(d.why, "chain svc-default/s01/tcp/80");
	rs_diff_free(&d);
	fk_apply(k, &want);
	assert_same_ruleset(&k->t, &want);
	rs_table_free(&want);
	rs_table_add_map(&k->t, "stray", RS_MAP_NODEPORTS);
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_REPLACE);
	ck_assert_str_eq(d.why, "map stray");
	rs_diff_free(&d);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

/* A chain left behind by an update whose second transaction never ran is
 * empty and unreferenced: the next update deletes it in its one batch. */
START_TEST(test_leftover_chain_deleted)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct rs_diff d;

	world_init(&w, 4);
	k = kernel_with(&w);
	rs_table_add_chain(&k->t, "svc-default/gone/tcp/80");
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);
	ck_assert_uint_eq(d.del.nchains, 1);
	ck_assert(!d.chain_late[0]);
	ck_assert_uint_eq(rs_diff_late_chains(&d), 0);
	rs_diff_free(&d);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

/* The batch names its objects for errors, and the text form says the same
 * as the batch. */
START_TEST(test_batch_and_text)
{
	struct world w;
	struct fake_kernel *k;
	struct rs_table want;
	struct nl_batch b = { 0 };
	struct rs_diff d;
	char *text = NULL, *obj, *svc;
	size_t len = 0;
	FILE *mem;

	world_init(&w, 4);
	k = kernel_with(&w);
	w.v[3].live = false;
	w.v[5] = (struct svc){ .live = true, .addr = 77, .nep = 1 };
	diff_of(&d, &want, &w, k);
	ck_assert_int_eq(nl_batch_build_update(&b, &d, 10, 3), 0);
	/* new chain, flush of the late chain, element delete, its rule,
	 * element add, plus begin and end */
	ck_assert_uint_eq(b.messages, 7);
	nl_batch_describe(&b, &d.add, nl_batch_ref(&b, 12), 0, &obj, &svc);
	ck_assert_str_eq(obj, "the flush of chain svc-default/s03/tcp/80");
	ck_assert_str_eq(svc, "default/s03");
	free(obj);
	free(svc);
	nl_batch_describe(&b, &d.add, nl_batch_ref(&b, 13), 0, &obj, &svc);
	ck_assert_str_eq(obj, "the removal of element 198.19.0.13 . tcp . 80 from map service-ips");
	free(obj);
	free(svc);
	nl_batch_free(&b);
	mem = open_memstream(&text, &len);
	ck_assert_int_eq(nft_text_write_diff(mem, &d), 0);
	fclose(mem);
	ck_assert_str_eq(text,
		"+ add chain ip svcnft svc-default/s05/tcp/80 { comment \"ClusterIP default/s05\"; }\n"
		"- flush chain ip svcnft svc-default/s03/tcp/80\n"
		"- delete element ip svcnft service-ips { 198.19.0.13 . tcp . 80 }\n"
		"- delete chain ip svcnft svc-default/s03/tcp/80    # in a second transaction\n"
		"+ add rule ip svcnft svc-default/s05/tcp/80 meta l4proto tcp dnat to 198.18.0.2:8080\n"
		"+ add element ip svcnft service-ips { 198.19.0.77 . tcp . 80 : goto svc-default/s05/tcp/80 }\n");
	free(text);
	rs_diff_free(&d);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

static unsigned next_rand(struct world *w, unsigned n)
{
	w->seed = w->seed * 1103515245u + 12345u;
	return (w->seed >> 16) % n;
}

static unsigned pick(struct world *w, bool live)
{
	for (;;) {
		unsigned i = next_rand(w, MAX_SERVICES);

		if (w->v[i].live == live)
			return i;
	}
}

/* A live Service other than i, or i itself when it was the last. */
static unsigned pick_any_live(struct world *w, unsigned i)
{
	for (unsigned j = 0; j < MAX_SERVICES; j++)
		if (w->v[j].live)
			return j;
	return i;
}

static unsigned free_addr(struct world *w)
{
	for (;;) {
		unsigned a = 10 + next_rand(w, 200);
		bool used = false;

		for (unsigned i = 0; i < MAX_SERVICES; i++)
			used |= w->v[i].live && w->v[i].addr == a;
		if (!used)
			return a;
	}
}

static void random_change(struct world *w)
{
	unsigned i = pick(w, true), j;

	switch (next_rand(w, 5)) {
	case 0:		/* add */
		j = pick(w, false);
		w->v[j] = (struct svc){ .live = true, .addr = free_addr(w),
					.nep = next_rand(w, 4),
					.epbase = next_rand(w, 200),
					.nodeport = next_rand(w, 2) };
		break;
	case 1:		/* remove, keeping one */
		w->v[i].live = false;
		w->v[pick_any_live(w, i)].live = true;
		break;
	case 2:		/* endpoints */
		w->v[i].nep = next_rand(w, 5);
		w->v[i].epbase = next_rand(w, 200);
		break;
	case 3:		/* swap ClusterIPs, or take a new one */
		j = pick(w, true);
		if (i == j) {
			w->v[i].addr = free_addr(w);
		} else {
			unsigned a = w->v[i].addr;

			w->v[i].addr = w->v[j].addr;
			w->v[j].addr = a;
		}
		break;
	default:	/* node port on or off */
		w->v[i].nodeport = !w->v[i].nodeport;
		break;
	}
}

/* 30 rounds of a few random changes each: after every update the fake
 * kernel holds what a full apply of the same manifests would, and applying
 * again sends nothing. */
START_TEST(test_random_sequence)
{
	struct world w;
	struct fake_kernel *k;

	world_init(&w, 24);
	w.seed = 4242;
	k = kernel_with(&w);
	for (int round = 0; round < 30; round++) {
		struct rs_table want;
		unsigned long before;
		unsigned n = 1 + next_rand(&w, 3);

		for (unsigned c = 0; c < n; c++)
			random_change(&w);
		compile(&want, &w);
		fk_apply(k, &want);
		assert_consistent(&k->t);
		assert_same_ruleset(&k->t, &want);
		before = k->messages;
		fk_apply(k, &want);
		ck_assert_uint_eq(k->messages, before);
		rs_table_free(&want);
	}
	fk_free(k);
	free(k);
}
END_TEST

/*
 * Sets and session affinity: a table with the semantics layout's sets, two
 * Services (a: 198.19.0.10, b: 198.19.0.11, tcp/80, node ports 30080 and
 * 30081 through ext- chains), either with affinity (class 1) or not.
 */
struct aff_opts {
	bool a_sticky, b_sticky;
	bool a_second_endpoint;	/* 198.18.2.2 beside 198.18.1.2 */
	bool extra_cluster_ip;	/* 198.19.0.12 in cluster-ips */
	bool no_affinity;	/* neither the affinity map nor its rules */
};

static void set_ip(struct ip_addr *a, const char *s)
{
	ck_assert_int_eq(ip_addr_parse(a, s), 0);
}

static void aff_service(struct rs_table *t, const char *name, const char *ip,
			uint16_t nodeport, bool sticky, unsigned nep)
{
	static const char *const eps[] = { "198.18.1.2", "198.18.2.2" };
	char *svc = xasprintf("svc-default/%s/tcp/80", name);
	char *ext = xasprintf("ext-default/%s/tcp/80", name);
	struct rs_chain *c = rs_table_add_chain(t, svc);
	struct rs_elem *e;

	if (sticky)
		rs_chain_add_rule(c, RS_RULE_MARK)->mark = RS_MARK_AFFINITY_CLASS(0);
	for (unsigned i = 0; i < nep; i++) {
		struct rs_rule *r = rs_chain_add_rule(c, RS_RULE_DNAT);

		r->numgen_mod = i + 1 < nep ? nep - i : 0;
		r->l4proto = IPPROTO_TCP;
		set_ip(&r->addr, eps[i]);
		r->port = 8080;
	}
	c = rs_table_add_chain(t, ext);
	rs_chain_add_rule(c, RS_RULE_MARK)->mark = RS_MARK_MASQUERADE;
	rs_chain_add_rule(c, RS_RULE_GOTO)->target = xstrdup(svc);
	e = rs_map_add_elem(rs_table_find_map(t, RS_MAP_SERVICE_IPS_NAME), svc);
	set_ip(&e->addr, ip);
	e->l4proto = IPPROTO_TCP;
	e->port = 80;
	e = rs_map_add_elem(rs_table_find_map(t, RS_MAP_NODEPORTS_NAME), ext);
	e->l4proto = IPPROTO_TCP;
	e->port = nodeport;
	set_ip(&rs_map_add_elem(rs_table_find_map(t, RS_SET_CLUSTER_IPS_NAME),
				NULL)->addr, ip);
	free(svc);
	free(ext);
}

static void aff_table(struct rs_table *t, const struct aff_opts *o)
{
	struct rs_chain *c;
	struct rs_rule *r;
	struct rs_elem *e;

	memset(t, 0, sizeof(*t));
	rs_table_init(t, NFPROTO_IPV4, "svcnft");
	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	rs_table_add_map(t, RS_MAP_NODEPORTS_NAME, RS_MAP_NODEPORTS);
	rs_table_add_map(t, RS_SET_CLUSTER_IPS_NAME, RS_SET_ADDRS);
	e = rs_map_add_elem(rs_table_add_map(t, RS_SET_HAIRPIN_NAME,
					     RS_SET_ADDR_PAIRS), NULL);
	set_ip(&e->addr, "198.18.1.2");
	set_ip(&e->addr2, "198.18.1.2");
	if (!o->no_affinity)
		rs_table_add_map(t, "affinity-tcp-600", RS_MAP_AFFINITY)->timeout = 600;
	base_chain(t, "prerouting", RS_HOOK_PREROUTING, -100);
	c = rs_table_add_chain(t, RS_CHAIN_SERVICES_NAME);
	for (int k = RS_RULE_AFFINITY_HIT; !o->no_affinity &&
	     k <= RS_RULE_AFFINITY_DNAT; k++) {
		r = rs_chain_add_rule(c, k);
		r->target = xstrdup("affinity-tcp-600");
		r->mark = RS_MARK_AFFINITY_CLASS(0);
		r->l4proto = IPPROTO_TCP;
	}
	rs_chain_add_rule(c, RS_RULE_VMAP_SERVICE_IPS)->target =
		xstrdup(RS_MAP_SERVICE_IPS_NAME);
	rs_chain_add_rule(c, RS_RULE_VMAP_NODEPORTS)->target =
		xstrdup(RS_MAP_NODEPORTS_NAME);
	aff_service(t, "a", "198.19.0.10", 30080, o->a_sticky,
		    o->a_second_endpoint ? 2 : 1);
	aff_service(t, "b", "198.19.0.11", 30081, o->b_sticky, 2);
	if (o->extra_cluster_ip)
		set_ip(&rs_map_add_elem(rs_table_find_map(t, RS_SET_CLUSTER_IPS_NAME),
					NULL)->addr, "198.19.0.12");
}

/* An entry the packet path made: client . service address . port :
 * endpoint . 8080. */
static void aff_entry(struct rs_table *k, const char *client, const char *svc,
		      uint16_t port, const char *endpoint)
{
	struct rs_elem *e = rs_map_add_elem(rs_table_find_map(k, "affinity-tcp-600"),
					    NULL);

	set_ip(&e->addr, client);
	set_ip(&e->addr2, svc);
	e->port = port;
	set_ip(&e->to_addr, endpoint);
	e->to_port = 8080;
}

static struct fake_kernel *aff_kernel(const struct aff_opts *o)
{
	struct rs_table t;

	aff_table(&t, o);
	return kernel_holding(&t);
}

/* Elements of sets change one by one, like the verdict maps'. */
START_TEST(test_sets_elementwise)
{
	struct aff_opts o = { .a_sticky = true };
	struct fake_kernel *k = aff_kernel(&o);
	struct rs_table want;
	struct rs_diff d;
	struct rs_diff_counts c;

	o.extra_cluster_ip = true;
	aff_table(&want, &o);
	/* and the hairpin pair goes (a set element has no chain to free) */
	rs_table_find_map(&want, RS_SET_HAIRPIN_NAME)->nelems = 0;
	rs_diff_compute(&d, &want, fk_table(k));
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);
	rs_diff_count(&d, &c);
	ck_assert_uint_eq(c.elems_added, 1);
	ck_assert_uint_eq(c.elems_deleted, 1);
	ck_assert_uint_eq(c.chains_added + c.chains_refilled + c.chains_deleted, 0);
	rs_diff_free(&d);
	fk_apply(k, &want);
	assert_same_ruleset(&k->t, &want);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

static size_t aff_entries(const struct fake_kernel *k)
{
	return rs_table_find_map(&k->t, "affinity-tcp-600")->nelems;
}

static bool aff_has(const struct fake_kernel *k, const char *client,
		    const char *endpoint)
{
	const struct rs_map *m = rs_table_find_map(&k->t, "affinity-tcp-600");
	struct ip_addr c, e;

	set_ip(&c, client);
	set_ip(&e, endpoint);
	for (size_t i = 0; i < m->nelems; i++)
		if (!ip_addr_cmp(&m->elems[i].addr, &c) &&
		    !ip_addr_cmp(&m->elems[i].to_addr, &e))
			return true;
	return false;
}

/*
 * Affinity entries: an unchanged re-apply keeps them all and sends
 * nothing; an entry whose Service port lost affinity, whose endpoint is
 * gone, or whose address is no Service's, is deleted; the others stay.
 */
START_TEST(test_affinity_entries)
{
	struct aff_opts o = { .a_sticky = true, .b_sticky = true,
			      .a_second_endpoint = true };
	struct fake_kernel *k = aff_kernel(&o);
	struct rs_table want;
	struct rs_diff d;
	struct rs_diff_counts c;

	aff_entry(&k->t, "198.18.200.2", "198.19.0.10", 80, "198.18.2.2");
	aff_entry(&k->t, "198.18.200.3", "198.18.200.1", 30080, "198.18.1.2");
	aff_entry(&k->t, "198.18.200.4", "198.19.0.11", 80, "198.18.2.2");
	aff_entry(&k->t, "198.18.200.5", "198.19.0.99", 80, "198.18.1.2");
	aff_table(&want, &o);
	rs_diff_compute(&d, &want, fk_table(k));
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);	/* only the stray one */
	rs_diff_count(&d, &c);
	ck_assert_uint_eq(c.elems_deleted, 1);
	ck_assert_uint_eq(c.elems_added + c.chains_added + c.chains_refilled, 0);
	rs_diff_free(&d);
	fk_apply(k, &want);
	ck_assert_uint_eq(aff_entries(k), 3);
	ck_assert(!aff_has(k, "198.18.200.5", "198.18.1.2"));
	fk_apply(k, &want);	/* unchanged: nothing to send, all kept */
	rs_diff_compute(&d, &want, fk_table(k));
	ck_assert_int_eq(d.mode, RS_DIFF_NONE);
	rs_diff_free(&d);
	rs_table_free(&want);
	/* a loses its second endpoint: the entry to it goes, the node
	 * port's entry (to the first, through ext-) stays */
	o.a_second_endpoint = false;
	aff_table(&want, &o);
	fk_apply(k, &want);
	ck_assert(!aff_has(k, "198.18.200.2", "198.18.2.2"));
	ck_assert(aff_has(k, "198.18.200.3", "198.18.1.2"));
	ck_assert_uint_eq(aff_entries(k), 2);
	rs_table_free(&want);
	/* a back to sessionAffinity None: its entries go, b's stay */
	o.a_sticky = false;
	aff_table(&want, &o);
	fk_apply(k, &want);
	ck_assert_uint_eq(aff_entries(k), 1);
	ck_assert(aff_has(k, "198.18.200.4", "198.18.2.2"));
	assert_same_ruleset(&k->t, &want);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

/* The first affinity Service: its map is created in place, with its
 * timeout, and the next apply finds nothing to do. */
START_TEST(test_affinity_map_added)
{
	struct aff_opts o = { .no_affinity = true };
	struct fake_kernel *k = aff_kernel(&o);
	struct rs_table want;
	struct rs_diff d;

	o = (struct aff_opts){ .a_sticky = true };
	aff_table(&want, &o);
	rs_diff_compute(&d, &want, fk_table(k));
	ck_assert_int_eq(d.mode, RS_DIFF_UPDATE);
	ck_assert(d.map_new[rs_table_find_map(&want, "affinity-tcp-600") - want.maps]);
	rs_diff_free(&d);
	fk_apply(k, &want);
	ck_assert_uint_eq(rs_table_find_map(&k->t, "affinity-tcp-600")->timeout, 600);
	rs_diff_compute(&d, &want, fk_table(k));
	ck_assert_int_eq(d.mode, RS_DIFF_NONE);
	rs_diff_free(&d);
	rs_table_free(&want);
	fk_free(k);
	free(k);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ruleset_diff");
	TCase *tc = tcase_create("diff");

	tcase_add_test(tc, test_noop_is_empty);
	tcase_add_test(tc, test_missing_table_is_created);
	tcase_add_test(tc, test_add_remove_change);
	tcase_add_test(tc, test_elements_move);
	tcase_add_test(tc, test_unknown_rule_repaired);
	tcase_add_test(tc, test_replace_when_not_in_place);
	tcase_add_test(tc, test_leftover_chain_deleted);
	tcase_add_test(tc, test_batch_and_text);
	tcase_add_test(tc, test_random_sequence);
	tcase_add_test(tc, test_sets_elementwise);
	tcase_add_test(tc, test_affinity_entries);
	tcase_add_test(tc, test_affinity_map_added);
	suite_add_tcase(s, tc);
	return s;
}
