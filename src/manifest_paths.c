// SPDX-License-Identifier: GPL-2.0-or-later
/* Where manifests come from: files, directories, standard input. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifest_int.h"
#include "util.h"

const char *manifest_set_add_file(struct manifest_set *set, const char *name)
{
	if (set->nfiles && !strcmp(set->files[set->nfiles - 1], name))
		return set->files[set->nfiles - 1];
	grow_array(&set->files, &set->cap_files, set->nfiles + 1,
		   sizeof(*set->files));
	set->files[set->nfiles] = xstrdup(name);
	return set->files[set->nfiles++];
}

static int path_error(struct diag_list *diags, const char *path,
		      const char *what, int err)
{
	struct src_pos pos = { .file = path };

	diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
		 "cannot %s: %s", what, strerror(err));
	return -err;
}

static int too_big_error(struct diag_list *diags, const char *path,
			 const struct stat *st)
{
	struct src_pos pos = { .file = path };

	if (st)
		diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
			 "%lld bytes, more than the limit of %lu bytes (%lu MiB) for one manifest file; split it into several files",
			 (long long)st->st_size, MANIFEST_MAX_BYTES,
			 MANIFEST_MAX_BYTES >> 20);
	else
		diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
			 "more than the limit of %lu bytes (%lu MiB) for one manifest input; split it into several files",
			 MANIFEST_MAX_BYTES, MANIFEST_MAX_BYTES >> 20);
	return -EFBIG;
}

/*
 * The whole input in memory: libyaml reports an encoding error as a byte
 * offset, which only the buffer can turn into a line and column. Hence the
 * size limit: a regular file over it is refused before it is read, a stream
 * once it has sent more.
 */
static int slurp(FILE *in, char **out, size_t *len)
{
	const size_t max = MANIFEST_MAX_BYTES + 1;	/* one more: "too big" */
	struct stat st;
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) {
		if ((unsigned long long)st.st_size > MANIFEST_MAX_BYTES)
			return -EFBIG;
		if ((size_t)st.st_size >= cap)
			cap = (size_t)st.st_size + 1;
	}
	buf = xmalloc(cap);
	for (;;) {
		n += fread(buf + n, 1, cap - n, in);
		if (n < cap || cap == max)
			break;
		cap = cap * 2 < max ? cap * 2 : max;
		buf = xrealloc(buf, cap);
	}
	if (ferror(in) || n > MANIFEST_MAX_BYTES) {
		int err = n > MANIFEST_MAX_BYTES ? EFBIG : errno ? errno : EIO;

		free(buf);
		return -err;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int slurp_stream(const char *name, FILE *in, char **buf, size_t *len,
			struct diag_list *diags)
{
	struct stat st;
	int r;

	errno = 0;
	r = slurp(in, buf, len);
	if (r == -EFBIG)
		return too_big_error(diags, name,
				     fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) ? &st : NULL);
	if (r < 0)
		return path_error(diags, name, "read", -r);
	return 0;
}

int manifest_read_stream(struct manifest_set *set, const char *name,
			 FILE *in, struct diag_list *diags)
{
	char *buf = NULL;
	size_t len = 0;
	int r = slurp_stream(name, in, &buf, &len, diags);

	if (r < 0)
		return r;
	r = manifest_read_buffer(set, name, buf, len, diags);
	free(buf);
	return r;
}

int manifest_slurp_file(const char *path, char **buf, size_t *len,
			struct diag_list *diags)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return path_error(diags, path, "open", errno);
	r = slurp_stream(path, f, buf, len, diags);
	fclose(f);
	return r;
}

int manifest_read_file(struct manifest_set *set, const char *path,
		       struct diag_list *diags)
{
	char *buf = NULL;
	size_t len = 0;
	int r = manifest_slurp_file(path, &buf, &len, diags);

	if (r < 0)
		return r;
	r = manifest_read_buffer(set, path, buf, len, diags);
	free(buf);
	return r;
}

/* Directories met on a walk: one reached twice (two links to one place) is
 * read once; one that is its own ancestor (a symlink loop) is an error. */
struct dir_seen {
	dev_t dev;
	ino_t ino;
	bool on_path;		/* being read: an ancestor of where we are */
	char *path;
};

struct walk {
	struct manifest_inputs *inputs;	/* the files found, read afterwards */
	struct diag_list *diags;
	unsigned flags;
	struct dir_seen *v;
	size_t n, cap;
	struct strmap index;	/* "dev:ino" -> index in v */
};

static char *dir_key(const struct stat *st)
{
	return xasprintf("%llx:%llx", (unsigned long long)st->st_dev,
			 (unsigned long long)st->st_ino);
}

static struct dir_seen *find_dir(struct walk *w, const struct stat *st)
{
	char *key = dir_key(st);
	const struct strmap_entry *e = strmap_get(&w->index, key);

	free(key);
	return e ? &w->v[e->vals[0]] : NULL;
}

/* 1: read it, 0: already read, -ELOOP: reported. */
static int enter_dir(struct walk *w, const char *path, const struct stat *st)
{
	struct dir_seen *d = find_dir(w, st);
	struct src_pos pos = { .file = path };
	char *key;

	if (d && d->on_path) {
		diag_add(w->diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
			 "directory loop: this is %s again, which is being read; remove the symbolic link that leads back",
			 d->path);
		return -ELOOP;
	}
	if (d)
		return 0;
	key = dir_key(st);
	strmap_add(&w->index, key, w->n);
	free(key);
	grow_array(&w->v, &w->cap, w->n + 1, sizeof(*w->v));
	d = &w->v[w->n++];
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->on_path = true;
	d->path = xstrdup(path);
	return 1;
}

static void leave_dir(struct walk *w, const struct stat *st)
{
	struct dir_seen *d = find_dir(w, st);

	if (d)
		d->on_path = false;
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
	strmap_free(&w->index);
}

bool manifest_is_manifest_name(const char *name)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	size_t len = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t elen = strlen(exts[i]);

		if (len > elen && !strcmp(name + len - elen, exts[i]))
			return true;
	}
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int manifest_list_dir(const char *path, char ***names, size_t *n)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		grow_array(names, &cap, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (*n)	/* qsort's array may not be NULL, even for 0 items */
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

static int read_dir(struct walk *w, const char *path, const struct stat *st);

/* A file or directory to read, found by stat; checked: it passed
 * MANIFEST_STRICT_MODES already. Returns 0 or the negative errno already
 * reported. */
static int read_node(struct walk *w, const char *path, const struct stat *st,
		     bool checked)
{
	if ((w->flags & MANIFEST_STRICT_MODES) && !checked &&
	    manifest_check_secure(path, w->diags) < 0)
		return -EPERM;
	if (S_ISDIR(st->st_mode))
		return read_dir(w, path, st);
	manifest_inputs_add(w->inputs, path, (long long)st->st_size);
	return 0;
}

/* One directory entry. Returns 0 or the negative errno already reported. */
static int read_entry(struct walk *w, const char *path, const char *name)
{
	bool wanted = manifest_is_manifest_name(name);
	bool link = true;
	struct stat st;
	char *full;
	int r = 0;

	full = xasprintf("%s%s%s", path,
			 path[strlen(path) - 1] == '/' ? "" : "/", name);
	/* lstat first: what is not a symbolic link lies in this directory,
	 * which passed the strict modes, and needs only its own check */
	if (lstat(full, &st) == 0 && !S_ISLNK(st.st_mode))
		link = false;
	else if (stat(full, &st) < 0) {
		/* Only a manifest we cannot read is a problem. */
		if (wanted)
			r = path_error(w->diags, full, "read", errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode) || (wanted && S_ISREG(st.st_mode))) {
		if (!link && (w->flags & MANIFEST_STRICT_MODES) &&
		    manifest_check_secure_entry(full, &st, w->diags) < 0)
			r = -EPERM;
		else
			r = read_node(w, full, &st, !link);
	}
out:
	free(full);
	return r;
}

static int read_dir(struct walk *w, const char *path, const struct stat *st)
{
	char **names;
	size_t n;
	int r, first_err;

	r = enter_dir(w, path, st);
	if (r <= 0)
		return r;
	r = manifest_list_dir(path, &names, &n);
	if (r < 0) {
		leave_dir(w, st);
		return path_error(w->diags, path, "read directory", -r);
	}
	first_err = 0;
	for (size_t i = 0; i < n; i++) {
		r = read_entry(w, path, names[i]);
		if (r < 0 && !first_err)
			first_err = r;
		free(names[i]);
	}
	free(names);
	leave_dir(w, st);
	return first_err;
}

/* The files path names (a file, a directory, "-") into inputs. Returns 0
 * or the negative errno already reported. */
static int find_inputs(struct manifest_inputs *inputs, const char *path,
		       unsigned flags, struct diag_list *diags)
{
	struct walk w = { inputs, diags, flags, NULL, 0, 0, { 0 } };
	struct stat st;
	int r;

	if (!strcmp(path, "-")) {	/* a pipe has no mode worth checking */
		manifest_inputs_add(inputs, NULL, 0);
		return 0;
	}
	if (stat(path, &st) < 0)
		return path_error(diags, path, "read", errno);
	r = read_node(&w, path, &st, false);
	walk_free(&w);
	return r;
}

int manifest_read_paths(struct manifest_set *set, char *const *paths,
			size_t npaths, unsigned flags, struct diag_list *diags)
{
	struct manifest_inputs inputs = { 0 };
	int first = 0, r;

	for (size_t i = 0; i < npaths; i++) {
		r = find_inputs(&inputs, paths[i], flags, diags);
		first = first ? first : r;
	}
	r = manifest_read_inputs(set, &inputs, diags);
	manifest_inputs_free(&inputs);
	return first ? first : r;
}

int manifest_read_path_flags(struct manifest_set *set, const char *path,
			     unsigned flags, struct diag_list *diags)
{
	char *const paths[1] = { (char *)path };

	return manifest_read_paths(set, paths, 1, flags, diags);
}

int manifest_read_path(struct manifest_set *set, const char *path,
		       struct diag_list *diags)
{
	return manifest_read_path_flags(set, path, 0, diags);
}

static void append(void *dst, size_t *n, size_t *cap, const void *src,
		   size_t sn, size_t elem)
{
	if (!sn)
		return;
	grow_array(dst, cap, *n + sn, elem);
	memcpy(*(char **)dst + *n * elem, src, sn * elem);
	*n += sn;
}

_Static_assert(sizeof(struct manifest_set) ==
	       7 * sizeof(void *) + 14 * sizeof(size_t),
	       "manifest_set_append() appends every array of struct manifest_set: append the new one too");

void manifest_set_append(struct manifest_set *dst,
			 const struct manifest_set *src)
{
	append(&dst->services, &dst->nservices, &dst->cap_services,
	       src->services, src->nservices, sizeof(*src->services));
	append(&dst->pods, &dst->npods, &dst->cap_pods, src->pods, src->npods,
	       sizeof(*src->pods));
	append(&dst->endpoints, &dst->nendpoints, &dst->cap_endpoints,
	       src->endpoints, src->nendpoints, sizeof(*src->endpoints));
	append(&dst->slices, &dst->nslices, &dst->cap_slices, src->slices,
	       src->nslices, sizeof(*src->slices));
	append(&dst->nodes, &dst->nnodes, &dst->cap_nodes, src->nodes,
	       src->nnodes, sizeof(*src->nodes));
	append(&dst->skipped, &dst->nskipped, &dst->cap_skipped, src->skipped,
	       src->nskipped, sizeof(*src->skipped));
	append(&dst->files, &dst->nfiles, &dst->cap_files, src->files,
	       src->nfiles, sizeof(*src->files));
}

void manifest_set_free(struct manifest_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nservices; i++)
		k8s_service_free(&set->services[i]);
	for (size_t i = 0; i < set->npods; i++)
		k8s_pod_free(&set->pods[i]);
	for (size_t i = 0; i < set->nendpoints; i++)
		k8s_endpoints_free(&set->endpoints[i]);
	for (size_t i = 0; i < set->nslices; i++)
		k8s_endpoint_slice_free(&set->slices[i]);
	for (size_t i = 0; i < set->nnodes; i++)
		k8s_node_free(&set->nodes[i]);
	for (size_t i = 0; i < set->nskipped; i++)
		k8s_skipped_free(&set->skipped[i]);
	for (size_t i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->services);
	free(set->pods);
	free(set->endpoints);
	free(set->slices);
	free(set->nodes);
	free(set->skipped);
	free(set->files);
	memset(set, 0, sizeof(*set));
}
