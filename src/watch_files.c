// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft watch: the manifest files, kept parsed, and inotify on their
 * directories (watch.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util.h"
#include "watch.h"

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | \
		    IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | \
		    IN_ONLYDIR)

/* What one walk found. */
struct found {
	char *path;
	struct stat st;
	bool missing;		/* a root that cannot be stat()ed */
};

struct scan {
	struct watch_tree *t;
	struct found *v;
	size_t n, cap;
	bool *dir_seen;		/* per t->dirs */
	size_t cap_seen;
	struct stat *on_path;	/* directories being walked: loops */
	size_t depth, cap_path;
	struct stat *done;	/* directories walked from this root */
	size_t ndone, cap_done;
};

static void file_free(struct watch_file *f)
{
	free(f->path);
	manifest_set_free(&f->set);
	diag_list_free(&f->diags);
	memset(f, 0, sizeof(*f));
}

static struct watch_dir *dir_by_wd(const struct watch_tree *t, int wd)
{
	for (size_t i = 0; i < t->ndirs; i++)
		if (t->dirs[i].wd == wd)
			return &t->dirs[i];
	return NULL;
}

/* Watch path (adding the watch first, then listing, so nothing created in
 * between is missed) and mark it seen by this scan. */
static void watch_dir(struct scan *s, const char *path)
{
	struct watch_tree *t = s->t;
	int wd = inotify_add_watch(t->ifd, path, DIR_EVENTS);
	struct watch_dir *d;

	if (wd < 0)
		return;		/* reading it reports why */
	d = dir_by_wd(t, wd);
	if (!d) {
		grow_array(&t->dirs, &t->cap_dirs, t->ndirs + 1, sizeof(*t->dirs));
		d = &t->dirs[t->ndirs++];
		memset(d, 0, sizeof(*d));
		d->path = xstrdup(path);
		d->wd = wd;
	}
	grow_array(&s->dir_seen, &s->cap_seen, t->ndirs, sizeof(*s->dir_seen));
	s->dir_seen[d - t->dirs] = true;
}

static void add_found(struct scan *s, const char *path, const struct stat *st)
{
	struct found *f;

	grow_array(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	f = &s->v[s->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	if (st)
		f->st = *st;
	f->missing = !st;
}

static bool same_dir(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void walk_dir(struct scan *s, const char *path, const struct stat *st);

static void walk_entry(struct scan *s, const char *dir, const char *name)
{
	char *full = xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			       name);
	bool wanted = manifest_is_manifest_name(name);
	struct stat st;

	if (stat(full, &st) < 0) {
		if (wanted)	/* reading it reports why */
			add_found(s, full, NULL);
	} else if (S_ISDIR(st.st_mode)) {
		walk_dir(s, full, &st);
	} else if (wanted && S_ISREG(st.st_mode)) {
		add_found(s, full, &st);
	}
	free(full);
}

/* As manifest_read_path walks: names sorted, hidden ones left out, a
 * directory reached twice read once; a loop is left to the reader. */
static void walk_dir(struct scan *s, const char *path, const struct stat *st)
{
	char **names;
	size_t n;

	for (size_t i = 0; i < s->depth; i++)
		if (same_dir(&s->on_path[i], st))
			return;
	for (size_t i = 0; i < s->ndone; i++)
		if (same_dir(&s->done[i], st))
			return;
	watch_dir(s, path);
	if (manifest_list_dir(path, &names, &n) < 0)
		return;
	grow_array(&s->on_path, &s->cap_path, s->depth + 1, sizeof(*s->on_path));
	s->on_path[s->depth++] = *st;
	for (size_t i = 0; i < n; i++) {
		walk_entry(s, path, names[i]);
		free(names[i]);
	}
	s->depth--;
	grow_array(&s->done, &s->cap_done, s->ndone + 1, sizeof(*s->done));
	s->done[s->ndone++] = *st;
	free(names);
}

/* A root file is watched through its directory (renames into place). */
static void walk_root(struct scan *s, const char *root)
{
	struct stat st;
	char *parent;

	s->ndone = 0;
	if (stat(root, &st) == 0 && S_ISDIR(st.st_mode)) {
		walk_dir(s, root, &st);
		return;
	}
	parent = xstrdup(root);
	if (strrchr(parent, '/'))
		strrchr(parent, '/')[strrchr(parent, '/') == parent ? 1 : 0] = '\0';
	else
		strcpy(parent, ".");
	watch_dir(s, parent);
	free(parent);
	add_found(s, root, stat(root, &st) == 0 ? &st : NULL);
}

static bool same_stat(const struct watch_file *f, const struct stat *st)
{
	return f->dev == st->st_dev && f->ino == st->st_ino &&
	       f->size == st->st_size &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec &&
	       f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       f->ctime.tv_sec == st->st_ctim.tv_sec &&
	       f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Under a directory whose ..data was swapped. */
static bool in_swapped_dir(const struct watch_tree *t, const char *path)
{
	for (size_t i = 0; i < t->ndirs; i++) {
		size_t len = strlen(t->dirs[i].path);

		if (t->dirs[i].all_dirty && !strncmp(path, t->dirs[i].path, len) &&
		    path[len] == '/')
			return true;
	}
	return false;
}

static void read_file(struct watch_tree *t, struct watch_file *f,
		      const struct found *fd)
{
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(fd->path);
	manifest_read_path_flags(&f->set, f->path, t->read_flags, &f->diags);
	if (!fd->missing) {
		f->dev = fd->st.st_dev;
		f->ino = fd->st.st_ino;
		f->size = fd->st.st_size;
		f->mtime = fd->st.st_mtim;
		f->ctime = fd->st.st_ctim;
	}
	t->reads++;
}

/* The new file list: kept entries moved over, the others read. */
static bool rebuild_files(struct watch_tree *t, struct scan *s, bool all)
{
	struct watch_file *nv = xcalloc(s->n ? s->n : 1, sizeof(*nv));
	struct strmap index = { 0 };
	bool changed = s->n != t->nfiles;

	for (size_t i = 0; i < t->nfiles; i++)
		strmap_add(&index, t->files[i].path, i);
	for (size_t i = 0; i < s->n; i++) {
		const struct strmap_entry *e = strmap_get(&index, s->v[i].path);
		struct watch_file *old = e ? &t->files[e->vals[0]] : NULL;

		if (old && old->path && !all && !old->dirty && !s->v[i].missing &&
		    same_stat(old, &s->v[i].st) && !in_swapped_dir(t, old->path)) {
			nv[i] = *old;
			old->path = NULL;	/* moved */
			continue;
		}
		read_file(t, &nv[i], &s->v[i]);
		changed = true;
	}
	strmap_free(&index);
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].path) {
			file_free(&t->files[i]);
			changed = true;
		}
	free(t->files);
	t->files = nv;
	t->nfiles = t->cap_files = s->n;
	return changed;
}

/* Directories no walk reached any more lose their watch. */
static void drop_unseen_dirs(struct watch_tree *t, const struct scan *s)
{
	size_t k = 0;

	for (size_t i = 0; i < t->ndirs; i++) {
		if (i < s->cap_seen && s->dir_seen[i]) {
			t->dirs[i].all_dirty = false;
			t->dirs[k++] = t->dirs[i];
			continue;
		}
		inotify_rm_watch(t->ifd, t->dirs[i].wd);
		free(t->dirs[i].path);
	}
	t->ndirs = k;
}

bool watch_tree_scan(struct watch_tree *t, bool all)
{
	struct scan s = { .t = t };
	bool changed;

	t->reads = 0;
	t->changed = false;
	for (size_t i = 0; i < t->nroots; i++)
		walk_root(&s, t->roots[i]);
	changed = rebuild_files(t, &s, all);
	drop_unseen_dirs(t, &s);
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i].path);
	free(s.v);
	free(s.dir_seen);
	free(s.on_path);
	free(s.done);
	return changed;
}

int watch_tree_open(struct watch_tree *t, char **roots, size_t nroots,
		    unsigned read_flags)
{
	memset(t, 0, sizeof(*t));
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd < 0)
		return -errno;
	t->roots = roots;
	t->nroots = nroots;
	t->read_flags = read_flags;
	watch_tree_scan(t, true);
	return 0;
}

int watch_tree_fd(const struct watch_tree *t)
{
	return t->ifd;
}

static struct watch_file *file_by_path(const struct watch_tree *t,
				       const char *dir, const char *name)
{
	size_t dlen = strlen(dir);

	for (size_t i = 0; i < t->nfiles; i++) {
		const char *p = t->files[i].path;

		if (!strncmp(p, dir, dlen) && (p[dlen] == '/' || dlen == 0) &&
		    !strcmp(p + dlen + (p[dlen] == '/'), name))
			return &t->files[i];
	}
	return NULL;
}

/*
 * A new name that is a plain file with one link is being written: its
 * IN_CLOSE_WRITE follows, and reading it now would see it half-written.
 * A symbolic link or a hard link is complete when it appears.
 */
static bool created_complete(const char *dir, const char *name)
{
	char *full = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool complete = lstat(full, &st) == 0 &&
			(S_ISLNK(st.st_mode) || st.st_nlink > 1);

	free(full);
	return complete;
}

static void one_event(struct watch_tree *t, const struct inotify_event *ev)
{
	struct watch_dir *d = dir_by_wd(t, ev->wd);
	struct watch_file *f;

	if (ev->mask & IN_Q_OVERFLOW) {
		for (size_t i = 0; i < t->nfiles; i++)
			t->files[i].dirty = true;	/* events were lost */
		t->changed = true;
		return;
	}
	if (!d || (ev->mask & IN_IGNORED))
		return;
	if (!ev->len || (ev->mask & IN_ISDIR)) {
		t->changed = true;	/* the directory itself, or a subdirectory */
		return;
	}
	if (!strncmp(ev->name, "..", 2)) {
		/* The kubelet's atomic writer renamed ..data_tmp onto ..data:
		 * every file here now reads through the new directory. */
		if (!strcmp(ev->name, "..data")) {
			d->all_dirty = true;
			t->changed = true;
		}
		return;
	}
	if (ev->name[0] == '.' || !manifest_is_manifest_name(ev->name))
		return;
	if ((ev->mask & IN_CREATE) && !created_complete(d->path, ev->name))
		return;
	f = file_by_path(t, d->path, ev->name);
	if (f)
		f->dirty = true;
	t->changed = true;
}

bool watch_tree_events(struct watch_tree *t)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(t->ifd, buf, sizeof(buf));

		if (n <= 0)
			break;	/* EAGAIN: drained */
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			one_event(t, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	return t->changed;
}

static void copy_diags(struct diag_list *dl, const struct diag_list *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct diag *d = &from->v[i];
		struct src_pos pos = { d->file, d->line, d->column, d->show_column };

		diag_add(dl, d->level, &pos, d->kind, d->ns, d->name, d->field,
			 "%s", d->message);
	}
}

void watch_tree_view(const struct watch_tree *t, struct manifest_set *v,
		     struct diag_list *dl)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < t->nfiles; i++) {
		manifest_set_append(v, &t->files[i].set);
		copy_diags(dl, &t->files[i].diags);
	}
}

void watch_view_free(struct manifest_set *v)
{
	if (!v)
		return;
	free(v->services);
	free(v->pods);
	free(v->endpoints);
	free(v->slices);
	free(v->nodes);
	free(v->skipped);
	free(v->files);
	memset(v, 0, sizeof(*v));
}

void watch_tree_close(struct watch_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		file_free(&t->files[i]);
	free(t->files);
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i].path);
	free(t->dirs);
	if (t->ifd >= 0)
		close(t->ifd);
	memset(t, 0, sizeof(*t));
	t->ifd = -1;
}
