"""manage.py create_region --code utrecht --name Utrecht: a new arbeidsmarktregio."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainValidationError
from placements.services import region_create


class Command(BaseCommand):
    help = (
        "Create a region with the default supervision hours per doelgroep (its coordinators "
        "change them later). Then: create_organisation for its coordination office."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="Short code, e.g. utrecht.")
        parser.add_argument("--name", required=True, help="Display name, e.g. Utrecht.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = region_create(code=options["code"], name=options["name"])
        except DomainValidationError as exc:
            raise CommandError(" ".join(e.message for e in exc.errors)) from None
        self.stdout.write(f"Region {region.name} ({region.code}) created, id {region.pk}.")
