/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_NETLINK_H
#define SVCNFT_NETLINK_H

/*
 * Stage 4, message layer: an rs_table as nf_tables netlink messages and
 * back, without a socket. netlink_build.c writes the messages of one batch
 * (libnftnl) and remembers what each sequence number creates, so that an
 * error from the kernel can name the object and the Service; netlink_parse.c
 * reads dump replies (or the messages of a batch) into an rs_table.
 * kernel.c is the only user that talks to the kernel.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include "ruleset.h"
#include "ruleset_diff.h"

struct nftnl_batch;
struct nftnl_rule;
struct nlmsghdr;

/*
 * A netlink attribute length is 16 bits, and a NEWSETELEM message carries
 * all its elements in one list attribute: element messages are kept to at
 * most this many bytes in all, many elements split over several messages.
 */
#define NL_MSG_MAX 65536u

/* What one message of a batch creates; index by seq - nl_batch.seq_first. */
enum nl_obj_kind {
	NL_OBJ_BATCH,		/* batch begin or end */
	NL_OBJ_TABLE,		/* NEWTABLE or DELTABLE */
	NL_OBJ_MAP,		/* index: map */
	NL_OBJ_CHAIN,		/* index: chain */
	NL_OBJ_ELEMS,		/* index: map; sub, count: its elements */
	NL_OBJ_RULE,		/* index: chain; sub: rule */
	/* An incremental update (nl_batch_build_update): */
	NL_OBJ_FLUSH_CHAIN,	/* index: chain whose rules are replaced */
	NL_OBJ_DEL_CHAIN,	/* index: chain of b->removed; sub 1: flush */
	NL_OBJ_DEL_ELEMS,	/* index: map of b->removed; sub, count */
};

struct nl_msg_ref {
	uint8_t kind;		/* enum nl_obj_kind */
	uint8_t part;		/* which table of the batch (nl_batch_part) */
	uint32_t index;
	uint32_t sub;
	uint32_t count;
};

/* One table's share of a batch, in the order the tables were added. */
struct nl_batch_part {
	uint8_t family;
	char *table;
	const struct rs_table *removed;	/* what its NL_OBJ_DEL_* refs index */
};

struct nl_batch {
	struct nftnl_batch *batch;
	uint8_t family;		/* of the table being added (the last part) */
	char *table;
	uint32_t seq_first;	/* the batch begin */
	uint32_t seq_ack;	/* the last message: the only one with NLM_F_ACK */
	uint32_t seq_end;	/* the batch end */
	struct nl_msg_ref *refs;
	size_t nrefs, cap_refs;
	unsigned long messages;	/* including batch begin and end */
	unsigned long bytes;
	uint32_t max_msg_len;	/* largest single message */
	struct nl_msg_ref build_failed;	/* what a failed build stopped at */
	struct nlmsghdr *last;	/* the message written last */
	const struct rs_table *removed;	/* what NL_OBJ_DEL_* refs index */
	struct nl_batch_part *parts;
	size_t nparts, cap_parts;
};

/*
 * Build into b (zeroed by the caller) the batch that replaces table t->name
 * with t: NEWTABLE (creates it when absent, so that the delete cannot fail),
 * DELTABLE, NEWTABLE, NEWSET per map, NEWCHAIN per chain, NEWSETELEM, NEWRULE.
 * Sequence numbers start at seq; only the last message before the batch
 * end asks for an ack. genid goes on the batch begin (NFNL_BATCH_GENID): the
 * kernel then refuses the batch with ERESTART when the ruleset generation
 * is no longer genid; 0 means no check. Returns 0 or -errno (then
 * b->build_failed names the object; free b either way).
 */
int nl_batch_build_replace(struct nl_batch *b, const struct rs_table *t,
			   uint32_t seq, uint32_t genid);
/* The batch that creates table t, which does not exist: as the replace
 * batch without the first NEWTABLE and the DELTABLE. */
int nl_batch_build_create(struct nl_batch *b, const struct rs_table *t,
			  uint32_t seq, uint32_t genid);

/*
 * The first transaction of an RS_DIFF_UPDATE: NEWSET and NEWCHAIN for new
 * maps and chains, DELRULE flushing refilled chains and the chains deleted
 * late, DELSETELEM, DELCHAIN, NEWRULE, NEWSETELEM. Refs of the NEW messages
 * index d->add (describe with t = &d->add); b->removed is &d->del.
 */
int nl_batch_build_update(struct nl_batch *b, const struct rs_diff *d,
			  uint32_t seq, uint32_t genid);
/* The second one: DELCHAIN of d's late chains (there must be some). */
int nl_batch_build_late(struct nl_batch *b, const struct rs_diff *d,
			uint32_t seq, uint32_t genid);

/* The batch that deletes table (family, name): begin, DELTABLE, end. */
int nl_batch_build_delete(struct nl_batch *b, uint8_t family, const char *name,
			  uint32_t seq);
/*
 * Several tables in one transaction (the ip and the ip6 table): open the
 * batch, add each table's messages, close it. Every ref carries the index
 * of its table's part; a failed add leaves b->build_failed with that part.
 */
int nl_batch_open(struct nl_batch *b, uint32_t seq, uint32_t genid);
/* What d says: CREATE, REPLACE or the first transaction of an UPDATE
 * (as the nl_batch_build_* calls of the same name); -EINVAL for NONE. */
int nl_batch_add_diff(struct nl_batch *b, const struct rs_diff *d);
/* The second transaction's DELCHAINs of d (which must have some). */
int nl_batch_add_late(struct nl_batch *b, const struct rs_diff *d);
int nl_batch_close(struct nl_batch *b);

/* Rewrite the generation on the batch begin of a built batch. */
int nl_batch_set_genid(struct nl_batch *b, uint32_t genid);
void nl_batch_free(struct nl_batch *b);


/* The ref of message seq, or NULL when seq is not part of the batch. */
const struct nl_msg_ref *nl_batch_ref(const struct nl_batch *b, uint32_t seq);

/*
 * Name what ref creates ("chain svc-default/web/tcp/80", "element
 * 198.19.0.10 . tcp . 80 in map service-ips") and the Service it belongs to
 * ("default/web", or NULL), both allocated. t is the table the batch was
 * built from (NULL for a delete batch). bad_attr is the offset of the failing
 * attribute inside the message as the kernel reports it with
 * NETLINK_EXT_ACK, or 0: for an element message it picks out the element.
 */
void nl_batch_describe(const struct nl_batch *b, const struct rs_table *t,
		       const struct nl_msg_ref *ref, uint32_t bad_attr,
		       char **object, char **service);

/* "ns/name" of the Service a chain svc-NS/NAME[/PROTO/PORT] (or ext-,
 * local-, fw-NS/NAME/PROTO/PORT) belongs to. */
char *nl_chain_service(const char *chain);

/*
 * Wire details shared by the build and parse halves (and the unit test).
 */
/* The longest key: ipv6_addr . ipv6_addr . inet_service */
#define NL_KEY_MAX 36

struct nl_key_desc {
	uint32_t type;		/* NFTA_SET_KEY_TYPE */
	uint32_t len;		/* NFTA_SET_KEY_LEN */
};

/* In a table of family (NFPROTO_IPV4 or NFPROTO_IPV6); NULL for a kind or
 * family svcnft does not know. */
const struct nl_key_desc *nl_key_desc(uint8_t family, enum rs_map_kind kind);
/* Key bytes of e in a map of that kind; returns the length or -errno
 * (-EAFNOSUPPORT: an address not of the family). */
int nl_key_encode(uint8_t family, enum rs_map_kind kind, const struct rs_elem *e,
		  uint8_t key[NL_KEY_MAX]);
/* The reverse: fills addr, l4proto, port of e; 0 or -EPROTO. */
int nl_key_decode(uint8_t family, enum rs_map_kind kind, const void *key,
		  size_t len, struct rs_elem *e);

/*
 * One element message: nl_elems_msg_start() writes the header into buf
 * (room for NL_MSG_MAX plus one element), nl_elems_fill() appends the
 * elements of m from first on, at most max, while the message stays within
 * NL_MSG_MAX, and tells how many it added.
 */
struct nlmsghdr *nl_elems_msg_start(char *buf, const struct rs_table *t,
				    size_t index, uint32_t seq);
int nl_elems_fill(struct nlmsghdr *nlh, const struct rs_map *m, size_t first,
		  size_t max, size_t *added);
#define NL_ELEMS_BUF (NL_MSG_MAX + 4096u)

/*
 * Set r (added as RS_RULE_UNKNOWN) from a rule read from the kernel when its
 * expressions are exactly one of the sequences netlink_build.c writes.
 */
void nl_rule_match(struct rs_rule *r, const struct nftnl_rule *nr);

/*
 * explain --live's rule (kernel_trace.c), with the expressions the rules
 * above are written with: [ip saddr S] ip daddr D meta l4proto P
 * th dport N ct state new meta nftrace set 1 (ip6 for an IPv6 daddr; no
 * saddr match when its family is 0).
 */
void nl_trace_rule_exprs(struct nftnl_rule *r, const struct ip_addr *saddr,
			 const struct ip_addr *daddr, uint8_t l4proto, uint16_t dport);

/*
 * Reading back: feed NEWTABLE/NEWCHAIN/NEWSET/NEWSETELEM/NEWRULE messages
 * (dump replies, or the messages of a batch) in that order of dependency:
 * the table, then maps before their elements, chains before their rules.
 * Messages about other tables are skipped; a DELTABLE of the table forgets
 * what was read so far (as the kernel does inside a batch), and the
 * DELRULE/DELCHAIN/DELSETELEM of an update are applied as the kernel
 * would (-ENOENT for what is not there).
 */
struct nl_parser {
	uint8_t family;
	char *table;
	struct rs_table *out;
	bool have_table;
	uint32_t *chain_slots;	/* hash of chain name -> index + 1 */
	size_t chain_cap;
	bool *foreign_maps;	/* per map: not a form svcnft writes */
	size_t cap_foreign;
};

/* out is zeroed by the caller and filled once the table itself is seen. */
void nl_parser_init(struct nl_parser *p, uint8_t family, const char *table,
		    struct rs_table *out);
/* 0, or -errno for a message that cannot be read (-EPROTO: out of order). */
int nl_parse_msg(struct nl_parser *p, const struct nlmsghdr *nlh);
void nl_parser_free(struct nl_parser *p);

#endif
