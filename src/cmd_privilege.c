// SPDX-License-Identifier: GPL-2.0-or-later
/* apply and flush program nftables: without CAP_NET_ADMIN, say so at once. */
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"

/* glibc has no capget wrapper; libcap would be a dependency for one call. */
static bool has_net_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return true;	/* cannot tell: let the kernel decide */
	return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

int cli_require_net_admin(const struct cli_options *o)
{
	if (has_net_admin())
		return EXIT_OK;
	cli_error("%s needs CAP_NET_ADMIN to change nftables, and this process does not have it: run it as root (plan and check need no privilege); nothing changed",
		  o->command);
	return EXIT_KERNEL;
}
