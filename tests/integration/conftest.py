"""Shared pieces for tests that run real processes (ASGI server, Celery worker) and Redis.

The processes use the test database that pytest-django created, so these tests must use
`transaction=True` (committed data is what another process can see). Every test gets a
clean Redis database for broker and channel layer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def database_url_for_test_db() -> str:
    """DATABASE_URL pointing at the database pytest-django is using right now."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def process_env(transactional_db: None) -> dict[str, str]:
    """Environment for a child process: same code, test database, same Redis."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_for_test_db()
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    env["LEERPLEK_ENV"] = "development"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Start and end every integration test with an empty Redis database."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    yield
    client.flushdb()


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
