"""Progress reports from long computations: throttled, yet never hiding a stage."""

from __future__ import annotations

from coordination.progress import throttled


def test_a_new_stage_and_the_end_get_through_the_throttle_and_the_rest_waits():
    seen: list[tuple[str, float]] = []
    report = throttled(lambda stage, fraction: seen.append((stage, fraction)), every_seconds=3600)

    report("lns", 0.5)
    report("lns", 0.6)  # the same stage within the interval: dropped
    report("polish", 0.8)  # a new stage: shown, though the interval has not passed
    report("polish", 0.9)
    report("done", 1.0)

    assert seen == [("lns", 0.5), ("polish", 0.8), ("done", 1.0)]
