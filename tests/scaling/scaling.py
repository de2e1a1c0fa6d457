#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Doubling series over every input dimension svcnft reads.

For each dimension: find a size n at which one run takes a measurable time
(about MIN_SECONDS of CPU), then run svcnft at n and at 4n, three times
each, and compare the medians of the child's CPU time (user + sys, from
wait4, so other load on the machine does not count). Linear work gives
about 4x, quadratic 16x; more than MAX_RATIO fails. Peak memory (maxrss)
is compared the same way. Prints one line per dimension.

    scaling.py [--list] [--keep DIR] [--only NAME,...] [--sizes N] SVCNFT
"""
import itertools
import os
import statistics
import subprocess
import sys
import tempfile

MIN_SECONDS = float(os.environ.get("SCALING_MIN_SECONDS", "0.04"))
MAX_RATIO = float(os.environ.get("SCALING_MAX_RATIO", "7"))
MAX_RSS_RATIO = 7.0
RUN_TIMEOUT = float(os.environ.get("SCALING_TIMEOUT", "60"))
DEVNULL = subprocess.DEVNULL

# --------------------------------------------------------------- documents


def meta(name, ns="default", extra=""):
    return "metadata:\n  name: %s\n  namespace: %s\n%s" % (name, ns, extra)


def service(name, ports, extra_spec="", selector=None, meta_extra="",
            status=""):
    out = ["apiVersion: v1", "kind: Service", meta(name, extra=meta_extra)
           .rstrip("\n"), "spec:"]
    if extra_spec:
        out.append(extra_spec.rstrip("\n"))
    if selector is not None:
        out.append("  selector:")
        out.extend("    %s: %s" % kv for kv in selector)
    if ports is not None:
        out.append("  ports:")
        out.extend(ports)
    if status:
        out.append(status.rstrip("\n"))
    return "\n".join(out) + "\n"


def port(name, number, proto="TCP", target=None):
    s = "  - port: %d\n    protocol: %s" % (number, proto)
    if name is not None:
        s += "\n    name: %s" % name
    if target is not None:
        s += "\n    targetPort: %s" % target
    return s


def pod(name, ip, labels, ports=(), indent="", labels_text=None):
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: %s" % name,
             "  namespace: default", "  labels:"]
    if labels_text is not None:
        lines.append(labels_text)
    else:
        lines.extend("    %s: %s" % kv for kv in labels)
    lines += ["spec:", "  nodeName: node-a", "  containers:",
              "  - name: c", "    image: x"]
    if ports:
        lines.append("    ports:")
        for pname, num in ports:
            lines.append("    - name: %s\n      containerPort: %d" % (pname, num))
    lines += ["status:", "  phase: Running", "  podIP: %s" % ip,
              "  conditions:", "  - type: Ready", '    status: "True"']
    return "".join(indent + l + "\n" for l in "\n".join(lines).split("\n"))


def ip4(i, base=(198 << 24 | 18 << 16)):
    v = base + i + 1
    return "%d.%d.%d.%d" % (v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255)


def pname(i):
    return "p%d" % i


def write(d, text, name="m.yaml"):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# ------------------------------------------------- FNV-1a collision strings

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
M64 = (1 << 64) - 1


def fnv_state(h, data):
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & M64
    return h


def fnv_colliding(prefix, count, bits=22, ways=4,
                  alphabet=b"abcdefghijklmnopqrstuvwxyz0123456789"):
    """count distinct strings s such that FNV-1a(prefix + s + any suffix)
    agrees in its low bits (what an attacker who knows the hash can
    write). The low bits of FNV-1a's state depend only on the low bits
    before, so a chain of blocks, each one of `ways` blocks that lead from
    the same state to the same state, gives ways^blocks strings."""
    mask = (1 << bits) - 1
    state = fnv_state(FNV_OFFSET, prefix) & mask
    steps = []
    total = 1
    while total < count:
        seen = {}
        # 4-byte blocks: with fewer, the multiplier's powers do not yet
        # wrap modulo 2^bits and distinct blocks never collide
        for blk in itertools.product(alphabet, repeat=4):
            blk = bytes(blk)
            h = fnv_state(state, blk) & mask
            group = seen.setdefault(h, [])
            group.append(blk)
            if len(group) == ways:
                steps.append(group)
                state = h
                break
        else:
            raise RuntimeError("no FNV-1a collision found")
        total *= ways
    out = []
    for i in range(count):
        parts = []
        for group in steps:
            parts.append(group[i % ways])
            i //= ways
        out.append(b"".join(parts).decode())
    return out


_collide_cache = {}


def colliding(prefix, count):
    key = prefix
    have = _collide_cache.get(key)
    if not have or len(have) < count:
        have = fnv_colliding(prefix.encode(), max(count, 1 << 16))
        _collide_cache[key] = have
    return have[:count]


# ------------------------------------------------------------- dimensions
# Each takes (n, dir) and returns (svcnft arguments after the command,
# command). The files are written into dir.


def d_flow_seq(n, d):
    text = service("web", [port(None, 80)],
                   meta_extra="  annotations:\n    a: " + "[" * n + "]" * n + "\n")
    return ["check", write(d, text)]


def d_flow_map(n, d):
    text = service("web", [port(None, 80)],
                   meta_extra="  annotations:\n    a: " + "{a: " * n + "b" + "}" * n + "\n")
    return ["check", write(d, text)]


def d_json_nesting(n, d):
    text = ('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", '
            '"annotations": {"a": ' + "[" * n + "]" * n + '}}, "spec": '
            '{"ports": [{"port": 80}]}}\n')
    return ["check", write(d, text, "m.json")]


def many_ports(n, name=pname, same=False):
    # TCP and UDP both, so that 4n distinct ports fit in 1-65535 twice
    out = []
    for i in range(n):
        number = 80 if same else 1 + i // 2
        out.append(port(name(i), number, "TCP" if same or i % 2 == 0 else "UDP"))
    return out


def d_ports(n, d):
    return ["check", write(d, service("web", many_ports(n)))]


def d_ports_plan(n, d):
    return ["plan", write(d, service("web", many_ports(n)))]


def d_ports_same_number(n, d):
    return ["check", write(d, service("web", many_ports(n, same=True)))]


def d_endpoints_ports(n, d):
    text = service("web", many_ports(n))
    eps = ["---", "apiVersion: v1", "kind: Endpoints", meta("web").rstrip(),
           "subsets:", "- addresses:", "  - ip: 198.18.0.5", "  ports:"]
    for i in reversed(range(n)):
        eps.append("  - name: %s\n    port: %d\n    protocol: %s" %
                   (pname(i), 1000 + i % 60000, "TCP" if i % 2 == 0 else "UDP"))
    return ["check", write(d, text + "\n".join(eps) + "\n")]


def d_slice_ports(n, d):
    text = service("web", many_ports(n))
    sl = ["---", "apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice",
          meta("web-1", extra="  labels:\n    kubernetes.io/service-name: web\n")
          .rstrip(), "addressType: IPv4", "endpoints:",
          "- addresses: [198.18.0.5]", "ports:"]
    for i in reversed(range(n)):
        sl.append("- name: %s\n  port: %d\n  protocol: %s" %
                  (pname(i), 1000 + i % 60000, "TCP" if i % 2 == 0 else "UDP"))
    return ["check", write(d, text + "\n".join(sl) + "\n")]


def d_named_target_ports(n, d):
    ports = [port(pname(i), 1 + i, "TCP", target="t%d" % i) for i in range(n)]
    text = service("web", ports, selector=[("app", "web")])
    text += "---\n" + pod("web-1", "198.18.0.5", [("app", "web")],
                          ports=[("t%d" % i, 1 + i % 60000)
                                 for i in reversed(range(n))])
    return ["check", write(d, text)]


def d_plan_json_ports(n, d):
    return ["plan", "-o", "json", write(d, service("web", many_ports(n)))]


def d_pods_named_ports(n, d):
    # n Pods, each serving the Service's ten named targetPorts
    ports = [port(pname(i), 80 + i, target="t%d" % i) for i in range(10)]
    text = service("web", ports, selector=[("app", "web")])
    text += "".join("---\n" + pod("w%d" % i, ip4(i), [("app", "web")],
                                  ports=[("t%d" % j, 1000 + j) for j in range(10)])
                    for i in range(n))
    return ["check", write(d, text)]


def d_selector_keys(n, d):
    labels = [("k%d" % i, "v") for i in range(n)]
    text = service("web", [port(None, 80)], selector=labels)
    text += "---\n" + pod("web-1", "198.18.0.5", list(reversed(labels)))
    return ["check", write(d, text)]


def d_merged_labels(n, d):
    labels = "\n".join("      k%d: v" % i for i in range(n))
    first = pod("a", "198.18.0.5", (), indent="  ",
                labels_text="    labels: &l\n" + labels)
    # the anchor is on the labels mapping; rewrite "labels:\n" + "labels: &l"
    first = first.replace("    labels:\n    labels: &l", "    labels: &l")
    second = pod("b", "198.18.0.6", (), indent="  ",
                 labels_text="      <<: *l\n      own: x")
    items = "- " + first[2:] + "- " + second[2:]
    text = "apiVersion: v1\nkind: List\nitems:\n" + items
    return ["check", write(d, text)]


def d_external_ips(n, d):
    spec = "  externalIPs:\n" + "".join("  - %s\n" % ip4(i) for i in range(n))
    return ["check", write(d, service("web", [port(None, 80)], extra_spec=spec))]


def d_lb_ingress(n, d):
    status = "status:\n  loadBalancer:\n    ingress:\n" + \
        "".join("    - ip: %s\n" % ip4(i) for i in range(n))
    return ["check", write(d, service("web", [port(None, 80)],
                                      extra_spec="  type: LoadBalancer",
                                      status=status))]


def d_label_collisions(n, d):
    keys = colliding("default\x1f", n)
    text = service("web", [port(None, 80)], selector=[("app", "web")])
    text += "---\n" + pod("web-1", "198.18.0.5",
                          [("app", "web")] + [(k, "v") for k in keys])
    return ["check", write(d, text)]


def d_name_collisions(n, d):
    names = colliding("default/s", n)
    text = "".join("---\n" + service("s" + nm, [port(None, 80)])
                   for nm in names)
    return ["check", "--service-cidr", "10.0.0.0/8", write(d, text)]


def d_anchor_collisions(n, d):
    names = fnv_colliding(b"", n) if n > len(_collide_cache.get("", [])) \
        else _collide_cache[""][:n]
    _collide_cache[""] = names
    body = "".join("    %s: &%s v\n" % (nm, nm) for nm in names)
    text = service("web", [port(None, 80)],
                   meta_extra="  annotations:\n" + body)
    return ["check", write(d, text)]


def d_services_pods(n, d):
    out = []
    for i in range(n):
        out.append("---\n" + service("s%d" % i, [port(None, 80)],
                                     selector=[("a-release", "r"), ("name", "s%d" % i)]))
        out.append("---\n" + pod("p%d" % i, ip4(i), [("a-release", "r"), ("name", "s%d" % i)]))
    return ["check", "--service-cidr", "10.0.0.0/8", write(d, "".join(out))]


def services_with_endpoints(n, d):
    out = []
    for i in range(n):
        out.append("---\n" + service("s%d" % i, [port(None, 80)]))
        out.append("---\napiVersion: v1\nkind: Endpoints\n" + meta("s%d" % i) +
                   "subsets:\n- addresses:\n  - ip: %s\n  ports:\n  - port: 80\n" % ip4(i))
    return write(d, "".join(out))


def d_iptables_plan(n, d):
    return ["plan", "--backend", "iptables", "--service-cidr", "10.0.0.0/8",
            services_with_endpoints(n, d)]


def d_nft_plan(n, d):
    return ["plan", "--service-cidr", "10.0.0.0/8", services_with_endpoints(n, d)]


def d_errors_long_name(n, d):
    # every port invalid, in a Service whose name is long (and invalid):
    # each message names the Service, shortened
    name = "x" * 65536
    ports = [port(pname(i), 0) for i in range(n)]
    return ["check", write(d, service(name, ports))]


def d_errors_one_line_json(n, d):
    # compact JSON (jq -c): one line, n invalid ports, each message placed
    # by its column
    ports = ",".join('{"name":"p%d","port":0}' % i for i in range(n))
    text = ('{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},'
            '"spec":{"ports":[' + ports + ']}}\n')
    return ["check", write(d, text, "m.json")]


def d_tag_directives(n, d):
    text = "".join("%%TAG !t%d! tag:example.com,2024:t%d:\n" % (i, i) for i in range(n))
    text += "---\n" + service("web", [port(None, 80)])
    return ["check", write(d, text)]


def pow2_at_least(n):
    b = 1
    while (1 << b) < n:
        b += 1
    return b


def d_cluster_ip_overflow(n, d):
    # a range of about n addresses, and 2n Services without a clusterIP
    bits = pow2_at_least(n)
    text = "".join("---\n" + service("s%d" % i, [port(None, 80)]) for i in range(2 * n))
    return ["check", "--service-cidr", "10.0.0.0/%d" % (32 - bits), write(d, text)]


def d_node_port_overflow(n, d):
    text = "".join("---\n" + service("s%d" % i, [port(None, 80)],
                                     extra_spec="  type: NodePort")
                   for i in range(2 * n))
    return ["check", "--service-cidr", "10.0.0.0/8", "--nodeport-range",
            "30000-%d" % (30000 + n - 1), write(d, text)]


def d_path_dirs(n, d):
    top = os.path.join(d, "m")
    os.mkdir(top)
    for i in range(n):
        os.mkdir(os.path.join(top, "d%d" % i))
    write(top, service("web", [port(None, 80)]))
    return ["check", top]


def d_dir_depth(n, d):
    top = os.path.join(d, "m")
    p = top
    os.mkdir(p)
    for i in range(n):
        if i % 8 == 0:
            write(p, service("s%d" % i, [port(None, 80)]), "s.yaml")
        p = os.path.join(p, "d")
        os.mkdir(p)
    return ["check", top]


def d_services(n, d):
    """a control: many Services, known to be linear"""
    text = "".join("---\n" + service("s%d" % i, [port(None, 80)]) for i in range(n))
    return ["check", "--service-cidr", "10.0.0.0/8", write(d, text)]


# PATH_MAX bounds a chain of directories at about 2,000 levels, and the
# kernel resolves every component of every path svcnft opens, so each level
# costs the depth: quadratic, bounded. What must not come back is the check
# of every directory above every file (cubic: 64x from n to 4n).
DEPTH_MAX_RATIO = 24.0

# name, generator, first n (about half of where one run takes MIN_SECONDS
# here, so that calibrating takes a step or two), largest n (the larger of
# the two measured sizes), the largest ratio allowed from n to 4n (None:
# MAX_RATIO)
DIMENSIONS = [
    ("flow-nesting-seq", d_flow_seq, 262144, 1 << 22, None),
    ("flow-nesting-map", d_flow_map, 131072, 1 << 21, None),
    ("flow-nesting-json", d_json_nesting, 262144, 1 << 22, None),
    ("ports", d_ports, 8000, 131070, None),
    ("ports-plan", d_ports_plan, 4000, 131070, None),
    ("ports-same-number", d_ports_same_number, 8000, 1 << 20, None),
    ("service-x-endpoints-ports", d_endpoints_ports, 4000, 131070, None),
    ("service-x-slice-ports", d_slice_ports, 4000, 131070, None),
    ("named-target-ports", d_named_target_ports, 4000, 65535, None),
    ("plan-json-ports", d_plan_json_ports, 4000, 131070, None),
    ("pods-x-named-ports", d_pods_named_ports, 1000, 1 << 17, None),
    ("selector-keys", d_selector_keys, 16000, 1 << 20, None),
    ("merged-labels", d_merged_labels, 16000, 1 << 20, None),
    ("external-ips", d_external_ips, 16000, 1 << 20, None),
    ("lb-ingress", d_lb_ingress, 16000, 1 << 20, None),
    ("label-hash-flood", d_label_collisions, 16000, 1 << 19, None),
    ("name-hash-flood", d_name_collisions, 8000, 1 << 18, None),
    ("anchor-hash-flood", d_anchor_collisions, 16000, 1 << 19, None),
    ("services-x-pods", d_services_pods, 1000, 1 << 18, None),
    ("iptables-plan", d_iptables_plan, 4000, 1 << 18, None),
    ("nftables-plan", d_nft_plan, 2000, 1 << 18, None),
    ("errors-long-name", d_errors_long_name, 6400, 1 << 18, None),
    ("errors-one-line-json", d_errors_one_line_json, 16000, 1 << 19, None),
    ("tag-directives", d_tag_directives, 128000, 1 << 20, None),
    ("cluster-ip-overflow", d_cluster_ip_overflow, 2048, 1 << 17, None),
    ("node-port-overflow", d_node_port_overflow, 2048, 32768, None),
    ("path-directories", d_path_dirs, 4000, 1 << 18, None),
    ("directory-depth", d_dir_depth, 128, 1800, DEPTH_MAX_RATIO),
    ("services", d_services, 4000, 1 << 19, None),
]

# ---------------------------------------------------------------- running


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_svcnft(svcnft, args, n):
    """one run: CPU time (user + sys, from wait4, which counts what the
    child waited for) and peak memory in KiB, or 0 when unknown. Linux
    keeps a process's peak across exec, so a child forked from this
    (large) interpreter would report the interpreter's: /usr/bin/time,
    small itself, reports svcnft's."""
    with tempfile.NamedTemporaryFile("r") as rss:
        argv = [svcnft] + args
        if TIME:
            argv = [TIME, "-f", "%M", "-o", rss.name] + argv
        child = subprocess.Popen(argv, stdout=DEVNULL, stderr=DEVNULL)
        try:
            _, status, ru = os.wait4(child.pid, 0)
        finally:
            child.returncode = 0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise RuntimeError("svcnft %s at n=%d exited with %d" % (args[0], n, code))
        text = rss.read().split()
    return ru.ru_utime + ru.ru_stime, int(text[-1]) if TIME and text else 0


def median_run(svcnft, gen, n, keep, runs=3):
    d = tempfile.mkdtemp(prefix="svcnft-scaling.", dir=keep)
    try:
        args = gen(n, d)
        results = [run_svcnft(svcnft, args, n) for _ in range(runs)]
    finally:
        if keep is None:
            # rm, not shutil.rmtree: that recurses once per level in Python
            subprocess.run(["rm", "-rf", d], check=False)
    return (statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results))


def calibrate(svcnft, gen, first, largest):
    """the smallest n (doubling from first) at which one run takes about
    MIN_SECONDS, such that 4n stays within largest"""
    n = first
    while n * 8 <= largest:
        t, _ = median_run(svcnft, gen, n, None, runs=1)
        if t >= MIN_SECONDS:
            break
        n *= 2
    return n


def measure(svcnft, name, gen, first, largest, max_ratio, keep):
    n = calibrate(svcnft, gen, first, largest)
    t1, m1 = median_run(svcnft, gen, n, keep)
    t4, m4 = median_run(svcnft, gen, 4 * n, keep)
    # below a few milliseconds, CPU time is mostly start-up and clock ticks
    ratio = t4 / max(t1, 0.005)
    rss_ratio = m4 / max(m1, 1)
    per_doubling = ratio ** 0.5
    max_ratio = max_ratio or MAX_RATIO
    ok = ratio <= max_ratio and rss_ratio <= max(max_ratio, MAX_RSS_RATIO)
    print("%s %-26s n=%-7d %.3fs  4n=%-7d %.3fs  x%.1f (%.2f per doubling)  rss %d->%d KiB" %
          ("ok  " if ok else "FAIL", name, n, t1, 4 * n, t4, ratio, per_doubling,
           m1, m4), flush=True)
    return ok


def main(argv):
    keep = None
    only = None
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--list":
            for name, _, _, _, _ in DIMENSIONS:
                print(name)
            return 0
        if opt == "--keep":
            keep = args.pop(0)
        elif opt == "--only":
            only = set(args.pop(0).split(","))
        else:
            print("unknown option %s" % opt, file=sys.stderr)
            return 2
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    svcnft = args[0]
    failed = []
    for name, gen, first, largest, max_ratio in DIMENSIONS:
        if only and name not in only:
            continue
        try:
            if not measure(svcnft, name, gen, first, largest, max_ratio, keep):
                failed.append(name)
        except RuntimeError as e:
            print("FAIL %s: %s" % (name, e), flush=True)
            failed.append(name)
    if failed:
        print("# grows faster than linear (over %.0fx from n to 4n, in time or memory): %s" %
              (MAX_RATIO, " ".join(failed)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
