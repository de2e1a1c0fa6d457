/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_CLI_EXPLAIN_H
#define SVCNFT_CLI_EXPLAIN_H

/* What cmd_explain.c and cmd_explain_live.c share. */

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "explain.h"

/* "ADDR:PORT[/tcp|udp|sctp]", IPv6 as "[ADDR]:PORT". 0 or -EINVAL. */
int explain_dest_parse(const char *s, struct ip_addr *a, uint16_t *port, uint8_t *proto);
/* "ADDR:PORT", IPv6 as "[ADDR]:PORT". Returns buf. */
const char *explain_addr_port(const struct ip_addr *a, uint16_t port, char *buf, size_t len);
/* --live SECONDS: trace connections to q->dst (from q->src when given). */
int explain_live(const struct cli_options *o, const char *duration,
		 const struct explain_query *q);

#endif
