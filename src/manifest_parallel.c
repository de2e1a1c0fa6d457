// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading several manifest files at once: each file is read on its own,
 * into objects and messages of its own, by a few threads taking the
 * largest files first; the results are then joined in the order the files
 * were found, so that the objects, the messages and their positions are
 * exactly those of reading the files one after the other.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest_int.h"
#include "util.h"

/* More threads than cores only add memory: each holds a whole file. */
enum { READ_THREADS_MAX = 4 };

void manifest_inputs_add(struct manifest_inputs *in, const char *path,
			 long long size)
{
	grow_array(&in->v, &in->cap, in->n + 1, sizeof(*in->v));
	in->v[in->n].path = path ? xstrdup(path) : NULL;
	in->v[in->n].size = size;
	in->n++;
}

void manifest_inputs_free(struct manifest_inputs *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++)
		free(in->v[i].path);
	free(in->v);
	memset(in, 0, sizeof(*in));
}

static int read_input(struct manifest_set *set, const struct manifest_input *in,
		      struct diag_list *diags)
{
	return in->path ? manifest_read_file(set, in->path, diags) :
			  manifest_read_stream(set, "<stdin>", stdin, diags);
}

struct read_job {
	const struct manifest_inputs *in;
	size_t *order;		/* indices into in->v, largest file first */
	atomic_size_t next;	/* of order: the next file to take */
	struct manifest_set *sets;
	struct diag_list *diags;
	int *ret;
};

static void *read_worker(void *arg)
{
	struct read_job *j = arg;
	size_t k;

	while ((k = atomic_fetch_add(&j->next, 1)) < j->in->n) {
		size_t i = j->order[k];

		j->ret[i] = read_input(&j->sets[i], &j->in->v[i], &j->diags[i]);
	}
	return NULL;
}

struct by_size {
	long long size;
	size_t index;
};

static int larger_first(const void *pa, const void *pb)
{
	const struct by_size *a = pa, *b = pb;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->index < b->index ? -1 : 1;
}

/* Indices of in->v, largest file first (standard input counts as large). */
static size_t *work_order(const struct manifest_inputs *in)
{
	struct by_size *v = xcalloc(in->n, sizeof(*v));
	size_t *order = xcalloc(in->n, sizeof(*order));

	for (size_t i = 0; i < in->n; i++) {
		v[i].size = in->v[i].path ? in->v[i].size : (long long)MANIFEST_MAX_BYTES;
		v[i].index = i;
	}
	qsort(v, in->n, sizeof(*v), larger_first);
	for (size_t i = 0; i < in->n; i++)
		order[i] = v[i].index;
	free(v);
	return order;
}

static void append(void *dst, size_t *n, size_t *cap, void *src, size_t sn,
		   size_t elem)
{
	if (!sn)
		return;
	grow_array(dst, cap, *n + sn, elem);
	memcpy(*(char **)dst + *n * elem, src, sn * elem);
	*n += sn;
}

/* src's objects and file names after dst's; src is left empty. */
static void set_move(struct manifest_set *dst, struct manifest_set *src)
{
	append(&dst->services, &dst->nservices, &dst->cap_services,
	       src->services, src->nservices, sizeof(*src->services));
	append(&dst->pods, &dst->npods, &dst->cap_pods, src->pods, src->npods,
	       sizeof(*src->pods));
	append(&dst->endpoints, &dst->nendpoints, &dst->cap_endpoints,
	       src->endpoints, src->nendpoints, sizeof(*src->endpoints));
	append(&dst->slices, &dst->nslices, &dst->cap_slices, src->slices,
	       src->nslices, sizeof(*src->slices));
	append(&dst->skipped, &dst->nskipped, &dst->cap_skipped, src->skipped,
	       src->nskipped, sizeof(*src->skipped));
	append(&dst->files, &dst->nfiles, &dst->cap_files, src->files,
	       src->nfiles, sizeof(*src->files));
	src->nservices = src->npods = src->nendpoints = src->nslices = 0;
	src->nskipped = src->nfiles = 0;
	manifest_set_free(src);
}

static size_t thread_count(size_t ninputs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 1 ? (size_t)cpus : 1;

	if (n > READ_THREADS_MAX)
		n = READ_THREADS_MAX;
	return n < ninputs ? n : ninputs;
}

/* The threads (this one among them) read every input. */
static void run_workers(struct read_job *j, size_t nthreads)
{
	pthread_t tid[READ_THREADS_MAX];
	size_t started = 0;

	for (size_t i = 1; i < nthreads; i++) {
		/* without another thread, this one reads the rest */
		if (pthread_create(&tid[started], NULL, read_worker, j))
			break;
		started++;
	}
	read_worker(j);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

int manifest_read_inputs(struct manifest_set *set,
			 const struct manifest_inputs *in,
			 struct diag_list *diags)
{
	size_t nthreads = thread_count(in->n);
	struct read_job j = { .in = in };
	int first = 0;

	if (nthreads <= 1) {
		for (size_t i = 0; i < in->n; i++) {
			int r = read_input(set, &in->v[i], diags);

			first = first ? first : r;
		}
		return first;
	}
	j.order = work_order(in);
	j.sets = xcalloc(in->n, sizeof(*j.sets));
	j.diags = xcalloc(in->n, sizeof(*j.diags));
	j.ret = xcalloc(in->n, sizeof(*j.ret));
	atomic_init(&j.next, 0);
	run_workers(&j, nthreads);
	for (size_t i = 0; i < in->n; i++) {
		set_move(set, &j.sets[i]);
		diag_list_move(diags, &j.diags[i]);
		first = first ? first : j.ret[i];
	}
	free(j.order);
	free(j.sets);
	free(j.diags);
	free(j.ret);
	return first;
}
