"""Where one allocation run spends its time: cProfile of `allocation_run` on the load tool's region.

    .venv/bin/python -m tests.benchmarks.load_events --rate 20 --duration 20 --listeners 1 \
        --backlog 3000
    .venv/bin/python -m tests.benchmarks.profile_allocation --submit 15 --runs 3

Uses the database the load tool leaves behind (default `leerplek_bench`): submits --submit
requests through the service, then runs the allocation (as the worker would, triggered by a
submission) --runs times, the last under cProfile, and prints each run's wall time, mode and
new proposals, then the cumulative seconds of its phases. Not a pytest module.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import pstats
import time

from tests.benchmarks import common

PHASES = (
    ("load_problem", "loading the region"),
    ("_plan", "choosing the mode (and reading the previous result)"),
    ("solve", "the engine"),
    ("store_result", "storing, with the publish after commit"),
    ("publish_all_pending", "publishing"),
)


def main() -> None:
    p = common.parser(
        __doc__,
        database="leerplek_bench",
        redis=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"),
    )
    p.add_argument("--submit", type=int, default=15, help="new requests before each run")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    common.start_django(args, fresh=False)
    from coordination.services import allocation_run
    from placements.models import PlacementRequest, Region

    region = Region.objects.get(code="bench")
    template = PlacementRequest.objects.filter(region=region).earliest("pk")

    def submit(n: int) -> None:
        for i in range(n):
            common.submit_like(template, student_pseudonym=f"profile-{time.time_ns()}-{i}")

    profile = cProfile.Profile()
    for n in range(args.runs):
        submit(args.submit)
        last = n == args.runs - 1
        t0 = time.perf_counter()
        if last:
            profile.enable()
        run = allocation_run(region=region, trigger="request.submitted")
        if last:
            profile.disable()
        print(
            f"run {run.pk}: {time.perf_counter() - t0:.3f} s{' (profiled)' if last else ''}, "
            f"{run.mode}, {run.objective.get('new_proposals')} new proposals, "
            f"{run.requests_considered} requests"
        )
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    print("phases of the profiled run (cumulative seconds, slowed by cProfile):")
    for name, what in PHASES:
        seconds = sum(s[3] for (_, _, fn), s in stats.items() if fn == name)
        print(f"  {name:<20} {seconds:6.3f}  {what}")
    print(f"at {dt.datetime.now().isoformat(timespec='seconds')}")


if __name__ == "__main__":
    main()
