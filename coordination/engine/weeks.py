"""ISO-week arithmetic: the engine counts time in whole ISO weeks."""

from __future__ import annotations

from datetime import date


def week_index(d: date) -> int:
    """Number of the ISO week containing ``d``, counted from 0001-01-01 (a Monday).

    Two dates are in the same ISO week exactly when they have the same index,
    and consecutive ISO weeks have consecutive indices.
    """
    return (d.toordinal() - 1) // 7


def week_label(index: int) -> str:
    """'2026-W36' for a week index."""
    monday = date.fromordinal(index * 7 + 1)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_label(first: int, last: int) -> str:
    if first == last:
        return week_label(first)
    return f"{week_label(first)} to {week_label(last)}"
