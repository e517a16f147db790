"""manage.py load_reference: opleidingen and postcode areas from CSV/XLSX (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from placements import reference


class Command(BaseCommand):
    help = (
        "Load or update the opleidingen and four-digit postcode areas every region uses, all "
        "or nothing per file. Columns: opleidingen: code, name, niveau, leerweg; postcode "
        "areas: postcode, latitude, longitude, municipality. See docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--opleidingen", type=Path, help="CSV or XLSX of opleidingen.")
        parser.add_argument("--postcodes", type=Path, help="CSV or XLSX of postcode areas.")
        parser.add_argument(
            "--samples",
            action="store_true",
            help="Load the shipped samples (placements/reference_data/) for files not given.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files = {
            "opleidingen": options["opleidingen"],
            "postcode areas": options["postcodes"],
        }
        if options["samples"]:
            files["opleidingen"] = files["opleidingen"] or reference.SAMPLES / "opleidingen.csv"
            files["postcode areas"] = (
                files["postcode areas"] or reference.SAMPLES / "postcode-areas.csv"
            )
        if not any(files.values()):
            raise CommandError("Give --opleidingen FILE, --postcodes FILE, or --samples.")
        loaders = {
            "opleidingen": reference.opleidingen_load,
            "postcode areas": reference.postcode_areas_load,
        }
        failed = False
        for label, path in files.items():
            if path is None:
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
            result = loaders[label](data=data, filename=path.name)
            if result.ok:
                self.stdout.write(
                    f"{label.capitalize()} from {path}: {result.created} added, "
                    f"{result.updated} updated."
                )
                continue
            failed = True
            self.stderr.write(f"{label.capitalize()} from {path}: nothing was saved.")
            for p in result.problems:
                where = f"row {p.row}" + (f", column {p.column}" if p.column else "")
                self.stderr.write(f"  {where}: {p.message}")
        if failed:
            raise CommandError("Some files had errors; fix the rows above and load them again.")
