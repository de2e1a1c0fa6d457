/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_IPTABLES_INT_H
#define SVCNFT_IPTABLES_INT_H

/* Shared by iptables_text.c (tables, dispatch, hooks) and
 * iptables_chains.c (the per Service port chains). */

#include "iptables.h"
#include "util.h"

/* One restore input being written: a table of one family. */
struct ipt_writer {
	FILE *out;
	const struct rs_table *t;
	enum ipt_table which;
	unsigned host_len;	/* 32, or 128 for ip6tables */
	struct strmap chains;	/* rs chain name -> index in t->chains */
	struct strmap firewall;	/* "ADDR PROTO PORT" -> index in fw_map */
	const struct rs_map *fw_map;	/* loadBalancerSourceRanges, or NULL */
};

/* Where traffic sent to a chain of the nftables layout ends when no DNAT
 * of the nat table takes it: the filter table's verdict for it. */
enum ipt_fate {
	IPT_FATE_DNAT,		/* some endpoint takes it */
	IPT_FATE_DROP,		/* a Local policy without local endpoints */
	IPT_FATE_REJECT,	/* no endpoint at all */
};

const struct rs_chain *ipt_find_chain(const struct ipt_writer *w, const char *name);
enum ipt_fate ipt_chain_fate(const struct ipt_writer *w, const struct rs_chain *c);
/* Whether chain c of the nftables layout has an iptables chain in nat. */
bool ipt_chain_in_nat(const struct ipt_writer *w, const struct rs_chain *c);
/* The fw- chain guarding a service-ips element, or NULL. */
const struct rs_chain *ipt_firewall_of(const struct ipt_writer *w, const struct rs_elem *e);
/* "-s ADDR/LEN " (nothing for /0, which iptables-save leaves out). */
void ipt_write_saddr(FILE *out, const struct ip_addr *a, unsigned len);

/* The nat chains of every Service port, and the filter fw- chains. */
void ipt_write_port_chains(const struct ipt_writer *w);
/* Their names, for the table's chain declarations, appended to v (room
 * for one per chain of w->t after its first *n). */
void ipt_port_chain_names(const struct ipt_writer *w, char **v, size_t *n);

#endif
