// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Progress for a long run, on a terminal only: after a second, one line on
 * stderr says what svcnft is doing and for how long, redrawn in place ten
 * times a second by a thread of its own (the work itself has no natural
 * points to report from: one kernel transaction can take seconds). When
 * stdout or stderr is not a terminal, or TERM is dumb, nothing is shown.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_ops.h"
#include "util.h"

#define PROGRESS_AFTER 1.0		/* seconds before anything is shown */
#define PROGRESS_TICK_NS 100000000L	/* redraw every 100 ms */
#define ERASE_LINE "\r\033[K"

struct cli_progress {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct timespec start;
	char phase[256];
	bool stop;
	bool shown;		/* a line is on the screen */
	bool hidden;		/* cleared; wait for the next phase */
	unsigned tick;
};

static void draw(struct cli_progress *p)
{
	static const char spinner[] = "|/-\\";
	double t = cli_elapsed(&p->start);

	if (t < PROGRESS_AFTER || p->hidden || !p->phase[0])
		return;
	fprintf(stderr, ERASE_LINE "%c svcnft %s... %.1f s",
		spinner[p->tick++ % 4], p->phase, t);
	fflush(stderr);
	p->shown = true;
}

static void erase(struct cli_progress *p)
{
	if (!p->shown)
		return;
	fputs(ERASE_LINE, stderr);
	fflush(stderr);
	p->shown = false;
}

static void *progress_main(void *arg)
{
	struct cli_progress *p = arg;
	struct timespec deadline;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += PROGRESS_TICK_NS;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cond, &p->mu, &deadline);
		if (!p->stop)
			draw(p);
	}
	erase(p);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static bool progress_wanted(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) &&
	       !(term && !strcmp(term, "dumb"));
}

struct cli_progress *cli_progress_start(void)
{
	struct cli_progress *p;
	pthread_condattr_t attr;

	if (!progress_wanted())
		return NULL;
	p = xcalloc(1, sizeof(*p));
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	pthread_mutex_init(&p->mu, NULL);
	/* the thread waits against CLOCK_MONOTONIC: a clock step (NTP, a
	 * timer-driven run right after boot) must not stall the redraw */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&p->thread, NULL, progress_main, p) != 0) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void cli_progress_phase(struct cli_progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	va_start(ap, fmt);
	vsnprintf(p->phase, sizeof(p->phase), fmt, ap);
	va_end(ap);
	p->hidden = false;
	pthread_mutex_unlock(&p->mu);
}

void cli_progress_clear(struct cli_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	erase(p);
	p->hidden = true;
	pthread_mutex_unlock(&p->mu);
}

void cli_progress_stop(struct cli_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
