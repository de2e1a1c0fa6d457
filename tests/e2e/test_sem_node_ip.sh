#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --node-ip: node ports answer on the addresses given and on no other
# local address; without it, on every local address but loopback.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
out=$E2E_WORKDIR
m=$(manifest_dir nodeip)
cat >"$m/svc.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  clusterIP: 198.19.0.15
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30085}]
$(sem_slice np a a a)
YAML

assert_exit "apply without --node-ip" 0 svcnft_in node apply "$m"
probe_in pod1 tcp 198.18.1.1 30085 -n 6 -t 500 >"$out/any"
assert_range "every local address answers the node port (198.18.1.1 from pod1)" \
	1 3 "$(count_of_pods "$out/any")"
probe_in node tcp 127.0.0.1 30085 -n 2 -t 500 >"$out/lo"
assert_no_grep "loopback does not" "^pod" "$out/lo"

assert_exit "apply with --node-ip $NODE_IP" 0 svcnft_in node apply --node-ip "$NODE_IP" "$m"
probe_in client tcp "$NODE_IP" 30085 -n 6 >"$out/given"
assert_range "the given address answers" 1 3 "$(count_of_pods "$out/given")"
probe_in pod1 tcp 198.18.1.1 30085 -n 3 -t 500 >"$out/other"
assert_no_grep "another local address does not" "^pod" "$out/other"
t_done
