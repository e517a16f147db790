"""`manage.py seed_demo`: the demo regions Utrecht, Amersfoort-Eemland and Gooi en Vechtstreek.

manage.py seed_demo                  # seed 2026, 600 requests
manage.py seed_demo --if-empty       # what the README's run command uses
manage.py seed_demo --flush --seed 7 --requests 1500
"""

from __future__ import annotations

import io
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from placements.demo import builder, data
from placements.domain import SupervisionKind
from placements.models import Region


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Create a believable demo of three regions, deterministic for a seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=builder.DEFAULT_SEED,
            help="Random seed; the same seed gives the same data (default %(default)s).",
        )
        parser.add_argument(
            "--requests",
            type=_non_negative,
            default=builder.DEFAULT_REQUESTS,
            help="Number of placement requests over the three regions (default %(default)s).",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any region exists (safe to run on every start).",
        )
        group.add_argument(
            "--flush",
            action="store_true",
            help="Delete the demo regions first; refuses when they hold placements.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Region.objects.exists():
            self.stdout.write("Regions exist already; not seeding the demo (--if-empty).")
            return
        started = time.perf_counter()
        if options["flush"]:
            try:
                builder.flush_demo()
            except builder.DemoFlushRefused as exc:
                raise CommandError(str(exc)) from exc
        elif builder.demo_present():
            raise CommandError(
                "The demo regions exist already. Use --flush to replace them, "
                "or --if-empty to skip seeding when any region exists."
            )
        result = builder.build_demo(seed=options["seed"], n_requests=options["requests"])
        elapsed = time.perf_counter() - started
        self.stdout.write(self._report(result, options["seed"], elapsed))

    def _report(self, result: builder.DemoResult, seed: int, elapsed: float) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, width=120, force_terminal=False, color_system=None)

        table = Table(title=f"Leerplek demo (seed {seed}, {elapsed:.1f} s)")
        for column in (
            "Region",
            "Schools",
            "Care orgs",
            "Locations",
            "Plekken",
            "Leerafd.",
            "Seats",
            "Sources",
            "Requests",
            "Prefs",
        ):
            if column == "Region":
                table.add_column(column, no_wrap=True)
            else:
                table.add_column(column, justify="right")
        for r in result.regions:
            table.add_row(
                r.name,
                str(r.schools),
                str(r.care),
                str(r.locations),
                str(r.plekken),
                str(r.leerafdelingen),
                str(r.seats),
                str(sum(r.sources.values())),
                str(r.requests),
                str(r.preferences),
            )
        console.print(table)

        kinds = Table(title="Supervision sources per begeleidingsvorm")
        kinds.add_column("Kind")
        for r in result.regions:
            kinds.add_column(r.name, justify="right")
        for kind in SupervisionKind:
            kinds.add_row(str(kind.label), *(str(r.sources[kind.value]) for r in result.regions))
        console.print(kinds)

        logins = Table(title=f"Demo logins (password for all: {data.PASSWORD})")
        logins.add_column("Username")
        logins.add_column("Organisation")
        logins.add_column("Region")
        admin_note = "Django admin (superuser)"
        if not result.admin_created:
            admin_note += "; existed already, password unchanged"
        logins.add_row(builder.ADMIN_USERNAME, admin_note, "")
        for username, organisation, region in result.logins:
            logins.add_row(username, organisation, region)
        console.print(logins)
        console.print(
            "Get an API token: POST /api/v1/auth/token/ with username and password; "
            "the Django admin is at /admin/."
        )
        return buffer.getvalue()
