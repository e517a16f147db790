"""The shared body of `manage.py import_requests|import_plekken|import_sources`.

Same all-or-nothing import as the API, for the file on disk, with a progress bar. Every
error is printed with its row and column; any error exits non-zero and saves nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from placements.imports.importers import KINDS, ImportNotAllowed, import_file
from placements.models import Organisation

PHASES = {"check": "Checking rows", "save": "Saving rows"}


class ImportCommand(BaseCommand):
    kind = ""

    @property
    def help(self) -> str:  # type: ignore[override]
        spec = KINDS[self.kind]
        return (
            f"Import {spec.label} from a CSV or XLSX file, all or nothing. Columns: "
            f"{', '.join(spec.column_names)}. See docs/imports.md."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation", required=True, help="Organisation id or its exact name."
        )
        parser.add_argument(
            "--user", required=True, help="Username of an editor of that organisation."
        )
        parser.add_argument("file", type=Path, help="A .csv or .xlsx file.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = self._organisation(options["organisation"])
        user = self._user(options["user"])
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc

        # Progress goes to stderr so stdout carries only the result.
        console = Console(file=self.stderr._out, stderr=True)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
                bar.update(tasks[phase], completed=done)

            try:
                result = import_file(
                    self.kind,
                    organisation,
                    user,
                    data,
                    path.name,
                    max_bytes=settings.IMPORT_MAX_BYTES,
                    progress=progress,
                )
            except ImportNotAllowed as exc:
                raise CommandError(str(exc)) from exc

        if not result.ok:
            for error in result.errors:
                where = "file" if error.row is None else f"row {error.row}"
                if error.column:
                    where += f", column {error.column}"
                self.stderr.write(f"{where}: {error.message} [{error.code}]")
            raise CommandError(
                f"{len(result.errors)} error(s) in {path.name}; nothing was imported.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} {KINDS[self.kind].label} for {organisation.name}."
            )
        )

    def _organisation(self, value: str) -> Organisation:
        matches = list(
            Organisation.objects.filter(pk=int(value))
            if value.isdigit()
            else Organisation.objects.filter(name=value)
        )
        if not matches:
            raise CommandError(f"No organisation with id or name '{value}'.")
        if len(matches) > 1:
            ids = ", ".join(str(o.pk) for o in matches)
            raise CommandError(
                f"Several organisations are named '{value}' (ids {ids}); give the id."
            )
        return matches[0]

    def _user(self, username: str) -> Any:
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user '{username}'.") from exc
