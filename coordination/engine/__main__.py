"""Command line: ``python -m coordination.engine solve|check|bench|bench-scenarios|best-known``.

No Django.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from .checker import check_feasibility
from .jsonio import problem_from_json, result_from_json, result_to_json
from .solver import POLISH_MAX_PAIRS, default_budget, solve


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from .bench import main as bench_main

        return bench_main(argv[1:])
    if argv[:1] == ["best-known"]:
        from .bestknown import main as best_known_main

        return best_known_main(argv[1:])
    if argv[:1] == ["bench-scenarios"]:
        from .bench_scenarios import main as bench_scenarios_main

        return bench_scenarios_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m coordination.engine")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("solve", help="solve a problem file")
    sp.add_argument("problem", type=Path)
    sp.add_argument("-o", "--output", type=Path, help="result file (default: stdout)")
    sp.add_argument("--time-limit", type=float, default=None)
    sp.add_argument("--no-bound", action="store_true", help="skip the LP bound")
    sp.add_argument(
        "--polish-max-pairs",
        type=int,
        default=None,
        help="re-solve exactly on the LP's pairs when the problem has at most this many "
        "eligible pairs (seconds at 150-270 requests, minutes at 1,000; 0: never; "
        f"default: {POLISH_MAX_PAIRS:,})",
    )
    sp.add_argument(
        "--clusters",
        type=int,
        default=None,
        help="larger problems: groups of nearby locations re-solved exactly after the "
        "search (about a quarter of a minute each; 0: none; default: the budget's)",
    )
    cp = sub.add_parser("check", help="check a result against a problem")
    cp.add_argument("problem", type=Path)
    cp.add_argument("result", type=Path)
    sub.add_parser("bench", help="run the benchmark (see --help of bench)")
    sub.add_parser("bench-scenarios", help="time the capacity report and a scenario")
    sub.add_parser("best-known", help="long offline MILP run from the engine's allocation")
    args = ap.parse_args(argv)

    problem = problem_from_json(args.problem.read_bytes())
    if args.cmd == "solve":
        budget = default_budget(len(problem.requests))
        if args.polish_max_pairs is not None:
            budget = replace(budget, polish_max_pairs=args.polish_max_pairs)
        if args.clusters is not None:
            budget = replace(budget, cluster_polish=args.clusters)
        started = time.perf_counter()
        result = solve(problem, time_limit=args.time_limit, bound=not args.no_bound, budget=budget)
        seconds = time.perf_counter() - started
        text = result_to_json(result, indent=1)
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text + "\n")
        o = result.objective
        print(
            f"placed {o['placed']} of {o['requests']} (weighted {o['placed_weighted']:g}), "
            f"upper bound {result.upper_bound:g}, gap {100 * result.gap:.2f}%; "
            f"{o['first_choice']} at their first choice, {o['in_preferences']} in their "
            f"preferences; {seconds:.1f} s",
            file=sys.stderr,
        )
        return 0
    result = result_from_json(args.result.read_bytes())
    violations = check_feasibility(problem, result)
    for v in violations:
        print(json.dumps({"code": v.code, "message": v.message}), file=sys.stdout)
    print(f"{len(violations)} violation(s)", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
