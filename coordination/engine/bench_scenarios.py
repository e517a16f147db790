"""Benchmark of the capacity report and a scenario: ``python -m coordination.engine
bench-scenarios [--problem FILE ...] [--repeat 2] [--json]``.

Per problem (default: the three demo regions exported in tests/engine/data/):
the base solve; the capacity report given that base, and without a base (the
base solved first, as a job without a cached base does); one scenario, one more
senior werkbegeleider of 16 h a week (group factor 0.6, 6 students) at the
location that most unplaced requests short of supervision would go to, with
the base solved inside and with the base given; and one removal scenario (the
largest source), for the monotonicity checks. Every result is checked with
checker.py. ``--repeat 2`` runs everything twice and says whether the figures
were identical (they must be: the budgets are counts of work). The load average
(/proc/loadavg) is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .model import Problem, Result, Source

DATA = Path(__file__).resolve().parents[2] / "tests" / "engine" / "data"
DEMO = ("utrecht", "amersfoort", "gooi-en-vechtstreek")


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "unknown"


def extra_senior(problem: Problem, base: Result) -> Source:
    """16 h a week at the location most supervision-short unplaced requests would go to."""
    loc_of = {p.id: p.location_id for p in problem.plekken}
    votes = Counter(
        loc_of[u.binding_plekken[0]]
        for u in base.unplaced
        if u.reason == "supervision_full" and u.binding_plekken
    )
    loc = min(votes, key=lambda x: (-votes[x], x)) if votes else problem.plekken[0].location_id
    first = min(p.start for p in problem.plekken)
    last = max(p.end for p in problem.plekken)
    return Source(
        -1,
        "senior_werkbegeleider",
        16.0,
        first,
        last,
        max_students=6,
        group_factor=0.6,
        location_id=loc,
    )


def one_problem(path: Path) -> dict[str, Any]:
    from .checker import check_feasibility
    from .jsonio import problem_from_json
    from .scenario import _with_changes, capacity_report, run_scenario, solve_base

    problem = problem_from_json(path.read_bytes())
    out: dict[str, Any] = {"problem": path.name, "requests": len(problem.requests)}
    t = time.perf_counter()
    base = solve_base(problem)  # as the analysis jobs solve it (coordination/scenarios.py)
    out["base_seconds"] = time.perf_counter() - t
    out["base_placed"] = base.objective["placed"]
    out["base_weighted"] = base.objective["placed_weighted"]
    out["base_violations"] = len(check_feasibility(problem, base))
    out["warnings"] = list(base.stats["warnings"])

    t = time.perf_counter()
    rows = capacity_report(problem, base)
    out["capacity_seconds_given_base"] = time.perf_counter() - t
    t = time.perf_counter()
    rows2 = capacity_report(problem, solve_base(problem))
    out["capacity_seconds_without_base"] = time.perf_counter() - t
    out["capacity_same_both_ways"] = rows == rows2
    out["capacity"] = {r.kind: [r.placements_carried, r.placements_lost_without] for r in rows}
    out["capacity_placed_with"] = rows[0].placed_with if rows else None

    add = extra_senior(problem, base)
    out["added_at_location"] = add.location_id
    biggest = max(problem.sources, key=lambda s: (s.hours_per_week, -s.id))
    cases: list[tuple[str, tuple[Source, ...], tuple[int, ...]]] = [
        ("add_senior_16h", (add,), ()),
        ("remove_largest_source", (), (biggest.id,)),
    ]
    for label, add_sources, remove_ids in cases:
        changed = _with_changes(problem, add_sources, remove_ids, (), ())
        t = time.perf_counter()
        sc = run_scenario(problem, add_sources=add_sources, remove_source_ids=remove_ids)
        full = time.perf_counter() - t
        t = time.perf_counter()
        sc2 = run_scenario(
            problem, add_sources=add_sources, remove_source_ids=remove_ids, base=base
        )
        given = time.perf_counter() - t
        out[label] = {
            "seconds_without_base": full,
            "seconds_given_base": given,
            "reference_placed": sc.base.objective["placed"],
            "placed_delta": sc.placed_delta,
            "weighted_delta": sc.placed_weighted_delta,
            "same_with_base_given": (sc2.placed_delta, sc2.placed_weighted_delta)
            == (sc.placed_delta, sc.placed_weighted_delta),
            "violations": len(check_feasibility(changed, sc.scenario))
            + len(check_feasibility(problem, sc.base)),
            "warnings": list(sc.scenario.stats["warnings"]),
        }
    return out


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    """What must be identical between repeats (no times)."""
    out = {k: row[k] for k in ("base_placed", "base_weighted", "capacity")}
    for label in ("add_senior_16h", "remove_largest_source"):
        out[label] = (row[label]["placed_delta"], row[label]["weighted_delta"])
    return out


def _print(r: dict[str, Any]) -> None:
    a, rm = r["add_senior_16h"], r["remove_largest_source"]
    print(
        f"{r['problem']} ({r['requests']} requests)\n"
        f"  base solve          {r['base_seconds']:6.2f} s  placed {r['base_placed']} "
        f"(weighted {r['base_weighted']:g}), violations {r['base_violations']}\n"
        f"  capacity report     {r['capacity_seconds_given_base']:6.2f} s given the base, "
        f"{r['capacity_seconds_without_base']:6.2f} s without (base solved first); "
        f"same figures both ways: {r['capacity_same_both_ways']}\n"
        f"    carried / lost without, per kind (placed with: {r['capacity_placed_with']}): "
        f"{r['capacity']}\n"
        f"  scenario +senior werkbegeleider 16 h at location {r['added_at_location']}: "
        f"{a['seconds_given_base']:.2f} s given the base, {a['seconds_without_base']:.2f} s "
        f"without; placed {a['placed_delta']:+d} (weighted {a['weighted_delta']:+g}) "
        f"from {a['reference_placed']}, violations {a['violations']}\n"
        f"  scenario -largest source: {rm['seconds_given_base']:.2f} s given the base, "
        f"{rm['seconds_without_base']:.2f} s without; placed {rm['placed_delta']:+d} "
        f"(weighted {rm['weighted_delta']:+g}), violations {rm['violations']}",
        flush=True,
    )
    warnings = r["warnings"] + a["warnings"] + rm["warnings"]
    if warnings:
        print(f"  warnings: {warnings}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coordination.engine bench-scenarios")
    ap.add_argument(
        "--problem",
        type=Path,
        action="append",
        help="problem JSON file (repeatable; default: the three demo regions)",
    )
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON line per run")
    args = ap.parse_args(argv)
    paths = args.problem or [DATA / f"demo-{name}.json" for name in DEMO]
    print(f"load average before: {_loadavg()}", flush=True)
    same = True
    for path in paths:
        runs = []
        for _ in range(max(1, args.repeat)):
            r = one_problem(path)
            runs.append(r)
            if args.json:
                print(json.dumps(r), flush=True)
            else:
                _print(r)
        if len(runs) > 1:
            ok = all(_figures(r) == _figures(runs[0]) for r in runs)
            same &= ok
            print(f"  repeats identical: {ok}", flush=True)
    print(f"load average after: {_loadavg()}", flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
