/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_WATCH_H
#define SVCNFT_WATCH_H

/*
 * svcnft watch, the manifest side: the files under the PATH arguments,
 * each kept parsed in memory with what reading it found, and inotify
 * watches on every directory, so that a change costs reading the files
 * that changed, not all of them. Nothing here prints.
 *
 *   watch_tree_open()          first scan: every file read
 *   poll watch_tree_fd(); watch_tree_events() on readable
 *   watch_tree_scan()          files named by events, or whose stat
 *                              changed, read again; gone ones dropped
 *   watch_tree_view()          every file's objects as one manifest_set
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "diag.h"
#include "kernel_monitor.h"
#include "manifest.h"
#include "ruleset.h"

struct watch_file {
	char *path;
	struct manifest_set set;	/* what reading it found */
	struct diag_list diags;
	/* The stat (through symbolic links) it was read at: a kubelet
	 * ..data swap or a rename changes the inode, a write the times. */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	bool dirty;		/* an event named it: read it again */
};

struct watch_dir {
	char *path;
	int wd;			/* inotify watch */
	bool all_dirty;		/* a ..data swap: every file below changed */
};

struct watch_tree {
	char **roots;
	size_t nroots;
	unsigned read_flags;	/* manifest_read_flag */
	int ifd;		/* inotify */
	struct watch_file *files;	/* sorted by path, as a walk reads them */
	size_t nfiles, cap_files;
	struct watch_dir *dirs;
	size_t ndirs, cap_dirs;
	bool changed;		/* an event since the last scan */
	size_t reads;		/* files read by the last scan */
};

/* Open inotify, scan and read every file. Returns 0 or -errno (inotify). */
int watch_tree_open(struct watch_tree *t, char **roots, size_t nroots,
		    unsigned read_flags);
int watch_tree_fd(const struct watch_tree *t);
/*
 * Read the queued inotify events without blocking and mark what they name.
 * Returns true when something may have changed (watch_tree_scan is due).
 */
bool watch_tree_events(struct watch_tree *t);
/*
 * Walk the roots again: files new, gone, named by events or whose stat
 * changed are (re)read, every other file keeps its parsed objects; all:
 * read every file. Returns true when any file was added, removed or read.
 */
bool watch_tree_scan(struct watch_tree *t, bool all);
/*
 * Every file's objects as one set, in path order, and a copy of every
 * file's diagnostics appended to dl. The view shares the files' objects:
 * free it with watch_view_free only, before the next scan.
 */
void watch_tree_view(const struct watch_tree *t, struct manifest_set *view,
		     struct diag_list *dl);
void watch_view_free(struct manifest_set *view);
void watch_tree_close(struct watch_tree *t);

/*
 * What the kernel holds of table last (what svcnft programmed) after the
 * drift d others made: a view sharing last's maps, chains and rules (free
 * it with watch_drift_view_free before last or maps_read change) in which
 * chains whose rules others changed hold an unknown rule (a diff refills
 * them), chains they deleted are missing (it creates them), chains they
 * created are there (it deletes them), and maps whose elements they
 * changed are maps_read's (kernel_table_get_maps of d->maps; NULL when d
 * names none). *gone: they deleted the table. Returns false when d does
 * not tell this table's state exactly: read it back.
 */
bool watch_drift_view(const struct rs_table *last, const struct kernel_drift *d,
		      const struct rs_table *maps_read, struct rs_table *view,
		      bool *gone);
void watch_drift_view_free(struct rs_table *view);

#endif
