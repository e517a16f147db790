from __future__ import annotations

from tests import factories


def test_school_submits_a_request_and_reads_it_back(client_for, world):
    opleiding = factories.OpleidingFactory()
    factories.PostcodeAreaFactory(code="3511")
    alice = client_for("alice")
    response = alice.post(
        "/api/v1/requests/",
        {
            "student_pseudonym": "stu-1",
            "student_name": "Sanne de Vries",
            "home_postcode": "3511",
            "opleiding": opleiding.pk,
            "doelgroep": "eerstejaars",
            "start_date": "2026-09-07",
            "end_date": "2027-01-29",
            "hours_per_week": "24",
            "max_travel_km": 20,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["school"] == world.school.pk
    assert body["student_name"] == "Sanne de Vries"
    assert body["weeks"] == 21
    listed = alice.get("/api/v1/requests/").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
