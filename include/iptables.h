/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_IPTABLES_H
#define SVCNFT_IPTABLES_H

/*
 * Stage 4, iptables side: the same ruleset as iptables-restore input, in
 * svcnft's own chains (SVCNFT-*) hooked from the built-in chains by exactly
 * one jump rule each. iptables has no stable library API, so the backend
 * runs iptables-save and iptables-restore (iptables.c); the text is built
 * here without touching the system (iptables_text.c).
 *
 * Layout, kube-proxy's iptables mode without per-endpoint chains, one
 * copy per family (iptables-restore, ip6tables-restore):
 *   nat    SVCNFT-SERVICES   -s POD-CIDR -j MARK (pod bit), then
 *                            -d VIP -p P --dport N -j SVCNFT-{SVC,SVL,EXT,FW}-<hash>,
 *                            then -m addrtype --dst-type LOCAL -j SVCNFT-NODEPORTS
 *          SVCNFT-NODEPORTS  -p P --dport NODEPORT -j SVCNFT-EXT-<hash>
 *          SVCNFT-SVC-<hash> every endpoint: one DNAT rule each, -m statistic
 *                            --mode random --probability 1/(n-i); with
 *                            session affinity first one -m recent --update
 *                            rule per endpoint, and --set on the DNATs
 *          SVCNFT-SVL-<hash> the same for this node's endpoints (Local)
 *          SVCNFT-EXT-<hash> external traffic: masquerade (Cluster), or the
 *                            Local policy's pod and node exemptions
 *          SVCNFT-FW-<hash>  loadBalancerSourceRanges: -s RANGE -j EXT
 *          SVCNFT-EXTERNAL-NAMES  never jumped to: one rule per ExternalName
 *                            Service whose comments carry its name and target
 *   filter SVCNFT-NO-ENDPOINTS  what nat did not DNAT: REJECT for ports
 *                            without endpoints, DROP where a Local policy has
 *                            none on this node, SVCNFT-FW-<hash> (-s RANGE
 *                            -j RETURN, then DROP) for source ranges (REJECT
 *                            and DROP are not allowed in the nat table)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model.h"
#include "ruleset.h"

#define IPT_PREFIX "SVCNFT-"
#define IPT_SERVICES "SVCNFT-SERVICES"
#define IPT_NODEPORTS "SVCNFT-NODEPORTS"
#define IPT_NO_ENDPOINTS "SVCNFT-NO-ENDPOINTS"
#define IPT_MARK_MASQ "SVCNFT-MARK-MASQ"
#define IPT_POSTROUTING "SVCNFT-POSTROUTING"
#define IPT_EXTERNAL_NAMES "SVCNFT-EXTERNAL-NAMES"

enum ipt_table {
	IPT_NAT,
	IPT_FILTER,
	IPT_NTABLES,
};

/* What a table holds of svcnft's now (from iptables-save). */
struct ipt_table_state {
	char **chains;		/* SVCNFT-* chains that exist */
	size_t nchains, cap_chains;
	char **jumps;		/* "-A BUILTIN ... -j SVCNFT-..." rules, as saved */
	size_t njumps, cap_jumps;
	char **rules;		/* every rule of svcnft's chains, as saved */
	size_t nrules, cap_rules;
};

struct ipt_state {
	struct ipt_table_state table[IPT_NTABLES];
};

const char *ipt_table_name(enum ipt_table t);

/* Parse iptables-save output of one table into st (zeroed by caller). */
void ipt_state_parse(struct ipt_table_state *st, const char *save_text);
void ipt_state_free(struct ipt_state *st);

/*
 * The iptables-restore --noflush input that makes table `which` hold t's
 * services, given what it holds now (st may be NULL: nothing of svcnft's).
 * Stale SVCNFT-* chains are flushed and removed; missing jump rules are
 * added, duplicates removed. Returns 0 or -errno.
 */
int ipt_restore_write(FILE *out, const struct rs_table *t, enum ipt_table which,
		      const struct ipt_table_state *st);
/* The input that removes every trace of svcnft from table `which`. */
int ipt_flush_write(FILE *out, enum ipt_table which,
		    const struct ipt_table_state *st);
/* The iptables chain name for an rs_chain name: SVCNFT-SVC-<16 hex> for
 * svc-, SVL for local-, EXT for ext-, FW for fw- chains. */
void ipt_chain_name(const char *rs_name, char out[29]);

/* The UDP flows an apply from before to after made stale (see
 * rs_stale_udp_flows); *out is freed by the caller. */
size_t ipt_stale_udp_flows(const struct ipt_state *before,
			   const struct rs_table *after, struct rs_stale_flow **out);

/* Running the binaries of a family (AF_INET: iptables-save and
 * iptables-restore, AF_INET6: ip6tables-*). err receives the tool's
 * message, if any. */
int ipt_read_state(struct ipt_state *st, int family, char **err);
/* One restore --noflush call: input names its table (*nat). */
int ipt_restore(const char *input, int family, char **err);
/* An ExternalName Service as a saved nat table's rule comments name it. */
struct ipt_external_name {
	char *name;		/* NS/NAME */
	char *target;		/* its externalName */
};

/* Those of a saved nat table to *out (ipt_external_names_free); how many. */
size_t ipt_external_names(const struct ipt_table_state *nat,
			  struct ipt_external_name **out);
void ipt_external_names_free(struct ipt_external_name *v, size_t n);

#endif
