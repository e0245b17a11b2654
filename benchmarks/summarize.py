#!/usr/bin/env python3
"""Prints the README's results rows from the JSON files of benchmarks/run-all.sh, and with --charts draws them.

Several results directories may be given (e.g. a normal run and a later --full run of the scale benchmarks alone):
each file is read from the last directory that has it."""
import argparse
import json
import os
import re
import statistics

import svgchart


def at(dirs, name):
    """The file {name} of the last of {dirs} that has one: later results directories override earlier ones."""
    found = [os.path.join(d, name) for d in dirs if os.path.exists(os.path.join(d, name))]
    return found[-1] if found else os.path.join(dirs[0], name)


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


PEERS = ("jceReused", "accp", "bouncyCastle", "jceNaive")
VARIANTS = ("engine",) + PEERS


def by_variant(results):
    return {(r["benchmark"].rsplit(".", 1)[1], r["params"]["variant"]): r for r in results}


def rewrap_rows(results, jdk):
    by = by_variant(results)
    for method in ("rewrap", "rewrapVerified"):
        engine = by.get((method, "engine"))
        peers = {v: by[(method, v)] for v in PEERS if (method, v) in by}
        if not (engine and peers):
            continue
        cells = []
        for v in VARIANTS:
            r = by.get((method, v))
            cells.append(f"{r['primaryMetric']['score']:,.0f} ± {r['primaryMetric']['scoreError']:,.0f}" if r else "n/a")
        fastest = min(peers, key=lambda v: peers[v]["primaryMetric"]["score"])
        f = peers[fastest]
        ratio = f"{engine['primaryMetric']['score'] / f['primaryMetric']['score']:.2f}× ({median(engine) / median(f):.2f}×)"
        allocs = " | ".join(f"{alloc(by[(method, v)]):,.0f}" if (method, v) in by else "n/a" for v in VARIANTS)
        print(f"| {method} | {jdk} | {' | '.join(cells)} | {fastest} | {ratio} | {allocs} |")


def interleaved(results):
    """Per iteration of RewrapInterleavedBenchmark: {variant: [ns per rewrap]} for its first (verify=true) result."""
    for r in results:
        m = r["secondaryMetrics"]
        counts = [x for fork in m["rewraps"]["rawData"] for x in fork]
        return {v: [ns / n for ns, n in zip((x for fork in m[f"{v}Ns"]["rawData"] for x in fork), counts)]
                for v in VARIANTS if f"{v}Ns" in m}
    return {}


def interleaved_rows(per_iteration, jdk):
    if not per_iteration:
        return
    engine = per_iteration["engine"]
    peers = {v: per_iteration[v] for v in PEERS if v in per_iteration}
    fastest = min(peers, key=lambda v: statistics.median(peers[v]))
    ratios = [e / min(p[i] for p in peers.values()) for i, e in enumerate(engine)]
    cells = " | ".join(f"{statistics.median(per_iteration[v]):,.0f}" for v in VARIANTS)
    print(f"| {jdk} | {len(engine)} | {cells} | {fastest} | {statistics.median(ratios):.2f}× "
          f"({min(ratios):.2f}-{max(ratios):.2f}×) |")


def rewrap_chart(charts, jdks):
    """The interleaved medians when the run has them (robust to load), else RewrapBenchmark's means."""
    interleaved_run = any(per_iteration for _, per_iteration in jdks.values())
    groups = []
    for method in ("rewrapVerified",) if interleaved_run else ("rewrapVerified", "rewrap"):
        for v in VARIANTS:
            values = {}
            for jdk, (by, per_iteration) in jdks.items():
                if interleaved_run and v in per_iteration:
                    values[f"JDK {jdk}"] = statistics.median(per_iteration[v])
                elif not interleaved_run and (method, v) in by:
                    values[f"JDK {jdk}"] = by[(method, v)]["primaryMetric"]["score"]
            if values:
                groups.append((f"{v}, verified" if method == "rewrapVerified" else v, values))
    if groups:
        source = "interleaved rounds, median" if interleaved_run else "RewrapBenchmark, mean"
        svgchart.bars(os.path.join(charts, "rewrap.svg"),
                      f"One VEK rewrap, one thread ({source}; lower is better)", "ns/op", groups,
                      [f"JDK {jdk}" for jdk in jdks])


def rekey_results(out):
    """RekeyBenchmark results by (store, volumes, threads); the full mode's scale run adds 10M (and its own 1M)."""
    rekey = {}
    for name in ("rekey.json", "rekey-scale.json"):
        for r in load(at(out, name)):
            p = r["params"]
            rekey[(p.get("store", "memory"), int(p["volumes"]), int(p["threads"]))] = r
    return rekey


def rekey_chart(charts, rekey):
    series = {}
    for (store, volumes, threads), r in sorted(rekey.items(), key=lambda kv: (kv[0][0] != "memory", kv[0][2], kv[0][1])):
        name = f"{store}, {threads} thread{'s' if threads > 1 else ''}"
        series.setdefault(name, []).append((volumes, median(r)))
    if series:
        svgchart.loglog(os.path.join(charts, "rekey.svg"), "One rekey-internal job (median shot; log-log)",
                        "encrypted volumes in the SVM", "ms per rekey", series)


def startup_rows(out):
    print("| volumes | nodes | first shot ms (JIT cold) | measured shots ms | median ms | directory written in |")
    print("|---|---|---|---|---|---|")
    logs = read(at(out, "startup.log")) + read(at(out, "startup-scale.log"))
    written = dict(re.findall(r"data directory: (\d+) volumes written in (\d+) ms", logs))
    # The trial's setup prints between "Warmup Iteration 1:" and that shot's time.
    first = dict(re.findall(r"volumes = (\d+)\)\n[\s\S]*?# Warmup Iteration\s+1:[\s\S]*?([\d.,]+) ms/op", logs))
    for name in ("startup.json", "startup-scale.json"):
        for r in load(at(out, name)):
            v = r["params"]["volumes"]
            shots = " / ".join(f"{x:,.0f}" for x in sorted(x for fork in r["primaryMetric"]["rawData"] for x in fork))
            built = f"{int(written[v]) / 1000:,.0f} s" if v in written else "n/a"
            cold = f"{float(first[v].replace(',', '')):,.0f}" if v in first else "n/a"
            print(f"| {int(v):,} | {r['params'].get('nodes', 4)} | {cold} | {shots} | {median(r):,.0f} "
                  f"| {built} |")


def main(out, charts):
    print("| benchmark | JDK | " + " | ".join(f"{v} ns/op" for v in VARIANTS)
          + " | fastest peer | engine / fastest peer (medians) | " + " | ".join(f"{v} B/op" for v in VARIANTS) + " |")
    print("|---|---|" + "---|" * (2 * len(VARIANTS) + 2))
    jdks = {}
    for jdk in ("17", "25"):
        results = load(at(out, f"rewrap-java{jdk}.json"))
        per_iteration = interleaved(load(at(out, f"interleaved-java{jdk}.json")))
        if results or per_iteration:
            jdks[jdk] = (by_variant(results), per_iteration)
        rewrap_rows(results, jdk)

    print()
    print("| JDK | iterations | " + " | ".join(f"{v} ns/rewrap (median)" for v in VARIANTS)
          + " | fastest peer | engine / fastest peer per iteration: median (range) |")
    print("|---|---|" + "---|" * (len(VARIANTS) + 2))
    for jdk in ("17", "25"):
        interleaved_rows(interleaved(load(at(out, f"interleaved-java{jdk}.json"))), jdk)

    print()
    print("| store | volumes | 1 thread ms | 2 threads ms | speed-up (medians) | B/op (2 threads) "
          "| retained heap B/volume |")
    print("|---|---|---|---|---|---|---|")
    heap = {}
    for name in ("rekey.log", "rekey-scale.log"):
        for m in re.finditer(r"retained heap: (\d+) bytes per volume \((\d+) volumes, (\w+) store",
                             read(at(out, name))):
            heap[(m.group(3), int(m.group(2)))] = int(m.group(1))
    rekey = rekey_results(out)
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
    for r in load(at(out, "scaling.json")) + load(at(out, "scaling-scale.json")):
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
                               read(at(out, "restore.log"))))
    restore = {int(r["params"]["nodes"]): r for r in load(at(out, "restore.json"))}
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
        read(at(out, "fetch.log")))}
    for r in sorted(load(at(out, "fetch.json")), key=lambda r: r["params"]["cache"]):
        p = r["params"]
        print(f"| {p['cache']} | {p['callers']} | {r['primaryMetric']['score']:,.0f} "
              f"± {r['primaryMetric']['scoreError']:,.0f} ({median(r):,.0f}) | {tallies.get(p['cache'], 'n/a')} |")

    print()
    startup_rows(out)

    if charts:
        os.makedirs(charts, exist_ok=True)
        rewrap_chart(charts, jdks)
        rekey_chart(charts, rekey)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", nargs="*", default=["benchmarks/target/results"],
                        help="run-all.sh's results directory; with several, each file is read from the last that has it")
    parser.add_argument("--charts", help="write rewrap.svg and rekey.svg into this directory")
    args = parser.parse_args()
    main(args.results, args.charts)
