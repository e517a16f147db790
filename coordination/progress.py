"""Progress of long computations (runs, analyses), reported at most once per interval."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str, float], None]


def throttled(report: Progress, *, every_seconds: float) -> Progress:
    """`report`, called at most once per `every_seconds`: the engine reports far more often
    than a stream needs, and each report is an event row. The end (fraction 1) always
    gets through."""
    last = 0.0

    def throttle(stage: str, fraction: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every_seconds or fraction >= 1.0:
            last = now
            report(stage, fraction)

    return throttle
