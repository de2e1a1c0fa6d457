#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench: svcnft against nft -f, kube-proxy's layouts and iptables-restore.

Every ruleset is programmed only inside network namespaces this run creates
(svcnft-PID-*), deleted on exit, Ctrl-C or kill (see
shared/docs/testing-in-netns.md); nothing touches the root namespace.
Prints a Markdown table: medians over RUNS runs, the compared commands run
alternately in the same run, ratios side by side.

Environment: BENCH_RUNS (default 3), BENCH_SIZES (default
"1000x10 10000x10 40000x2"), BENCH_KUBE_NFT=0 to skip kube-proxy's nft
layout (at 10k x 10 one load takes about two minutes, so it runs once
there, and never at 40k), BENCH_CHANGE_AT (default 10000x10: the size at
which changes, no-op, dump, check and memory are measured), BENCH_SHAPES
(default "list docs": the objects as two kubectl Lists, and one object per
YAML document), BENCH_ROWS (default "full change add remove noop dump
check": which figures to measure, to rerun a few on a busy machine),
BENCH_OTHERS=0 to leave out kube-proxy's layouts and iptables-restore,
BENCH_WATCH (default 10000x10: svcnft watch on that many Services in files
of 10 with their EndpointSlices; 0 skips it), BENCH_ONLY=watch (only that
part). Each full apply and change row is followed by its floor from the
same runs: the kernel's part (apply -v) and a bare libyaml scan of the
input.
"""
import atexit
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SVCNFT = os.path.join(ROOT, "svcnft")
YAMLSCAN = os.path.join(ROOT, "build", "bench", "yamlscan")
GEN = os.path.join(ROOT, "bench", "gen.py")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SIZES = [tuple(int(x) for x in s.split("x"))
         for s in os.environ.get("BENCH_SIZES", "1000x10 10000x10 40000x2").split()]
KUBE_NFT = os.environ.get("BENCH_KUBE_NFT", "1") != "0"
CHANGE_AT = tuple(int(x) for x in os.environ.get("BENCH_CHANGE_AT", "10000x10").split("x"))
SHAPES = os.environ.get("BENCH_SHAPES", "list docs").split()
ROWS = set(os.environ.get("BENCH_ROWS", "full change add remove noop dump check").split())
OTHERS = os.environ.get("BENCH_OTHERS", "1") != "0"
WATCH_AT = os.environ.get("BENCH_WATCH", "10000x10")
ONLY = os.environ.get("BENCH_ONLY", "")
PREFIX = "svcnft-%d-" % os.getpid()

namespaces = []
work = tempfile.mkdtemp(prefix="svcnft-bench.")
counter = [0]


def cleanup():
    for ns in list(namespaces):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        namespaces.remove(ns)
    shutil.rmtree(work, ignore_errors=True)


def on_signal(sig, _frame):
    sys.exit(128 + sig)     # runs cleanup through atexit


atexit.register(cleanup)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, on_signal)


def ns_add():
    counter[0] += 1
    ns = "%sb%d" % (PREFIX, counter[0])
    subprocess.run(["ip", "netns", "add", ns], check=True)
    namespaces.append(ns)
    return ns


def ns_del(ns):
    subprocess.run(["ip", "netns", "del", ns], check=True)
    namespaces.remove(ns)


def run(ns, argv, stdin=None, out=None):
    """Wall seconds and peak RSS (KiB) of argv, in namespace ns or here."""
    tfile = os.path.join(work, "time.out")
    cmd = ["/usr/bin/time", "-f", "%M", "-o", tfile] + argv
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(out, "wb") if out else subprocess.DEVNULL
    start = time.perf_counter()
    p = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    for f in (fin, fout):
        if f is not subprocess.DEVNULL:
            f.close()
    if p.returncode:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                                   p.stderr.decode()[-500:]))
    with open(tfile) as f:
        rss = int(f.read().split()[-1])
    return wall, rss, p.stderr.decode()


def fresh(argv, **kw):
    """argv in a namespace of its own, deleted afterwards."""
    ns = ns_add()
    try:
        return run(ns, argv, **kw)
    finally:
        ns_del(ns)


def gen(*args, out=None):
    with open(out, "w") if out else open(os.devnull, "w") as f:
        subprocess.run([sys.executable, GEN] + [str(a) for a in args], check=True,
                       stdout=f)


def med(v):
    return statistics.median(v) if v else float("nan")


def fmt_s(s):
    if s >= 0.1:
        return "%.3f s" % s
    return "%.1f ms" % (s * 1000) if s >= 0.01 else "%.2f ms" % (s * 1000)


def size_label(n, e):
    return "%s x %d" % ("%dk" % (n // 1000) if n % 1000 == 0 else str(n), e)


rows = []


def row(figure, svc, other, what, note=""):
    """A table row: medians of svcnft's and the other's runs, and their ratio
    (of the medians of the run-by-run ratios)."""
    ratios = [a / b for a, b in zip(svc, other)] if other else []
    ratio = "%.3fx" % med(ratios) if ratios else "-"
    rows.append("| %s | %s | %s | %s | %s |" % (
        figure, fmt_s(med(svc)), fmt_s(med(other)) if other else "-",
        what + ((" " + note) if note else ""), ratio))
    print(rows[-1], flush=True)


# gen.py's command for each input shape
SHAPE_GEN = {"list": "yaml", "docs": "docs"}
SHAPE_LABEL = {"list": "Lists", "docs": "one object per document"}


def inputs(n, e, shape, variant="base"):
    d = os.path.join(work, "%dx%d-%s-%s" % (n, e, shape, variant))
    gen(SHAPE_GEN[shape], d, n, e, variant)
    return d


def scan_time(d):
    files = [os.path.join(d, f) for f in sorted(os.listdir(d))]
    return run(None, [YAMLSCAN] + files)[0]


KERNEL_RE = re.compile(r"kernel transactions ([0-9.]+) s")
READ_RE = re.compile(r"reading the table ([0-9.]+) s")


def applied(ns, argv, out):
    """Wall seconds and peak RSS (KiB) of an apply -v, and the kernel's and
    the read's part as it reports them."""
    w, rss, _ = run(ns, argv, out=out)
    with open(out) as f:
        said = f.read()
    kern = KERNEL_RE.search(said)
    read = READ_RE.search(said)
    return (w, rss, float(kern.group(1)) if kern else float("nan"),
            float(read.group(1)) if read else float("nan"))


def floor_row(label, svc, kern, scan, other, what):
    """svcnft's runs beside the floor: the kernel's part plus a bare scan."""
    floor = [k + s for k, s in zip(kern, scan)]
    row("floor of %s (kernel %s + bare libyaml scan %s)" % (
        label, fmt_s(med(kern)), fmt_s(med(scan))), floor, other, what)


def full_apply(n, e, shape):
    d = inputs(n, e, shape)
    plan = d + ".plan.nft"
    run(None, [SVCNFT, "plan", d], out=plan)
    kube = d + ".kube.nft"
    ipt = d + ".iptables"
    if OTHERS:
        gen("iptables", n, e, out=ipt)
    kube_runs = 0 if not KUBE_NFT or not OTHERS or n > 10000 else (1 if n >= 10000 else RUNS)
    if kube_runs:
        gen("kube-nft", n, e, out=kube)
    t = {"svc": [], "nft": [], "kube": [], "ipt": [], "rss_svc": [], "rss_nft": [],
         "kern": [], "scan": []}
    for r in range(RUNS):
        ns = ns_add()
        try:
            w, rss, k, _ = applied(ns, [SVCNFT, "apply", "-v", d], os.path.join(work, "apply.out"))
            t["kern"].append(k)
        finally:
            ns_del(ns)
        t["svc"].append(w)
        t["rss_svc"].append(rss)
        w, rss, _ = fresh(["nft", "-f", plan])
        t["nft"].append(w)
        t["rss_nft"].append(rss)
        t["scan"].append(scan_time(d))
        if r < kube_runs:
            t["kube"].append(fresh(["nft", "-f", kube])[0])
        if OTHERS:
            t["ipt"].append(fresh(["iptables-restore"], stdin=ipt)[0])
    size = "%s, %s" % (size_label(n, e), SHAPE_LABEL[shape])
    label = "full apply from YAML, %s" % size
    row(label, t["svc"], t["nft"], "nft -f of svcnft's plan")
    floor_row(label, t["svc"], t["kern"], t["scan"], t["nft"], "nft -f of svcnft's plan")
    if t["kube"]:
        note = "(kube-proxy layout: 1 run)" if len(t["kube"]) == 1 else ""
        row("full apply from YAML, %s" % size, t["svc"][:len(t["kube"])], t["kube"],
            "nft -f, kube-proxy nft layout", note)
    if t["ipt"]:
        row("full apply from YAML, %s" % size, t["svc"], t["ipt"],
            "iptables-restore, kube-proxy iptables layout")
    if (n, e) == CHANGE_AT:
        rows.append("| peak RSS of apply, %s | %d MiB | %d MiB | nft -f | %.3fx |" % (
            size, med(t["rss_svc"]) / 1024, med(t["rss_nft"]) / 1024,
            med([a / b for a, b in zip(t["rss_svc"], t["rss_nft"])])))
        print(rows[-1], flush=True)
    return d, plan


def change_text(ns, d, out):
    """What plan --diff prints, as an nft script: the +/- marks removed."""
    _, _, _ = run(ns, [SVCNFT, "plan", "--diff", d], out=out + ".diff")
    with open(out + ".diff") as f, open(out, "w") as g:
        for line in f:
            g.write(line[2:] if line[:2] in ("+ ", "- ") else line)


def one_change(ns, base, n, e, shape, variant, label):
    d = inputs(n, e, shape, variant)
    script = d + ".nft"
    change_text(ns, d, script)
    svc, kern, read, nft, chk, scan = [], [], [], [], [], []
    for _ in range(RUNS):
        w, _, k, r = applied(ns, [SVCNFT, "apply", "-v", d], os.path.join(work, "apply.out"))
        svc.append(w)
        kern.append(k)
        read.append(r)
        run(ns, [SVCNFT, "apply", "-q", base])
        nft.append(run(ns, ["nft", "-f", script])[0])
        run(ns, [SVCNFT, "apply", "-q", base])
        chk.append(run(None, [SVCNFT, "check", "-q", d])[0])
        scan.append(scan_time(d))
    row(label, svc, nft, "nft -f of the same change")
    row(label, svc, chk, "svcnft check of the same manifests",
        "(kernel transactions: %s; reading the table, beside the parse: %s)" % (
            fmt_s(med(kern)), fmt_s(med(read))))
    floor_row(label, svc, kern, scan, chk, "svcnft check of the same manifests")


def at_10k(base, n, e, shape):
    size = "%s, %s" % (size_label(n, e), SHAPE_LABEL[shape])
    ns = ns_add()
    try:
        run(ns, [SVCNFT, "apply", "-q", base])
        for variant, what in (("change", "one Service's endpoints changed"),
                              ("add", "one Service added"),
                              ("remove", "one Service removed")):
            if variant in ROWS:
                one_change(ns, base, n, e, shape, variant, "%s among %s" % (what, size))
        noop, chk, dump, lst = [], [], [], []
        for _ in range(RUNS if ROWS & {"noop", "dump"} else 0):
            if "noop" in ROWS:
                noop.append(run(ns, [SVCNFT, "apply", base], out=os.devnull)[0])
                chk.append(run(None, [SVCNFT, "check", "-q", base])[0])
            if "dump" in ROWS:
                dump.append(run(ns, [SVCNFT, "dump"], out=os.devnull)[0])
                lst.append(run(ns, ["nft", "list", "table", "ip", "svcnft"], out=os.devnull)[0])
        if "noop" in ROWS:
            with open(os.path.join(work, "noop.out"), "w") as f:
                subprocess.run(["ip", "netns", "exec", ns, SVCNFT, "apply", "-v", base], stdout=f)
            with open(os.path.join(work, "noop.out")) as f:
                said = f.read()
            row("no-op reconcile at %s" % size, noop, chk, "svcnft check of the same manifests",
                "(sent nothing: %s)" % ("yes" if "no changes" in said else "NO"))
        if "dump" in ROWS:
            row("svcnft dump at %s" % size_label(n, e), dump, lst, "nft list table")
    finally:
        ns_del(ns)
    if "check" not in ROWS:
        return
    chk, scan = [], []
    for _ in range(RUNS):
        chk.append(run(None, [SVCNFT, "check", "-q", base])[0])
        scan.append(scan_time(base))
    row("svcnft check at %s" % size, chk, scan, "bare libyaml event scan")


class Watch:
    """svcnft watch in namespace ns on directory d; its summary lines read
    from a pipe, so the time a change reaches the kernel is when its line
    comes (the line is printed after the kernel acknowledged the batch)."""

    def __init__(self, ns, d):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", ns, SVCNFT, "watch", "--lock-file",
             os.path.join(work, "watch.lock"), "--min-sync-period", "0", d],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""
        self.seen = []
        self.line = self.next_line(600)
        # The first sync's own notifications can overflow the socket
        # (ENOBUFS), which makes a resync: wait until it is quiet.
        while self.next_line(5, quiet_ok=True):
            pass

    def next_line(self, limit, quiet_ok=False, changed=False):
        """The next summary line (changed: one that sent something), within
        limit seconds (else exit, or None when quiet_ok)."""
        import select
        end = time.monotonic() + limit
        fd = self.p.stdout.fileno()
        while True:
            # Lines already read come first: select() knows nothing of them.
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                line = raw.decode(errors="replace")
                self.seen = (self.seen + [line + "\n"])[-5:]
                if line.startswith("svcnft: applied") and not (
                        changed and ": no changes" in line):
                    return line
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            self.buf += chunk
        if quiet_ok:
            return None
        self.stop()
        sys.exit("bench: svcnft watch gave no summary line within %d s; it said last:\n%s" % (
            limit, "".join(self.seen)))

    def status(self, key):
        with open("/proc/%d/status" % self.p.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def cpu_ns(self):
        with open("/proc/%d/schedstat" % self.p.pid) as f:
            return int(f.read().split()[0])

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=60)


def put_in_place(src, dst):
    """A file renamed into place, as careful writers (and the kubelet) do."""
    tmp = os.path.join(os.path.dirname(dst), ".bench.tmp")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    t0 = time.monotonic()
    os.rename(tmp, dst)
    return t0


def watch_figures(n, e):
    """svcnft watch at n x e in files of 10 Services: one endpoint changed,
    against apply of the same change and nft -f of one chain with one DNAT
    rule in the same table; idle CPU; drift; memory."""
    size = size_label(n, e)
    d = os.path.join(work, "watch-%dx%d" % (n, e))
    alt = d + "-change"
    gen("yaml-files", d, n, e, 10)
    gen("yaml-files", alt, n, e, 10, "change")
    base0 = os.path.join(work, "f0000.base.yaml")
    shutil.copyfile(os.path.join(d, "f0000.yaml"), base0)
    dapply = d + "-apply"
    shutil.copytree(d, dapply)
    for root in (d, alt, dapply):
        os.chmod(root, 0o755)
    rss_apply = fresh([SVCNFT, "apply", "-q", dapply])[1]
    wns, ans = ns_add(), ns_add()
    try:
        w = Watch(wns, d)
        run(ans, [SVCNFT, "apply", "-q", dapply])
        one = os.path.join(work, "one-chain.nft")
        with open(one, "w") as f:
            f.write("add chain ip svcnft bench-one\n"
                    "add rule ip svcnft bench-one meta l4proto tcp dnat to 198.18.0.1:8080\n")
        lat, app, nft = [], [], []
        for r in range(RUNS):
            for src in (os.path.join(alt, "f0000.yaml"), base0):
                t0 = put_in_place(src, os.path.join(d, "f0000.yaml"))
                w.next_line(60, changed=True)
                lat.append(time.monotonic() - t0)
                put_in_place(src, os.path.join(dapply, "f0000.yaml"))
                app.append(run(ans, [SVCNFT, "apply", "-q", dapply])[0])
            nft.append(run(ans, ["nft", "-f", one])[0])
            run(ans, ["nft", "delete", "chain", "ip", "svcnft", "bench-one"])
        row("watch: one endpoint changed in one of %d files, %s, in the kernel" % (
            (n + 9) // 10, size), lat, app, "svcnft apply of the same change")
        row("watch: one endpoint changed, %s" % size, lat, nft,
            "nft -f adding one chain with one DNAT rule to the table")
        c0 = w.cpu_ns()
        time.sleep(5)
        idle = (w.cpu_ns() - c0) / 5 / 1e6
        rows.append("| watch idle at %s | %.3f ms CPU per second | | (5 s, no change) | |" % (size, idle))
        print(rows[-1], flush=True)
        drifts = (
            ("a flushed service chain",
             ["flush", "chain", "ip", "svcnft", "svc-bench/svc-00000/tcp/80"]),
            ("a removed map element",
             ["delete", "element", "ip", "svcnft", "service-ips",
              "{ 198.19.0.1 . tcp . 80 }"]),
        )
        for what, nft_args in drifts:
            rep = []
            for r in range(RUNS):
                subprocess.run(["ip", "netns", "exec", wns, "nft"] + nft_args, check=True)
                t0 = time.monotonic()
                line = w.next_line(60, changed=True)
                m = re.search(r", ([0-9.]+) s$", line.strip())
                rep.append(max(time.monotonic() - t0, float(m.group(1)) if m else 0))
            rows.append("| watch: drift repaired (%s), %s | %s | | (from nft's exit, or the repair sync's own time if longer) | |" % (
                what, size, fmt_s(med(rep))))
            print(rows[-1], flush=True)
        rss10 = w.status("VmRSS")
        for k in range(40):
            put_in_place(os.path.join(alt, "f0000.yaml") if k % 2 == 0 else base0,
                         os.path.join(d, "f0000.yaml"))
            w.next_line(60, changed=True)
        rss50 = w.status("VmRSS")
        hwm = w.status("VmHWM")
        rows.append("| watch peak RSS, %s | %d MiB | %d MiB | svcnft apply of the same manifests | %.3fx |" % (
            size, hwm / 1024, rss_apply / 1024, hwm / rss_apply))
        print(rows[-1], flush=True)
        rows.append("| watch RSS after 40 more syncs, %s | %d MiB | %d MiB | RSS before them (after %d syncs) | %.3fx |" % (
            size, rss50 / 1024, rss10 / 1024, 3 * RUNS + 1, rss50 / rss10))
        print(rows[-1], flush=True)
        w.stop()
    finally:
        ns_del(wns)
        ns_del(ans)


def main():
    if os.geteuid() != 0:
        sys.exit("bench: needs root, for network namespaces")
    for tool in (SVCNFT, YAMLSCAN):
        if not os.access(tool, os.X_OK):
            sys.exit("bench: %s not built (make bench builds it)" % tool)
    print("svcnft bench: %d runs each, medians; %s; kernel %s; %d CPUs" % (
        RUNS, time.strftime("%Y-%m-%d"), os.uname().release, os.cpu_count()), flush=True)
    print("| figure | svcnft | other | compared with | svcnft / other |")
    print("|---|---|---|---|---|", flush=True)
    for n, e in SIZES if ONLY != "watch" else []:
        for shape in SHAPES:
            if "full" in ROWS:
                full_apply(n, e, shape)
            if (n, e) == CHANGE_AT and ROWS - {"full"}:
                at_10k(inputs(n, e, shape), n, e, shape)
                # dump is the same table whatever the input's shape
                ROWS.discard("dump")
    if WATCH_AT != "0":
        watch_figures(*(int(x) for x in WATCH_AT.split("x")))
    print("(new connections per second with 1 vs 10k Services, both backends: bench/dataplane.sh, next)", flush=True)


if __name__ == "__main__":
    main()
