"""The production settings, started locally as docker-compose starts `web`: its healthcheck
(`urlopen('http://127.0.0.1:8000/health/')`, no allowed host, no HTTPS) must pass, while
everything else keeps the host validation and the HTTPS redirect."""

from __future__ import annotations

import http.client
import subprocess
import urllib.request

import pytest
import yaml

from tests.integration.asgi_server import start_uvicorn
from tests.integration.conftest import PYTHON, ROOT, stop


@pytest.fixture
def production_server(process_env, tmp_path):
    env = {
        **process_env,
        "LEERPLEK_ENV": "production",
        "SECRET_KEY": "a-production-like-secret-for-this-test-only-0123456789-abcdefghij",
        "ALLOWED_HOSTS": "leerplek.example.org",
        "DEBUG": "false",
    }
    env.pop("CI", None)
    proc, port = start_uvicorn(env, tmp_path / "uvicorn.log")
    try:
        yield port
    finally:
        stop(proc)


def status_of(port: int, path: str, host: str) -> tuple[int, str | None]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("Location")


@pytest.mark.django_db(transaction=True)
def test_the_compose_healthcheck_passes_on_production_settings(production_server):
    port = production_server

    # Exactly what docker-compose.yml's healthcheck runs, with the port of this test.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    kind, program, *args = compose["services"]["web"]["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    check = subprocess.run(
        [PYTHON, *(a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert check.returncode == 0, check.stderr
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/") as response:
        assert response.read() == b'{"status": "ok", "database": "ok"}'
    assert status_of(port, "/api/v1/", "127.0.0.1")[0] == 400  # hosts are still checked
    assert status_of(port, "/api/v1/", "leerplek.example.org") == (
        301,
        "https://leerplek.example.org/api/v1/",
    )
