"""The pages' server side: who lands where, who may open which page, the language and e-mail
choices, and that nothing is fetched from another site. The browser tests (tests/browser/)
use them as their users do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from notifications.models import EmailFrequency, Preference

ROOT = Path(__file__).resolve().parents[2]


def logged_in(client, username: str):
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_visitor_is_asked_to_log_in(client, world):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="password"' in page.content


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("erin", "/coordinator/"),
        ("alice", "/school/"),
        ("victor", "/school/"),
        ("carol", "/organisation/"),
    ],
)
def test_members_go_to_the_page_of_their_organisation(client, world, username, home):
    response = logged_in(client, username).get("/")

    assert response.status_code == 302 and response["Location"] == home
    assert client.get(home).status_code == 200


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("alice", "/coordinator/"),
        ("carol", "/school/"),
        ("erin", "/organisation/"),
        ("alice", "/organisation/"),
    ],
)
def test_nobody_opens_another_kind_of_organisations_page(client, world, username, page):
    response = logged_in(client, username).get(page)

    assert response.status_code == 302 and response["Location"] == "/"


def test_a_user_without_an_organisation_is_told_so(client, world):
    get_user_model().objects.create_user("nobody", password="x-very-long-password-1")
    response = logged_in(client, "nobody").get("/")

    assert response.status_code == 403


def test_pages_are_dutch_by_default_and_english_on_request(client, world):
    logged_in(client, "erin")

    dutch = client.get("/coordinator/")
    client.post("/preferences/", {"language": "en", "next": "/coordinator/"})
    english = client.get("/coordinator/")

    assert b'lang="nl"' in dutch.content and b"Allocatie nu starten" in dutch.content
    assert b'lang="en"' in english.content and b"Run allocation now" in english.content
    assert Preference.objects.get(user__username="erin").language == "en"
    # The API keeps English whatever the page language.
    assert (
        "not found" in client.get("/api/v1/requests/999999/").json()["errors"][0]["message"].lower()
    )


def test_the_e_mail_choice_is_kept_and_a_foreign_next_is_ignored(client, world):
    logged_in(client, "carol")

    response = client.post(
        "/preferences/", {"email": EmailFrequency.DAILY, "next": "https://evil.example/"}
    )
    refused = client.post("/preferences/", {"email": "hourly", "next": "/organisation/"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert refused["Location"] == "/organisation/"
    assert Preference.objects.get(user__username="carol").email == EmailFrequency.DAILY


def test_the_pages_and_the_api_docs_load_nothing_from_another_site(client, world):
    logged_in(client, "erin")
    pages = [client.get(path).content.decode() for path in ("/coordinator/", "/api/docs/")]

    for html in pages:
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert external == []
    # The chart library is served from our static files (installed by npm ci).
    assert finders.find("vendor/chart.js/chart.umd.min.js")


def test_the_browsers_language_does_not_decide_the_users_choice_does(client, world):
    logged_in(client, "erin")

    english_browser = client.get("/coordinator/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert b'lang="nl"' in english_browser.content


def test_logging_in_brings_back_the_language_the_user_chose_before(client, world):
    from notifications.services import preference_update

    erin = get_user_model().objects.get(username="erin")
    erin.set_password("a-long-password-for-erin")
    erin.save()
    preference_update(user=erin, language="en")

    response = client.post("/login/", {"username": "erin", "password": "a-long-password-for-erin"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert b'lang="en"' in client.get("/coordinator/").content


def test_the_dashboard_translates_exactly_the_failure_sentences_the_services_write():
    """coordinator.js lists the fixed sentences it translates: each must be one the services
    can write, or the page would silently show it untranslated after a rewording."""
    from celery.exceptions import SoftTimeLimitExceeded
    from django.db import DatabaseError, OperationalError

    from coordination import analyses, services

    script = (ROOT / "web/static/web/coordinator.js").read_text()
    block = script[
        script.index("const FAILURES") : script.index("]);", script.index("const FAILURES"))
    ]
    listed = set(re.findall(r'gettext_noop\("([^"]+)"\)', block))
    written = {
        services.describe_failure(exc)
        for exc in (
            DatabaseError("x"),
            OperationalError("x"),
            SoftTimeLimitExceeded(),
            MemoryError(),
        )
    } | {services.WORKER_LOST_MESSAGE, analyses.WORKER_LOST_MESSAGE}

    assert listed == written
