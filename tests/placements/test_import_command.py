"""manage.py import_requests|import_plekken|import_sources: same all-or-nothing import."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from events.models import Event
from placements.models import PlacementRequest, Plek
from tests import factories

HEADER = (
    "student_pseudonym,home_postcode,crebo,leerweg,doelgroep,start_date,end_date,"
    "hours_per_week,max_travel_km"
)
GOOD = "stu-{},3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,20"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def refs(world):
    factories.OpleidingFactory(code="25491", leerweg="bol")
    factories.PostcodeAreaFactory(code="3511")
    factories.LocationFactory(organisation=world.care, name="Huize Linde")


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_good_file(world, refs, tmp_path):
    path = tmp_path / "verzoeken.csv"
    path.write_text("\n".join([HEADER, GOOD.format(1), GOOD.format(2)]) + "\n")

    out, _err = run(
        "import_requests", "--organisation", "ROC Utrecht", "--user", "alice", str(path)
    )

    assert "Imported 2 placement requests" in out
    assert set(PlacementRequest.objects.values_list("student_pseudonym", "school")) == {
        ("stu-1", world.school.pk),
        ("stu-2", world.school.pk),
    }


def test_command_takes_the_organisation_id_and_xlsx(world, refs, tmp_path):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(
        ["location", "team", "sector", "opleidingen", "seats", "start_date", "end_date"]
    )
    workbook.active.append(
        ["Huize Linde", "Berk", "vvt", 25491, 2, dt.date(2026, 9, 7), dt.date(2027, 6, 25)]
    )
    path = tmp_path / "plekken.xlsx"
    workbook.save(path)

    run("import_plekken", "--organisation", str(world.care.pk), "--user", "carol", str(path))

    assert list(Plek.objects.values_list("team", "organisation")) == [("Berk", world.care.pk)]


def test_command_with_a_bad_file_exits_non_zero_and_saves_nothing(world, refs, tmp_path):
    path = tmp_path / "verzoeken.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                GOOD.format(1),
                "stu-2,3511,99999,bol,eerstejaars,2026-09-07,2027-01-29,24,20",
                "stu-3,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,0",
            ]
        )
        + "\n"
    )
    err = io.StringIO()
    events_before = Event.objects.count()

    with pytest.raises(CommandError) as exc:
        call_command(
            "import_requests",
            "--organisation",
            "ROC Utrecht",
            "--user",
            "alice",
            str(path),
            stdout=io.StringIO(),
            stderr=err,
        )

    assert exc.value.returncode != 0
    assert "2 error(s)" in str(exc.value)
    assert "row 3, column crebo: No opleiding with crebo code 99999" in err.getvalue()
    assert "row 4, column max_travel_km:" in err.getvalue()
    assert PlacementRequest.objects.count() == 0
    assert Event.objects.count() == events_before


def test_command_refuses_a_user_of_another_organisation(world, refs, tmp_path):
    path = tmp_path / "verzoeken.csv"
    path.write_text("\n".join([HEADER, GOOD.format(1)]) + "\n")

    with pytest.raises(CommandError, match="may not change data of ROC Utrecht"):
        run("import_requests", "--organisation", "ROC Utrecht", "--user", "bob", str(path))
    with pytest.raises(CommandError, match="Only a school"):
        run("import_requests", "--organisation", "Zorggroep Noord", "--user", "carol", str(path))
    with pytest.raises(CommandError, match="No organisation"):
        run("import_requests", "--organisation", "ROC Nergens", "--user", "alice", str(path))
    assert PlacementRequest.objects.count() == 0
