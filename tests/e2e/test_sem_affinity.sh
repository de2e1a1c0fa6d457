#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sessionAffinity: ClientIP — every connection from one client address
# reaches the same endpoint; another client address may get another one;
# the choice survives a re-apply that does not change the Service; going
# back to None spreads connections again at the next apply; an entry
# expires after timeoutSeconds without traffic.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
ip -n "$(ns_name client)" addr add 198.18.200.3/24 dev eth0
out=$E2E_WORKDIR
m=$(manifest_dir affinity)

service() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  type: NodePort
  clusterIP: 198.19.0.30
  sessionAffinity: $1
  sessionAffinityConfig: {clientIP: {timeoutSeconds: $2}}
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30082}]
$(sem_slice sticky a a a)
YAML
}

service ClientIP 600 >"$m/svc.yaml"
assert_exit "apply with ClientIP affinity" 0 svcnft_in node apply "$m"
probe_in client tcp 198.19.0.30 80 -n 20 >"$out/a"
first=$(sem_pods "$out/a")
assert_eq "20 connections from one client reach one pod" 1 "$(echo "$first" | wc -w)"
seen=""
for i in 1 2 3 4 5 6; do
	probe_in client tcp 198.19.0.30 80 -n 5 -s 198.18.200.3 >"$out/b$i"
	seen="$seen $(sem_pods "$out/b$i")"
	assert_eq "another client address sticks too (round $i)" 1 "$(count_of_pods "$out/b$i")"
done
probe_in client tcp "$NODE_IP" 30082 -n 10 >"$out/np"
assert_eq "the node port is sticky too" 1 "$(count_of_pods "$out/np")"
assert_exit "re-apply of the same manifests" 0 svcnft_in node apply "$m"
probe_in client tcp 198.19.0.30 80 -n 10 >"$out/again"
assert_eq "the client keeps its pod across an unchanged re-apply" "$first" "$(sem_pods "$out/again")"

service None 600 >"$m/svc.yaml"
assert_exit "apply with sessionAffinity None" 0 svcnft_in node apply "$m"
probe_in client tcp 198.19.0.30 80 -n 30 >"$out/none"
assert_range "None: connections spread over the pods again" 2 3 "$(count_of_pods "$out/none")"

service ClientIP 2 >"$m/svc.yaml"
assert_exit "apply with a 2 s timeout" 0 svcnft_in node apply "$m"
# Each try after the timeout picks another of the three pods with
# probability 2/3: up to 14 tries miss a change once in 5 million.
changed=0
for i in $(seq 1 15); do
	probe_in client tcp 198.19.0.30 80 -n 1 >"$out/t$i"
	if [ "$i" -gt 1 ] && [ "$(sem_pods "$out/t$i")" != "$(sem_pods "$out/t1")" ]; then
		changed=1
		break
	fi
	sleep 3
done
assert_eq "after the timeout without traffic a new endpoint may be chosen" 1 "$changed"
t_done
