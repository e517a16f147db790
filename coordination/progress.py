"""Progress of long computations (runs, analyses), reported at most once per interval."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str, float], None]


def throttled(report: Progress, *, every_seconds: float) -> Progress:
    """`report`, called at most once per `every_seconds`: the engine reports far more often
    than a stream needs, and each report is an event row. A new stage and the end
    (fraction 1) always get through: a stage can last long after its first report (the
    exact polish reports once in 10-20 s), and the page names the stage it shows."""
    last = 0.0
    last_stage: str | None = None

    def throttle(stage: str, fraction: float) -> None:
        nonlocal last, last_stage
        now = time.monotonic()
        if now - last >= every_seconds or fraction >= 1.0 or stage != last_stage:
            last, last_stage = now, stage
            report(stage, fraction)

    return throttle
