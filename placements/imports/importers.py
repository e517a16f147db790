"""Bulk imports of placement requests, plekken and supervision sources: all or nothing.

`import_rows` checks every row with the API's own serializers (so the rules are the API's),
resolves the natural keys people have in their sheets (crebo code + leerweg, location name,
postcode area, plek id), then creates every row through the services in ONE transaction.
If any row is bad, at either step, nothing is saved and the result lists every bad row with
its spreadsheet row number (header = row 1) and column.

Owners are never read from the file: the organisation and user are passed in by the caller
(the API view or the management command), and columns such as `school` or `organisation`
are rejected as unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers as drf_serializers

from core.api.errors import flatten_errors
from core.errors import DomainValidationError, InvalidTransition
from placements import selectors, services
from placements.api import serializers
from placements.domain import (
    SOURCE_KINDS_BY_ORGANISATION,
    Leerweg,
    OrganisationKind,
    SupervisionKind,
)
from placements.imports.readers import FileRejected, Row, Sheet, read_file
from placements.models import Location, Opleiding, Organisation

DEFAULT_MAX_ROWS = 5000


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


# --- Results --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem. `row` is the spreadsheet row (1 = header; None = the file as a whole)."""

    row: int | None
    column: str | None
    path: str
    code: str
    message: str


@dataclass
class ImportResult:
    ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return len(self.ids)


class ImportNotAllowed(Exception):
    """This organisation or user may not import this kind of data (HTTP 403)."""


Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in total)


# --- Cell parsing ---------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]*)?$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_TRUE = {"1", "true", "yes", "y", "ja", "j", "waar", "x"}
_FALSE = {"0", "false", "no", "n", "nee", "onwaar"}
_LIST_SPLIT = re.compile(r"\s*[,;|]\s*")


def parse_date(text: str) -> str:
    """ISO (2026-09-07) or Dutch day-month-year (07-09-2026, 7/9/2026, 07.09.2026)."""
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _DUTCH_DATE.match(text):
        day, month, year = match.groups()
    else:
        raise CellError("invalid", f"'{text}' is not a date; write 2026-09-07 or 07-09-2026.")
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError as exc:
        raise CellError("invalid", f"'{text}' is not a date in the calendar.") from exc


def parse_decimal(text: str) -> str:
    # Dutch spreadsheets write a decimal comma: 24,5.
    return text.replace(",", ".") if "." not in text else text


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError("invalid", f"'{text}' is not yes or no; write ja or nee (or true/false).")


def parse_choice(text: str) -> str:
    """`Zij-instromer` → `zij_instromer`, `VVT` → `vvt`: the API's choice values."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def parse_list(text: str) -> list[str]:
    return [item for item in _LIST_SPLIT.split(text.strip()) if item]


def parse_choice_list(text: str) -> list[str]:
    return [parse_choice(item) for item in parse_list(text)]


def parse_text(text: str) -> str:
    return text


# --- Column specifications ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    parse: Callable[[str], Any] = parse_text
    field: str | None = None  # serializer field it fills; None when resolved by the importer


def _col(
    name: str,
    required: bool,
    help: str,
    parse: Callable[[str], Any] = parse_text,
    *,
    field: str | None = "",
) -> Column:
    return Column(name, required, help, parse, name if field == "" else field)


@dataclass
class Context:
    """What every row of one import shares: who imports, and lookups loaded once."""

    organisation: Organisation
    user: AbstractBaseUser
    opleidingen: dict[tuple[str, str], Opleiding]
    locations: dict[str, Location]

    @classmethod
    def load(cls, organisation: Organisation, user: AbstractBaseUser) -> Context:
        return cls(
            organisation=organisation,
            user=user,
            opleidingen={(o.code, o.leerweg): o for o in Opleiding.objects.all()},
            # Only the organisation's own locations: another one's name is simply not found.
            locations={loc.name: loc for loc in Location.objects.filter(organisation=organisation)},
        )

    def location(self, name: str) -> Location:
        if name in self.locations:
            return self.locations[name]
        folded = [loc for key, loc in self.locations.items() if key.casefold() == name.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise CellError("not_found", f"{self.organisation.name} has no location named '{name}'.")

    def opleiding(self, code: str, leerweg: str) -> Opleiding:
        found = self.opleidingen.get((code, leerweg))
        if found is None:
            known = sorted(lw for c, lw in self.opleidingen if c == code)
            hint = f" (known leerwegen: {', '.join(known)})" if known else ""
            raise CellError(
                "not_found", f"No opleiding with crebo code {code} and leerweg {leerweg}{hint}."
            )
        return found

    def opleidingen_for(self, code: str) -> list[Opleiding]:
        found = [o for (c, _lw), o in sorted(self.opleidingen.items()) if c == code]
        if not found:
            raise CellError("not_found", f"No opleiding with crebo code {code}.")
        return found


_OPLEIDING_TOKEN = re.compile(r"^([0-9A-Za-z]+)(?:\s*[ /:\-]\s*([A-Za-z]+))?$")


@dataclass(frozen=True)
class Kind:
    """One importable kind: its columns, serializer, service call and allowed organisation."""

    name: str
    label: str
    organisation_kind: str
    columns: tuple[Column, ...]
    serializer: type[drf_serializers.Serializer]
    # serializer field → column, where they differ (errors are reported by column)
    field_columns: dict[str, str]
    resolve: Callable[[Context, dict[str, Any], dict[str, str]], dict[str, CellError]]
    create: Callable[[Context, dict[str, Any]], Any]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# --- Placement requests ---


def _resolve_request(
    ctx: Context, data: dict[str, Any], cells: dict[str, str]
) -> dict[str, CellError]:
    crebo, leerweg = cells.get("crebo", ""), parse_choice(cells.get("leerweg", ""))
    if not crebo or not leerweg:
        return {}  # reported as required below
    if leerweg not in Leerweg.values:
        return {
            "leerweg": CellError(
                "invalid_choice", f"'{leerweg}' is not a leerweg; use {', '.join(Leerweg.values)}."
            )
        }
    try:
        data["opleiding"] = ctx.opleiding(crebo, leerweg).pk
    except CellError as exc:
        return {"crebo": exc}
    return {}


def _create_request(ctx: Context, data: dict[str, Any]) -> Any:
    preferences = data.pop("preferences", [])
    return services.request_submit(
        school=ctx.organisation, data=data, preferences=preferences, created_by=ctx.user
    )


REQUEST_COLUMNS = (
    _col("student_pseudonym", True, "The school's pseudonym for the student, e.g. stu-00123."),
    _col(
        "student_name",
        False,
        "The student's name; shown to a care organisation only once the student is proposed to it.",
    ),
    _col("home_postcode", True, "Four digits of the student's home postcode, e.g. 3511."),
    _col(
        "crebo",
        True,
        "Crebo code (MBO) or CROHO code (HBO/WO) of the opleiding, e.g. 25491.",
        field=None,
    ),
    _col("leerweg", True, "bol, bbl, voltijd, deeltijd or duaal.", parse_choice, field=None),
    _col(
        "doelgroep",
        True,
        "eerstejaars, ouderejaars, zij_instromer, herintreder, anderstalig or starter.",
        parse_choice,
    ),
    _col("start_date", True, "First day, 2026-09-07 or 07-09-2026.", parse_date),
    _col("end_date", True, "Last day, on or after start_date.", parse_date),
    _col(
        "hours_per_week", True, "Hours a week at the plek, 0.5 to 60 (24 or 24,5).", parse_decimal
    ),
    _col(
        "acceptable_sectors",
        False,
        "Sectors the student accepts, separated by commas "
        "(vvt, ghz, ggz, ziekenhuis, jeugdzorg, welzijn, thuiszorg, kraamzorg, "
        "huisartsenzorg); empty means any.",
        parse_choice_list,
    ),
    _col("max_travel_km", True, "Longest acceptable travel distance in km, 1 to 300."),
    _col(
        "preferences",
        False,
        "Ids of preferred published plekken, best first, separated by commas (at most 10).",
        parse_list,
    ),
    _col(
        "priority",
        False,
        "1 (normal, the default) to 5 (e.g. a BBL student whose job depends on the place).",
    ),
    _col(
        "load_override_hours",
        False,
        "Supervision hours a week this student needs, instead "
        "of the region's default for the doelgroep (0 to 40).",
        parse_decimal,
    ),
    _col(
        "peer_mentor",
        False,
        "ja if this ouderejaars student agreed to mentor eerstejaars.",
        parse_bool,
    ),
    _col("notes", False, "Free text for the school only (others never see it)."),
)

# --- Plekken ---


def _resolve_plek(
    ctx: Context, data: dict[str, Any], cells: dict[str, str]
) -> dict[str, CellError]:
    errors: dict[str, CellError] = {}
    if name := cells.get("location"):
        try:
            data["location"] = ctx.location(name).pk
        except CellError as exc:
            errors["location"] = exc
    if text := cells.get("opleidingen"):
        pks: list[int] = []
        for token in parse_list(text):
            match = _OPLEIDING_TOKEN.match(token)
            try:
                if match is None:
                    raise CellError(
                        "invalid",
                        f"'{token}' is not a crebo code, optionally with a leerweg "
                        "(25491 or 25491 bbl).",
                    )
                code, leerweg = match.group(1), match.group(2)
                if leerweg:
                    pks.append(ctx.opleiding(code, leerweg.lower()).pk)
                else:
                    pks.extend(o.pk for o in ctx.opleidingen_for(code))
            except CellError as exc:
                errors["opleidingen"] = exc
                break
        data["opleidingen"] = list(dict.fromkeys(pks))
    return errors


def _create_plek(ctx: Context, data: dict[str, Any]) -> Any:
    opleidingen = data.pop("opleidingen")
    return services.plek_publish(organisation=ctx.organisation, data=data, opleidingen=opleidingen)


PLEK_COLUMNS = (
    _col(
        "location", True, "Name of one of your own locations, exactly as in Leerplek.", field=None
    ),
    _col("team", True, "The team or ward that offers the plek."),
    _col(
        "sector",
        True,
        "vvt, ghz, ggz, ziekenhuis, jeugdzorg, welzijn, thuiszorg, kraamzorg or huisartsenzorg.",
        parse_choice,
    ),
    _col(
        "opleidingen",
        True,
        "Accepted opleidingen, separated by commas: a crebo code "
        "accepts all its leerwegen (25491), a code with a leerweg only that one (25491 bbl).",
        field=None,
    ),
    _col("seats", True, "Number of students at the same time."),
    _col("start_date", True, "First day, 2026-09-07 or 07-09-2026.", parse_date),
    _col("end_date", True, "Last day, on or after start_date.", parse_date),
    _col(
        "is_leerafdeling",
        False,
        "ja if the plek is a learning ward with its own supervision team.",
        parse_bool,
    ),
    _col("description", False, "Free text for schools and students."),
)

# --- Supervision sources ---


def _resolve_source(
    ctx: Context, data: dict[str, Any], cells: dict[str, str]
) -> dict[str, CellError]:
    if name := cells.get("location"):
        try:
            data["location"] = ctx.location(name).pk
        except CellError as exc:
            return {"location": exc}
    return {}


def _create_source(ctx: Context, data: dict[str, Any]) -> Any:
    return services.source_create(organisation=ctx.organisation, data=data)


def _one_of(values: Iterable[str]) -> str:
    """`a, b or c.`: the help text of a column with fixed values."""
    *first, last = list(values)
    return f"{', '.join(first)} or {last}." if first else f"{last}."


SOURCE_COLUMNS = (
    _col(
        "kind",
        True,
        _one_of(
            k
            for k in SupervisionKind.values
            if k in SOURCE_KINDS_BY_ORGANISATION[OrganisationKind.CARE]
        ),
        parse_choice,
    ),
    _col("name", True, "Who or what it is, e.g. 'Werkbegeleiders afdeling Linde'."),
    _col(
        "hours_per_week", True, "Supervision hours a week it can give (24 or 24,5).", parse_decimal
    ),
    _col("start_date", True, "First day, 2026-09-07 or 07-09-2026.", parse_date),
    _col("end_date", True, "Last day, on or after start_date.", parse_date),
    _col("max_students", False, "Most students at once (for a werkbegeleider), at least 1."),
    _col(
        "group_factor",
        False,
        "Group forms only: the share of a student's load it spends per student, e.g. 0.6.",
        parse_decimal,
    ),
    _col(
        "location",
        False,
        "Name of your own location where it works; required for every kind except leerafdeling.",
        field=None,
    ),
    _col("plek", False, "For a leerafdeling: the id of your plek it supervises."),
)

KINDS: dict[str, Kind] = {
    "requests": Kind(
        name="requests",
        label="placement requests",
        organisation_kind=OrganisationKind.SCHOOL,
        columns=REQUEST_COLUMNS,
        serializer=serializers.PlacementRequestSerializer,
        field_columns={"opleiding": "crebo"},
        resolve=_resolve_request,
        create=_create_request,
    ),
    "plekken": Kind(
        name="plekken",
        label="plekken",
        organisation_kind=OrganisationKind.CARE,
        columns=PLEK_COLUMNS,
        serializer=serializers.PlekSerializer,
        field_columns={},
        resolve=_resolve_plek,
        create=_create_plek,
    ),
    "sources": Kind(
        name="sources",
        label="supervision sources",
        organisation_kind=OrganisationKind.CARE,
        columns=SOURCE_COLUMNS,
        serializer=serializers.SupervisionSourceSerializer,
        field_columns={},
        resolve=_resolve_source,
        create=_create_source,
    ),
}

# Constraint violations a service may still hit (e.g. a row that duplicates a stored one).
_CONSTRAINT_ERRORS = {
    "request_once_per_student_and_start": (
        "student_pseudonym",
        "This student already has a request starting on this date.",
    ),
}


# --- The import -----------------------------------------------------------------------


def check_allowed(kind: Kind, organisation: Organisation, user: AbstractBaseUser) -> None:
    """Only a school imports requests, only a care organisation plekken and sources, and
    only a user who may write for that organisation."""
    if organisation.kind != kind.organisation_kind:
        who = (
            "a school"
            if kind.organisation_kind == OrganisationKind.SCHOOL
            else ("a care organisation")
        )
        raise ImportNotAllowed(f"Only {who} imports {kind.label}.")
    if selectors.organisation_of(user) != organisation or not selectors.can_write(user):
        raise ImportNotAllowed(f"{user} may not change data of {organisation.name}.")


def import_file(
    kind: str,
    organisation: Organisation,
    user: AbstractBaseUser,
    data: bytes,
    filename: str = "",
    *,
    max_bytes: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read a CSV/XLSX upload and import it (see `import_rows`)."""
    check_allowed(KINDS[kind], organisation, user)
    try:
        sheet = read_file(data, filename, max_rows=max_rows(), max_bytes=max_bytes)
    except FileRejected as exc:
        return ImportResult(errors=[RowError(None, None, "file", exc.code, exc.message)])
    return import_rows(kind, organisation, user, sheet, progress=progress)


def import_rows(
    kind: str,
    organisation: Organisation,
    user: AbstractBaseUser,
    rows: Sheet | Sequence[Row],
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Import all rows or none. `rows` is a Sheet (with its header) or plain Rows."""
    spec = KINDS[kind]
    check_allowed(spec, organisation, user)
    sheet = rows if isinstance(rows, Sheet) else _sheet_of(rows)
    errors = _header_errors(spec, sheet)
    missing = {e.column for e in errors if e.code == "missing_column"}
    ctx = Context.load(organisation, user)

    # 1. Check every row, without writing anything.
    checked: list[tuple[Row, dict[str, Any]]] = []
    seen_students: dict[tuple[str, str], int] = {}
    total = len(sheet.rows)
    for done, row in enumerate(sheet.rows, start=1):
        row_errors, data = _check_row(spec, ctx, row, missing)
        if data is not None and not row_errors and kind == "requests":
            key = (data["student_pseudonym"], str(data["start_date"]))
            if key in seen_students:
                row_errors.append(
                    _error(
                        row.number,
                        "student_pseudonym",
                        "duplicate_row",
                        f"Row {seen_students[key]} already has a request for this student "
                        "starting on the same date.",
                    )
                )
            seen_students.setdefault(key, row.number)
        errors.extend(row_errors)
        if data is not None and not row_errors and not missing:
            checked.append((row, data))
        if progress:
            progress("check", done, total)

    # 2. Create the rows that passed through the services, in one transaction. Rows after a
    #    failing one still run (each in a savepoint) so their problems are reported too;
    #    any error at all rolls the whole import back.
    ids: list[int] = []
    with transaction.atomic():
        for done, (row, data) in enumerate(checked, start=1):
            try:
                with transaction.atomic():
                    ids.append(spec.create(ctx, data).pk)
            except DomainValidationError as exc:
                errors.extend(
                    _field_error(spec, row.number, e.path, e.code, e.message) for e in exc.errors
                )
            except InvalidTransition as exc:
                errors.append(_error(row.number, None, "invalid_state", str(exc)))
            except DjangoValidationError as exc:
                errors.extend(
                    _error(row.number, None, "invalid", message) for message in exc.messages
                )
            except IntegrityError as exc:
                errors.append(_integrity_error(row.number, exc))
            if progress:
                progress("save", done, len(checked))
        if errors:
            transaction.set_rollback(True)
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda e: e.row or 0))
    return ImportResult(ids=ids)


def _sheet_of(rows: Sequence[Row]) -> Sheet:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row.values))
    return Sheet(columns=list(columns), rows=list(rows))


def _error(
    row: int | None, column: str | None, code: str, message: str, suffix: str = ""
) -> RowError:
    if row is None:
        path = "file"
    elif row == 1:
        path = f"columns.{column}" if column else "columns"
    else:
        path = f"rows[{row}]" + (f".{column}{suffix}" if column else "")
    return RowError(row=row, column=column, path=path, code=code, message=message)


def _header_errors(spec: Kind, sheet: Sheet) -> list[RowError]:
    errors = [_error(1, p.column, p.code, p.message) for p in sheet.problems]
    known = spec.column_names
    for column in sheet.columns:
        if column not in known:
            errors.append(
                _error(
                    1,
                    column,
                    "unknown_column",
                    f"Unknown column '{column}'. The columns for {spec.label} are: "
                    f"{', '.join(known)}.",
                )
            )
    for column in spec.columns:
        if column.required and column.name not in sheet.columns:
            errors.append(
                _error(1, column.name, "missing_column", f"Column '{column.name}' is missing.")
            )
    return errors


_PATH_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(.*)$")


def _field_error(spec: Kind, row: int, path: str, code: str, message: str) -> RowError:
    """A serializer or service error on field `path` → the column the user filled in."""
    match = _PATH_HEAD.match(path)
    if not match:
        return _error(row, None, code, message)
    field_name, suffix = match.groups()
    # DRF reports list items as dict keys (`acceptable_sectors.1`); services as `[1]`.
    suffix = re.sub(r"\.(\d+)(?=[.\[]|$)", r"[\1]", suffix)
    column = spec.field_columns.get(field_name, field_name)
    if spec.column(column) is None:  # e.g. `school` from a service: about the row as a whole
        return _error(row, None, code, message)
    return _error(row, column, code, message, suffix)


def _check_row(
    spec: Kind, ctx: Context, row: Row, missing: set[str | None]
) -> tuple[list[RowError], dict[str, Any] | None]:
    failed: dict[str, CellError] = {}
    data: dict[str, Any] = {}
    for column in spec.columns:
        text = row.values.get(column.name, "")
        if not text:
            continue  # absent: the serializer reports it if it is required
        try:
            value = column.parse(text)
        except CellError as exc:
            failed[column.name] = exc
            continue
        if column.field:
            data[column.field] = value
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        # The serializer checks this only when every field is valid; say it now, with the rest.
        failed["end_date"] = CellError(
            "dates_out_of_order", "The end date is before the start date."
        )
    cells = {c: v for c, v in row.values.items() if c not in failed}
    failed.update(spec.resolve(ctx, data, cells))
    for column in spec.columns:
        # Importer-resolved columns (crebo, leerweg, location, opleidingen) are checked here;
        # the serializer would name the field (opleiding), not the column.
        if (
            column.required
            and column.field is None
            and not row.values.get(column.name)
            and column.name not in missing
        ):
            failed.setdefault(column.name, CellError("required", "This field is required."))

    errors = [_error(row.number, c, e.code, e.message) for c, e in failed.items()]
    serializer = spec.serializer(data=data, context={"request": SimpleNamespace(user=ctx.user)})
    if serializer.is_valid():
        return errors, dict(serializer.validated_data)
    # A field the importer fills from other columns (opleiding from crebo + leerweg) is
    # missing because one of those columns failed; that column's error says why.
    resolved_failed = any(
        (col := spec.column(name)) is not None and col.field is None for name in failed
    )
    for problem in flatten_errors(serializer.errors):
        error = _field_error(spec, row.number, problem.path, problem.code, problem.message)
        if error.column in failed or error.column in missing:
            continue  # already reported, for this cell or once for the whole column
        if resolved_failed and _PATH_HEAD.sub(r"\1", problem.path) in spec.field_columns:
            continue
        errors.append(error)
    # No errors left means every complaint was about a column reported missing in the header;
    # the row is still not valid (data None).
    return errors, None


def _integrity_error(row: int, exc: IntegrityError) -> RowError:
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    if constraint in _CONSTRAINT_ERRORS:
        column, message = _CONSTRAINT_ERRORS[constraint]
        return _error(row, column, "conflict", message)
    return _error(row, None, "conflict", "The row conflicts with data already stored.")


def column_docs(kind: str) -> list[tuple[str, bool, str]]:
    """(column, required, description) for documentation and help texts."""
    return [(c.name, c.required, c.help) for c in KINDS[kind].columns]
