/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_LOCK_H
#define SVCNFT_LOCK_H

/*
 * The run lock: concurrent apply and flush runs serialize on an flock(2)
 * on one file (by default under /run). The kernel drops the lock when the
 * holder exits, however it exits, so a crashed run never leaves it taken.
 * The holder writes its pid into the file so that a waiter can name it.
 */

#include <sys/types.h>

#define LOCK_FILE_DEFAULT "/run/svcnft.lock"
#define LOCK_TIMEOUT_DEFAULT 60.0	/* seconds */

struct run_lock {
	int fd;			/* -1: not held */
	double waited;		/* seconds spent waiting for it */
};

/*
 * Open (creating it, mode 0644) path and take an exclusive lock on it,
 * waiting at most timeout seconds (0: try once). Returns 0, -EWOULDBLOCK
 * when someone else held it for the whole timeout, or another -errno when
 * the file cannot be opened or locked.
 */
int run_lock_acquire(struct run_lock *l, const char *path, double timeout);

/* The pid the current holder wrote into path, or 0 when unknown. */
pid_t run_lock_holder(const char *path);

/* Release the lock (closing the file); safe on a lock never taken. */
void run_lock_release(struct run_lock *l);

#endif
