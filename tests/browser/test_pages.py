"""The pages as their users use them, in Chromium: log in, watch the region live, answer a
proposal, upload a spreadsheet, try a what-if, switch the language."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from coordination.models import AllocationRun, UnplacedRequest
from placements.domain import OrganisationKind, PlacementStatus
from placements.models import Membership, Placement, PlacementRequest, Plek, SupervisionSource
from tests.browser.conftest import Site, screenshot
from tests.integration.asgi_server import post_json, request_body, start_uvicorn, wait_until
from tests.integration.conftest import stop

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


# The bar charts' names as the axes draw them that are wider than their axis, or missing:
# Chart.js gives a horizontal chart's axis at most half its width and cuts off, at the
# canvas' edge, what does not fit; and it skips names it finds crowded.
LABELS_CUT_OFF = """() => {
  const out = [];
  for (const id of ["chart-sectors", "chart-opleidingen", "chart-kinds", "chart-locations"]) {
    const chart = Chart.getChart(document.getElementById(id));
    const scale = chart.options.indexAxis === "y" ? chart.scales.y : chart.scales.x;
    const drawn = scale.getTicks().map((tick) => tick.label);
    if (drawn.length !== chart.data.labels.length) out.push(`${id}: ${drawn.length} names`);
    if (scale !== chart.scales.y) continue;
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = `${Chart.defaults.font.size}px ${Chart.defaults.font.family}`;
    for (const label of drawn) if (ctx.measureText(label).width > scale.width) out.push(label);
    ctx.restore();
  }
  return out;
}"""


def figure(page, key: str) -> str:
    return page.locator(f'[data-figure="{key}"] .value').inner_text()


def mark_page(page) -> None:
    """A flag on the window: still there later means the page never reloaded."""
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def submit_request(origin: str, site: Site, n: int) -> None:
    """A school of the region submits one request over the API of the server at origin."""
    school = Membership.objects.filter(
        organisation__region=site.region, organisation__kind=OrganisationKind.SCHOOL
    ).first()
    token = Token.objects.get_or_create(user=school.user)[0].key
    known = PlacementRequest.objects.filter(school=school.organisation).first()
    body = request_body(known.opleiding_id, n) | {"home_postcode": known.home_postcode_id}
    status, answer = post_json(f"{origin}/api/v1/requests/", token, body)
    assert status == 201, answer


def test_a_visitor_logs_in_and_lands_on_the_home_of_their_organisation(site: Site):
    page = site.page()
    page.goto("/")
    assert page.url.endswith("/login/?next=/") or page.url.endswith("/login/")
    # The demo's logins are listed outside production.
    assert page.locator("code", has_text="coordinator-utrecht").count() == 1

    for kind, path in [
        (OrganisationKind.COORDINATION, "/coordinator/"),
        (OrganisationKind.SCHOOL, "/school/"),
        (OrganisationKind.CARE, "/organisation/"),
    ]:
        page = site.page(site.user_of(kind))
        assert page.url == f"{site.origin}{path}"
        page.context.close()

    wrong = site.page()
    wrong.goto("/login/")
    wrong.fill("#id_username", site.user_of(OrganisationKind.SCHOOL))
    wrong.fill("#id_password", "not-the-password")
    wrong.click("button[type=submit]")
    assert wrong.get_by_role("alert").is_visible()
    assert "/login/" in wrong.url


def test_the_coordinator_sees_the_region_and_follows_it_live(site: Site):
    # A laptop set up in American English: the page is Dutch all the same.
    page = site.page(site.user_of(OrganisationKind.COORDINATION), locale="en-US")
    page.wait_for_selector("#live:not(.offline)")
    requests = PlacementRequest.objects.filter(region=site.region).count()
    live = Placement.objects.filter(
        request__region=site.region,
        status__in=[PlacementStatus.PROPOSED, PlacementStatus.ACCEPTED, PlacementStatus.CONFIRMED],
    ).count()
    assert int(figure(page, "requests")) == requests
    assert int(figure(page, "placed")) == live > 0
    # Unplaced requests come with their reason; the charts are drawn.
    unplaced = page.locator("#unplaced tr")
    assert unplaced.count() == requests - live
    assert unplaced.first.locator("td").nth(3).inner_text().strip()
    assert page.locator("#chart-sectors").bounding_box()["height"] > 100
    # Long names (opleidingen, begeleidingsvormen, locations) fit beside their bars.
    assert page.evaluate(LABELS_CUT_OFF) == []
    screenshot(page, "coordinator")
    mark_page(page)

    # A school submits a request over the API: the figure and the feed follow, no reload.
    submit_request(site.origin, site, 90001)
    page.wait_for_function(
        f"document.querySelector('[data-figure=requests] .value').textContent == '{requests + 1}'"
    )
    # The time in the page's language (Dutch: 24 hours), whatever the browser's own is.
    assert re.match(r"\d{2}:\d{2}:\d{2} · \S", page.locator("#feed li").first.inner_text())
    assert not_reloaded(page)


def test_running_allocation_shows_progress_and_the_run(site: Site):
    page = site.page(site.user_of(OrganisationKind.COORDINATION))
    page.wait_for_selector("#live:not(.offline)")
    before = AllocationRun.objects.filter(region=site.region).count()
    mark_page(page)
    page.click("#run-now")
    page.wait_for_selector("#run-progress:not([hidden])")
    # The engine's stage in the coordinator's words and language, not its code name.
    dutch = ["de regio inlezen", "plaatsen", "ruimte maken", "de bovengrens berekenen"]
    dutch += ["zoeken", "de beste verdeling zoeken", "voorkeuren verbeteren"]
    page.wait_for_function(
        "labels => labels.some((l) => document.getElementById('run-stage').textContent"
        ".endsWith(' ' + l))",
        arg=dutch,
        timeout=60_000,
    )
    run = wait_until(
        lambda: (
            AllocationRun.objects.filter(region=site.region, status="finished")
            .exclude(
                pk__in=AllocationRun.objects.filter(region=site.region).order_by("pk")[:before]
            )
            .first()
        ),
        timeout=90,
        what="the run the button queued finished",
    )
    # The run's row appears and the progress bar goes away when it finished.
    page.wait_for_selector(f"#runs tr:has-text('#{run.pk}')")
    page.wait_for_selector("#run-progress", state="hidden")
    assert not_reloaded(page)


def test_a_care_organisation_accepts_and_declines_and_the_coordinator_sees_it(site: Site):
    care = (
        Placement.objects.filter(request__region=site.region, status=PlacementStatus.PROPOSED)
        .values_list("plek__location__organisation", flat=True)
        .first()
    )
    username = Membership.objects.filter(organisation=care).first().user.username
    coordinator = site.page(site.user_of(OrganisationKind.COORDINATION))
    coordinator.wait_for_selector("#live:not(.offline)")
    accepted = int(figure(coordinator, "accepted"))

    page = site.page(username)
    page.wait_for_selector("#live:not(.offline)")
    proposals = Placement.objects.filter(plek__location__organisation=care, status="proposed")
    rows = page.locator("#proposals tr")
    assert rows.count() == proposals.count() >= 1
    # Each proposal names the student (while proposed to them) and the plek.
    first = proposals.order_by("pk").first()
    row = page.locator(f'#proposals tr[data-placement="{first.pk}"]')
    assert first.request.student_name in row.inner_text()
    assert first.plek.team in row.inner_text()
    screenshot(page, "organisation")

    row.get_by_role("button", name="Accepteren").click()
    row.wait_for(state="detached")
    assert Placement.objects.get(pk=first.pk).status == PlacementStatus.ACCEPTED
    coordinator.wait_for_function(
        f"document.querySelector('[data-figure=accepted] .value').textContent == '{accepted + 1}'"
    )

    # Declining without a reason is refused with the API's sentence, and changes nothing.
    second = proposals.exclude(pk=first.pk).order_by("pk").first()
    if second is not None:
        row = page.locator(f'#proposals tr[data-placement="{second.pk}"]')
        row.get_by_role("button", name="Afwijzen").click()
        row.get_by_role("alert").wait_for()
        assert Placement.objects.get(pk=second.pk).status == PlacementStatus.PROPOSED
        row.get_by_placeholder("Reden van afwijzen").fill("De begeleider is met verlof.")
        row.get_by_role("button", name="Afwijzen").click()
        row.wait_for(state="detached")
        assert Placement.objects.get(pk=second.pk).status == PlacementStatus.DECLINED


def test_a_school_sees_only_its_own_students_and_its_upload_errors_by_row(site: Site):
    username = site.user_of(OrganisationKind.SCHOOL)
    school = Membership.objects.get(user__username=username).organisation
    page = site.page(username)
    page.wait_for_selector("#requests tr")
    own = set(
        PlacementRequest.objects.filter(school=school).values_list("student_pseudonym", flat=True)
    )
    shown = set(page.locator("#requests tr td:first-child").all_inner_texts())
    assert shown == own
    others = set(
        PlacementRequest.objects.exclude(school=school).values_list("student_pseudonym", flat=True)
    )
    assert not others & shown
    # Names too: none of another school's students whose name no own student shares.
    own_names = set(
        PlacementRequest.objects.filter(school=school).values_list("student_name", flat=True)
    )
    other_names = set(
        PlacementRequest.objects.exclude(school=school).values_list("student_name", flat=True)
    )
    text = page.locator("main").inner_text()
    assert not [name for name in other_names - own_names if name and name in text]
    screenshot(page, "school")

    # A file with one bad row: nothing is saved, the row is named.
    good = PlacementRequest.objects.filter(school=school).first()
    csv = (
        "student_pseudonym,student_name,home_postcode,crebo,leerweg,doelgroep,"
        "start_date,end_date,hours_per_week,max_travel_km\n"
        f"new-001,Nieuwe Student,{good.home_postcode_id},{good.opleiding.code},"
        f"{good.opleiding.leerweg},eerstejaars,2027-02-01,2027-06-30,24,20\n"
        f"new-002,Nog Een,{good.home_postcode_id},{good.opleiding.code},"
        f"{good.opleiding.leerweg},eerstejaars,2027-06-30,2027-02-01,24,20\n"
    )
    count = PlacementRequest.objects.filter(school=school).count()
    page.set_input_files(
        "#upload-file",
        files=[{"name": "aanvragen.csv", "mimeType": "text/csv", "buffer": csv.encode()}],
    )
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-result [role=alert]")
    assert page.locator('#upload-result tr[data-row="3"]').count() >= 1
    assert PlacementRequest.objects.filter(school=school).count() == count


def test_what_if_reports_the_difference_and_changes_nothing(site: Site):
    page = site.page(site.user_of(OrganisationKind.COORDINATION))
    page.wait_for_selector("#live:not(.offline)")
    sources = SupervisionSource.objects.count()
    location = (
        Placement.objects.filter(request__region=site.region)
        .values_list("plek__location", flat=True)
        .first()
    )
    page.select_option("#wi-location", str(location))
    page.fill("#wi-hours", "40")
    page.click("#whatif button[type=submit]")
    result = page.locator("#whatif-result [data-delta]")
    result.wait_for(timeout=120_000)
    delta = int(result.get_attribute("data-delta"))
    assert delta >= 0  # extra supervision never places fewer
    assert re.search(r"\d+ → \d+", result.inner_text())
    assert SupervisionSource.objects.count() == sources
    screenshot(page, "what-if")


def test_the_pages_speak_dutch_and_english_and_the_api_stays_english(site: Site):
    page = site.page(site.user_of(OrganisationKind.COORDINATION))
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("button", name="Allocatie nu starten").is_visible()
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Run allocation now").is_visible()
    assert figure(page, "requests") and page.get_by_text("Requests", exact=True).is_visible()
    # The choice stays for the next page, and the API answers in English whatever it is.
    page.goto("/coordinator/")
    assert page.locator("html").get_attribute("lang") == "en"
    answer = page.evaluate("fetch('/api/v1/requests/999999/').then(r => r.json())")
    assert json.dumps(answer).isascii()
    assert "not found" in json.dumps(answer).lower()
    # And back to Dutch.
    with page.expect_navigation():
        page.select_option("#language", "nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("button", name="Allocatie nu starten").is_visible()


def test_a_dropped_connection_says_so_reconnects_and_catches_up(site: Site, process_env, tmp_path):
    page = site.page(site.user_of(OrganisationKind.COORDINATION))
    page.wait_for_selector("#live:not(.offline)")
    requests = int(figure(page, "requests"))
    mark_page(page)

    # The page's server goes away; meanwhile a school submits through another server.
    stop(site.server.proc)
    page.wait_for_selector("#live.offline")
    other, other_port = start_uvicorn(process_env, tmp_path / "other.log")
    try:
        submit_request(f"http://127.0.0.1:{other_port}", site, 90002)
    finally:
        stop(other)

    # The server comes back on its port: the page reconnects and catches up by itself.
    site.server.proc, _ = start_uvicorn(process_env, site.server.log, port=site.server.port)
    page.wait_for_selector("#live:not(.offline)", timeout=30_000)
    page.wait_for_function(
        f"document.querySelector('[data-figure=requests] .value').textContent == '{requests + 1}'"
    )
    assert not_reloaded(page)


def test_a_care_organisation_adds_a_plek_and_is_told_what_is_wrong_first(site: Site):
    care = Membership.objects.filter(
        organisation__region=site.region, organisation__kind=OrganisationKind.CARE
    ).first()
    page = site.page(care.user.username)
    page.wait_for_selector("#plekken tr")
    before = Plek.objects.filter(location__organisation=care.organisation).count()

    page.fill("#plek-team", "Team Nieuwe Vleugel")
    page.fill("#plek-seats", "2")
    page.fill("#plek-start", "2027-02-01")
    page.fill("#plek-end", "2027-01-01")  # before the start
    page.locator("#plek-opleidingen option").first.click()
    page.click("#plek-form button[type=submit]")
    page.wait_for_selector("#plek-errors [role=alert]")
    assert Plek.objects.filter(location__organisation=care.organisation).count() == before

    page.fill("#plek-end", "2027-06-30")
    page.click("#plek-form button[type=submit]")
    page.wait_for_selector("#plekken tr:has-text('Team Nieuwe Vleugel')")
    assert (
        Plek.objects.filter(
            location__organisation=care.organisation, team="Team Nieuwe Vleugel"
        ).count()
        == 1
    )

    # Withdrawing asks first; the new plek goes, one with students on it stays, and says why.
    page.on("dialog", lambda dialog: dialog.accept())
    new_plek = Plek.objects.get(
        location__organisation=care.organisation, team="Team Nieuwe Vleugel"
    )
    page.locator(f'#plekken tr[data-plek="{new_plek.pk}"]').get_by_role(
        "button", name="Intrekken"
    ).click()
    page.wait_for_selector(f'#plekken tr[data-plek="{new_plek.pk}"]', state="detached")
    assert Plek.objects.get(pk=new_plek.pk).status == "withdrawn"
    busy = (
        Placement.objects.filter(
            plek__location__organisation=care.organisation, status=PlacementStatus.PROPOSED
        )
        .values_list("plek", flat=True)
        .first()
    )
    if busy is not None:
        row = page.locator(f'#plekken tr[data-plek="{busy}"]')
        row.get_by_role("button", name="Intrekken").click()
        page.locator("#plekken-notice [role=alert]").wait_for()
        assert Plek.objects.get(pk=busy).status == "published"


def test_a_failed_run_is_shown_plainly_and_goes_away_when_the_region_runs_again(site: Site):
    page = site.page(site.user_of(OrganisationKind.COORDINATION))
    page.wait_for_selector("#live:not(.offline)")
    mark_page(page)
    table = UnplacedRequest._meta.db_table
    with connection.cursor() as cur:  # the database refuses what every run stores
        cur.execute(
            "CREATE FUNCTION leerplek_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full (injected)'; END $$"
        )
        cur.execute(
            f"CREATE TRIGGER leerplek_test_refuse BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION leerplek_test_refuse()"
        )
    try:
        page.click("#run-now")
        notice = page.locator("#run-failed")
        notice.wait_for(state="visible", timeout=60_000)
        # The service's sentence, in the page's language.
        assert "De database weigerde het resultaat op te slaan." in notice.inner_text()
    finally:
        with connection.cursor() as cur:
            cur.execute(f"DROP TRIGGER leerplek_test_refuse ON {table}")
            cur.execute("DROP FUNCTION leerplek_test_refuse()")
    # Nobody clicks again: the region is retried after its pause, and the notice goes.
    notice.wait_for(state="hidden", timeout=60_000)  # the retry has started
    # and runs for seconds (the exact polish): the bar goes when it has finished.
    page.locator("#run-progress").wait_for(state="hidden", timeout=90_000)
    assert AllocationRun.objects.filter(region=site.region).latest("pk").status == "finished"
    assert not_reloaded(page)
