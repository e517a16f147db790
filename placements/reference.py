"""Reference data that every region shares: opleidingen and four-digit postcode areas.

A region loads them from CSV or XLSX files (docs/operations.md gives the columns; samples in
placements/reference_data/). All or nothing: every row is checked first, any error is
reported with its row and column and nothing is saved. Loading again updates what changed
(names, niveaus, coordinates) and adds the new rows; it never deletes, because requests,
plekken and homes refer to these rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import models, transaction

from placements.domain import Leerweg, Niveau
from placements.imports.readers import FileRejected, read_file
from placements.models import Opleiding, PostcodeArea

SAMPLES = Path(__file__).resolve().parent / "reference_data"
MAX_ROWS = 20_000  # the Netherlands has about 4,070 postcode areas
# The Netherlands' European part, with a margin: a swapped latitude/longitude lands outside.
LATITUDES = (50.6, 53.7)
LONGITUDES = (3.2, 7.3)


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class CellProblem(Exception):
    pass


def _choice(choices: type[models.TextChoices], what: str) -> Callable[[str], str]:
    """Accept a value (`mbo3`) or its label (`MBO 3`), in any case and spacing."""

    def squash(text: str) -> str:
        return re.sub(r"[\s_\-]+", "", text).lower()

    known = {squash(value): value for value in choices.values}
    known |= {squash(str(label)): value for value, label in choices.choices}
    known |= {squash(str(label).split(" (")[0]): value for value, label in choices.choices}

    def parse(text: str) -> str:
        try:
            return known[squash(text)]
        except KeyError:
            raise CellProblem(
                f"{text!r} is not a {what}; use one of {', '.join(choices.values)}."
            ) from None

    return parse


def _required(text: str) -> str:
    if not text:
        raise CellProblem("This cell is empty; it needs a value.")
    return text


def _code(text: str) -> str:
    if not re.fullmatch(r"\d{3,10}", text):
        raise CellProblem(f"{text!r} is not a crebo or CROHO code (digits only, e.g. 25491).")
    return text


def _postcode(text: str) -> str:
    if not re.fullmatch(r"[1-9]\d{3}", text):
        raise CellProblem(f"{text!r} is not a four-digit postcode area (1000 to 9999).")
    return text


def _coordinate(bounds: tuple[float, float], what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(Decimal(text.replace(",", ".")))
        except (InvalidOperation, ValueError):
            raise CellProblem(f"{text!r} is not a number (use 52.0907 or 52,0907).") from None
        if not bounds[0] <= value <= bounds[1]:
            raise CellProblem(
                f"{value} is not a {what} in the Netherlands ({bounds[0]} to {bounds[1]}); "
                "are latitude and longitude swapped?"
            )
        return value

    return parse


@dataclass(frozen=True)
class Kind:
    label: str
    columns: dict[str, Callable[[str], Any]]  # column -> parser; optional ones accept ""
    optional: frozenset[str] = frozenset()


OPLEIDINGEN = Kind(
    "opleidingen",
    {
        "code": _code,
        "name": _required,
        "niveau": _choice(Niveau, "niveau"),
        "leerweg": _choice(Leerweg, "leerweg"),
    },
)
POSTCODE_AREAS = Kind(
    "postcode areas",
    {
        "postcode": _postcode,
        "latitude": _coordinate(LATITUDES, "latitude"),
        "longitude": _coordinate(LONGITUDES, "longitude"),
        "municipality": str,
    },
    optional=frozenset({"municipality"}),
)


def _parse(kind: Kind, data: bytes, filename: str) -> tuple[list[dict[str, Any]], LoadResult]:
    result = LoadResult()
    try:
        sheet = read_file(data, filename, max_rows=MAX_ROWS)
    except FileRejected as exc:
        result.problems.append(RowProblem(0, "", exc.message))
        return [], result
    for problem in sheet.problems:
        result.problems.append(RowProblem(1, problem.column or "", problem.message))
    missing = [c for c in kind.columns if c not in sheet.columns and c not in kind.optional]
    for column in missing:
        result.problems.append(
            RowProblem(1, column, f"The column {column} is missing from the header row.")
        )
    if missing:
        return [], result
    rows = []
    for row in sheet.rows:
        parsed: dict[str, Any] = {}
        for column, parse in kind.columns.items():
            text = row.values.get(column, "").strip()
            if not text and column in kind.optional:
                parsed[column] = ""
                continue
            try:
                parsed[column] = parse(_required(text))
            except CellProblem as exc:
                result.problems.append(RowProblem(row.number, column, str(exc)))
        rows.append(parsed)
    return rows, result


def opleidingen_load(*, data: bytes, filename: str = "") -> LoadResult:
    """Add or update opleidingen (one row per code and leerweg)."""
    rows, result = _parse(OPLEIDINGEN, data, filename)
    if not result.ok:
        return result
    with transaction.atomic():
        known = set(Opleiding.objects.values_list("code", "leerweg"))
        wanted = {(r["code"], r["leerweg"]): r for r in rows}  # a later row wins
        Opleiding.objects.bulk_create(
            [Opleiding(**r) for r in wanted.values()],
            update_conflicts=True,
            unique_fields=["code", "leerweg"],
            update_fields=["name", "niveau"],
        )
    result.updated = len(wanted.keys() & known)
    result.created = len(wanted) - result.updated
    return result


def postcode_areas_load(*, data: bytes, filename: str = "") -> LoadResult:
    """Add or update four-digit postcode areas with their centroids."""
    rows, result = _parse(POSTCODE_AREAS, data, filename)
    if not result.ok:
        return result
    with transaction.atomic():
        known = set(PostcodeArea.objects.values_list("code", flat=True))
        wanted = {r["postcode"]: r for r in rows}
        PostcodeArea.objects.bulk_create(
            [
                PostcodeArea(
                    code=code,
                    latitude=r["latitude"],
                    longitude=r["longitude"],
                    municipality=r["municipality"],
                )
                for code, r in wanted.items()
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["latitude", "longitude", "municipality"],
        )
    result.updated = len(wanted.keys() & known)
    result.created = len(wanted) - result.updated
    return result
