/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_KERNEL_MONITOR_H
#define SVCNFT_KERNEL_MONITOR_H

/*
 * Stage 4, kernel side: nftables change notifications (the multicast group
 * NFNLGRP_NFTABLES that `nft monitor` reads). Every committed transaction
 * in this network namespace arrives as the NEW/DEL messages of the objects
 * it touched, then one NEWGEN naming the new generation and the process
 * that committed it. This tells a long-lived svcnft when someone else
 * changed its tables (drift) and which generation the kernel is at.
 * Nothing here prints.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mnl_socket;

/*
 * What other processes did to our tables, told exactly where it can be:
 * the chains whose rules changed, and the chains and tables deleted. Map
 * and set changes and more than KERNEL_DRIFT_MAX chains are only flagged,
 * per table (a deleted table makes them moot); anything else (a table
 * created, objects) makes the whole drift inexact: read the tables back.
 */
#define KERNEL_DRIFT_MAX 256

struct kernel_drift_chain {
	uint8_t family;		/* NFPROTO_IPV4, NFPROTO_IPV6 */
	char *name;
	bool deleted;		/* gone (else: there, its rules unknown) */
};

/* Maps whose elements others changed: at most this many are followed. */
#define KERNEL_DRIFT_MAPS 8

struct kernel_drift {
	struct kernel_drift_chain *chains;
	size_t n, cap;
	/* per table, the maps whose elements changed (their contents are
	 * then read back alone) */
	char *maps[2][KERNEL_DRIFT_MAPS];
	size_t nmaps[2];
	/* per table: [0] ip, [1] ip6 */
	bool table_deleted[2];
	bool sets_changed[2];	/* a map or set created or deleted, or the
				 * elements of too many */
	bool too_many[2];	/* more chains than KERNEL_DRIFT_MAX */
	bool inexact;		/* something not followed: read back */
};

void kernel_drift_free(struct kernel_drift *d);

struct kernel_monitor {
	struct mnl_socket *nl;
	char *buf;
	const char *table;	/* tables ip and ip6 of this name are ours */
	pid_t self;		/* transactions of this pid are our own */
	bool touched;		/* the transaction being read touched ours */
	struct kernel_drift txn;	/* the transaction being read */
	struct kernel_drift drift;	/* others' transactions, not yet taken */
	uint32_t genid;		/* the latest generation seen */
	bool genid_known;	/* a NEWGEN was seen since the last loss */
};

/* What kernel_monitor_read found. */
enum kernel_monitor_event {
	KERNEL_MONITOR_DRIFT = 1 << 0,	/* another process changed our tables */
	KERNEL_MONITOR_LOST = 1 << 1,	/* notifications were dropped (ENOBUFS):
					 * anything may have changed */
};

/* Subscribe; m is zeroed here. Returns 0 or -errno. */
int kernel_monitor_open(struct kernel_monitor *m, const char *table);
/* The socket, for poll or epoll (readable: call kernel_monitor_read). */
int kernel_monitor_fd(const struct kernel_monitor *m);
/*
 * Read every notification queued, without blocking, and OR what it found
 * into *events (enum kernel_monitor_event). Returns 0 or -errno.
 */
int kernel_monitor_read(struct kernel_monitor *m, unsigned *events);
/* Move the drift seen so far into *out (freed by the caller with
 * kernel_drift_free); m starts a new one. */
void kernel_monitor_take_drift(struct kernel_monitor *m, struct kernel_drift *out);
void kernel_monitor_close(struct kernel_monitor *m);

#endif
