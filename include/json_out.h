/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_JSON_OUT_H
#define SVCNFT_JSON_OUT_H

/*
 * `dump -o json` and `plan -o json`: a ruleset and the per-Service summary
 * derived from it, as one JSON document (json-c). The schema is stable:
 * fields are only ever added, and "schema" changes when one changes
 * meaning. It is documented in svcnft(8) and the README:
 *
 * {
 *   "schema": 1, "version": "0.1.0", "command": "dump" | "plan",
 *   "table": { "family": "ip", "name": "svcnft" },
 *   "services": [ { "namespace", "name", "type", "externalName" (or null),
 *       "healthCheckNodePort" (plan only, where the Service has one),
 *       "addresses": [ "198.19.0.10", ... ],
 *       "ports": [ { "name" ("" when unnamed), "protocol", "port",
 *           "nodePort" (or null), "endpoints": [ { "address", "port" } ],
 *           "counters": { "packets", "bytes" } or null } ] } ],
 *   "maps": [ { "name", "kind": "service-ips" | "service-nodeports" |
 *       "addresses" | "address-pairs" | "affinity" | "other",
 *       "elements": [ { the key's and value's fields: "address",
 *           "address2" (pairs, affinity), "protocol", "port" (service maps,
 *           affinity), "toAddress", "toPort" (affinity), "chain" (verdict
 *           maps) } ] } ],
 *   "chains": [ { "name", "comment" (or null), "hook" (or null),
 *       "type", "priority" (null for regular chains),
 *       "rules": [ { "kind", ... } ] } ],
 *   "nft": "the ruleset in the syntax nft -f reads"
 * }
 *
 * Rule kinds: "jump" (target), "vmap-service-ips" and "vmap-nodeports"
 * (map), "dnat" (protocol, address, port, numgenMod: 0 = unconditional),
 * "reject" (protocol), and "other" for anything else, with "handle".
 */

#include <stdio.h>

#include "ruleset.h"

struct json_object;

/* The document for t; the caller puts it with json_object_put. */
struct json_object *json_ruleset(const struct rs_table *t, const char *command);

/* Write the document, pretty-printed, and a newline. 0 or -errno. */
int json_ruleset_write(FILE *out, const struct rs_table *t, const char *command);
/* The same for a document built (or added to) by the caller; it is put. */
int json_doc_write(FILE *out, struct json_object *doc);

#endif
