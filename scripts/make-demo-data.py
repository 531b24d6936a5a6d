#!/usr/bin/env python3
"""make-demo-data.py - cut the bundled demo cluster (data/demo/*.om) from public traces.

`make demo` runs `augur recommend` on these files with no network and no
Prometheus, so they have to look like what Prometheus would hold for a small
cluster: cAdvisor CPU counters and memory gauges per container, and
kube-state-metrics owners, labels, requests and limits. The usage itself is
real, taken from public VM traces whose licences allow redistribution
(see data/demo/README.md for the attributions), re-timed onto one 8-day
timeline and scaled to container sizes.

Run by hand; the output is committed:
    python3 scripts/make-demo-data.py [--shared ../shared/data] [--out data/demo]
Deterministic: a fixed seed for the pod names and nothing else random, so
the same traces always give byte-identical files.
"""
import argparse
import csv
import os
import random
import sys

SEED = 20240308
END = 1709856000  # 2024-03-08T00:00:00Z, the last sample of every running container
STEP = 300  # seconds, as a 5-minute scrape/recording interval
DAY = 86400 // STEP  # 288 samples
N = 8 * DAY  # 2304 samples: 8 days, the first at END - 8d + 300 s
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' SafeEncodeString alphabet

MiB = 1 << 20


def ts(k):
    return END - (N - 1 - k) * STEP


# --- trace readers: each returns a list of N floats (cores or bytes) ---------


def bitbrains(shared, rel, offset):
    """Bitbrains GWA-T-12 Rnd: (cores, bytes). Rows sorted and de-duplicated
    by timestamp, then taken by position: the trace's 300 s (sometimes 301 s)
    spacing is re-timed onto ours."""
    path = os.path.join(shared, "bitbrains_rnd", rel)
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            c = [x.strip() for x in line.split(";")]
            if len(c) < 7:
                continue
            t, ncores, cap, use = int(c[0]), float(c[1]), float(c[2]), float(c[3])
            mhz_per_core = cap / ncores if ncores > 0 and cap > 0 else 0.0
            rows[t] = (use / mhz_per_core if mhz_per_core else 0.0, float(c[6]) * 1024)
    vals = [rows[t] for t in sorted(rows)][offset : offset + N]
    if len(vals) < N:
        sys.exit(f"{path}: only {len(vals)} usable rows after offset {offset}")
    return [v[0] for v in vals], [v[1] for v in vals]


def azure(shared, column, offset, capacity=2.0):
    """Azure Public Dataset V1: average CPU % of each 5-minute window, read
    as a share of a VM with `capacity` cores."""
    path = os.path.join(shared, "azure_v1_vm_cpu", "microsoft_avg_100.csv")
    with open(path) as f:
        r = csv.reader(f)
        j = next(r).index(column)
        vals = [float(row[j]) for row in r][offset : offset + N]
    return [v / 100.0 * capacity for v in vals]


def planetlab(shared, column, capacity=1.0):
    """PlanetLab/CoMon via CloudSim: integer CPU % every 300 s for one day per
    file; the first 8 days (by file name) that have `column`, concatenated."""
    d = os.path.join(shared, "planetlab_vm_cpu")
    out = []
    for name in sorted(os.listdir(d)):
        if not name.endswith("_cpu_pct.csv") or len(out) >= N:
            continue
        with open(os.path.join(d, name)) as f:
            r = csv.reader(f)
            hdr = next(r)
            if column not in hdr:
                continue
            j = hdr.index(column)
            out += [int(row[j]) / 100.0 * capacity for row in r]
    if len(out) < N:
        sys.exit(f"planetlab {column}: only {len(out)} points")
    return out[:N]


def nab(shared, rel, offset, capacity=2.0):
    """NAB realAWSCloudwatch: EC2 CPUUtilization % every 5 minutes."""
    path = os.path.join(shared, "nab", "data", rel)
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        vals = [float(row[1]) for row in r][offset : offset + N]
    if len(vals) < N:
        sys.exit(f"{path}: only {len(vals)} rows after offset {offset}")
    return [v / 100.0 * capacity for v in vals]


# --- shaping -------------------------------------------------------------------


def scale_mean(v, mean):
    """Linear scaling so the series has the given mean (shape kept)."""
    m = sum(v) / len(v)
    return [x * mean / m for x in v] if m > 0 else [mean] * len(v)


def memory_like(v, mean, base_share=0.6):
    """A memory working set: a resident base plus the trace's variation, so
    idle stretches of a VM do not become a 0-byte container."""
    m = sum(v) / len(v)
    base = mean * base_share
    return [base + (x / m if m > 0 else 1.0) * (mean - base) for x in v]


def quantile(v, q):
    s = sorted(v)
    pos = q * (len(s) - 1)
    i = int(pos)
    return s[i] if i + 1 >= len(s) else s[i] + (s[i + 1] - s[i]) * (pos - i)


def nice_cpu(cores):
    """Round up to 10 millicores, as people write requests."""
    return max(10, -(-int(round(cores * 1000, 6)) // 10) * 10) / 1000


def nice_mem(b):
    """Round up to 16 MiB."""
    return max(16, -(-int(b) // (16 * MiB))) * 16 * MiB


# --- the cluster ---------------------------------------------------------------


class Names:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seen = set()

    def _s(self, n):
        while True:
            s = "".join(self.rng.choice(HASH_ALPHABET) for _ in range(n))
            if s not in self.seen:
                self.seen.add(s)
                return s

    def template_hash(self):
        return self._s(10)

    def suffix(self):
        return self._s(5)


class Container:
    def __init__(self, name, cpu, mem, start=0, req=None, lim=None):
        self.name, self.cpu, self.mem, self.start = name, cpu, mem, start
        self.req, self.lim = req, lim  # (cores, bytes) or None
        self.restart = None  # sample index of a restart (counter reset)
        self.oom = False  # the restart was an OOM kill


class Pod:
    def __init__(self, name, app, owner, containers):
        self.name, self.app, self.owner, self.containers = name, app, owner, containers


def provision(c, cpu_factor, mem_factor, lim_cpu=2.0, lim_mem=1.5):
    """Requests relative to observed usage (p95 CPU, peak memory) and limits
    relative to requests; factors > 1 over-provision, < 1 under-provision."""
    live_cpu, live_mem = c.cpu[c.start :], c.mem[c.start :]
    rc = nice_cpu(quantile(live_cpu, 0.95) * cpu_factor)
    rm = nice_mem(max(live_mem) * mem_factor)
    c.req = (rc, rm)
    if lim_cpu:
        c.lim = (nice_cpu(rc * lim_cpu), nice_mem(rm * lim_mem))


def build(shared):
    nm = Names(SEED)
    ns = {"shop": [], "payments": [], "batch": []}

    def deployment(namespace, app, replicas, make, owner=True):
        h = nm.template_hash()
        rs = f"{app}-{h}"
        for i in range(replicas):
            pod = Pod(f"{rs}-{nm.suffix()}", app, ("ReplicaSet", rs) if owner else None, make(i))
            ns[namespace].append(pod)

    # shop/frontend: 2 replicas on Azure VMs, requests 3x what they use.
    def frontend(i):
        cpu = scale_mean(azure(shared, ["vm_1938269", "vm_807274"][i], 1000), 0.35)
        _, mem = bitbrains(shared, ["2013-7/5.csv", "2013-8/5.csv"][i], 500)
        c = Container("app", cpu, memory_like(mem, 380 * MiB))
        provision(c, 3.0, 2.5)
        return [c]

    deployment("shop", "frontend", 2, frontend)

    # shop/cart: deployed 3 days before the end; app + an envoy sidecar.
    def cart(i):
        start = N - 3 * DAY
        col = ["planetlab-2_cs_colostate_edu_uw_oneswarm", "onelab10_pl_sophia_inria_fr_uw_oneswarm"][i]
        cpu = scale_mean(planetlab(shared, col), 0.25)
        _, mem = bitbrains(shared, ["2013-7/7.csv", "2013-7/10.csv"][i], 0)
        app = Container("app", cpu, memory_like(mem, 300 * MiB), start)
        provision(app, 2.5, 2.0)
        side = planetlab(shared, ["planet1_cs_rit_edu_root", "planet4_cs_ucsb_edu_root"][i])
        _, smem = bitbrains(shared, ["2013-7/13.csv", "2013-7/15.csv"][i], 0)
        envoy = Container("envoy", scale_mean(side, 0.015), memory_like(smem, 48 * MiB, 0.8), start)
        provision(envoy, 4.0, 3.0, lim_cpu=None)  # requests only
        return [app, envoy]

    deployment("shop", "cart", 2, cart)

    # payments/api: under-provisioned (CPU above its request, memory at its
    # limit); replica 1 is an HPA scale-out for the last 4 days; replica 0 is
    # OOM-killed once and restarts. No kube_pod_owner: the name says
    # Deployment "api".
    def api(i):
        cpu = scale_mean(
            nab(shared, ["realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv",
                         "realAWSCloudwatch/ec2_cpu_utilization_ac20cd.csv"][i], 1000), 0.6)
        _, mem = bitbrains(shared, ["2013-7/1.csv", "2013-8/1.csv"][i], 1500)
        c = Container("app", cpu, memory_like(mem, 700 * MiB, 0.7), 0 if i == 0 else N - 4 * DAY)
        return [c]

    deployment("payments", "api", 2, api, owner=False)
    apis = [p.containers[0] for p in ns["payments"]]
    limit = nice_mem(max(max(c.mem[c.start :]) for c in apis) * 1.02)
    for c in apis:
        c.req = (nice_cpu(quantile(c.cpu[c.start :], 0.95) * 0.5), nice_mem(limit * 0.6))
        c.lim = (nice_cpu(c.req[0] * 2), limit)
    # The OOM kill: working set climbs to the limit, the container restarts.
    oom = apis[0]
    oom.restart, oom.oom = 5 * DAY + 130, True
    for j in range(1, 9):
        k = oom.restart - 9 + j
        oom.mem[k] = max(oom.mem[k], limit * (0.90 + 0.0115 * j))
    oom.mem[oom.restart] = oom.mem[oom.restart] * 0.5

    # payments/db: a StatefulSet, the Bitbrains VMs as they are (scaled).
    for i, rel in enumerate(["2013-7/9.csv", "2013-9/6.csv"]):
        cpu, mem = bitbrains(shared, rel, 700)
        c = Container("postgres", scale_mean(cpu, 0.45), memory_like(mem, 1800 * MiB, 0.75))
        provision(c, 2.0, 2.0)
        ns["payments"].append(Pod(f"db-{i}", "db", ("StatefulSet", "db"), [c]))

    # batch/node-agent: a DaemonSet on 2 nodes, no requests at all, no owner.
    for i, rel in enumerate(["2013-7/18.csv", "2013-7/12.csv"]):
        cpu, mem = bitbrains(shared, rel, 300)
        c = Container("agent", scale_mean(cpu, 0.04), memory_like(mem, 90 * MiB, 0.7))
        ns["batch"].append(Pod(f"node-agent-{nm.suffix()}", "node-agent", None, [c]))

    # batch/worker: 2 replicas deployed 3 days ago, owner left out.
    def worker(i):
        cpu = scale_mean(azure(shared, ["vm_964235", "vm_942980"][i], 3000), 0.8)
        _, mem = bitbrains(shared, ["2013-9/4.csv", "2013-9/5.csv"][i], 100)
        c = Container("app", cpu, memory_like(mem, 800 * MiB, 0.5), N - 3 * DAY)
        provision(c, 2.0, 2.0)
        return [c]

    deployment("batch", "worker", 2, worker, owner=False)

    # batch/scheduler: 1 replica, 6 days.
    def scheduler(i):
        cpu = scale_mean(azure(shared, "vm_1102397", 500), 0.08)
        _, mem = bitbrains(shared, "2013-7/11.csv", 900)
        c = Container("app", cpu, memory_like(mem, 160 * MiB), N - 6 * DAY)
        provision(c, 4.0, 3.0)
        return [c]

    deployment("batch", "scheduler", 1, scheduler)
    return ns


# --- output --------------------------------------------------------------------


def fmt(v):
    """Shortest exact decimal for what we mean: 3 decimals, no trailing zeros."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def kube_times(start):
    """kube-state-metrics is emitted once a day while the pod lives, plus
    its first and last sample."""
    ks = list(range(start, N, DAY))
    if ks[-1] != N - 1:
        ks.append(N - 1)
    return ks


def write_ns(path, namespace, pods):
    out = []
    lab = lambda p, c: f'namespace="{namespace}",pod="{p.name}",container="{c.name}"'

    out.append("# TYPE container_cpu_usage_seconds counter")
    out.append("# UNIT container_cpu_usage_seconds seconds")
    out.append("# HELP container_cpu_usage_seconds Cumulative CPU time consumed in seconds.")
    for p in pods:
        for c in p.containers:
            total = 0.0
            for k in range(c.start, N):
                if k == c.restart:
                    total = 0.0  # a new container: the counter starts again
                total += c.cpu[k] * STEP
                total = round(total, 3)
                out.append(f"container_cpu_usage_seconds_total{{{lab(p, c)}}} {fmt(total)} {ts(k)}")

    out.append("# TYPE container_memory_working_set_bytes gauge")
    out.append("# UNIT container_memory_working_set_bytes bytes")
    out.append("# HELP container_memory_working_set_bytes Current working set in bytes.")
    for p in pods:
        for c in p.containers:
            for k in range(c.start, N):
                out.append(
                    f"container_memory_working_set_bytes{{{lab(p, c)}}} {int(c.mem[k])} {ts(k)}")

    ooms = [(p, c) for p in pods for c in p.containers if c.oom]
    if ooms:
        out.append("# TYPE container_oom_events counter")
        out.append("# HELP container_oom_events Count of out of memory events observed for the container.")
        for p, c in ooms:
            ks = sorted(set(kube_times(c.start) + [c.restart - 1, c.restart]))
            for k in ks:
                out.append(f"container_oom_events_total{{{lab(p, c)}}} {1 if k >= c.restart else 0} {ts(k)}")

    out.append("# TYPE kube_pod_owner gauge")
    out.append("# HELP kube_pod_owner Information about the Pod's owner.")
    for p in pods:
        if p.owner:
            start = min(c.start for c in p.containers)
            for k in kube_times(start):
                out.append(
                    f'kube_pod_owner{{namespace="{namespace}",pod="{p.name}",owner_kind="{p.owner[0]}",'
                    f'owner_name="{p.owner[1]}",owner_is_controller="true"}} 1 {ts(k)}')

    out.append("# TYPE kube_pod_labels gauge")
    out.append("# HELP kube_pod_labels Kubernetes labels converted to Prometheus labels.")
    for p in pods:
        start = min(c.start for c in p.containers)
        for k in kube_times(start):
            out.append(f'kube_pod_labels{{namespace="{namespace}",pod="{p.name}",label_app="{p.app}"}} 1 {ts(k)}')

    for fam, attr, what in (("requests", "req", "request"), ("limits", "lim", "limit")):
        out.append(f"# TYPE kube_pod_container_resource_{fam} gauge")
        out.append(f"# HELP kube_pod_container_resource_{fam} The number of requested {what} resource by a container.")
        for p in pods:
            for c in p.containers:
                q = getattr(c, attr)
                if not q:
                    continue
                for res, unit, v in (("cpu", "core", fmt(q[0])), ("memory", "byte", str(int(q[1])))):
                    for k in kube_times(c.start):
                        out.append(
                            f'kube_pod_container_resource_{fam}{{{lab(p, c)},resource="{res}",unit="{unit}"}} '
                            f"{v} {ts(k)}")
    out.append("# EOF")
    data = "\n".join(out) + "\n"
    with open(path, "w") as f:
        f.write(data)
    return len(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "demo"))
    a = ap.parse_args()
    ns = build(a.shared)
    os.makedirs(a.out, exist_ok=True)
    total = 0
    for name, pods in ns.items():
        path = os.path.join(a.out, name + ".om")
        size = write_ns(path, name, pods)
        total += size
        print(f"{path}: {size} bytes, {len(pods)} pods, "
              f"{sum(len(p.containers) for p in pods)} containers")
        for p in pods:
            for c in p.containers:
                live = c.cpu[c.start :]
                print(f"  {p.name}/{c.name}: cpu mean {sum(live) / len(live):.3f} p95 {quantile(live, 0.95):.3f}"
                      f" max {max(live):.3f}; mem max {max(c.mem[c.start:]) / MiB:.0f}Mi;"
                      f" req {c.req and (c.req[0], c.req[1] // MiB)} lim {c.lim and (c.lim[0], c.lim[1] // MiB)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
