"""Benchmark: ``python -m coordination.engine bench [--sizes ...] [--seed N]``.

Each size runs in a fresh subprocess so that its peak memory (max RSS of that
process: generating the region and solving it) is its own. Per size it prints
the engine's wall time, peak memory, placed, upper bound and gap; a greedy
baseline; the ``matching`` package's hospital-resident solver on the part of
the instance it can express; and, for the size 10,000, the re-allocation after
one new request (warm start from the previous result).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

MATCHING_MAX_RESIDENTS = 1000  # the issue: recursion too deep beyond about 1,000


def greedy_baseline(problem: Any) -> tuple[int, float, float]:
    """First fit in request id order, each to its first preference that fits, then nearest."""
    from .index import build_index
    from .state import State

    t = time.perf_counter()
    ix = build_index(problem)
    st = State(ix)
    for r in range(len(ix.rid)):
        el = ix.eligible(r)
        pref = ix.pref_rank[r]
        dist = ix.distances(r)
        order = sorted(range(el.size), key=lambda k: (pref.get(int(el[k]), 1000), dist[k]))
        for k in order:
            d = st.fits(r, int(el[k]))
            if d is not None:
                st.place(r, int(el[k]), d)
                break
    placed = st.assign >= 0
    return int(placed.sum()), float(ix.prio[placed].sum()), time.perf_counter() - t


def places_only(problem: Any) -> Any:
    """The part a hospital-resident game can express: one period, seats only.

    Requests of the first semester only, plekken running through it, and
    supervision made unlimited (one regional pool with ample hours), so that
    every request has the same (irrelevant) load and no periods overlap.
    """
    from .model import Source
    from .synth import S1

    reqs = tuple(r for r in problem.requests if (r.start, r.end) == S1)
    pleks = tuple(p for p in problem.plekken if p.start <= S1[0] and p.end >= S1[1])
    pool = Source(id=1, kind="regionale_pool", hours_per_week=1e9, start=S1[0], end=S1[1])
    return replace(problem, requests=reqs, plekken=pleks, sources=(pool,), existing=())


def run_matching(problem: Any) -> dict[str, Any]:
    from matching.games import HospitalResident

    from .index import build_index

    ix = build_index(problem)
    n = sum(1 for r in range(len(ix.rid)) if ix.eligible(r).size)
    if n > MATCHING_MAX_RESIDENTS:
        return {
            "ran": False,
            "residents": n,
            "why": f"more than {MATCHING_MAX_RESIDENTS} residents: the package recurses too "
            "deep and takes minutes to build the game",
        }
    t = time.perf_counter()
    rprefs: dict[str, list[str]] = {}
    hosp: dict[str, list[tuple[float, str]]] = {}
    for r in range(len(ix.rid)):
        el, dist = ix.eligible(r), ix.distances(r)
        if not el.size:
            continue
        pref = ix.pref_rank[r]
        order = sorted(range(el.size), key=lambda k: (pref.get(int(el[k]), 1000), dist[k]))
        name = f"r{ix.rid[r]}"
        rprefs[name] = [f"p{ix.pid[int(el[k])]}" for k in order]
        for k in order:
            # Plekken rank students by priority, then by distance.
            hosp.setdefault(f"p{ix.pid[int(el[k])]}", []).append(
                (-float(ix.prio[r]) * 1000 + float(dist[k]), name)
            )
    hprefs = {h: [x[1] for x in sorted(v)] for h, v in hosp.items()}
    caps = {f"p{ix.pid[p]}": int(ix.seats[p]) for p in range(len(ix.pid))}
    caps = {h: caps[h] for h in hprefs}
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    try:
        game = HospitalResident.create_from_dictionaries(rprefs, hprefs, caps)
        m = game.solve(optimal="resident")
        placed = sum(len(v) for v in m.values())
    except RecursionError:
        return {"ran": False, "residents": n, "why": "RecursionError"}
    return {"ran": True, "residents": n, "placed": placed, "seconds": time.perf_counter() - t}


def kept_index_mb(problem: Any) -> float:
    """What a worker keeps of a region between runs: its index with every scope filled, and
    the problem it holds (tracemalloc; ALLOCATION_KEPT_REGIONS in docs/operations.md)."""
    import copy
    import gc
    import tracemalloc

    from .index import build_index

    gc.collect()
    tracemalloc.start()
    ix = build_index(copy.deepcopy(problem))
    for r in range(len(ix.rid)):
        for p in ix.eligible(r).tolist():
            ix.scope(r, p)
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return kept / 1e6


def one_size(n: int, seed: int, reallocate: bool, clusters: int | None = None) -> dict[str, Any]:
    from .bestknown import load as load_best_known
    from .checker import check_feasibility
    from .index import IndexCache
    from .model import ExistingPlacement
    from .solver import default_budget, solve
    from .synth import generate

    out: dict[str, Any] = {"size": n, "seed": seed}
    budget = default_budget(n)
    if clusters is not None:
        budget = replace(budget, cluster_polish=clusters)
        out["cluster_polish"] = clusters
    t = time.perf_counter()
    problem = generate(n, seed)
    out["generate_seconds"] = time.perf_counter() - t
    out["plekken"] = len(problem.plekken)
    out["sources"] = len(problem.sources)
    t = time.perf_counter()
    cache = IndexCache()  # as a worker keeps it: the re-allocation below reuses the index
    result = solve(problem, index_cache=cache, budget=budget)
    out["solve_seconds"] = time.perf_counter() - t
    out["placed"] = result.objective["placed"]
    out["placed_weighted"] = result.objective["placed_weighted"]
    out["upper_bound"] = result.upper_bound
    out["gap"] = result.gap
    out["bound_kind"] = result.stats["lp"].get("bound_kind")
    out["timings"] = result.stats["timings"]
    if "cluster_polish" in result.stats["lp"]:
        out["clusters"] = result.stats["lp"]["cluster_polish"]
    out["lp"] = {k: result.stats["lp"].get(k) for k in ("columns", "rows", "status")}
    out["first_choice"] = result.objective["first_choice"]
    out["fairness"] = result.objective["fairness_min_school_ratio"]
    out["peak_rss_mb_after_solve"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The bound's second process (large regions): its peak resident memory counts
    # the pages it shares with this one too; "private" is what it added.
    out["peak_rss_mb_bound_process"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lp = result.stats["lp"]
    cb = lp.get("compact") or {}
    out["bounds"] = {
        "lp": lp.get("upper_bound"),
        "lp_kind": lp.get("status"),
        "compact": cb.get("upper_bound"),
        "compact_value": cb.get("value"),
        "compact_seconds": cb.get("seconds"),
        "compact_mode": cb.get("mode"),
        "compact_waited_seconds": cb.get("waited_seconds"),
        "compact_private_mb": cb.get("process_private_mb"),
        "compact_at_least_engine": (
            cb.get("upper_bound") is None or cb["upper_bound"] >= out["placed_weighted"]
        ),
        # Large regions: the Lagrangian descent continued beside the search.
        "extension": lp.get("extension"),
    }
    known = load_best_known(n, seed)
    if known is not None:
        out["best_known"] = {
            "weighted": known["best_known_weighted"],
            "how": known.get("method", "offline MILP"),
            "dual_bound": known["dual_bound"],
            "gap_to_best_known": 1 - out["placed_weighted"] / known["best_known_weighted"],
            "gap_to_kept_bound": 1 - out["placed_weighted"] / known["dual_bound"],
        }
    if n <= 20_000:
        out["kept_index_mb"] = kept_index_mb(problem)
        t = time.perf_counter()
        out["violations"] = len(check_feasibility(problem, result))
        out["check_seconds"] = time.perf_counter() - t
    g_placed, g_w, g_s = greedy_baseline(problem)
    out["greedy"] = {"placed": g_placed, "placed_weighted": g_w, "seconds": g_s}
    po = places_only(problem)
    t = time.perf_counter()
    po_res = solve(po)
    out["places_only"] = {
        "requests": len(po.requests),
        "engine_placed": po_res.objective["placed"],
        "engine_seconds": time.perf_counter() - t,
        "upper_bound": po_res.upper_bound,
        "matching": run_matching(po),
    }
    if reallocate:
        # Warm start: the previous result as proposals, plus one new request.
        ex = tuple(
            ExistingPlacement(a.request_id, a.plek_id, False, a.draws) for a in result.assignments
        )
        new = replace(
            problem.requests[0], id=10_000_000, preferences=problem.requests[0].preferences
        )
        p2 = replace(problem, requests=(*problem.requests, new), existing=ex)
        t = time.perf_counter()
        r2 = solve(p2, previous=result, index_cache=cache)
        out["realloc_seconds_no_bound"] = time.perf_counter() - t
        t = time.perf_counter()
        cold = solve(p2, previous=result)
        out["realloc_seconds_index_rebuilt"] = time.perf_counter() - t
        out["realloc_same_without_kept_index"] = (
            cold.assignments == r2.assignments and cold.unplaced == r2.unplaced
        )
        out["realloc_kept"] = r2.objective["proposals_kept"]
        out["realloc_moved"] = r2.objective["proposals_moved"]
        out["realloc_new_placed"] = any(a.request_id == 10_000_000 for a in r2.assignments)
        out["realloc_violations"] = len(check_feasibility(p2, r2))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop, the fastest of three: printed beside a
    benchmark's figures, it shows how fast the (shared, virtual) machine ran then. On these
    2-core virtual machines, otherwise idle, it took 0.09 to 0.38 s from one day to the next."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coordination.engine bench")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON line per size")
    ap.add_argument(
        "--clusters",
        type=int,
        help="the exact polish by this many location clusters after the search (default: "
        "the budget's, none)",
    )
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.seed, args.one == 10_000, args.clusters)))
        return 0
    rows = []
    for n in [int(x) for x in args.sizes.split(",") if x.strip()]:
        speed = machine_speed()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "coordination.engine",
                "bench",
                "--one",
                str(n),
                "--seed",
                str(args.seed),
                *([] if args.clusters is None else ["--clusters", str(args.clusters)]),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        line = [x for x in proc.stdout.splitlines() if x.startswith("{")]
        if proc.returncode or not line:
            print(f"size {n}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        row = json.loads(line[-1])
        row["machine_speed_s"] = speed
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            _print_row(row)
    return 0


def _print_row(r: dict[str, Any]) -> None:
    g = r["greedy"]
    po = r["places_only"]
    m = po["matching"]
    print(
        f"n={r['size']:>7} plekken={r['plekken']:>6} | engine {r['solve_seconds']:7.2f} s "
        f"peak {r['peak_rss_mb_after_solve']:5.0f} MB ({r['peak_rss_mb']:.0f} MB with the "
        f"baselines after it) placed {r['placed']:>6} "
        f"(weighted {r['placed_weighted']:g}) bound {r['upper_bound']:g} "
        f"gap {100 * r['gap']:.2f}% [{r['bound_kind']}]"
        + (f" violations {r['violations']}" if "violations" in r else ""),
        flush=True,
    )
    if "clusters" in r:
        c = r["clusters"]
        print(
            f"{'':11}cluster polish: {c['clusters']} clusters, {c['improved']} improved, "
            f"+{c['gained_weighted']:g} weighted, {c['seconds']:.1f} s",
            flush=True,
        )
    if "machine_speed_s" in r:
        print(
            f"{'':11}machine speed before this size: {r['machine_speed_s']:.3f} s "
            "(a fixed Python loop, lower is faster)",
            flush=True,
        )
    print(
        f"{'':11}greedy {g['seconds']:7.2f} s placed {g['placed']:>6} "
        f"(weighted {g['placed_weighted']:g})",
        flush=True,
    )
    mt = (
        f"matching HR placed {m['placed']} in {m['seconds']:.2f} s"
        if m.get("ran")
        else f"matching HR not run ({m['residents']} residents: {m['why']})"
    )
    print(
        f"{'':11}places-only S1 ({po['requests']} requests): "
        f"engine placed {po['engine_placed']} "
        f"in {po['engine_seconds']:.2f} s (bound {po['upper_bound']:g}); {mt}",
        flush=True,
    )
    if "realloc_seconds_no_bound" in r:
        print(
            f"{'':11}re-allocation after one new request: "
            f"{r['realloc_seconds_no_bound']:.2f} s (warm start, no LP, index kept; "
            f"{r['realloc_seconds_index_rebuilt']:.2f} s with the index rebuilt, same result: "
            f"{r['realloc_same_without_kept_index']}) "
            f"({r['realloc_kept']} proposals kept, {r['realloc_moved']} moved, "
            f"new request placed: {r['realloc_new_placed']}, "
            f"violations {r['realloc_violations']})",
            flush=True,
        )
    if "kept_index_mb" in r:
        print(f"{'':11}kept by a worker between runs: {r['kept_index_mb']:.1f} MB", flush=True)
    k = r.get("best_known")
    if k:
        print(
            f"{'':11}best known ({k['how']}) {k['weighted']:g}, bound kept with it "
            f"{k['dual_bound']:.1f}: engine {100 * k['gap_to_best_known']:.2f}% below the best "
            f"known, {100 * k['gap_to_kept_bound']:.2f}% below that bound",
            flush=True,
        )
    b = r.get("bounds") or {}
    if b:
        print(
            f"{'':11}bounds: LP/Lagrangian {b['lp']} ({b['lp_kind']}), compact "
            f"{b['compact']} ({b['compact_seconds']} s, {b['compact_mode']}, waited "
            f"{b['compact_waited_seconds']} s, private {b['compact_private_mb']} MB; "
            f">= engine: {b['compact_at_least_engine']}); bound process peak "
            f"{r['peak_rss_mb_bound_process']:.0f} MB",
            flush=True,
        )
    ext = b.get("extension")
    if ext:
        print(
            f"{'':11}Lagrangian continued beside the search: {ext['steps']} steps, "
            f"{ext['upper_bound']:g} ({ext['seconds']} s, {ext['mode']}, waited "
            f"{ext['waited_seconds']} s, private {ext.get('process_private_mb')} MB)",
            flush=True,
        )
    print(f"           phases: {r['timings']}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
