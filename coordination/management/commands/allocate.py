"""manage.py allocate --region utrecht: run the allocation engine for a region, with progress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from coordination import modes
from coordination.services import AllocationAlreadyRunning, AllocationFailed, allocation_run
from placements.models import Region


class Command(BaseCommand):
    help = "Allocate a region's open requests to plekken and store the proposals."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", required=True, help="Region code, e.g. utrecht")
        parser.add_argument("--time-limit", type=float, default=None, help="Seconds for the solver")
        parser.add_argument(
            "--clusters",
            type=int,
            default=None,
            help="A thorough run: after the search, re-solve this many groups of nearby "
            "locations exactly (regions beyond 2,500 eligible request-plek pairs; smaller "
            "ones are solved exactly whole anyway). About a quarter of a minute each.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = Region.objects.get(code=options["region"])
        except Region.DoesNotExist:
            known = ", ".join(Region.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No region {options['region']!r} (known: {known}).") from None

        console = Console(file=self.stdout, force_terminal=False)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("loading", total=1.0)

            def progress(stage: str, fraction: float) -> None:
                bar.update(task, description=stage, completed=fraction)

            try:
                run = allocation_run(
                    region=region,
                    trigger=modes.MANUAL_REASON,
                    time_limit=options["time_limit"],
                    progress=progress,
                    clusters=options["clusters"],
                )
            except AllocationAlreadyRunning as exc:
                raise CommandError(str(exc)) from None
            except AllocationFailed as exc:
                raise CommandError(
                    f"Allocation run {exc.run.pk} in {region.name} failed. {exc.message}"
                ) from None
            bar.update(task, description="done", completed=1.0)

        table = Table(title=f"Allocation run {run.pk} in {region.name}")
        table.add_column("figure")
        table.add_column("value", justify="right")
        gap = run.objective.get("gap")
        for label, value in [
            ("requests considered", run.requests_considered),
            ("placed", run.placed),
            ("unplaced", run.unplaced),
            ("upper bound", f"{run.upper_bound:.1f}" if run.upper_bound is not None else "-"),
            ("gap to bound", f"{gap:.2%}" if isinstance(gap, int | float) else "-"),
            ("new proposals", run.objective.get("new_proposals", 0)),
            ("seconds", f"{(run.finished_at - run.started_at).total_seconds():.1f}"),
        ]:
            table.add_row(label, str(value))
        reasons = Table(title="Unplaced by reason")
        reasons.add_column("reason")
        reasons.add_column("requests", justify="right")
        counts: dict[str, int] = {}
        for reason in run.unplaced_requests.values_list("reason", flat=True):
            counts[reason] = counts.get(reason, 0) + 1
        for reason, count in sorted(counts.items()):
            reasons.add_row(reason, str(count))
        console.print(table)
        console.print(reasons)
