"""manage.py import_plekken --organisation ORG --user USERNAME FILE (docs/imports.md)."""

from __future__ import annotations

from placements.imports.command import ImportCommand


class Command(ImportCommand):
    kind = "plekken"
