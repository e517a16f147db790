"""Re-allocation after one new request, through the worker's path, in a region of 10,000.

    .venv/bin/python -m tests.benchmarks.reallocation --requests 10000 --runs 6

Creates (or, with --keep, reuses) the PostgreSQL database --database, writes the engine
benchmark's synthetic region of --requests requests into it (synth_region.py, seed 1), runs
one full allocation there, then --runs times: submits one request through the service and
runs the allocation as the worker does after a submission (`allocation_run`, incremental).
Runs alternate between a worker that kept the region's problem, index and result from its
last run and one that did not (all emptied first). Prints each run's wall time split into loading
the region, the engine and storing, with the load average and the machine's speed (a fixed
Python loop) before and after. Not a pytest module; the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coordination.engine.bench import machine_speed
from tests.benchmarks import common


def main() -> None:
    p = common.parser(__doc__, database="leerplek_realloc_bench", redis="redis://127.0.0.1:6379/12")
    p.add_argument("--requests", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=6)
    p.add_argument("--keep", action="store_true", help="reuse the database of an earlier run")
    args = p.parse_args()
    common.start_django(args, fresh=not args.keep)
    from django.core.management import call_command

    from coordination import modes, services
    from coordination.engine.synth import generate
    from placements.models import PlacementRequest, Region
    from tests.benchmarks.synth_region import write_region

    seconds: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                seconds[name] += time.perf_counter() - t

        return wrapper

    # Phase times: the module attributes allocation_run calls, wrapped with a clock.
    services.KEPT_PROBLEMS.load = timed("load", services.KEPT_PROBLEMS.load)  # type: ignore[method-assign]
    services.engine.solve = timed("engine", services.engine.solve)
    services.store_result = timed("store", services.store_result)

    if not args.keep:
        call_command("migrate", verbosity=0)
        t = time.perf_counter()
        write_region(generate(args.requests, seed=args.seed), code="synth", name="Synthetisch")
        print(f"wrote {args.requests} requests in {time.perf_counter() - t:.0f} s")
    region = Region.objects.get(code="synth")
    n = PlacementRequest.objects.filter(region=region).count()
    print("load average before:", Path("/proc/loadavg").read_text().split()[:3])
    print("machine speed before (engine bench.machine_speed):", machine_speed(), "s")
    t = time.perf_counter()
    run = services.allocation_run(region=region, trigger=modes.MANUAL_REASON)
    print(f"full run in {region.name} ({n} requests): {time.perf_counter() - t:.2f} s, {run.mode}")
    template = PlacementRequest.objects.filter(region=region).earliest("pk")
    print(f"{'run':>3} {'kept':>5} {'wall':>7} {'load':>6} {'engine':>7} {'store':>6}  mode")
    for k in range(args.runs):
        kept = k % 2 == 1
        if not kept:  # as a worker that did not run here before
            services.KEPT_PROBLEMS.forget(region.pk)
            services.KEPT_INDEXES.forget(region.pk)
            services.KEPT_RESULTS.pop(region.pk, None)
        common.submit_like(template, student_pseudonym=f"realloc-{time.time_ns()}")
        seconds.clear()
        t = time.perf_counter()
        run = services.allocation_run(region=region, trigger="request.submitted")
        wall = time.perf_counter() - t
        print(
            f"{k + 1:>3} {'yes' if kept else 'no':>5} {wall:7.3f} {seconds['load']:6.3f} "
            f"{seconds['engine']:7.3f} {seconds['store']:6.3f}  {run.mode}, "
            f"{run.objective.get('new_proposals')} new proposals"
        )
    print("load average after:", Path("/proc/loadavg").read_text().split()[:3])
    print("machine speed after:", machine_speed(), "s")


if __name__ == "__main__":
    main()
