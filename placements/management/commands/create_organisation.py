"""manage.py create_organisation: a school, care organisation or coordination office in a
region, with its first administrator (who then adds colleagues in the admin)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainValidationError
from placements.domain import OrganisationKind
from placements.models import Region
from placements.services import organisation_create

PASSWORD_VARIABLE = "LEERPLEK_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create an organisation and its first administrator. The first one of a region is "
        "its coordination office (--kind coordination): its administrator is the region's "
        f"first coordinator. The password comes from ${PASSWORD_VARIABLE}, or a random one "
        "is printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="Region code, e.g. utrecht.")
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument("--kind", required=True, choices=OrganisationKind.values)
        parser.add_argument("--admin", required=True, help="Username of its administrator.")
        parser.add_argument("--email", required=True, help="The administrator's e-mail.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = Region.objects.get(code=options["region"])
        except Region.DoesNotExist:
            known = ", ".join(Region.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(
                f"There is no region {options['region']} (known: {known}); create it with "
                "manage.py create_region."
            ) from None
        password = os.environ.get(PASSWORD_VARIABLE) or secrets.token_urlsafe(12)
        try:
            organisation, user = organisation_create(
                region=region,
                name=options["name"],
                kind=options["kind"],
                admin_username=options["admin"],
                admin_email=options["email"],
                admin_password=password,
            )
        except DomainValidationError as exc:
            raise CommandError(" ".join(e.message for e in exc.errors)) from None
        self.stdout.write(
            f"{organisation.get_kind_display()} {organisation.name} created in {region.name} "
            f"(id {organisation.pk}), with administrator {user.get_username()}."
        )
        if not os.environ.get(PASSWORD_VARIABLE):
            self.stdout.write(f"Password for {user.get_username()}: {password}")
            self.stdout.write("It is shown only this once: hand it over safely.")
