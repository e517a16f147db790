"""Setting up a real region: reference data from files, the region, its first organisations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from placements import reference
from placements.models import DoelgroepSetting, Membership, Opleiding, PostcodeArea, Region


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_the_shipped_samples_load_and_loading_again_only_updates(db):
    first = run("load_reference", "--samples")
    again = run("load_reference", "--samples")

    assert "Opleidingen from" in first and "23 added, 0 updated" in first
    assert "160 added, 0 updated" in first
    assert "0 added, 23 updated" in again and "0 added, 160 updated" in again
    vig = Opleiding.objects.get(code="25491", leerweg="bbl")
    assert (vig.name, vig.niveau) == ("Verzorgende-IG", "mbo3")
    assert PostcodeArea.objects.get(code="3511").municipality == "Utrecht"


def test_a_region_fills_in_its_own_file_labels_and_decimal_commas_included(db, tmp_path):
    opleidingen = tmp_path / "opleidingen.csv"
    opleidingen.write_text(
        "Code;Name;Niveau;Leerweg\n25491;Verzorgende-IG;MBO 3;BBL\n34560;Verpleegkunde;HBO;duaal\n"
    )
    postcodes = tmp_path / "postcodes.csv"
    postcodes.write_text("postcode;latitude;longitude\n3811;52,1561;5,3878\n")

    out = run("load_reference", "--opleidingen", str(opleidingen), "--postcodes", str(postcodes))

    assert "2 added" in out and "1 added" in out
    assert Opleiding.objects.get(code="34560").leerweg == "duaal"
    area = PostcodeArea.objects.get(code="3811")
    assert (area.latitude, area.longitude, area.municipality) == (52.1561, 5.3878, "")


def test_a_file_with_errors_names_every_row_and_saves_nothing(db, tmp_path):
    postcodes = tmp_path / "postcodes.csv"
    postcodes.write_text(
        "postcode,latitude,longitude,municipality\n"
        "3811,52.1561,5.3878,Amersfoort\n"
        "381,52.1,5.3,Amersfoort\n"
        "3812,5.38,52.15,Amersfoort\n"
        "3813,abc,5.3,\n"
    )

    with pytest.raises(CommandError, match="Some files had errors"):
        out = StringIO()
        call_command("load_reference", "--postcodes", str(postcodes), stdout=out, stderr=out)
    result = reference.postcode_areas_load(data=postcodes.read_bytes(), filename="p.csv")

    assert not PostcodeArea.objects.exists()
    assert [(p.row, p.column) for p in result.problems] == [
        (3, "postcode"),
        (4, "latitude"),
        (4, "longitude"),
        (5, "latitude"),
    ]
    assert result.problems[1].message == (
        "5.38 is not a latitude in the Netherlands (50.6 to 53.7); are latitude and longitude "
        "swapped?"
    )


def test_a_missing_column_is_named(db):
    result = reference.opleidingen_load(data=b"code,name\n25491,VIG\n", filename="o.csv")

    assert [p.message for p in result.problems] == [
        "The column niveau is missing from the header row.",
        "The column leerweg is missing from the header row.",
    ]


def test_a_first_region_gets_its_coordination_office_and_first_coordinator(db, monkeypatch):
    monkeypatch.setenv("LEERPLEK_ADMIN_PASSWORD", "a-long-first-password-123")
    run("create_region", "--code", "eemland", "--name", "Amersfoort-Eemland")

    out = run(
        "create_organisation",
        "--region", "eemland",
        "--name", "Stagebureau Eemland",
        "--kind", "coordination",
        "--admin", "coordinator-eemland",
        "--email", "stage@eemland.example",
    )  # fmt: skip

    region = Region.objects.get(code="eemland")
    assert DoelgroepSetting.objects.filter(region=region).count() == 6
    member = Membership.objects.select_related("organisation", "user").get()
    assert member.organisation.kind == "coordination" and member.role == "admin"
    assert member.user.check_password("a-long-first-password-123")
    assert "Password for" not in out  # it came from the environment
    assert get_user_model().objects.get(username="coordinator-eemland").email == (
        "stage@eemland.example"
    )


def test_setting_up_twice_is_refused_in_a_sentence(db):
    run("create_region", "--code", "eemland", "--name", "Amersfoort-Eemland")
    with pytest.raises(CommandError, match=r"Region eemland exists already\."):
        run("create_region", "--code", "eemland", "--name", "Eemland")
    with pytest.raises(CommandError, match="There is no region gooi"):
        run(
            "create_organisation", "--region", "gooi", "--name", "X", "--kind", "school",
            "--admin", "x", "--email", "x@example.org",
        )  # fmt: skip
    out = run(
        "create_organisation", "--region", "eemland", "--name", "ROC Eemland", "--kind",
        "school", "--admin", "roc", "--email", "roc@example.org",
    )  # fmt: skip
    assert "Password for roc: " in out
    with pytest.raises(CommandError, match="Amersfoort-Eemland has an organisation ROC Eemland"):
        run(
            "create_organisation", "--region", "eemland", "--name", "ROC Eemland", "--kind",
            "school", "--admin", "roc2", "--email", "roc@example.org",
        )  # fmt: skip
