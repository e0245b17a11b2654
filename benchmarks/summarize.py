#!/usr/bin/env python3
"""Prints the README's results rows from the JSON files of benchmarks/run-all.sh (argument: results directory)."""
import json
import os
import re
import statistics
import sys


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def alloc(r):
    s = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
    return s["score"] if s else float("nan")


def median(r):
    raw = sorted(x for fork in r["primaryMetric"]["rawData"] for x in fork)
    mid = len(raw) // 2
    return raw[mid] if len(raw) % 2 else (raw[mid - 1] + raw[mid]) / 2


def rewrap_rows(results, jdk):
    by = {}
    for r in results:
        by[(r["benchmark"].rsplit(".", 1)[1], r["params"]["variant"])] = r
    for method in ("rewrap", "rewrapVerified"):
        engine = by.get((method, "engine"))
        reused = by.get((method, "jceReused"))
        naive = by.get((method, "jceNaive"))
        if not (engine and reused and naive):
            continue
        e, u, n = (x["primaryMetric"]["score"] for x in (engine, reused, naive))
        me, mu, mn = (median(x) for x in (engine, reused, naive))
        print(f"| {method} | {jdk} | {e:,.0f} ± {engine['primaryMetric']['scoreError']:,.0f} "
              f"| {u:,.0f} ± {reused['primaryMetric']['scoreError']:,.0f} "
              f"| {n:,.0f} ± {naive['primaryMetric']['scoreError']:,.0f} "
              f"| {e / u:.2f}× ({me / mu:.2f}×) | {n / e:.1f}× ({mn / me:.1f}×) "
              f"| {alloc(engine):,.0f} | {alloc(reused):,.0f} | {alloc(naive):,.0f} |")


def main(out):
    print("| benchmark | JDK | engine ns/op | jceReused ns/op | jceNaive ns/op "
          "| engine / jceReused (medians) | jceNaive / engine (medians) | engine B/op | jceReused B/op "
          "| jceNaive B/op |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rewrap_rows(load(os.path.join(out, "rewrap-java17.json")), "17")
    rewrap_rows(load(os.path.join(out, "rewrap-java25.json")), "25")

    print()
    print("| store | volumes | 1 thread ms | 2 threads ms | speed-up (medians) | B/op (2 threads) "
          "| retained heap B/volume |")
    print("|---|---|---|---|---|---|---|")
    heap = {}
    text = read(os.path.join(out, "rekey.log"))
    for m in re.finditer(r"retained heap: (\d+) bytes per volume \((\d+) volumes, (\w+) store", text):
        heap[(m.group(3), int(m.group(2)))] = int(m.group(1))
    rekey = {}
    for r in load(os.path.join(out, "rekey.json")):
        p = r["params"]
        rekey[(p.get("store", "memory"), int(p["volumes"]), int(p["threads"]))] = r
    for store, v in sorted({k[:2] for k in rekey}, key=lambda k: (k[0] != "memory", k[1])):
        one, two = rekey.get((store, v, 1)), rekey.get((store, v, 2))
        if not (one and two):
            continue
        a, b = one["primaryMetric"]["score"], two["primaryMetric"]["score"]
        print(f"| {store} | {v:,} | {a:,.0f} ± {one['primaryMetric']['scoreError']:,.0f} "
              f"| {b:,.0f} ± {two['primaryMetric']['scoreError']:,.0f} | {a / b:.2f}× ({median(one) / median(two):.2f}×) "
              f"| {alloc(two) / v:,.0f} per VEK | {heap.get((store, v), 'n/a')} |")

    print()
    print("| volumes | shots | 1 thread ms (median) | 2 threads ms (median) | speed-up per shot (median) |")
    print("|---|---|---|---|---|")
    for r in load(os.path.join(out, "scaling.json")):
        one = [x for fork in r["secondaryMetrics"]["oneThreadMs"]["rawData"] for x in fork]
        two = [x for fork in r["secondaryMetrics"]["twoThreadsMs"]["rawData"] for x in fork]
        ratios = [a / b for a, b in zip(one, two)]
        print(f"| {int(r['params']['volumes']):,} | {len(one)} | {statistics.median(one):,.0f} "
              f"| {statistics.median(two):,.0f} | {min(ratios):.2f}-{max(ratios):.2f}× "
              f"({statistics.median(ratios):.2f}×) |")

    print()
    print("| nodes | latency ms | restore ms | vs 1 node | emulator requests in the last shot |")
    print("|---|---|---|---|---|")
    requests = dict(re.findall(r"emulator requests in the last restore \((\d+) nodes\): (.*)",
                               read(os.path.join(out, "restore.log"))))
    restore = {int(r["params"]["nodes"]): r for r in load(os.path.join(out, "restore.json"))}
    base = restore.get(1)
    for n in sorted(restore):
        r = restore[n]
        s = r["primaryMetric"]["score"]
        ratio = f"{s / base['primaryMetric']['score']:.2f}×" if base else "n/a"
        print(f"| {n} | {r['params']['latencyMs']} | {s:,.0f} ± {r['primaryMetric']['scoreError']:,.0f} | {ratio} "
              f"| {requests.get(str(n), 'n/a')} |")

    print()
    print("| cache | callers | µs until all callers hold the KEK (median) | emulator requests per round |")
    print("|---|---|---|---|")
    tallies = {m.group(1): m.group(2) for m in re.finditer(
        r"(cold|warm) cache, \d+ callers: requests per round over \d+ rounds: (.*)",
        read(os.path.join(out, "fetch.log")))}
    for r in sorted(load(os.path.join(out, "fetch.json")), key=lambda r: r["params"]["cache"]):
        p = r["params"]
        print(f"| {p['cache']} | {p['callers']} | {r['primaryMetric']['score']:,.0f} "
              f"± {r['primaryMetric']['scoreError']:,.0f} ({median(r):,.0f}) | {tallies.get(p['cache'], 'n/a')} |")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/target/results")
