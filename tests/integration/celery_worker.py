"""Real Celery processes for integration tests: a worker and, when a test needs it, beat.

Use in a test module (the fixtures need `process_env`, so mark the test
`@pytest.mark.django_db(transaction=True)`)::

    from tests.integration import celery_worker as celery_processes

    celery_worker = celery_processes.celery_worker  # makes the fixture visible here

    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        worker = celery_worker()           # started and ready (answers a ping)
        ...                                # send tasks, e.g. through services or .delay()
        worker.kill()                      # SIGKILL to the worker and its pool: a crash
        celery_worker()                    # a new worker
        # every worker still running is stopped at teardown

`celery_worker(**options)` starts `celery -A config worker --queues default,allocation,analysis
--concurrency 1 --pool prefork` on the test database and the test Redis and returns a
`CeleryProcess` once the worker answers a control ping (all its consumers are running).
Options: `queues`, `concurrency`, `env` (extra environment variables). `celery_beat(**env)`
starts `celery -A config beat` the same way, e.g. `celery_beat(ALLOCATION_SWEEP_SECONDS="2")`.

Every process runs in its own session (process group), so `kill()` reaches the pool's child
processes too, as a machine or container failure would. Output goes to a log file in the
test's tmp_path (`process.log()`), which a failing test can print.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import PYTHON, ROOT

CELERY = [PYTHON, "-m", "celery", "-A", "config"]


@dataclass
class CeleryProcess:
    """A running `celery worker` or `celery beat` child process."""

    proc: subprocess.Popen
    nodename: str
    log_path: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool children); no cleanup runs."""
        _signal_group(self.proc, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM: finish the running task), then SIGKILL after `timeout`."""
        if self.alive():
            _signal_group(self.proc, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        # Whatever is left of the group (a pool child) goes too.
        _signal_group(self.proc, signal.SIGKILL)
        if self.alive():
            self.proc.wait(10)
        if self._log_file is not None:
            self._log_file.close()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _spawn(args: list[str], env: dict[str, str], log_path: Path, nodename: str) -> CeleryProcess:
    log_file = open(log_path, "ab")  # noqa: SIM115 (closed in stop())
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return CeleryProcess(proc=proc, nodename=nodename, log_path=log_path, _log_file=log_file)


def wait_until_ready(worker: CeleryProcess, broker_url: str, timeout: float = 60.0) -> None:
    """Wait until the worker answers a control ping through `broker_url`: its consumers run."""
    from config.celery import app

    deadline = time.monotonic() + timeout
    with app.connection_for_write(broker_url) as conn:
        while time.monotonic() < deadline:
            if not worker.alive():
                raise RuntimeError(
                    f"celery worker exited with {worker.proc.returncode}:\n{worker.log()[-4000:]}"
                )
            replies = app.control.ping(destination=[worker.nodename], timeout=0.5, connection=conn)
            if any(worker.nodename in reply for reply in replies):
                return
    raise TimeoutError(f"celery worker not ready after {timeout}s:\n{worker.log()[-4000:]}")


@pytest.fixture
def celery_worker(
    process_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., CeleryProcess]]:
    """Factory: start a real Celery worker process, ready to take tasks; stopped at teardown."""
    started: list[CeleryProcess] = []

    def start(
        *,
        queues: str = "default,allocation,analysis",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        ready_timeout: float = 60.0,
    ) -> CeleryProcess:
        n = len(started) + 1
        nodename = f"test-worker-{n}-{uuid.uuid4().hex[:8]}@localhost"
        args = [
            *CELERY,
            "worker",
            "--queues",
            queues,
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "--hostname",
            nodename,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
        worker_env = {**process_env, **(env or {})}
        worker = _spawn(args, worker_env, tmp_path / f"celery-worker-{n}.log", nodename)
        started.append(worker)
        wait_until_ready(worker, worker_env["REDIS_URL"], ready_timeout)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def celery_beat(
    process_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., CeleryProcess]]:
    """Factory: start `celery beat` (its schedule file in tmp_path); stopped at teardown.

    Keyword arguments become environment variables, e.g. ALLOCATION_SWEEP_SECONDS="2".
    Beat only sends tasks, so a test that uses it needs a worker too.
    """
    started: list[CeleryProcess] = []

    def start(**env: str) -> CeleryProcess:
        n = len(started) + 1
        log_path = tmp_path / f"celery-beat-{n}.log"
        args = [
            *CELERY,
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / f"celerybeat-schedule-{n}"),
        ]
        beat = _spawn(args, {**process_env, **env}, log_path, nodename=f"beat-{n}")
        started.append(beat)
        deadline = time.monotonic() + 60
        while "beat: Starting..." not in beat.log():
            if not beat.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"celery beat did not start:\n{beat.log()[-4000:]}")
            time.sleep(0.1)
        return beat

    yield start
    for beat in started:
        beat.stop()
