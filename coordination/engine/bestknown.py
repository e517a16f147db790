"""Best-known solutions of the synthetic benchmark regions, from long offline runs.

``python -m coordination.engine best-known --size 1000 --seed 1 --time-limit 7200``
solves the region with the engine, gives that allocation to the exact MILP
(``exact.py``, HiGHS) as its first incumbent, and lets HiGHS improve it and
lower its dual bound for up to ``--time-limit`` seconds. The best solution found,
its value, the MILP's dual bound and the run's facts are merged into
``best_known/synth-<size>-seed<seed>.json`` beside this file (the best solution of all
runs, the lowest bound, and each run's figures); the benchmark
reports the engine's gap to both, and a test checks the stored solution with the
checker. Not part of the suite: the run takes hours.

At 10,000 requests the MILP has millions of draw columns; there ``--method search`` runs
the engine's own neighbourhood search from its allocation with a long budget instead, and
the bound kept is the engine's proven one; ``--method clusters`` re-solves groups of
nearby locations exactly, one at a time with the rest fixed (clusters.py), round after
round with other group sizes. ``--method location-bound`` only lowers the
bound (``locbound.py``: the exact model decomposed by location), from the stored solution.
``--method gap-split --regions 400:1,500:2 --time-limit 900`` stores nothing: it prints,
per region, the engine, its bound, the exact LP relaxation and the MILP's optimum, which
together say how much of the engine's gap is bound and how much is search.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .checker import check_feasibility
from .exact import ExactResult, solve_exact, solve_restricted
from .model import Assignment, Draw, Problem, Result, Unplaced

STORE = Path(__file__).with_name("best_known")


def path_for(size: int, seed: int) -> Path:
    return STORE / f"synth-{size}-seed{seed}.json"


def load(size: int, seed: int) -> dict[str, Any] | None:
    """The stored best-known record of a synthetic region, or None."""
    p = path_for(size, seed)
    return json.loads(p.read_text()) if p.exists() else None


def assignments_of(problem: Problem, record: dict[str, Any]) -> tuple[Assignment, ...]:
    """The stored solution as engine assignments (source hours from the group factors)."""
    factor = {s.id: s.group_factor for s in problem.sources}
    return tuple(
        Assignment(
            rid,
            pid,
            tuple(Draw(sid, load, round(load * factor[sid], 6)) for sid, load in draws),
        )
        for rid, pid, draws in record["assignments"]
    )


def as_result(problem: Problem, assignments: tuple[Assignment, ...]) -> Result:
    """A result the checker accepts: every request not in ``assignments`` unplaced."""
    placed = {a.request_id for a in assignments}
    rest = tuple(Unplaced(r.id, "capacity") for r in problem.requests if r.id not in placed)
    return Result(assignments, rest)


def weighted(problem: Problem, assignments: tuple[Assignment, ...]) -> float:
    priority = {r.id: r.priority for r in problem.requests}
    return float(sum(priority[a.request_id] for a in assignments))


def _commit() -> str:  # the engine's version the record was made with
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _rows(assignments: tuple[Assignment, ...]) -> list[list[Any]]:
    """Assignments as stored: [request, plek, [[source, load hours], ...]], by request."""
    return [
        [a.request_id, a.plek_id, [[d.source_id, d.load_hours] for d in a.draws]]
        for a in sorted(assignments, key=lambda a: a.request_id)
    ]


def _exact_rows(exact: ExactResult) -> list[list[Any]]:
    """A MILP's solution as stored (see ``_rows``)."""
    draws = exact.draws or {}
    return [
        [rid, pid, [[sid, load] for sid, load in sorted(draws.get(rid, []))]]
        for rid, pid in sorted(exact.plek_of.items())
    ]


def _engine_run(size: int, seed: int, command: str) -> tuple[Problem, Result, dict[str, Any]]:
    """The region, the engine's result on it (as the bench runs it), and the record's head."""
    from .solver import solve
    from .synth import generate

    problem = generate(size, seed=seed)
    t0 = time.perf_counter()
    engine = solve(problem)
    head = {
        "size": size,
        "seed": seed,
        "command": f"python -m coordination.engine best-known --size {size} --seed {seed} "
        + command,
        "commit": _commit(),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "engine_weighted": weighted(problem, engine.assignments),
        "engine_seconds": round(time.perf_counter() - t0, 2),
    }
    return problem, engine, head


def run(size: int, seed: int, time_limit: float, log_file: str | None = None) -> dict[str, Any]:
    problem, engine, head = _engine_run(size, seed, f"--time-limit {time_limit:g}")
    engine_value = head["engine_weighted"]
    # The exact model's LP relaxation beside its integer optimum: where the MILP
    # finishes, the two show how much of the engine's gap is bound and how much search.
    t0 = time.perf_counter()
    lp = solve_exact(problem, time_limit=time_limit, relax=True)
    lp_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact = solve_exact(problem, time_limit=time_limit, start=engine.assignments, log_file=log_file)
    milp_seconds = time.perf_counter() - t0
    if exact.draws is None:
        raise RuntimeError(f"the MILP returned no solution ({exact.status})")
    record: dict[str, Any] = {
        **head,
        "milp_status": exact.status,
        "milp_seconds": round(milp_seconds, 1),
        "milp_dual_bound": exact.dual_bound,
        "lp_relaxation": lp.placed_weighted if lp.status == "Optimal" else None,
        "lp_seconds": round(lp_seconds, 1),
        "engine_bound": engine.upper_bound,
        # The engine's own bound (the LP relaxation at this size) when the MILP's is weaker.
        "dual_bound": min(exact.dual_bound, engine.upper_bound),
        "dual_bound_from": "MILP"
        if exact.dual_bound <= engine.upper_bound
        else engine.stats.get("lp", {}).get("bound_kind"),
        "assignments": _exact_rows(exact),
    }
    found = assignments_of(problem, record)
    record["best_known_weighted"] = weighted(problem, found)
    violations = check_feasibility(problem, as_result(problem, found))
    if violations:
        raise RuntimeError(f"the MILP's solution fails the checker: {violations[:3]}")
    if record["best_known_weighted"] < engine_value:
        # HiGHS did not take the engine's allocation as its start: keep the better one.
        record["assignments"] = _rows(engine.assignments)
        record["best_known_weighted"] = engine_value
        record["note"] = "the MILP found nothing better than the engine; its start was kept"
    return record


def _better_start(problem: Problem, engine: Result, size: int, seed: int) -> tuple[Assignment, ...]:
    """The stored best-known allocation when it beats the engine's, else the engine's."""
    stored = load(size, seed)
    if stored is not None and stored["best_known_weighted"] > weighted(problem, engine.assignments):
        return assignments_of(problem, stored)
    return engine.assignments


def _warm_rounds(
    problem: Problem, best: Result, budgets: list[tuple[str, Any]]
) -> tuple[Result, list[float], list[Result]]:
    """One warm restart from the best allocation so far per (label, budget); the best of
    all (checker-clean), the best after each round, and each round's result."""
    from .solver import solve

    history = [weighted(problem, best.assignments)]
    results = []
    for label, budget in budgets:
        again = solve(problem, start=best, budget=budget, bound=False, time_limit=1e9)
        if weighted(problem, again.assignments) > weighted(problem, best.assignments):
            best = again
        history.append(weighted(problem, best.assignments))
        results.append(again)
        print(f"{label}: {history[-1]:g}", flush=True)
    violations = check_feasibility(problem, best)
    if violations:
        raise RuntimeError(f"the warm restarts' best solution fails the checker: {violations[:3]}")
    return best, history, results


def run_search(
    size: int,
    seed: int,
    rounds: int,
    neighbourhoods: int,
    work: float,
    locations: int = 3,
    requests: int = 20,
) -> dict[str, Any]:
    """Where the MILP is out of reach (10,000: millions of draw columns): ``rounds`` warm
    restarts of the engine from its best allocation so far (keep, repair, neighbourhood
    search with CP-SAT seed k, preferences), far beyond the production budget;
    ``locations``/``requests``: each neighbourhood's size (the production budget's is
    3 and 20). The bound is then the engine's proven one (the compact Lagrangian)."""
    from .solver import Budget

    problem, engine, head = _engine_run(
        size,
        seed,
        f"--method search --rounds {rounds} --neighbourhoods {neighbourhoods} --work {work:g}"
        f" --locations {locations} --requests {requests}",
    )
    t0 = time.perf_counter()
    budgets = [
        (
            f"round {k + 1}",
            Budget(
                lns_neighbourhoods=neighbourhoods,
                lns_work=work,
                lns_locations=locations,
                lns_requests=requests,
                seed=k,
            ),
        )
        for k in range(rounds)
    ]
    best, history, _ = _warm_rounds(problem, engine, budgets)
    search_seconds = time.perf_counter() - t0
    return {
        **head,
        "method": "engine neighbourhood search, warm-started, long budget",
        "search_seconds": round(search_seconds, 1),
        "best_after_round": history,
        "best_known_weighted": weighted(problem, best.assignments),
        "dual_bound": engine.upper_bound,
        "dual_bound_from": engine.stats.get("lp", {}).get("bound_kind"),
        "assignments": _rows(best.assignments),
    }


def run_restricted(
    size: int,
    seed: int,
    time_limit: float,
    heuristic_effort: float | None = None,
) -> dict[str, Any]:
    """The exact MILP restricted to the pairs its LP relaxation uses (plus the start's;
    ``exact.solve_restricted``): far fewer columns than the whole model. Started from
    the stored best-known solution when that is better than the engine's. The bound
    kept is the LP's."""
    effort = "" if heuristic_effort is None else f" --heuristic-effort {heuristic_effort:g}"
    problem, engine, head = _engine_run(
        size, seed, f"--method restricted --time-limit {time_limit:g}{effort}"
    )
    start = _better_start(problem, engine, size, seed)
    out = solve_restricted(problem, start, time_limit=time_limit, heuristic_effort=heuristic_effort)
    lp, exact = out.lp, out.milp
    if exact is None:
        raise RuntimeError(f"the LP relaxation was not solved ({lp.status})")
    if exact.draws is None:
        raise RuntimeError(f"the restricted MILP returned no solution ({exact.status})")
    found = assignments_of(problem, {"assignments": _exact_rows(exact)})
    if weighted(problem, found) < weighted(problem, start):
        found = start  # HiGHS did not take the start: keep it
    violations = check_feasibility(problem, as_result(problem, found))
    if violations:
        raise RuntimeError(f"the restricted MILP's solution fails the checker: {violations[:3]}")
    return {
        **head,
        "method": "exact MILP restricted to the LP relaxation's pairs, warm-started",
        "lp_relaxation": lp.placed_weighted,
        "lp_seconds": round(out.lp_seconds, 1),
        "lp_pairs": out.lp_pairs,
        "restricted_pairs": len(out.pairs),
        "milp_status": exact.status,
        "milp_seconds": round(out.milp_seconds, 1),
        "best_known_weighted": weighted(problem, found),
        "dual_bound": min(lp.placed_weighted, engine.upper_bound),
        "dual_bound_from": "exact LP relaxation"
        if lp.placed_weighted <= engine.upper_bound
        else engine.stats.get("lp", {}).get("bound_kind"),
        "assignments": _rows(found),
    }


def run_clusters(
    size: int, seed: int, sizes: list[int], clusters: int, nodes: int
) -> dict[str, Any]:
    """The exact polish by location clusters (clusters.py), one round per cluster size in
    ``sizes`` (different sizes draw different borders), each warm-started from the best
    allocation so far (the stored best known when better than the engine's) and re-solving
    up to ``clusters`` groups of nearby locations with the rest fixed. Each group's exact
    LP is solved, so this reaches sizes where the whole region's LP takes minutes or more.
    The bound kept is the engine's proven one."""
    from .solver import Budget

    problem, engine, head = _engine_run(
        size,
        seed,
        f"--method clusters --cluster-sizes {','.join(map(str, sizes))} --clusters {clusters} "
        f"--nodes {nodes}",
    )
    best = as_result(problem, _better_start(problem, engine, size, seed))
    t0 = time.perf_counter()
    budgets = [
        (
            f"clusters of {n}",
            Budget(
                lns_neighbourhoods=0,
                cluster_polish=clusters,
                cluster_requests=n,
                cluster_nodes=nodes,
            ),
        )
        for n in sizes
    ]
    best, history, results = _warm_rounds(problem, best, budgets)
    rounds = [
        {"cluster_requests": n, **res.stats["lp"].get("cluster_polish", {})}
        for n, res in zip(sizes, results, strict=True)
    ]
    return {
        **head,
        "method": "exact polish by location clusters, warm-started",
        "search_seconds": round(time.perf_counter() - t0, 1),
        "best_after_round": history,
        "rounds": rounds,
        "best_known_weighted": weighted(problem, best.assignments),
        "dual_bound": engine.upper_bound,
        "dual_bound_from": engine.stats.get("lp", {}).get("bound_kind"),
        "assignments": _rows(best.assignments),
    }


def run_location_bound(
    size: int, seed: int, rounds: int, mip_time_limit: float, smoothing: float
) -> dict[str, Any]:
    """A run for the bound only (``locbound.py``): column generation over whole placements
    per location, started from the stored best-known solution (or the engine's). The
    solution kept is that start, unchanged."""
    from .locbound import location_bound

    problem, engine, head = _engine_run(
        size,
        seed,
        f"--method location-bound --rounds {rounds} --mip-time-limit {mip_time_limit:g} "
        f"--smoothing {smoothing:g}",
    )
    stored = load(size, seed)
    start = assignments_of(problem, stored) if stored is not None else engine.assignments
    out = location_bound(
        problem,
        start,
        rounds=rounds,
        mip_time_limit=mip_time_limit,
        smoothing=smoothing,
        log=lambda row: print(json.dumps(row), flush=True),
    )
    return {
        **head,
        "method": "location decomposition bound (exact model's LP, then column generation)",
        "bound_seconds": out["seconds"],
        "lp_relaxation": out["lp_relaxation"],
        "bound_rounds": out["rounds"],
        "master": out["master"],
        "best_known_weighted": weighted(problem, start),
        "dual_bound": out["upper_bound"],
        "dual_bound_from": "location decomposition",
        "assignments": _rows(start),
    }


def gap_split(regions: list[tuple[int, int]], time_limit: float) -> list[dict[str, Any]]:
    """How much of the engine's gap is bound and how much is search, region by region:
    the engine, its bound, the exact LP relaxation and the MILP warm-started from the
    engine (``run``). Where the MILP is optimal and equals the LP, the LP bound is tight
    and what the engine misses is search. Prints a line per region; stores nothing."""
    rows = []
    for size, seed in regions:
        r = run(size, seed, time_limit)
        row = {
            k: r[k]
            for k in (
                "size",
                "seed",
                "engine_weighted",
                "engine_bound",
                "lp_relaxation",
                "best_known_weighted",
                "milp_dual_bound",
                "milp_status",
                "milp_seconds",
            )
        }
        rows.append(row)
        lp = row["lp_relaxation"]
        print(
            f"{size}:{seed} engine {row['engine_weighted']:g} (bound {row['engine_bound']:g}) "
            f"LP {'-' if lp is None else f'{lp:.2f}'} MILP {row['best_known_weighted']:g} "
            f"(bound {row['milp_dual_bound']:.2f}, {row['milp_status']}, "
            f"{row['milp_seconds']:g} s)",
            flush=True,
        )
    return rows


def merge(before: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """One record per region across runs: the best solution found, the lowest bound, and
    what each run gave (``runs``)."""
    summary = {k: v for k, v in new.items() if k not in ("assignments", "runs")}
    runs = [*(before or {}).get("runs", []), summary]
    best = new
    if before is not None and before["best_known_weighted"] > new["best_known_weighted"]:
        best = before
    out = {k: v for k, v in best.items() if k != "runs"}
    lowest = min(runs, key=lambda r: r["dual_bound"])
    out["dual_bound"], out["dual_bound_from"] = lowest["dual_bound"], lowest.get("dual_bound_from")
    out["runs"] = runs
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coordination.engine best-known")
    ap.add_argument("--size", type=int, help="requests in the synthetic region (not gap-split)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=7200.0, help="MILP seconds")
    ap.add_argument("--log", help="HiGHS log file (default: none)")
    ap.add_argument(
        "--method",
        choices=("milp", "restricted", "search", "clusters", "location-bound", "gap-split"),
        default="milp",
    )
    ap.add_argument(
        "--regions", default="150:1,150:2,200:2,250:1,250:3", help="gap-split: size:seed,..."
    )
    ap.add_argument("--rounds", type=int, default=5, help="--method search: warm restarts")
    ap.add_argument("--neighbourhoods", type=int, default=1500, help="per round")
    ap.add_argument("--work", type=float, default=0.3, help="CP-SAT work per neighbourhood")
    ap.add_argument("--locations", type=int, default=3, help="per neighbourhood (search)")
    ap.add_argument("--requests", type=int, default=20, help="unplaced per neighbourhood")
    ap.add_argument(
        "--heuristic-effort", type=float, help="restricted: HiGHS' mip_heuristic_effort"
    )
    ap.add_argument(
        "--cluster-sizes", default="150,200,120", help="clusters: requests per cluster, per round"
    )
    ap.add_argument("--clusters", type=int, default=1000, help="clusters: most per round")
    ap.add_argument("--nodes", type=int, default=200, help="clusters: MILP nodes per cluster")
    ap.add_argument("--mip-time-limit", type=float, default=20.0, help="location-bound")
    ap.add_argument("--smoothing", type=float, default=0.9, help="location-bound")
    ap.add_argument("--no-store", action="store_true", help="print the run, keep no record")
    args = ap.parse_args(argv)
    if args.method == "gap-split":
        pairs = [tuple(int(v) for v in r.split(":")) for r in args.regions.split(",")]
        gap_split([(size, seed) for size, seed in pairs], args.time_limit)
        return 0
    if args.size is None:
        ap.error("--size is required (except with --method gap-split)")
    if args.method == "restricted":
        record = run_restricted(
            args.size, args.seed, args.time_limit, heuristic_effort=args.heuristic_effort
        )
    elif args.method == "search":
        record = run_search(
            args.size,
            args.seed,
            args.rounds,
            args.neighbourhoods,
            args.work,
            args.locations,
            args.requests,
        )
    elif args.method == "clusters":
        sizes = [int(v) for v in args.cluster_sizes.split(",")]
        record = run_clusters(args.size, args.seed, sizes, args.clusters, args.nodes)
    elif args.method == "location-bound":
        record = run_location_bound(
            args.size, args.seed, args.rounds, args.mip_time_limit, args.smoothing
        )
    else:
        record = run(args.size, args.seed, args.time_limit, args.log)
    record["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = path_for(args.size, args.seed)
    record = merge(load(args.size, args.seed), record)
    if not args.no_store:
        STORE.mkdir(exist_ok=True)
        out.write_text(json.dumps(record, indent=None, separators=(",", ":")) + "\n")
    this = record["runs"][-1]
    if "restricted_pairs" in this:
        how = f"restricted MILP {this['milp_status']}, {this['milp_seconds']:g} s"
    elif "milp_status" in this:
        how = f"MILP {this['milp_status']}, {this['milp_seconds']:g} s, LP {this['lp_relaxation']}"
    elif this.get("method", "").startswith("exact polish by location clusters"):
        how = f"cluster polish, {this['search_seconds']:g} s"
    elif "bound_seconds" in this:
        how = f"location bound, {this['bound_seconds']:g} s"
    else:
        how = f"search, {this['search_seconds']:g} s"
    print(
        f"this run ({how}): {this['best_known_weighted']:g}, bound {this['dual_bound']:.2f}; "
        f"best known {record['best_known_weighted']:g}, lowest bound {record['dual_bound']:.2f}, "
        f"engine {record['engine_weighted']:g}" + ("" if args.no_store else f" -> {out}")
    )
    return 0
