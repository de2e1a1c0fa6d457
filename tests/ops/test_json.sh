#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# plan -o json: valid JSON, read back with jq (or python3), with the schema
# svcnft(8) documents and the same ruleset as the text plan.
. "$(dirname "$0")/lib.sh"
ops_init

json="$E2E_WORKDIR/plan.json"
"$SVCNFT" plan -o json --node-name node-a "$SVCNFT_ROOT/examples" >"$json"
if command -v python3 >/dev/null 2>&1; then
	t_check "python3 -m json.tool parses plan -o json" python3 -m json.tool "$json"
fi
command -v jq >/dev/null 2>&1 || { skip "the schema, read with jq" "jq not installed"; t_done; }
t_check "jq parses plan -o json" jq -e . "$json"

q() { jq -r "$1" "$json"; }
assert_eq "schema 1" 1 "$(q .schema)"
assert_eq "command" plan "$(q .command)"
assert_eq "table" "ip svcnft" "$(q '.table.family + " " + .table.name')"
# A Service appears once per namespace/name in the chains' comments.
want=$("$SVCNFT" plan "$SVCNFT_ROOT/examples" |
	sed -n 's/^[[:space:]]*comment "[A-Za-z]* \([^ "]*\).*/\1/p' | sort -u | wc -l)
assert_eq "a service entry per Service with a chain ($want)" "$want" \
	"$(q '.services | length')"
assert_eq "every service has the documented keys" "true" "$(q '[.services[] | keys ==
	["addresses","externalName","name","namespace","ports","type"]] | all')"
assert_eq "every port has the documented keys" "true" "$(q '[.services[].ports[] | keys ==
	["counters","endpoints","localEndpoints","name","nodePort","port","protocol"]] | all')"
assert_eq "counters are null: svcnft's rules have none" "null" \
	"$(q '[.services[].ports[].counters] | unique | .[0]')"
assert_eq "my-nodeport has node port 30008" 30008 \
	"$(q '.services[] | select(.name == "my-nodeport") | .ports[0].nodePort')"
assert_eq "my-service spreads over three endpoints" 3 \
	"$(q '.services[] | select(.namespace == "default" and .name == "my-service") | .ports[0].endpoints | length')"
assert_eq "a Local policy's port lists this node's endpoints apart" \
	"3 2" "$(q '.services[] | select(.name == "my-local") | .ports[0] |
	"\(.endpoints | length) \(.localEndpoints | length)"')"
assert_eq "ports without a Local policy have localEndpoints null" null \
	"$(q '.services[] | select(.name == "my-nodeport") | .ports[0].localEndpoints')"
assert_eq "an ExternalName keeps its target" "my.database.example.com" \
	"$(q '.services[] | select(.type == "ExternalName") | .externalName')"
# the firewall map (loadBalancerSourceRanges) has the service-ips key too
assert_eq "the verdict maps, by name and kind" \
	"firewall:service-ips service-ips:service-ips service-nodeports:service-nodeports" \
	"$(q '[.maps[] | select(.kind | startswith("service-")) | .name + ":" + .kind] | sort | join(" ")')"
assert_eq "every verdict map element points at a chain that exists" "true" \
	"$(q '[.chains[].name] as $c | [.maps[] | select(.kind | startswith("service-")) |
	.elements[] | .chain | IN($c[])] | all')"
assert_eq "service chains hold dnat and reject rules" "true true" \
	"$(q '[.chains[] | select(.hook == null and (.name | startswith("svc-"))) | .rules[].kind] |
	(index("dnat") != null | tostring) + " " + (index("reject") != null | tostring)')"

# The nft text in the JSON is the plan's ip table without its two replace
# lines (schema 1 describes the ip table; the plan has an ip6 one after it
# for the dual-stack example).
"$SVCNFT" plan --node-name node-a "$SVCNFT_ROOT/examples" | sed '1,/^delete table ip /d; /^table ip6 /,$d' \
	>"$E2E_WORKDIR/plan.nft"
jq -j .nft "$json" >"$E2E_WORKDIR/json.nft"
assert_same_file "the nft field is the ruleset plan prints" "$E2E_WORKDIR/plan.nft" "$E2E_WORKDIR/json.nft"

assert_exit "plan --diff -o json is refused" 2 "$SVCNFT" plan --diff -o json "$SVCNFT_ROOT/examples"
assert_exit "-o yaml is refused" 2 "$SVCNFT" plan -o yaml "$SVCNFT_ROOT/examples"
assert_exit "apply takes no -o" 2 "$SVCNFT" apply -o json "$SVCNFT_ROOT/examples"
t_done
