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
	struct src_pos pos = { path, 0, 0 };

	diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
		 "cannot %s: %s", what, strerror(err));
	return -err;
}

/*
 * The whole input in memory: libyaml reports an encoding error as a byte
 * offset, which only the buffer can turn into a line and column.
 */
static int slurp(FILE *in, char **out, size_t *len)
{
	struct stat st;
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size >= cap)
		cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		n += fread(buf + n, 1, cap - n, in);
		if (n < cap)
			break;
		cap *= 2;
		buf = xrealloc(buf, cap);
	}
	if (ferror(in)) {
		int err = errno ? errno : EIO;

		free(buf);
		return -err;
	}
	*out = buf;
	*len = n;
	return 0;
}

int manifest_read_stream(struct manifest_set *set, const char *name,
			 FILE *in, struct diag_list *diags)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	errno = 0;
	r = slurp(in, &buf, &len);
	if (r < 0)
		return path_error(diags, name, "read", -r);
	r = manifest_read_buffer(set, name, buf, len, diags);
	free(buf);
	return r;
}

int manifest_read_file(struct manifest_set *set, const char *path,
		       struct diag_list *diags)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return path_error(diags, path, "open", errno);
	r = manifest_read_stream(set, path, f, diags);
	fclose(f);
	return r;
}

struct visited {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n, cap;
};

/* A directory reached twice (a symlink loop, or two links to one place) is
 * read once. */
static bool first_visit(struct visited *seen, const struct stat *st)
{
	for (size_t i = 0; i < seen->n; i++)
		if (seen->v[i].dev == st->st_dev && seen->v[i].ino == st->st_ino)
			return false;
	grow_array(&seen->v, &seen->cap, seen->n + 1, sizeof(*seen->v));
	seen->v[seen->n].dev = st->st_dev;
	seen->v[seen->n++].ino = st->st_ino;
	return true;
}

static bool is_manifest_name(const char *name)
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

/* Sorted names in dir, hidden ones (".git", editor files) left out. */
static int list_dir(const char *path, char ***names, size_t *n)
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
	qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

static int read_dir(struct manifest_set *set, const char *path,
		    struct visited *seen, struct diag_list *diags);

/* One directory entry. Returns 0 or the negative errno already reported. */
static int read_entry(struct manifest_set *set, const char *path,
		      const char *name, struct visited *seen,
		      struct diag_list *diags)
{
	bool wanted = is_manifest_name(name);
	struct stat st;
	char *full;
	int r = 0;

	full = xasprintf("%s%s%s", path,
			 path[strlen(path) - 1] == '/' ? "" : "/", name);
	if (stat(full, &st) < 0) {
		/* Only a manifest we cannot read is a problem. */
		if (wanted)
			r = path_error(diags, full, "read", errno);
	} else if (S_ISDIR(st.st_mode)) {
		if (first_visit(seen, &st))
			r = read_dir(set, full, seen, diags);
	} else if (wanted && S_ISREG(st.st_mode)) {
		r = manifest_read_file(set, full, diags);
	}
	free(full);
	return r;
}

static int read_dir(struct manifest_set *set, const char *path,
		    struct visited *seen, struct diag_list *diags)
{
	char **names;
	size_t n;
	int r, first_err;

	r = list_dir(path, &names, &n);
	if (r < 0)
		return path_error(diags, path, "read directory", -r);
	first_err = 0;
	for (size_t i = 0; i < n; i++) {
		r = read_entry(set, path, names[i], seen, diags);
		if (r < 0 && !first_err)
			first_err = r;
		free(names[i]);
	}
	free(names);
	return first_err;
}

int manifest_read_path(struct manifest_set *set, const char *path,
		       struct diag_list *diags)
{
	struct visited seen = { NULL, 0, 0 };
	struct stat st;
	int r;

	if (!strcmp(path, "-"))
		return manifest_read_stream(set, "<stdin>", stdin, diags);
	if (stat(path, &st) < 0)
		return path_error(diags, path, "read", errno);
	if (!S_ISDIR(st.st_mode))
		return manifest_read_file(set, path, diags);
	first_visit(&seen, &st);
	r = read_dir(set, path, &seen, diags);
	free(seen.v);
	return r;
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
	for (size_t i = 0; i < set->nskipped; i++)
		k8s_skipped_free(&set->skipped[i]);
	for (size_t i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->services);
	free(set->pods);
	free(set->endpoints);
	free(set->slices);
	free(set->skipped);
	free(set->files);
	memset(set, 0, sizeof(*set));
}
