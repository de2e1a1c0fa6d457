// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who can write the manifests (MANIFEST_STRICT_MODES). svcnft runs as root
 * and turns them into NAT rules, so whoever can write one -- or replace it,
 * through a directory above it -- controls where this node's traffic goes.
 * As sshd's StrictModes: the file or directory read, and every directory
 * above it, must be owned by root or by the caller and not writable by group
 * or others. A directory above may be writable by all when sticky (/tmp):
 * others cannot then rename or remove what is in it.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_int.h"
#include "util.h"

static const char advice[] =
	"whoever can write manifests controls this node's NAT rules; fix it (chmod go-w, chown) or pass --allow-insecure-files";

static const char *who_writes(mode_t mode)
{
	if ((mode & S_IWGRP) && (mode & S_IWOTH))
		return "its group and all users";
	return mode & S_IWGRP ? "its group" : "all users";
}

/* The owner, as "uid 1000 (alice)"; caller frees. */
static char *owner_text(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		return xasprintf("uid %u (%s)", (unsigned)uid, pw->pw_name);
	return xasprintf("uid %u", (unsigned)uid);
}

/*
 * One component: what is read (above == false) or a directory above it.
 * Returns NULL when it is safe, else the reason; caller frees.
 */
static char *unsafe_reason(const char *path, const struct stat *st, bool above)
{
	char *owner, *reason;

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		owner = owner_text(st->st_uid);
		if (above)
			reason = xasprintf("directory %s above it is owned by %s, who can replace it",
					   path, owner);
		else
			reason = xasprintf("it is owned by %s, who can write it", owner);
		free(owner);
		return reason;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return NULL;
	if (!above)
		return xasprintf("its mode %04o lets %s write it",
				 (unsigned)(st->st_mode & 07777), who_writes(st->st_mode));
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return NULL;
	return xasprintf("directory %s above it (mode %04o, not sticky) lets %s replace it",
			 path, (unsigned)(st->st_mode & 07777), who_writes(st->st_mode));
}

/* The first unsafe component of the resolved path, from / down. */
static char *first_unsafe(char *real)
{
	size_t len = strlen(real);
	char *reason = NULL;
	struct stat st;

	if (stat("/", &st) == 0)
		reason = unsafe_reason("/", &st, len > 1);
	for (size_t i = 2; len > 1 && i <= len && !reason; i++) {
		char saved = real[i];

		if (i < len && saved != '/')
			continue;
		real[i] = '\0';
		if (stat(real, &st) == 0)
			reason = unsafe_reason(real, &st, i < len);
		real[i] = saved;
	}
	return reason;
}

/* 0 when reason is NULL, else reports it (and frees it): -EPERM. */
static int refuse_unsafe(const char *path, char *reason, struct diag_list *diags)
{
	struct src_pos pos = { .file = path };

	if (!reason)
		return 0;
	diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
		 "refusing to read it: %s; %s", reason, advice);
	free(reason);
	return -EPERM;
}

int manifest_check_secure(const char *path, struct diag_list *diags)
{
	char *real = realpath(path, NULL);
	char *reason;

	if (!real)	/* reading it reports why it cannot be found */
		return 0;
	reason = first_unsafe(real);
	free(real);
	return refuse_unsafe(path, reason, diags);
}

/* An entry of a directory that passed: only the entry itself is left to
 * check. Checking every directory above every file again would cost the
 * square of the depth per file (realpath, then a stat per level). */
int manifest_check_secure_entry(const char *path, const struct stat *st,
				struct diag_list *diags)
{
	return refuse_unsafe(path, unsafe_reason(path, st, false), diags);
}
