"""Leerplek allocation engine: pure Python, no Django.

Entry points: :func:`solve`, :func:`check_feasibility`, :func:`run_scenario`,
:func:`capacity_report`, :func:`solve_base` (a what-if's base) and the JSON functions; see
docs/allocation-format.md.
"""

from __future__ import annotations

from .checker import Violation, check_feasibility
from .index import IndexCache
from .jsonio import problem_from_json, problem_to_json, result_from_json, result_to_json
from .model import (
    Assignment,
    Draw,
    ExistingPlacement,
    Plek,
    Problem,
    RegionSettings,
    Request,
    Result,
    Source,
    Unplaced,
    request_load,
)
from .scenario import CapacityRow, ScenarioResult, capacity_report, run_scenario, solve_base
from .solver import Budget, default_budget, solve

__all__ = [
    "Assignment",
    "Budget",
    "CapacityRow",
    "Draw",
    "ExistingPlacement",
    "IndexCache",
    "Plek",
    "Problem",
    "RegionSettings",
    "Request",
    "Result",
    "ScenarioResult",
    "Source",
    "Unplaced",
    "Violation",
    "capacity_report",
    "check_feasibility",
    "default_budget",
    "problem_from_json",
    "problem_to_json",
    "request_load",
    "result_from_json",
    "result_to_json",
    "run_scenario",
    "solve",
    "solve_base",
]
