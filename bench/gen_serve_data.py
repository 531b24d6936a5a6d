#!/usr/bin/env python3
"""bench/gen_serve_data.py - OpenMetrics input for bench/bench_serve_loop.sh.

    gen_serve_data.py N DAYS END_UNIX OUT.om [--seed 42]
    gen_serve_data.py --serve PORT N [--seed 42]   (the live scrape target)

N container series (one container "app" per pod, 2 pods per Deployment,
workloads spread over 20 namespaces), DAYS x 1-minute samples ending at
END_UNIX (aligned down to the minute):

* container_cpu_usage_seconds_total: a counter whose rate is a daily sine
  (period 24 h, phase per workload) times per-pod noise, 0.02-2 cores;
* container_memory_working_set_bytes: a slow daily wave plus noise,
  64 MiB-4 GiB;
* kube_pod_owner: one sample an hour per pod (owner ReplicaSet
  <workload>-<hash>), so the instant query at the window end finds it.

Deterministic: Python's random with --seed (default 42). Grouped by series
then time, as promtool's backfill wants.
"""
import math
import random
import sys

NAMESPACES = ["payments", "checkout", "catalog", "search", "identity", "notifications",
              "shipping", "billing", "ads", "frontend", "data-ingest", "ml-serving",
              "monitoring", "platform", "orders", "inventory", "reviews", "recommendations",
              "analytics", "gateway"]
APPS = ["api", "worker", "web", "cart-service", "order-processor", "postgres", "redis",
        "kafka-connect", "elasticsearch", "auth-proxy", "image-resizer", "email-sender",
        "pricing-engine", "session-store", "grpc-gateway", "event-router", "feature-store",
        "model-server", "cron-reporter", "ledger"]
ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def pod_names(n, rnd):
    pods = []
    for i in range(n):
        w = i // 2
        ns = NAMESPACES[w % len(NAMESPACES)]
        app = APPS[(w // len(NAMESPACES)) % len(APPS)]
        k = w // (len(NAMESPACES) * len(APPS))
        name = app if k == 0 else "%s-%d" % (app, k)
        h = "".join(rnd.choice(ALNUM) for _ in range(9))
        rs = "%s-%s" % (name, h)
        pod = "%s-%s" % (rs, "".join(rnd.choice(ALNUM) for _ in range(5)))
        pods.append((ns, rs, pod))
    return pods


def serve(port, n, seed):
    """The live part: a scrape target with the same N pods' current values
    (CPU counter at a rate of 0.05-1 core from its start, memory 64 MiB-2 GiB,
    kube_pod_owner), so the daemon's loops find new samples every minute."""
    import http.server
    import time
    rnd = random.Random(seed)
    pods = pod_names(n, rnd)
    rates = [0.05 + 0.95 * rnd.random() for _ in pods]
    mems = [67108864 * (1 + 31 * rnd.random()) for _ in pods]
    t0 = time.time()

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            dt = time.time() - t0 + 60
            out = []
            for (ns, rs, pod), r, m in zip(pods, rates, mems):
                out.append('container_cpu_usage_seconds_total{container="app",namespace="%s",pod="%s"} %.3f\n' % (ns, pod, r * dt))
                out.append('container_memory_working_set_bytes{container="app",namespace="%s",pod="%s"} %d\n' % (ns, pod, m))
                out.append('kube_pod_owner{namespace="%s",owner_is_controller="true",owner_kind="ReplicaSet",owner_name="%s",pod="%s"} 1\n' % (ns, rs, pod))
            body = "".join(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()


def main():
    args = sys.argv[1:]
    seed = 42
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if args[0] == "--serve":
        return serve(int(args[1]), int(args[2]), seed)
    n, days, end, out = int(args[0]), float(args[1]), int(args[2]), args[3]
    rnd = random.Random(seed)
    pods = pod_names(n, rnd)
    end = end // 60 * 60
    steps = int(days * 1440)
    t0 = end - (steps - 1) * 60
    ts = [t0 + 60 * k for k in range(steps)]
    tstr = [str(t) for t in ts]
    day = [math.sin(2 * math.pi * (t % 86400) / 86400) for t in ts]
    with open(out, "w", buffering=1 << 22) as f:
        f.write("# HELP container_cpu_usage_seconds Cumulative cpu time consumed in seconds.\n"
                "# TYPE container_cpu_usage_seconds counter\n")
        for ns, rs, pod in pods:
            lab = 'container_cpu_usage_seconds_total{container="app",namespace="%s",pod="%s"} ' % (ns, pod)
            base = 0.02 + 1.0 * rnd.random()
            amp = 0.8 * rnd.random()
            ph = rnd.randrange(steps) if steps else 0
            c = 1000.0 * rnd.random()
            g = rnd.gauss
            lines = []
            for k in range(steps):
                r = base * (1 + amp * day[(k + ph) % steps]) * (1 + 0.2 * g(0, 1))
                if r < 0.001:
                    r = 0.001
                c += r * 60
                lines.append("%s%.3f %s\n" % (lab, c, tstr[k]))
            f.write("".join(lines))
        f.write("# HELP container_memory_working_set_bytes Current working set in bytes.\n"
                "# TYPE container_memory_working_set_bytes gauge\n")
        for ns, rs, pod in pods:
            lab = 'container_memory_working_set_bytes{container="app",namespace="%s",pod="%s"} ' % (ns, pod)
            base = 67108864 * (1 + 31 * rnd.random())
            amp = 0.3 * rnd.random()
            ph = rnd.randrange(steps) if steps else 0
            g = rnd.gauss
            lines = []
            for k in range(steps):
                m = base * (1 + amp * day[(k + ph) % steps] + 0.03 * g(0, 1))
                lines.append("%s%d %s\n" % (lab, m, tstr[k]))
            f.write("".join(lines))
        f.write("# TYPE kube_pod_owner gauge\n")
        for ns, rs, pod in pods:
            lab = ('kube_pod_owner{namespace="%s",owner_is_controller="true",owner_kind="ReplicaSet",'
                   'owner_name="%s",pod="%s"} 1 ' % (ns, rs, pod))
            f.write("".join("%s%s\n" % (lab, tstr[k]) for k in range(0, steps, 60)))
            if (steps - 1) % 60:
                f.write("%s%s\n" % (lab, tstr[steps - 1]))
        f.write("# EOF\n")


if __name__ == "__main__":
    main()
