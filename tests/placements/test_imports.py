"""Bulk imports through the API: all or nothing, every bad row reported, tenants respected."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Event
from placements.domain import PlekStatus
from placements.imports.importers import KINDS, import_rows
from placements.imports.readers import FileRejected, Row, read_file
from placements.models import PlacementRequest, Plek, SupervisionSource
from tests import factories

REQUESTS_URL = "/api/v1/requests/import/"
PLEKKEN_URL = "/api/v1/plekken/import/"
SOURCES_URL = "/api/v1/sources/import/"

REQUEST_HEADER = (
    "student_pseudonym,student_name,home_postcode,crebo,leerweg,doelgroep,start_date,"
    "end_date,hours_per_week,acceptable_sectors,max_travel_km,preferences,priority"
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The named users get hashed passwords; the default hasher costs seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def refs(world):
    bol = factories.OpleidingFactory(code="25491", leerweg="bol")
    bbl = factories.OpleidingFactory(code="25491", leerweg="bbl")
    helpende = factories.OpleidingFactory(code="25498", leerweg="bol", name="Helpende Z&W")
    factories.PostcodeAreaFactory(code="3511")
    factories.PostcodeAreaFactory(
        code="3812", latitude=52.16, longitude=5.39, municipality="Amersfoort"
    )
    linde = factories.LocationFactory(organisation=world.care, name="Huize Linde")
    anker = factories.LocationFactory(organisation=world.other_care, name="Het Anker")
    plek = factories.PlekFactory(location=linde, opleidingen=[bol, bbl])
    withdrawn = factories.PlekFactory(
        location=linde, opleidingen=[bol], status=PlekStatus.WITHDRAWN
    )
    return SimpleNamespace(
        bol=bol, bbl=bbl, helpende=helpende, linde=linde, anker=anker, plek=plek,
        withdrawn=withdrawn,
    )  # fmt: skip


def upload(client, url, content: bytes, name: str = "import.csv", **headers):
    return client.post(
        url, {"file": SimpleUploadedFile(name, content)}, format="multipart", **headers
    )


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_cells(response) -> set[tuple[int | None, str | None, str]]:
    return {(e["row"], e["column"], e["code"]) for e in response.json()["errors"]}


def counts() -> tuple[int, int, int, int]:
    return (
        PlacementRequest.objects.count(),
        Plek.objects.count(),
        SupervisionSource.objects.count(),
        Event.objects.count(),
    )


# --- Good files -----------------------------------------------------------------------


def test_school_imports_requests_from_csv(client_for, world, refs):
    content = csv_bytes(
        REQUEST_HEADER,
        f"stu-1,Sanne de Vries,3511,25491,BBL,eerstejaars,2026-09-07,2027-01-29,24,"
        f'"vvt,ghz",20,{refs.plek.pk},3',
        "stu-2,,3812,25498,bol,Zij-instromer,2026-09-07,2027-06-25,32,,40,,",
    )

    response = upload(client_for("alice"), REQUESTS_URL, content)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 2
    first, second = (PlacementRequest.objects.get(pk=pk) for pk in body["ids"])
    assert (first.student_pseudonym, second.student_pseudonym) == ("stu-1", "stu-2")
    assert first.school == world.school and second.school == world.school
    assert first.created_by.username == "alice"
    assert first.opleiding == refs.bbl
    assert second.opleiding == refs.helpende
    assert second.doelgroep == "zij_instromer"
    assert first.acceptable_sectors == ["ghz", "vvt"]
    assert [p.plek_id for p in first.preferences.all()] == [refs.plek.pk]
    assert first.priority == 3 and second.priority == 1
    assert first.home_postcode_id == "3511"
    assert Event.objects.filter(type="request.submitted").count() == 2


def test_semicolon_csv_as_dutch_excel_writes_it(client_for, world, refs):
    # Dutch Excel: byte order mark, semicolons, decimal comma, day-month-year dates.
    content = "\ufeff" + "\r\n".join(
        [
            REQUEST_HEADER.replace(",", ";"),
            "stu-7;Daan Bakker;3511;25491;bol;Eerstejaars;07-09-2026;29-01-2027;24,5;vvt, ghz;15;;",
        ]
    )

    response = upload(client_for("alice"), REQUESTS_URL, content.encode(), "verzoeken.csv")

    assert response.status_code == 201, response.json()
    request = PlacementRequest.objects.get(pk=response.json()["ids"][0])
    assert request.student_name == "Daan Bakker"
    assert request.hours_per_week == Decimal("24.5")
    assert request.start_date == dt.date(2026, 9, 7)
    assert request.end_date == dt.date(2027, 1, 29)
    assert request.acceptable_sectors == ["ghz", "vvt"]
    assert request.opleiding == refs.bol


def test_care_organisation_imports_plekken_from_xlsx(client_for, world, refs):
    content = xlsx_bytes(
        [
            ["location", "team", "sector", "opleidingen", "seats", "start_date", "end_date",
             "is_leerafdeling"],
            ["Huize Linde", "Afdeling Berk", "VVT", "25491", 3, dt.datetime(2026, 9, 7),
             dt.datetime(2027, 6, 25), "nee"],
            [None, None, None, None, None, None, None, None],  # Excel's blank rows are skipped
            ["huize linde", "Leerafdeling Eik", "vvt", "25491 bbl, 25498", 6,
             dt.date(2026, 9, 1), dt.date(2027, 7, 1), "ja"],
        ]
    )  # fmt: skip

    response = upload(client_for("carol"), PLEKKEN_URL, content, "plekken.xlsx")

    assert response.status_code == 201, response.json()
    berk, eik = (Plek.objects.get(pk=pk) for pk in response.json()["ids"])
    assert berk.organisation == world.care and eik.organisation == world.care
    assert berk.location == refs.linde and eik.location == refs.linde
    assert set(berk.opleidingen.all()) == {refs.bol, refs.bbl}  # a code alone: every leerweg
    assert set(eik.opleidingen.all()) == {refs.bbl, refs.helpende}
    assert (berk.seats, berk.start_date, berk.is_leerafdeling) == (3, dt.date(2026, 9, 7), False)
    assert (eik.seats, eik.end_date, eik.is_leerafdeling) == (6, dt.date(2027, 7, 1), True)


def test_care_organisation_imports_sources(client_for, world, refs):
    content = csv_bytes(
        "kind,name,hours_per_week,start_date,end_date,max_students,group_factor,location,plek",
        "werkbegeleider,Werkbegeleiders Linde,16,2026-09-07,2027-06-25,2,,Huize Linde,",
        'Leercoach,Leercoach Linde,"12,5",2026-09-07,2027-06-25,,"0,6",Huize Linde,',
        f"leerafdeling,Team leerafdeling,20,2026-09-07,2027-06-25,,,,{refs.plek.pk}",
    )

    response = upload(client_for("carol"), SOURCES_URL, content)

    assert response.status_code == 201, response.json()
    sources = [SupervisionSource.objects.get(pk=pk) for pk in response.json()["ids"]]
    assert [s.kind for s in sources] == ["werkbegeleider", "leercoach", "leerafdeling"]
    assert all(s.organisation == world.care for s in sources)
    assert sources[0].location == refs.linde and sources[0].max_students == 2
    assert sources[1].group_factor == Decimal("0.60")
    assert sources[1].hours_per_week == Decimal("12.5")
    assert sources[2].plek == refs.plek and sources[2].location is None


# --- Bad files: every error, nothing saved --------------------------------------------


def test_bad_rows_are_all_reported_and_nothing_is_saved(client_for, world, refs):
    before = counts()
    content = csv_bytes(
        REQUEST_HEADER,
        "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",  # good
        "stu-2,,3511,99999,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",  # unknown crebo
        "stu-3,,3511,25491,bol,eerstejaars,31-02-2026,2027-01-29,99,,20,,",  # date, hours
        "stu-4,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",  # good
        "stu-5,,9999,25491,bol,student,2026-09-07,2026-08-01,24,vvt;zee,20,,",  # 4 problems
    )

    response = upload(client_for("alice"), REQUESTS_URL, content)

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert error_cells(response) == {
        (3, "crebo", "not_found"),
        (4, "start_date", "invalid"),
        (4, "hours_per_week", "max_value"),
        (6, "home_postcode", "does_not_exist"),
        (6, "doelgroep", "invalid_choice"),
        (6, "end_date", "dates_out_of_order"),
        (6, "acceptable_sectors", "invalid_choice"),
    }
    by_path = {e["path"]: e for e in body["errors"]}
    assert "rows[3].crebo" in by_path and "99999" in by_path["rows[3].crebo"]["message"]
    assert "rows[6].acceptable_sectors[1]" in by_path
    assert all(e["message"] for e in body["errors"])
    assert counts() == before


def test_a_row_failing_in_the_service_rolls_back_the_rows_before_it(client_for, world, refs):
    # Both rows pass the serializer; the second names a withdrawn plek, which only the
    # service rejects, after the first row was already created inside the transaction.
    before = counts()
    content = csv_bytes(
        REQUEST_HEADER,
        f"stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,{refs.plek.pk},",
        f'stu-2,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,"{refs.plek.pk},'
        f'{refs.withdrawn.pk}",',
    )

    response = upload(client_for("alice"), REQUESTS_URL, content)

    assert response.status_code == 400
    assert error_cells(response) == {(3, "preferences", "not_found")}
    assert response.json()["errors"][0]["path"] == "rows[3].preferences[1]"
    assert counts() == before


def test_duplicates_in_the_file_and_in_the_database_are_reported(client_for, world, refs):
    factories.PlacementRequestFactory(
        school=world.school, student_pseudonym="stu-old", start_date=dt.date(2026, 9, 7)
    )
    before = counts()
    content = csv_bytes(
        REQUEST_HEADER,
        "stu-old,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",
        "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",
        "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",
        "stu-2,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",
    )

    response = upload(client_for("alice"), REQUESTS_URL, content)

    assert response.status_code == 400
    assert error_cells(response) == {
        (2, "student_pseudonym", "conflict"),
        (4, "student_pseudonym", "duplicate_row"),
    }
    assert counts() == before


def test_owner_like_and_unknown_columns_are_rejected(client_for, world, refs):
    content = csv_bytes(
        REQUEST_HEADER + ",school,Status",
        f"stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,,"
        f"{world.other_school.pk},confirmed",
    )

    response = upload(client_for("alice"), REQUESTS_URL, content)

    assert response.status_code == 400
    assert error_cells(response) == {
        (1, "school", "unknown_column"),
        (1, "status", "unknown_column"),
    }
    assert response.json()["errors"][0]["path"] == "columns.school"
    assert PlacementRequest.objects.count() == 0


def test_a_missing_column_is_reported_once(client_for, world, refs):
    content = csv_bytes(
        "student_pseudonym,home_postcode,crebo,leerweg,doelgroep,start_date,end_date,max_travel_km",
        "stu-1,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,20",
        "stu-2,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,",
    )

    response = upload(client_for("alice"), REQUESTS_URL, content)

    assert response.status_code == 400
    assert error_cells(response) == {
        (1, "hours_per_week", "missing_column"),
        (3, "max_travel_km", "required"),
    }
    assert PlacementRequest.objects.count() == 0


def test_xlsx_errors_name_the_spreadsheet_row(client_for, world, refs):
    content = xlsx_bytes(
        [
            ["location", "team", "sector", "opleidingen", "seats", "start_date", "end_date"],
            ["Huize Linde", "Berk", "vvt", "25491", 3, dt.date(2026, 9, 7), dt.date(2027, 6, 25)],
            [None] * 7,
            ["Huize Linde", "Eik", "vvt", "12345", -1, dt.date(2026, 9, 7), dt.date(2027, 6, 25)],
        ]
    )

    response = upload(client_for("carol"), PLEKKEN_URL, content, "plekken.xlsx")

    assert response.status_code == 400
    assert error_cells(response) == {(4, "opleidingen", "not_found"), (4, "seats", "min_value")}
    assert Plek.objects.count() == 2  # the fixture's two plekken only


def test_size_and_row_limits(client_for, world, refs, settings):
    alice = client_for("alice")
    content = csv_bytes(
        REQUEST_HEADER,
        *[f"stu-{i},,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,," for i in range(3)],
    )

    settings.IMPORT_MAX_ROWS = 2
    too_many = upload(alice, REQUESTS_URL, content)
    settings.IMPORT_MAX_ROWS = 3
    settings.IMPORT_MAX_BYTES = len(content) - 1
    too_large = upload(alice, REQUESTS_URL, content)

    assert too_many.status_code == 400
    assert error_cells(too_many) == {(None, None, "too_many_rows")}
    assert too_large.status_code == 413
    assert too_large.json()["errors"][0]["code"] == "too_large"
    assert PlacementRequest.objects.count() == 0


def test_files_that_cannot_be_read(client_for, world, refs):
    alice = client_for("alice")
    latin1 = REQUEST_HEADER.encode() + "\nstu-1,Zoë".encode("latin-1")

    assert error_cells(upload(alice, REQUESTS_URL, latin1)) == {(None, None, "bad_encoding")}
    assert error_cells(upload(alice, REQUESTS_URL, b"PK\x03\x04junk", "x.xlsx")) == {
        (None, None, "unreadable_file")
    }
    assert error_cells(upload(alice, REQUESTS_URL, b"", "x.csv")) == {(None, None, "empty_file")}
    missing = alice.post(REQUESTS_URL, {}, format="multipart")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["path"] == "file"


# --- Tenants and roles ----------------------------------------------------------------


def test_only_schools_import_requests_and_only_care_organisations_plekken(client_for, world, refs):
    requests_file = csv_bytes(
        REQUEST_HEADER, "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,"
    )
    plekken_file = csv_bytes(
        "location,team,sector,opleidingen,seats,start_date,end_date",
        "Huize Linde,Berk,vvt,25491,3,2026-09-07,2027-06-25",
    )
    sources_file = csv_bytes(
        "kind,name,hours_per_week,start_date,end_date,location",
        "werkbegeleider,W,8,2026-09-07,2027-06-25,Huize Linde",
    )
    before = counts()

    carol_requests = upload(client_for("carol"), REQUESTS_URL, requests_file)
    alice_plekken = upload(client_for("alice"), PLEKKEN_URL, plekken_file)
    alice_sources = upload(client_for("alice"), SOURCES_URL, sources_file)
    erin_plekken = upload(client_for("erin"), PLEKKEN_URL, plekken_file)

    for response in (carol_requests, alice_plekken, alice_sources, erin_plekken):
        assert response.status_code == 403
        assert response.json()["type"] == "client_error"
    assert counts() == before


def test_a_location_of_another_organisation_is_not_found(client_for, world, refs):
    plekken_file = csv_bytes(
        "location,team,sector,opleidingen,seats,start_date,end_date",
        "Huize Linde,Berk,vvt,25491,3,2026-09-07,2027-06-25",
        "Het Anker,Eik,vvt,25491,3,2026-09-07,2027-06-25",
    )
    sources_file = csv_bytes(
        "kind,name,hours_per_week,start_date,end_date,location,plek",
        "werkbegeleider,W,8,2026-09-07,2027-06-25,Het Anker,",
        f"leerafdeling,L,8,2026-09-07,2027-06-25,,{refs.plek.pk}",
    )
    before = counts()

    plekken = upload(client_for("carol"), PLEKKEN_URL, plekken_file)
    # dave may not use carol's plek either: its id is simply not one of his.
    sources_carol = upload(client_for("carol"), SOURCES_URL, sources_file)
    sources_dave = upload(
        client_for("dave"), SOURCES_URL, sources_file.replace(b"Het Anker", b"Huize Linde")
    )

    assert plekken.status_code == 400
    assert error_cells(plekken) == {(3, "location", "not_found")}
    assert "Zorgpartners" not in plekken.json()["errors"][0]["message"]
    assert error_cells(sources_carol) == {(2, "location", "not_found")}
    assert error_cells(sources_dave) == {
        (2, "location", "not_found"),
        (3, "plek", "does_not_exist"),
    }
    assert counts() == before


def test_a_viewer_may_not_import(client_for, world, refs):
    content = csv_bytes(
        REQUEST_HEADER, "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,"
    )

    response = upload(client_for("victor"), REQUESTS_URL, content)

    assert response.status_code == 403
    assert PlacementRequest.objects.count() == 0


def test_anonymous_upload_is_refused(world, refs):
    from rest_framework.test import APIClient

    response = upload(APIClient(), REQUESTS_URL, b"student_pseudonym\nstu-1\n")

    assert response.status_code in (401, 403)
    assert PlacementRequest.objects.count() == 0


# --- Idempotency ----------------------------------------------------------------------


def test_a_repeated_idempotency_key_replays_and_creates_nothing_new(client_for, world, refs):
    alice = client_for("alice")
    content = csv_bytes(
        REQUEST_HEADER,
        "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",
        "stu-2,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,",
    )

    first = upload(alice, REQUESTS_URL, content, HTTP_IDEMPOTENCY_KEY="import-1")
    events_after_first = Event.objects.count()
    second = upload(alice, REQUESTS_URL, content, HTTP_IDEMPOTENCY_KEY="import-1")

    assert first.status_code == 201, first.json()
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert PlacementRequest.objects.count() == 2
    assert Event.objects.count() == events_after_first


def test_an_idempotency_key_reused_for_another_file_is_refused(client_for, world, refs):
    alice = client_for("alice")
    row = "stu-{},,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,"

    first = upload(alice, REQUESTS_URL, csv_bytes(REQUEST_HEADER, row.format(1)),
                   HTTP_IDEMPOTENCY_KEY="k")  # fmt: skip
    other = upload(alice, REQUESTS_URL, csv_bytes(REQUEST_HEADER, row.format(2)),
                   HTTP_IDEMPOTENCY_KEY="k")  # fmt: skip

    assert first.status_code == 201
    assert other.status_code == 422
    assert list(PlacementRequest.objects.values_list("student_pseudonym", flat=True)) == ["stu-1"]


# --- The pure parts -------------------------------------------------------------------


def test_reader_numbers_rows_as_the_spreadsheet_does():
    sheet = read_file(b'a;b\r\n1;2\r\n;\r\n\r\n3;"x\ny"\r\n', "f.csv", max_rows=10)

    assert sheet.columns == ["a", "b"]
    assert [(r.number, r.values) for r in sheet.rows] == [
        (2, {"a": "1", "b": "2"}),
        (5, {"a": "3", "b": "x\ny"}),
    ]


def test_reader_refuses_old_excel_files():
    with pytest.raises(FileRejected) as exc:
        read_file(b"\xd0\xcf\x11\xe0rest", "oud.xls", max_rows=10)
    assert exc.value.code == "unsupported_format"


def test_import_rows_takes_plain_rows(world, refs):
    from django.contrib.auth import get_user_model

    alice = get_user_model().objects.get(username="alice")
    rows = [
        Row(
            2,
            {
                "student_pseudonym": "stu-9",
                "home_postcode": "3511",
                "crebo": "25491",
                "leerweg": "bol",
                "doelgroep": "starter",
                "start_date": "2026-09-07",
                "end_date": "2026-12-18",
                "hours_per_week": "16",
                "max_travel_km": "10",
                "peer_mentor": "ja",
            },
        )
    ]

    result = import_rows("requests", world.school, alice, rows)

    assert result.ok, result.errors
    request = PlacementRequest.objects.get(pk=result.ids[0])
    assert request.peer_mentor is True and request.school == world.school


# --- Documentation and example files --------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("kind", ["requests", "plekken", "sources"])
def test_docs_describe_every_column(kind):
    text = (DOCS / "imports.md").read_text()

    undocumented = [name for name in KINDS[kind].column_names if f"| `{name}` |" not in text]

    assert undocumented == []


def test_example_files_import_as_they_are(client_for, world):
    for code, leerweg in [("25491", "bol"), ("25491", "bbl"), ("25498", "bol")]:
        factories.OpleidingFactory(code=code, leerweg=leerweg)
    for code in ("3511", "3431", "3581"):
        factories.PostcodeAreaFactory(code=code)
    for name in ("Huize Domtoren", "Lekhof"):
        factories.LocationFactory(organisation=world.care, name=name)

    responses = {
        (kind, user): upload(
            client_for(user),
            f"/api/v1/{kind}/import/",
            (DOCS / "examples" / f"{kind}.csv").read_bytes(),
        )
        for kind, user in [("requests", "alice"), ("plekken", "carol"), ("sources", "carol")]
    }

    assert {key: r.status_code for key, r in responses.items()} == {
        ("requests", "alice"): 201,
        ("plekken", "carol"): 201,
        ("sources", "carol"): 201,
    }, {key: r.json() for key, r in responses.items()}
    assert [r.json()["created"] for r in responses.values()] == [3, 3, 4]


def test_a_retry_with_another_multipart_boundary_replays(client_for, world, refs):
    from django.test.client import encode_multipart

    alice = client_for("alice")
    content = csv_bytes(
        REQUEST_HEADER, "stu-1,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,"
    )

    def post(boundary: str):
        body = encode_multipart(boundary, {"file": SimpleUploadedFile("r.csv", content)})
        return alice.generic(
            "POST",
            REQUESTS_URL,
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY="retry-1",
        )

    first, retry = post("boundary-one"), post("boundary-two")

    assert first.status_code == 201
    assert retry.status_code == 201
    assert PlacementRequest.objects.count() == 1


def test_a_keyed_upload_with_session_login_and_csrf_is_accepted_and_replayed(world, refs):
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import get_token
    from django.test import RequestFactory
    from rest_framework.test import APIClient

    # A browser: session cookie and CSRF token, enforced as in production.
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(get_user_model().objects.get(username="alice"))
    token = get_token(RequestFactory().get("/"))
    browser.cookies["csrftoken"] = token
    content = csv_bytes(
        REQUEST_HEADER, "stu-9,,3511,25491,bol,eerstejaars,2026-09-07,2027-01-29,24,,20,,"
    )

    def post():
        return browser.post(
            REQUESTS_URL,
            {"file": SimpleUploadedFile("r.csv", content)},
            format="multipart",
            HTTP_X_CSRFTOKEN=token,
            HTTP_IDEMPOTENCY_KEY="browser-1",
        )

    first, again = post(), post()

    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert PlacementRequest.objects.count() == 1
