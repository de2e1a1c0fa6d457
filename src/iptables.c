// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The iptables side of the kernel facade: iptables-save to read what svcnft
 * has in a table, iptables-restore --noflush to change it. Each restore call
 * is one table's transaction: it applies all of its input or none of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iptables.h"
#include "util.h"

extern char **environ;

static void push(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	grow_array(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
}

/* A rule line that jumps from a built-in chain (upper case, no prefix)
 * to one of svcnft's. */
static bool is_jump(const char *line, size_t len)
{
	const char *j = memmem(line, len, " -j " IPT_PREFIX, strlen(" -j " IPT_PREFIX));

	return j && strncmp(line + 3, IPT_PREFIX, strlen(IPT_PREFIX));
}

void ipt_state_parse(struct ipt_table_state *st, const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 1 + strlen(IPT_PREFIX) &&
		    !strncmp(p, ":" IPT_PREFIX, 1 + strlen(IPT_PREFIX))) {
			const char *sp = memchr(p, ' ', len);

			push(&st->chains, &st->nchains, &st->cap_chains, p + 1,
			     (sp ? sp : p + len) - p - 1);
		} else if (len > 3 && !strncmp(p, "-A ", 3)) {
			if (!strncmp(p + 3, IPT_PREFIX, strlen(IPT_PREFIX)))
				push(&st->rules, &st->nrules, &st->cap_rules, p, len);
			else if (is_jump(p, len))
				push(&st->jumps, &st->njumps, &st->cap_jumps, p, len);
		}
		p = nl ? nl + 1 : NULL;
	}
}

static void table_state_free(struct ipt_table_state *t)
{
	for (size_t i = 0; i < t->nchains; i++)
		free(t->chains[i]);
	for (size_t i = 0; i < t->njumps; i++)
		free(t->jumps[i]);
	for (size_t i = 0; i < t->nrules; i++)
		free(t->rules[i]);
	free(t->chains);
	free(t->jumps);
	free(t->rules);
	memset(t, 0, sizeof(*t));
}

void ipt_state_free(struct ipt_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < IPT_NTABLES; i++)
		table_state_free(&st->table[i]);
}

struct child_io {
	int fd[3];		/* our ends: stdin (write), stdout, stderr (read) */
	const char *input;
	size_t input_left;
	char *buf[2];
	size_t len[2], cap[2];
};

static void child_io_close(struct child_io *io)
{
	for (int i = 0; i < 3; i++)
		if (io->fd[i] >= 0)
			close(io->fd[i]);
}

/* Feed stdin and collect stdout and stderr until the child closes both. */
static int child_io_pump(struct child_io *io)
{
	char chunk[65536];

	while (io->fd[1] >= 0 || io->fd[2] >= 0) {
		struct pollfd p[3];

		for (int i = 0; i < 3; i++)
			p[i] = (struct pollfd){ io->fd[i], i ? POLLIN : POLLOUT, 0 };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents) {
			ssize_t w = io->input_left ? write(io->fd[0], io->input, io->input_left) : 0;

			if (w > 0) {
				io->input += w;
				io->input_left -= w;
			}
			if (w <= 0 || !io->input_left) {
				close(io->fd[0]);	/* EOF ends the restore input */
				io->fd[0] = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			ssize_t r;

			if (!p[i].revents)
				continue;
			r = read(io->fd[i], chunk, sizeof(chunk));
			if (r <= 0) {
				close(io->fd[i]);
				io->fd[i] = -1;
				continue;
			}
			/* geometric: iptables-save of a large table is
			 * megabytes, read in many chunks */
			grow_array(&io->buf[i - 1], &io->cap[i - 1],
				   io->len[i - 1] + r + 1, 1);
			memcpy(io->buf[i - 1] + io->len[i - 1], chunk, r);
			io->len[i - 1] += r;
			io->buf[i - 1][io->len[i - 1]] = '\0';
		}
	}
	return 0;
}

static int spawn_with_pipes(char *const argv[], struct child_io *io, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int pipes[3][2], ret;

	for (int i = 0; i < 3; i++) {
		if (pipe2(pipes[i], O_CLOEXEC) < 0) {
			ret = -errno;
			while (i--) {
				close(pipes[i][0]);
				close(pipes[i][1]);
			}
			return ret;
		}
	}
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&fa, pipes[i][i ? 1 : 0], i);
	ret = -posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 3; i++) {
		close(pipes[i][i ? 1 : 0]);
		io->fd[i] = pipes[i][i ? 0 : 1];
	}
	return ret;
}

/* Run argv with input on stdin; out and err receive its output (may be
 * NULL). Returns 0 when it exits 0, -EIO when it fails, -errno otherwise. */
static int run_tool(char *const argv[], const char *input, char **out, char **err)
{
	struct child_io io = { .input = input ? input : "",
			       .input_left = input ? strlen(input) : 0 };
	int status = 0, ret;
	pid_t pid = -1;

	signal(SIGPIPE, SIG_IGN);	/* a child that exits early must not kill us */
	ret = spawn_with_pipes(argv, &io, &pid);
	if (!ret)
		ret = child_io_pump(&io);
	child_io_close(&io);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = -EIO;
	if (out)
		*out = io.buf[0] ? io.buf[0] : xstrdup("");
	else
		free(io.buf[0]);
	if (err)
		*err = io.buf[1];
	else
		free(io.buf[1]);
	return ret;
}

int ipt_read_state(struct ipt_state *st, int family, char **err)
{
	int ret = 0;

	memset(st, 0, sizeof(*st));
	for (int t = 0; t < IPT_NTABLES && !ret; t++) {
		char *argv[] = { family == AF_INET6 ? "ip6tables-save" : "iptables-save",
				 "-t", (char *)ipt_table_name(t), NULL };
		char *out = NULL;

		ret = run_tool(argv, NULL, &out, err);
		if (!ret)
			ipt_state_parse(&st->table[t], out);
		free(out);
	}
	return ret;
}

int ipt_restore(const char *input, int family, char **err)
{
	/* -w: wait for the xtables lock other iptables users hold */
	char *argv[] = { family == AF_INET6 ? "ip6tables-restore" : "iptables-restore",
			 "--noflush", "-w", NULL };

	return run_tool(argv, input, NULL, err);
}

/* The value of the n-th "--comment " in line (unquoted), or NULL. */
static char *comment_at(const char *line, int n)
{
	const char *p = line;
	size_t len;

	while ((p = strstr(p, "--comment ")) && n--)
		p += strlen("--comment ");
	if (!p)
		return NULL;
	p += strlen("--comment ");
	if (*p == '"')
		len = strcspn(++p, "\"");
	else
		len = strcspn(p, " ");
	return xstrndup(p, len);
}

size_t ipt_external_names(const struct ipt_table_state *nat,
			  struct ipt_external_name **out)
{
	static const char chain[] = "-A " IPT_EXTERNAL_NAMES " ";
	size_t n = 0, cap = 0;

	*out = NULL;
	for (size_t i = 0; i < nat->nrules; i++) {
		char *name, *target;

		if (strncmp(nat->rules[i], chain, strlen(chain)))
			continue;
		name = comment_at(nat->rules[i], 0);
		target = comment_at(nat->rules[i], 1);
		if (name && target) {
			grow_array(out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = (struct ipt_external_name){ name, target };
		} else {
			free(name);
			free(target);
		}
	}
	return n;
}

void ipt_external_names_free(struct ipt_external_name *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].target);
	}
	free(v);
}
