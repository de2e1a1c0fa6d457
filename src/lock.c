// SPDX-License-Identifier: GPL-2.0-or-later
/* The run lock: flock(2) on a file, polled until a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"

#define LOCK_POLL_NS 20000000L	/* 20 ms between attempts */

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Record who holds the lock. Failing to is harmless: only the message of
 * a waiting run loses the pid. */
static void write_holder(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, n, 0) == n)
		return;
}

/*
 * flock() rather than fcntl() locks: fcntl locks belong to the process and
 * are dropped when any descriptor of the file is closed, flock locks to the
 * open file, and util-linux flock(1) takes the same kind, so an operator
 * can hold svcnft off from a shell script.
 */
int run_lock_acquire(struct run_lock *l, const char *path, double timeout)
{
	struct timespec pause = { 0, LOCK_POLL_NS };
	double start = monotonic_now();
	int ret;

	l->waited = 0;
	l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (l->fd < 0)
		return -errno;
	for (;;) {
		if (flock(l->fd, LOCK_EX | LOCK_NB) == 0) {
			ret = 0;
			write_holder(l->fd);
			break;
		}
		ret = -errno;
		if (ret != -EWOULDBLOCK && ret != -EINTR)
			break;
		l->waited = monotonic_now() - start;
		if (l->waited >= timeout)
			break;
		nanosleep(&pause, NULL);
	}
	l->waited = monotonic_now() - start;
	if (ret < 0) {
		close(l->fd);
		l->fd = -1;
	}
	return ret;
}

pid_t run_lock_holder(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	long pid;

	if (fd < 0)
		return 0;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	/* The pid of a holder that exited stays in the file; a lock taken with
	 * flock(1) writes none. Name only a process that still exists. */
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	return (pid_t)pid;
}

void run_lock_release(struct run_lock *l)
{
	if (!l || l->fd < 0)
		return;
	/* Leave the file in place: removing it would let a run that opened it
	 * just before lock a file no later run looks at. */
	close(l->fd);
	l->fd = -1;
}
