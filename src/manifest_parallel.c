// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading manifests on every core: each file is read on its own, into
 * objects and messages of its own, by a few threads taking the largest
 * first, and a large file is cut at document starts or between a List's
 * items (manifest_split.c) into parts read the same way, each knowing the
 * line it starts at. The results
 * are joined in the order of the files and of the parts, so that the
 * objects, the messages and their positions are exactly those of reading
 * everything one after the other.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest_int.h"
#include "util.h"

enum {
	/* More threads than cores only add memory: each holds a whole file. */
	READ_THREADS_MAX = 4,
	/* Large files are split so that every thread gets a few parts. */
	PARTS_PER_THREAD = 4,
};
/* A part smaller than this is not worth a thread's start. */
#define PART_MIN ((size_t)4 << 20)
/* At most this much text of split files is held at once. */
#define SPLIT_HELD_MAX ((size_t)2 * MANIFEST_MAX_BYTES)

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

/*
 * One piece of work: a whole input, or a part of a file's text that
 * starts a YAML document (a file split at document boundaries).
 */
struct piece {
	size_t input;		/* index into in->v */
	const char *text;	/* NULL: the input is read by the worker */
	size_t len;
	unsigned base_line;	/* line breaks before text in its file */
	bool part;		/* one of several parts of its file: cut */
	bool done;		/* ret already known: reading it failed */
	struct manifest_part cut;
	struct manifest_set set;
	struct diag_list diags;
	size_t nonempty;
	int ret;
};

static void read_part_piece(struct piece *pc, const struct manifest_input *in)
{
	size_t len = pc->cut.len;
	char *own = manifest_part_text(&pc->cut, &len);

	pc->ret = manifest_read_part(&pc->set, in->path, own ? own : pc->cut.text,
				     len, pc->cut.base_line, &pc->diags,
				     &pc->nonempty);
	free(own);
}

static void read_piece(struct piece *pc, const struct manifest_input *in)
{
	if (pc->done)
		return;
	if (pc->part)
		read_part_piece(pc, in);
	else if (pc->text)
		pc->ret = manifest_read_buffer(&pc->set, in->path, pc->text,
					       pc->len, &pc->diags);
	else if (in->path)
		pc->ret = manifest_read_file(&pc->set, in->path, &pc->diags);
	else
		pc->ret = manifest_read_stream(&pc->set, "<stdin>", stdin, &pc->diags);
}

/* An input read here to be split: its text, and its parts in pieces. */
struct input_text {
	char *text;		/* NULL: not split, or no longer needed */
	size_t len;
	size_t first_part, nparts;
	atomic_size_t parts_left;	/* not read yet */
};

struct read_job {
	const struct manifest_inputs *in;
	struct piece *pieces;
	size_t npieces, cap_pieces;
	size_t *order;		/* indices into pieces, largest first */
	atomic_size_t next;	/* of order: the next piece to take */
	struct input_text *texts;	/* per input */
};

static bool parts_stand(const struct piece *pc, size_t n);

/* The last part of input i was just read: its text is only needed to read
 * the file whole again, when the parts do not stand. */
static void part_read(struct read_job *j, size_t i)
{
	struct input_text *t = &j->texts[i];

	if (atomic_fetch_sub(&t->parts_left, 1) != 1 ||
	    !parts_stand(&j->pieces[t->first_part], t->nparts))
		return;
	free(t->text);
	t->text = NULL;
}

static void *read_worker(void *arg)
{
	struct read_job *j = arg;
	size_t k;

	while ((k = atomic_fetch_add(&j->next, 1)) < j->npieces) {
		struct piece *pc = &j->pieces[j->order[k]];

		read_piece(pc, &j->in->v[pc->input]);
		if (pc->part)
			part_read(j, pc->input);
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

static long long piece_size(const struct read_job *j, const struct piece *pc)
{
	const struct manifest_input *in = &j->in->v[pc->input];

	if (pc->text)
		return (long long)pc->len;
	return in->path ? in->size : (long long)MANIFEST_MAX_BYTES;
}

/* Indices of the pieces, largest first (standard input counts as large). */
static size_t *work_order(const struct read_job *j)
{
	struct by_size *v = xcalloc(j->npieces, sizeof(*v));
	size_t *order = xcalloc(j->npieces, sizeof(*order));

	for (size_t i = 0; i < j->npieces; i++) {
		v[i].size = piece_size(j, &j->pieces[i]);
		v[i].index = i;
	}
	qsort(v, j->npieces, sizeof(*v), larger_first);
	for (size_t i = 0; i < j->npieces; i++)
		order[i] = v[i].index;
	free(v);
	return order;
}

static struct piece *add_piece(struct read_job *j, size_t input)
{
	struct piece *pc;

	grow_array(&j->pieces, &j->cap_pieces, j->npieces + 1, sizeof(*j->pieces));
	pc = &j->pieces[j->npieces++];
	memset(pc, 0, sizeof(*pc));
	pc->input = input;
	return pc;
}

/* Input i's text cut into parts of about target bytes; false when it is
 * not cut. */
static bool split_input(struct read_job *j, size_t i, size_t target)
{
	struct manifest_part *parts;
	struct input_text *t = &j->texts[i];
	size_t n = manifest_split(t->text, t->len, target, &parts);

	t->first_part = j->npieces;
	t->nparts = n;
	atomic_init(&t->parts_left, n);
	for (size_t k = 0; k < n; k++) {
		struct piece *pc = add_piece(j, i);

		pc->cut = parts[k];
		pc->part = true;
	}
	free(parts);
	return n > 0;
}

/* The bytes worth splitting: files that give every thread a few parts. */
static size_t part_target(const struct manifest_inputs *in, size_t nthreads)
{
	long long total = 0;
	size_t target;

	for (size_t i = 0; i < in->n; i++)
		total += in->v[i].path ? in->v[i].size : 0;
	target = (size_t)total / (nthreads * PARTS_PER_THREAD);
	return target > PART_MIN ? target : PART_MIN;
}

/* Every input as one piece, or as parts when large and splittable. */
static void plan_pieces(struct read_job *j, size_t nthreads,
			struct diag_list *diags)
{
	const struct manifest_inputs *in = j->in;
	size_t target = part_target(in, nthreads), held = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct manifest_input *mi = &in->v[i];
		struct piece *pc;
		int r = 0;

		if (mi->path && mi->size >= (long long)(target + target / 2) &&
		    held + (size_t)mi->size <= SPLIT_HELD_MAX) {
			r = manifest_slurp_file(mi->path, &j->texts[i].text,
						&j->texts[i].len, diags);
			held += j->texts[i].len;
			if (!r && split_input(j, i, target))
				continue;
		}
		pc = add_piece(j, i);
		pc->text = j->texts[i].text;
		pc->len = j->texts[i].len;
		pc->ret = r;
		pc->done = r < 0;	/* reported by manifest_slurp_file */
	}
}

/* src's objects and file names after dst's; src is left empty. */
static void set_move(struct manifest_set *dst, struct manifest_set *src)
{
	manifest_set_append(dst, src);
	src->nservices = src->npods = src->nendpoints = src->nslices = 0;
	src->nnodes = src->nskipped = src->nfiles = 0;
	manifest_set_free(src);
}

/* The processors this process may run on (taskset, a cgroup's cpuset),
 * not all the machine has. */
static size_t thread_count(size_t npieces)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t mask;
	size_t n;

	if (sched_getaffinity(0, sizeof(mask), &mask) == 0)
		cpus = CPU_COUNT(&mask);
	n = cpus > 1 ? (size_t)cpus : 1;

	if (n > READ_THREADS_MAX)
		n = READ_THREADS_MAX;
	return n < npieces ? n : npieces;
}

/* The threads (this one among them, alone when nthreads is 1 or 0) read
 * every piece. */
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

/* A split file's parts read as the whole would: none stopped at a syntax
 * error (libyaml goes no further there, and the parts after it must not
 * count), no List part said anything (a List with an error is dropped
 * whole), and some object (else the whole file's emptiness check says
 * what it says). */
static bool parts_stand(const struct piece *pc, size_t n)
{
	size_t nonempty = 0;

	for (size_t i = 0; i < n; i++) {
		if (pc[i].ret < 0 || (pc[i].cut.list && pc[i].diags.n))
			return false;
		nonempty += pc[i].nonempty;
	}
	return nonempty > 0;
}

/* Input i's pieces pc[0..n) into set and diags; returns the input's
 * result. */
static int join_input(struct read_job *j, size_t i, struct piece *pc,
		      size_t n, struct manifest_set *set, struct diag_list *diags)
{
	int ret = 0;

	if (pc[0].part && !parts_stand(pc, n)) {
		for (size_t k = 0; k < n; k++) {
			manifest_set_free(&pc[k].set);
			diag_list_free(&pc[k].diags);
		}
		return manifest_read_buffer(set, j->in->v[i].path, j->texts[i].text,
					    j->texts[i].len, diags);
	}
	for (size_t k = 0; k < n; k++) {
		set_move(set, &pc[k].set);
		diag_list_move(diags, &pc[k].diags);
		ret = ret ? ret : pc[k].ret;
	}
	return ret;
}

static void job_free(struct read_job *j)
{
	for (size_t i = 0; i < j->in->n; i++)
		free(j->texts[i].text);
	free(j->texts);
	free(j->pieces);
	free(j->order);
}

int manifest_read_inputs(struct manifest_set *set,
			 const struct manifest_inputs *in,
			 struct diag_list *diags)
{
	size_t nthreads = thread_count(SIZE_MAX);
	struct read_job j = { .in = in };
	int first = 0;

	j.texts = xcalloc(in->n ? in->n : 1, sizeof(*j.texts));
	if (nthreads > 1)
		plan_pieces(&j, nthreads, diags);
	else
		for (size_t i = 0; i < in->n; i++)
			add_piece(&j, i);
	j.order = work_order(&j);
	atomic_init(&j.next, 0);
	run_workers(&j, nthreads < j.npieces ? nthreads : j.npieces);
	for (size_t k = 0; k < j.npieces;) {
		size_t n = 1;
		int r;

		while (k + n < j.npieces && j.pieces[k + n].input == j.pieces[k].input)
			n++;
		r = join_input(&j, j.pieces[k].input, &j.pieces[k], n, set, diags);
		first = first ? first : r;
		k += n;
	}
	job_free(&j);
	return first;
}
