"""The README's embedded mode, as a new user starts it: no DATABASE_URL, no REDIS_URL.

One uvicorn process on SQLite runs the Celery worker and beat in threads
(workers/embedded.py). Issue 8's sequence, replayed there: a care organisation publishes a
plain werkbegeleider (16 h a week, at most 3 students) in the demo region; the run that
follows fails (the database refuses new placements: a trigger stands in for a full disk);
the coordinator is told; once the database accepts writes again the region allocates by
itself, with no new request, and the coordinator hears that too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.integration.asgi_server import post_json, start_uvicorn, wait_until
from tests.integration.conftest import PYTHON, ROOT, stop

PASSWORD = "leerplek-demo"


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CI")}
    env.update(
        LEERPLEK_ENV="development",
        LEERPLEK_VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
        ALLOCATION_RETRY_BACKOFF="2",
        ALLOCATION_SWEEP_SECONDS="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def token(base: str, username: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())["token"]


@pytest.fixture
def embedded_server(tmp_path: Path):
    env = embedded_env(tmp_path / "var")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--if-empty")
    proc, port = start_uvicorn(env, tmp_path / "uvicorn.log")
    try:
        yield f"http://127.0.0.1:{port}", tmp_path / "var" / "leerplek.sqlite3", proc
    finally:
        stop(proc)
        print((tmp_path / "uvicorn.log").read_text()[-5000:])


def test_a_failed_run_in_the_embedded_mode_is_told_and_the_region_allocates_again(
    embedded_server,
):
    base, database, _ = embedded_server
    care = token(base, "zorg-zorggroep-stichtse-waarden")
    coordinator = token(base, "coordinator-utrecht")
    location = get_json(f"{base}/api/v1/locations/", care)["results"][0]["id"]
    db = sqlite3.connect(database, timeout=30)
    db.execute(
        "CREATE TRIGGER refuse_placements BEFORE INSERT ON placements_placement "
        "BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"
    )
    db.commit()

    status, source = post_json(
        f"{base}/api/v1/sources/",
        care,
        {
            "kind": "werkbegeleider",
            "name": "Nieuwe werkbegeleider",
            "hours_per_week": "16",
            "max_students": 3,
            "start_date": "2026-09-01",
            "end_date": "2027-07-31",
            "location": location,
        },
    )
    assert status == 201, source

    runs_url = f"{base}/api/v1/allocation-runs/"
    failed = wait_until(
        lambda: get_json(f"{runs_url}?status=failed", coordinator)["results"],
        120,
        "the run after the new source to fail",
    )[0]
    assert failed["error"].startswith("The database refused to store the result.")
    told = wait_until(
        lambda: [
            n
            for n in get_json(f"{base}/api/v1/notifications/", coordinator)["results"]
            if n["kind"] == "allocation.failed"
        ],
        30,
        "the coordinator to be told",
    )
    assert told[0]["title"].endswith("is mislukt")  # Dutch: the coordinator chose nothing else

    db.execute("DROP TRIGGER refuse_placements")
    db.commit()

    finished = wait_until(
        lambda: [
            r
            for r in get_json(f"{runs_url}?status=finished", coordinator)["results"]
            if r["id"] > failed["id"]
        ],
        120,
        "the region to allocate again by itself",
    )[0]
    assert finished["placed"] > 0
    zero_draws = db.execute(
        "SELECT count(*) FROM placements_placementsupervision WHERE load_hours <= 0"
    ).fetchone()[0]
    assert zero_draws == 0
    titles = wait_until(
        lambda: [
            n["title"]
            for n in get_json(f"{base}/api/v1/notifications/", coordinator)["results"]
            if n["kind"] == "allocation.finished"
        ],
        30,
        "the coordinator to hear that allocation runs again",
    )
    assert titles == ["De allocatie loopt weer in Utrecht"]
