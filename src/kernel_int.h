/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_KERNEL_INT_H
#define SVCNFT_KERNEL_INT_H

/*
 * Inside kernel.c, for tests only: the socket calls kernel.c makes (so a
 * unit test can stand in for the kernel), and the test-only fault switch
 * SVCNFT_TEST_FAULT (so an end-to-end test can make the real kernel refuse
 * a batch on demand). Neither is part of svcnft's interface.
 */

#include <stddef.h>
#include <sys/types.h>

#include "kernel.h"

struct iovec;
struct msghdr;
struct nl_batch;

enum kernel_fault_kind {
	KERNEL_FAULT_NONE,
	KERNEL_FAULT_TYPE,	/* unknown message type: EINVAL */
	KERNEL_FAULT_ATTR,	/* table attribute hidden: EINVAL */
	KERNEL_FAULT_ELEM,	/* last element's key hidden: EINVAL, with
				 * the element named by the extended ack */
	KERNEL_FAULT_GENID,	/* stale generation on the begin: ERESTART */
};

#define KERNEL_FAULT_LAST (-1L)	/* the message that asks for the ack */
#define KERNEL_FAULT_EVERY 0u	/* every batch of the call */

/*
 * SVCNFT_TEST_FAULT=KIND:MSG[:BATCH] -- KIND is type, attr, elem or genid;
 * MSG the message's place in its batch (0 is the batch begin, "last" the
 * last message before the batch end); BATCH which batch the process sends
 * (1, the default, is the first; a retry, the second transaction of an
 * update, or watch's next sync is the next one; "every" is all of them).
 * SVCNFT_TEST_FAULT_FILE=PATH: the same spec, read from PATH's first line
 * at each call while PATH exists (a long-lived watch process); a changed
 * spec counts batches from 1 again.
 */
struct kernel_fault {
	enum kernel_fault_kind kind;
	long msg;
	unsigned batch;
	unsigned sent;		/* batches sent so far */
};

/* 0, or -EINVAL for a malformed spec (f is then KERNEL_FAULT_NONE). */
int kernel_fault_parse(struct kernel_fault *f, const char *spec);
/*
 * Called with each batch just before it is sent, iov its pages: corrupt
 * the message f names when this is the batch f names. 0, or -ENOMSG when
 * the fault does not apply to that message (nothing is then sent).
 */
int kernel_fault_inject(struct kernel_fault *f, const struct nl_batch *b,
			struct iovec *iov, int n);

/*
 * The socket calls: sendmsg() and recvmsg() on the netlink socket's fd by
 * default. recv returns -1 with errno ENOSPC for a truncated datagram, as
 * libmnl's mnl_socket_recvfrom() does.
 */
struct kernel_io {
	ssize_t (*send)(void *ctx, int fd, const struct msghdr *msg);
	ssize_t (*recv)(void *ctx, int fd, void *buf, size_t len, int flags);
	void *ctx;
	struct kernel_fault fault;
};

/* kernel_table_apply over io (its fault is used as it is, not read from
 * the environment). */
int kernel_table_apply_io(struct kernel_io *io, const struct rs_table *want,
			  struct kernel_stats *stats, struct kernel_error *err);
/* kernel_tables_apply over io. */
int kernel_tables_apply_io(struct kernel_io *io,
			   const struct rs_table *const *want, size_t n,
			   struct kernel_stats *stats, struct kernel_error *err);

#endif
