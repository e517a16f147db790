"""Capacity reports and scenarios as the worker computes them, on the demo regions.

    .venv/bin/python -m tests.benchmarks.analysis_jobs

Creates (or empties) the PostgreSQL database --database, migrates it, seeds the demo (600
requests in three regions), runs one allocation per region, then per region asks the
service path the worker takes (`analysis_request`, `analysis_run`): a capacity report on the
fresh state, a scenario on the same state, and a second scenario after one new request (a new
state). Each starts from the region's live placements, the allocation run's. Prints
each job's wall time with its answer and the load average before and after. Not a pytest
module; the figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from pathlib import Path

from tests.benchmarks import common


def main() -> None:
    p = common.parser(
        __doc__, database="leerplek_analysis_bench", redis="redis://127.0.0.1:6379/12"
    )
    p.add_argument("--start", default="2026-08-31", help="the scenario source's first day")
    args = p.parse_args()
    common.start_django(args, fresh=True)
    import redis
    from django.core.management import call_command

    from coordination import modes
    from coordination.analyses import analysis_request, analysis_run
    from coordination.models import AnalysisKind, UnplacedRequest
    from coordination.services import allocation_run
    from placements.demo.builder import build_demo
    from placements.domain import SupervisionKind
    from placements.models import PlacementRequest, Region

    call_command("migrate", verbosity=0)
    build_demo()
    print("load average before:", Path("/proc/loadavg").read_text().split()[:3])
    print(f"{'region':<22} {'job':<34} {'seconds':>8}  answer")
    for region in Region.objects.order_by("name"):
        allocation_run(region=region, trigger=modes.MANUAL_REASON)

        def timed(kind: str, parameters: dict, what: str, region: Region = region) -> dict:
            job, _new = analysis_request(region=region, kind=kind, parameters=parameters)
            started = time.perf_counter()
            analysis_run(job_id=job.pk)
            seconds = time.perf_counter() - started
            job.refresh_from_db()
            assert job.status == "finished", job.error
            result = job.result
            if kind == AnalysisKind.CAPACITY:
                answer = ", ".join(
                    f"{r['kind']} -{r['placements_lost_without']}" for r in result["rows"]
                )
            else:
                answer = (
                    f"{result['placed_before']} -> {result['placed_after']} "
                    f"({result['placed_delta']:+d})"
                )
            print(f"{region.name:<22} {what:<34} {seconds:8.2f}  {answer}")
            return result

        # Where supervision is short: the location the engine names for a request it could
        # not place for want of supervision (else the region's first care location).
        short = UnplacedRequest.objects.filter(
            run__region=region, reason="supervision_full"
        ).values_list("suggestion", flat=True)
        named = [int(m.group(1)) for t in short if (m := re.search(r"at location (\d+)", t))]
        location = (
            Counter(named).most_common(1)[0][0]
            if named
            else region.organisations.filter(kind="care")
            .values_list("locations", flat=True)
            .order_by("locations")
            .first()
        )
        senior = {
            "add_sources": [
                {
                    "kind": SupervisionKind.SENIOR_WERKBEGELEIDER,
                    "hours_per_week": "16",
                    "group_factor": "0.6",
                    "location": location,
                    "start_date": args.start,
                    "end_date": "2027-07-02",
                }
            ]
        }
        timed(AnalysisKind.CAPACITY, {}, "capacity report")
        print(f"{'':<22} the scenarios add their source at location {location}")
        timed(AnalysisKind.SCENARIO, senior, "scenario, same state")
        template = PlacementRequest.objects.filter(region=region).earliest("pk")
        common.submit_like(
            template,
            student_pseudonym=f"bench-{region.code}",
            start_date=dt.date(2027, 2, 1),
            end_date=dt.date(2027, 6, 30),
        )
        timed(AnalysisKind.SCENARIO, senior, "scenario, new state")
    print("load average after:", Path("/proc/loadavg").read_text().split()[:3])
    redis.Redis.from_url(args.redis).flushdb()  # the tasks no worker took


if __name__ == "__main__":
    main()
