/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_CONNTRACK_H
#define SVCNFT_CONNTRACK_H

/*
 * Stage 4, conntrack side: delete the UDP conntrack entries an apply made
 * stale (rs_stale_udp_flows), over ctnetlink with libnetfilter_conntrack,
 * so that a UDP client reaches the new endpoints at once instead of after
 * the entry's timeout.
 */

#include <stddef.h>

#include "ruleset.h"

/* Returns 0 or -errno; *deleted counts the entries removed. */
int conntrack_delete_udp(const struct rs_stale_flow *v, size_t n,
			 unsigned *deleted);

#endif
