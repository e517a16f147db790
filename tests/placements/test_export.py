"""The region's placements as a spreadsheet: `?format=csv|xlsx` on /api/v1/placements/,
with the same visibility as the JSON (students by pseudonym)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests import factories


@pytest.fixture
def placements(world):
    location = factories.LocationFactory(organisation=world.care, name="Huize Noord")
    plek = factories.PlekFactory(location=location, team="Team Zon")
    ours = factories.PlacementFactory(
        plek=plek,
        request=factories.PlacementRequestFactory(school=world.school, student_name="Anouk Ça"),
        status="accepted",
    )
    theirs = factories.PlacementFactory(
        plek=plek, request=factories.PlacementRequestFactory(school=world.other_school)
    )
    return ours, theirs


def test_a_coordinator_exports_the_regions_placements_as_csv_by_pseudonym(
    client_for, world, placements
):
    ours, theirs = placements

    response = client_for("erin").get("/api/v1/placements/?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="placements.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {int(r["id"]) for r in rows} == {ours.pk, theirs.pk}
    row = next(r for r in rows if int(r["id"]) == ours.pk)
    assert (row["plek_team"], row["location_name"], row["status"]) == (
        "Team Zon",
        "Huize Noord",
        "accepted",
    )
    assert row["student_pseudonym"] == ours.request.student_pseudonym
    assert "student_name" not in row and "Anouk" not in response.content.decode("utf-8-sig")


def test_the_same_as_xlsx_and_a_school_gets_only_its_own(client_for, world, placements):
    ours, _ = placements

    response = client_for("alice").get("/api/v1/placements/?format=xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.values)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["id"] == ours.pk and row["school_name"] == "ROC Utrecht"


def test_filters_apply_to_the_export(client_for, world, placements):
    ours, _ = placements

    response = client_for("erin").get("/api/v1/placements/?format=csv&status=accepted")

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == [ours.pk]
