"""What the database benchmarks share: their database arguments, Django on that database, and
a school submitting one more request like one it has."""

from __future__ import annotations

import argparse
import os
import time
from decimal import Decimal
from typing import Any

PG = "postgres://postgres@127.0.0.1:5432"


def parser(doc: str, *, database: str, redis: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--database", default=database)
    p.add_argument("--pg", default=PG)
    p.add_argument("--redis", default=redis)
    return p


def start_django(args: argparse.Namespace, *, fresh: bool) -> None:
    """Point the settings at --database (dropped and created anew when ``fresh``), then set up."""
    os.environ.update(
        DATABASE_URL=f"{args.pg}/{args.database}",
        REDIS_URL=args.redis,
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
    )
    if fresh:
        import psycopg

        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.database}"')
    import django

    django.setup()


def submit_like(template: Any, **changes: Any) -> Any:
    """The template request's school submits one more like it, through the service."""
    from placements import services

    data = {
        "student_pseudonym": f"bench-{time.time_ns()}",
        "home_postcode": template.home_postcode,
        "opleiding": template.opleiding,
        "doelgroep": template.doelgroep,
        "start_date": template.start_date,
        "end_date": template.end_date,
        "hours_per_week": Decimal(template.hours_per_week),
        "acceptable_sectors": [],
        "max_travel_km": template.max_travel_km,
    }
    return services.request_submit(school=template.school, data=data | changes)
