"""The pages in a real browser: Debian's Chromium driven by Playwright, against uvicorn and real
Celery workers on the test database (PostgreSQL) and Redis, with the demo region seeded by
its own command (so the logins carry real password hashes).

Set LEERPLEK_SCREENSHOTS=docs/screenshots to keep a screenshot of each page the tests visit
(the README shows them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from placements.demo import data as demo_data
from placements.models import Membership, Region
from tests.integration.asgi_server import (
    Server,
    start_celery_worker,
    start_uvicorn,
)
from tests.integration.conftest import PYTHON, ROOT, clean_redis, process_env, stop

__all__ = ["clean_redis", "process_env"]  # fixtures shared with the integration tests

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # runs as root in CI containers
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("LEERPLEK_SCREENSHOTS")
PASSWORD = demo_data.PASSWORD


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module. Module, not session: Playwright's sync API keeps an
    event loop running in this thread while it lives, which tests after it (asyncio.run,
    async_to_sync) must not find."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; CI installs it)")
    from playwright.sync_api import sync_playwright

    # The tests' own ORM calls stay synchronous and outside that loop, which Django
    # cannot tell: allow them while the browser runs, and only then.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@dataclass
class Site:
    server: Server
    browser: object
    region: Region

    @property
    def origin(self) -> str:
        return self.server.origin

    def user_of(self, kind: str, region: Region | None = None, index: int = 0) -> str:
        """The username of a demo member of an organisation of that kind in the region."""
        members = (
            Membership.objects.filter(
                organisation__kind=kind, organisation__region=region or self.region
            )
            .order_by("organisation__name", "user__username")
            .values_list("user__username", flat=True)
        )
        return list(members)[index]

    def page(self, username: str | None = None, language: str | None = None, locale: str = "nl-NL"):
        """A fresh browser context (no cookies), logged in through the login form; `locale` is
        the browser's own language (the page's is Dutch unless `language` says otherwise)."""
        context = self.browser.new_context(base_url=self.origin, locale=locale)
        if language:
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": self.origin}]
            )
        page = context.new_page()
        page.set_default_timeout(20_000)
        if username:
            page.goto("/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def site(process_env: dict[str, str], browser: object, tmp_path: Path) -> Iterator[Site]:
    """The demo (240 requests in three regions) with one allocation run done in Utrecht,
    served by uvicorn, one worker for runs and one for analyses."""
    # A failed run is retried after 2 s here (production: 15 s, then longer).
    process_env = process_env | {"ALLOCATION_RETRY_BACKOFF": "2"}
    manage(process_env, "seed_demo", "--requests", "240")
    manage(process_env, "allocate", "--region", "utrecht", "--time-limit", "3")
    worker = start_celery_worker(process_env, tmp_path / "worker.log")
    analysis = start_celery_worker(
        process_env, tmp_path / "analysis.log", name="analysis", queues="analysis"
    )
    proc, port = start_uvicorn(process_env, tmp_path / "uvicorn.log")
    site = Site(
        server=Server(port=port, proc=proc, log=tmp_path / "uvicorn.log"),
        browser=browser,
        region=Region.objects.get(code="utrecht"),
    )
    try:
        yield site
    finally:
        # The server may have been restarted by the test: stop the one running now.
        for process in (site.server.proc, worker, analysis):
            stop(process)


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
