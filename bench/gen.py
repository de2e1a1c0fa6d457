#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark inputs for N Services x E endpoints.

  gen.py yaml DIR N E [base|change|add|remove]
      Services and EndpointSlices as `kubectl get -o yaml` prints them (two
      Lists, with managedFields, annotations, status), in DIR. The variants
      differ from base by one Service: change moves one endpoint of the first
      Service, add adds Service N, remove leaves out the last Service.
  gen.py docs DIR N E [base|change|add|remove]
      The same objects, one per YAML document (`---` between them), as
      `kubectl get -o yaml` of each object concatenated prints them.
  gen.py yaml-files DIR N E PER [base|change]
      The same objects in files of PER Services with their EndpointSlices
      each (fNNNN.yaml, one List), as a watched directory holds them;
      change differs in the first file only.
  gen.py kube-nft N E      kube-proxy's nftables layout (numgen vmap per
                           Service, a chain per endpoint), for nft -f
  gen.py iptables N E      kube-proxy's iptables layout, for iptables-restore

Addresses: ClusterIPs in 198.19.0.0/16, endpoints in 198.18.0.0/16 (the
benchmarking range; only ever programmed in throwaway network namespaces).
"""
import os
import sys

STAMP = "2024-05-01T10:00:00Z"


def cluster_ip(i):
    return "198.19.%d.%d" % (i // 250, i % 250 + 1)


def endpoint_ip(i, j, variant):
    k = (i * 7919 + j) % 62500
    if variant == "change" and i == 0 and j == 0:
        k = 62501
    return "198.18.%d.%d" % (k // 250, k % 250 + 1)


def uid(kind, i):
    return "%08x-0000-4000-8000-%012x" % (kind, i)


def service(out, i):
    name = "svc-%05d" % i
    ip = cluster_ip(i)
    out.write(f"""- apiVersion: v1
  kind: Service
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {{"apiVersion":"v1","kind":"Service","metadata":{{"annotations":{{}},"name":"{name}","namespace":"bench"}},"spec":{{"ports":[{{"name":"http","port":80,"protocol":"TCP","targetPort":8080}}],"selector":{{"app":"{name}"}}}}}}
    creationTimestamp: "{STAMP}"
    labels:
      app: {name}
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata:
          f:annotations:
            .: {{}}
            f:kubectl.kubernetes.io/last-applied-configuration: {{}}
        f:spec:
          f:internalTrafficPolicy: {{}}
          f:ports:
            .: {{}}
            k:{{"port":80,"protocol":"TCP"}}:
              .: {{}}
              f:name: {{}}
              f:port: {{}}
              f:protocol: {{}}
              f:targetPort: {{}}
          f:selector: {{}}
          f:sessionAffinity: {{}}
          f:type: {{}}
      manager: kubectl-client-side-apply
      operation: Update
      time: "{STAMP}"
    name: {name}
    namespace: bench
    resourceVersion: "{100000 + i}"
    uid: {uid(1, i)}
  spec:
    clusterIP: {ip}
    clusterIPs:
    - {ip}
    internalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ipFamilyPolicy: SingleStack
    ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: 8080
    selector:
      app: {name}
    sessionAffinity: None
    type: ClusterIP
  status:
    loadBalancer: {{}}
""")


def endpoint(out, i, j, variant):
    name = "svc-%05d" % i
    out.write(f"""  - addresses:
    - {endpoint_ip(i, j, variant)}
    conditions:
      ready: true
      serving: true
      terminating: false
    nodeName: node-{j % 3}
    targetRef:
      kind: Pod
      name: {name}-pod-{j}
      namespace: bench
      uid: {uid(3, i * 64 + j)}
""")


def slice_(out, i, e, variant):
    name = "svc-%05d" % i
    out.write(f"""- addressType: IPv4
  apiVersion: discovery.k8s.io/v1
  endpoints:
""")
    for j in range(e):
        endpoint(out, i, j, variant)
    out.write(f"""  kind: EndpointSlice
  metadata:
    annotations:
      endpoints.kubernetes.io/last-change-trigger-time: "{STAMP}"
    creationTimestamp: "{STAMP}"
    generateName: {name}-
    generation: 1
    labels:
      endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
      kubernetes.io/service-name: {name}
    managedFields:
    - apiVersion: discovery.k8s.io/v1
      fieldsType: FieldsV1
      fieldsV1:
        f:addressType: {{}}
        f:endpoints: {{}}
        f:metadata:
          f:labels:
            .: {{}}
            f:endpointslice.kubernetes.io/managed-by: {{}}
            f:kubernetes.io/service-name: {{}}
          f:ownerReferences:
            .: {{}}
            k:{{"uid":"{uid(1, i)}"}}: {{}}
        f:ports: {{}}
      manager: kube-controller-manager
      operation: Update
      time: "{STAMP}"
    name: {name}-x7k2p
    namespace: bench
    ownerReferences:
    - apiVersion: v1
      blockOwnerDeletion: true
      controller: true
      kind: Service
      name: {name}
      uid: {uid(1, i)}
    resourceVersion: "{200000 + i}"
    uid: {uid(2, i)}
  ports:
  - name: http
    port: 8080
    protocol: TCP
""")


def services_of(n, variant):
    if variant == "add":
        return range(n + 1)
    if variant == "remove":
        return range(n - 1)
    return range(n)


def write_yaml(d, n, e, variant):
    os.makedirs(d, exist_ok=True)
    ids = services_of(n, variant)
    with open(os.path.join(d, "services.yaml"), "w") as out:
        out.write("apiVersion: v1\nitems:\n")
        for i in ids:
            service(out, i)
        out.write('kind: List\nmetadata:\n  resourceVersion: ""\n')
    with open(os.path.join(d, "endpointslices.yaml"), "w") as out:
        out.write("apiVersion: v1\nitems:\n")
        for i in ids:
            slice_(out, i, e, variant)
        out.write('kind: List\nmetadata:\n  resourceVersion: ""\n')


class Documents:
    """Writes each List item written to it as a YAML document of its own:
    the item's "- " becomes "---" and its lines lose the item indentation."""

    def __init__(self, out):
        self.out = out

    def write(self, text):
        for line in text.splitlines(True):
            if line.startswith("- "):
                self.out.write("---\n" + line[2:])
            else:
                self.out.write(line[2:] if line.startswith("  ") else line)


def write_docs(d, n, e, variant):
    os.makedirs(d, exist_ok=True)
    ids = services_of(n, variant)
    with open(os.path.join(d, "services.yaml"), "w") as f:
        out = Documents(f)
        for i in ids:
            service(out, i)
    with open(os.path.join(d, "endpointslices.yaml"), "w") as f:
        out = Documents(f)
        for i in ids:
            slice_(out, i, e, variant)


def write_yaml_files(d, n, e, per, variant):
    os.makedirs(d, exist_ok=True)
    for f in range((n + per - 1) // per):
        ids = range(f * per, min(n, (f + 1) * per))
        if variant != "base" and f != 0:
            continue
        with open(os.path.join(d, "f%04d.yaml" % f), "w") as out:
            out.write("apiVersion: v1\nitems:\n")
            for i in ids:
                service(out, i)
            for i in ids:
                slice_(out, i, e, variant)
            out.write('kind: List\nmetadata:\n  resourceVersion: ""\n')


def kube_nft(out, n, e):
    t = "ip kube-proxy"
    w = out.write
    w(f"add table {t}\n")
    w(f"add map {t} service-ips {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}\n")
    w(f"add chain {t} nat-prerouting {{ type nat hook prerouting priority dstnat ; }}\n")
    w(f"add chain {t} nat-output {{ type nat hook output priority -100 ; }}\n")
    w(f"add chain {t} services\n")
    for i in range(n):
        w(f"add chain {t} service-{i}\n")
        for j in range(e):
            w(f"add chain {t} endpoint-{i}-{j}\n")
    w(f"add rule {t} nat-prerouting jump services\n")
    w(f"add rule {t} nat-output jump services\n")
    w(f"add rule {t} services ip daddr . meta l4proto . th dport vmap @service-ips\n")
    for i in range(n):
        vm = ", ".join(f"{j} : goto endpoint-{i}-{j}" for j in range(e))
        w(f"add rule {t} service-{i} numgen random mod {e} vmap {{ {vm} }}\n")
        for j in range(e):
            w(f"add rule {t} endpoint-{i}-{j} meta l4proto tcp dnat to {endpoint_ip(i, j, 'base')}:8080\n")
    for i in range(n):
        w(f"add element {t} service-ips {{ {cluster_ip(i)} . tcp . 80 : goto service-{i} }}\n")


def iptables(out, n, e):
    w = out.write
    w("*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n")
    for i in range(n):
        w(f":KUBE-SVC-{i:06d} - [0:0]\n")
        for j in range(e):
            w(f":KUBE-SEP-{i:06d}-{j:02d} - [0:0]\n")
    w("-A PREROUTING -j KUBE-SERVICES\n-A OUTPUT -j KUBE-SERVICES\n")
    for i in range(n):
        w(f"-A KUBE-SERVICES -d {cluster_ip(i)}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-{i:06d}\n")
        for j in range(e):
            if j < e - 1:
                w(f"-A KUBE-SVC-{i:06d} -m statistic --mode random --probability {1.0 / (e - j):.11f} -j KUBE-SEP-{i:06d}-{j:02d}\n")
            else:
                w(f"-A KUBE-SVC-{i:06d} -j KUBE-SEP-{i:06d}-{j:02d}\n")
        for j in range(e):
            w(f"-A KUBE-SEP-{i:06d}-{j:02d} -p tcp -m tcp -j DNAT --to-destination {endpoint_ip(i, j, 'base')}:8080\n")
    w("COMMIT\n")


def main(argv):
    if len(argv) >= 5 and argv[1] == "yaml":
        write_yaml(argv[2], int(argv[3]), int(argv[4]), argv[5] if len(argv) > 5 else "base")
    elif len(argv) >= 5 and argv[1] == "docs":
        write_docs(argv[2], int(argv[3]), int(argv[4]), argv[5] if len(argv) > 5 else "base")
    elif len(argv) >= 6 and argv[1] == "yaml-files":
        write_yaml_files(argv[2], int(argv[3]), int(argv[4]), int(argv[5]),
                         argv[6] if len(argv) > 6 else "base")
    elif len(argv) == 4 and argv[1] == "kube-nft":
        kube_nft(sys.stdout, int(argv[2]), int(argv[3]))
    elif len(argv) == 4 and argv[1] == "iptables":
        iptables(sys.stdout, int(argv[2]), int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
