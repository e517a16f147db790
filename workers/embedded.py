"""The embedded mode's worker and beat: Celery itself, in threads of the web process.

Without REDIS_URL there is no broker and no separate worker process. Rather than running
tasks eagerly inside the request that enqueues them (an allocation run inside a school's
POST, a failure with nobody to retry it, no periodic sweeps), the web process starts one
Celery worker (a pool of threads) on the in-memory transport and Celery's own threaded beat. Tasks
then retry, back off and run on their schedule exactly as they do with a real broker; what
the in-memory queue loses at a restart, the database still knows (pending regions,
unpublished events) and the sweepers find it.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

log = logging.getLogger(__name__)

_started = threading.Lock()
_threads: list[threading.Thread] = []


def start() -> bool:
    """Start the embedded worker and beat once per process; False when not embedded."""
    if not settings.EMBEDDED_WORKER or not _started.acquire(blocking=False):
        return False
    from celery.beat import EmbeddedService

    from config.celery import app

    # A worker inside another program, as Celery's own test worker runs it. Thread pool of
    # three: a capacity report (seconds of CPU) must not hold up a region's run or the
    # notifications behind it, as separate worker processes would not in a deployment.
    worker = app.WorkController(
        pool="threads",
        concurrency=3,
        loglevel="INFO",
        logfile=None,
        queues=["default", "allocation", "analysis"],
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    worker_thread = threading.Thread(
        target=worker.start, name="embedded-celery-worker", daemon=True
    )
    beat = EmbeddedService(
        app, thread=True, schedule_filename=str(settings.VAR_DIR / "celerybeat-schedule")
    )
    beat.daemon = True
    # The periodic tasks run every few seconds: log what fails, not every success.
    for name in ("celery.beat", "celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    worker_thread.start()
    beat.start()
    _threads.extend([worker_thread, beat])
    log.info("Embedded mode: Celery worker and beat run in this process (in-memory broker).")
    return True
