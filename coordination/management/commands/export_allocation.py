"""manage.py export_allocation --region utrecht -o problem.json [--result result.json]."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coordination.engine.jsonio import problem_to_dict
from coordination.loading import load_problem
from coordination.models import AllocationRun, RunStatus
from placements.models import Region


class Command(BaseCommand):
    help = (
        "Write a region's allocation problem (and its latest result) in the documented JSON format."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", required=True)
        parser.add_argument("-o", "--output", required=True, help="Problem file to write")
        parser.add_argument("--result", help="Also write the latest finished run's result here")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = Region.objects.get(code=options["region"])
        except Region.DoesNotExist:
            raise CommandError(f"No region {options['region']!r}.") from None
        problem = load_problem(region).problem
        with open(options["output"], "w", encoding="utf-8") as fh:
            json.dump(problem_to_dict(problem), fh, indent=1)
        self.stdout.write(f"Problem: {len(problem.requests)} requests → {options['output']}")
        if options["result"]:
            run = (
                AllocationRun.objects.filter(region=region, status=RunStatus.FINISHED)
                .filter(result__isnull=False)
                .first()
            )
            if run is None:
                raise CommandError("This region has no finished allocation run yet.")
            with open(options["result"], "w", encoding="utf-8") as fh:
                json.dump(run.result, fh, indent=1)
            self.stdout.write(f"Result of run {run.pk} → {options['result']}")
