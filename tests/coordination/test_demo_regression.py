"""Issue 8's first defect, replayed: a care organisation publishes a plain werkbegeleider
(16 h a week, at most 3 students) in the demo region, and the next run must store its result.

The engine used to return draws of about 0.0014 h, which the store rounded to 0.00 and the
database refused (draw_load_positive); the region then stopped allocating.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from coordination import engine
from coordination.loading import load_problem, stored_result
from coordination.models import RunStatus
from coordination.services import allocation_run
from placements import services
from placements.models import Location, PlacementSupervision, Region


def publish_plain_werkbegeleider(region: Region) -> None:
    location = Location.objects.filter(organisation__region=region).order_by("pk").first()
    services.source_create(
        organisation=location.organisation,
        data={
            "kind": "werkbegeleider",
            "name": "Nieuwe werkbegeleider",
            "hours_per_week": Decimal("16"),
            "max_students": 3,
            "start_date": dt.date(2026, 9, 1),
            "end_date": dt.date(2027, 7, 31),
            "location": location,
        },
    )


def test_a_new_16_hour_werkbegeleider_in_the_demo_region_leaves_a_stored_clean_result(db):
    call_command("seed_demo", stdout=StringIO())
    region = Region.objects.get(code="utrecht")
    publish_plain_werkbegeleider(region)

    run = allocation_run(region=region, trigger="source.published", time_limit=3)

    assert run.status == RunStatus.FINISHED, run.error
    assert run.placed > 0
    assert not PlacementSupervision.objects.filter(load_hours__lte=0).exists()
    loaded = load_problem(region)
    assert engine.check_feasibility(loaded.problem, stored_result(loaded)) == []
