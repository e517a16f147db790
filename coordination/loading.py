"""Database rows → the engine's Problem. Reads only; no engine logic here.

``load_problem`` reads a region whole. ``KeptProblems`` keeps, in a long-lived worker, the
problem it loaded last per region with the version of every row it came from; the next load
there reads the versions (a few narrow queries) and then only the rows that changed.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import MD5, Cast, Concat

from coordination import engine
from placements.domain import LIVE_PLACEMENT_STATUSES, PlacementStatus, PlekStatus, RequestStatus
from placements.models import (
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    Region,
    RequestPreference,
    SupervisionSource,
)

# Placements the engine must leave where they are.
FIXED_STATUSES = (PlacementStatus.ACCEPTED, PlacementStatus.CONFIRMED)

# A request is never proposed again to a plek where it was declined, expired or withdrawn by
# one of the parties (a withdrawal by the engine itself, when it moves a proposal, has no
# reason and does not count).
REFUSED_PLACEMENTS = Q(status__in=[PlacementStatus.DECLINED, PlacementStatus.EXPIRED]) | (
    Q(status=PlacementStatus.WITHDRAWN) & ~Q(decline_reason="")
)

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedRegion:
    region: Region
    problem: engine.Problem


def load_problem(region: Region) -> LoadedRegion:
    """The region as the engine sees it, read whole."""
    with _one_snapshot():
        return LoadedRegion(region=region, problem=_RegionRows.read(region).problem(region))


class KeptProblems:
    """The problem a worker loaded last in each region, to load the next one from.

    Bounded to the ``max_regions`` regions loaded last. What it returns is always equal to
    ``load_problem``'s answer (tests/coordination/test_kept_problems.py holds it to that).
    Only a load outside a transaction is kept: a worker's, between its runs.
    """

    def __init__(self, max_regions: int = 2) -> None:
        self.max_regions = max_regions
        self._last: OrderedDict[int, _RegionRows] = OrderedDict()
        self._lock = threading.Lock()  # the embedded worker runs tasks in threads
        self._aside = _Aside()

    def load(self, region: Region) -> LoadedRegion:
        if connection.in_atomic_block or connection.vendor != "postgresql":
            # In a transaction, every row it wrote shows its id as version, before and after
            # a later write of its own: versions read here could miss that. And the versions
            # are PostgreSQL's (the embedded mode's SQLite reads whole).
            return load_problem(region)
        with self._lock:
            before = self._last.get(region.pk)
        with _one_snapshot(export=True) as snapshot:
            aside = None if snapshot is None else functools.partial(self._aside.run, snapshot)
            rows = _RegionRows.read(region, before, keep=True, aside=aside)
            loaded = LoadedRegion(region=region, problem=rows.problem(region))
        with self._lock:
            self._last[region.pk] = rows
            self._last.move_to_end(region.pk)
            while len(self._last) > self.max_regions:
                self._last.popitem(last=False)
        return loaded

    def forget(self, region_id: int) -> None:
        with self._lock:
            self._last.pop(region_id, None)


@contextmanager
def _one_snapshot(*, export: bool = False) -> Iterator[str | None]:
    """Read the region as of one moment (REPEATABLE READ), unless already in a transaction.

    ``export``: yield the snapshot's id, for another connection to read in it (_Aside).
    """
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield None
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = None
            if export:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
        yield snapshot


class _Aside:
    """A second connection that reads in the snapshot of a kept load, beside it.

    The versions of a region's preferences and draws are its two largest version queries
    (at 10,000 requests 55 and 30 ms of a 180 ms load): read on a connection of their own,
    in the same snapshot (PostgreSQL's exported snapshots), while the load's connection
    reads the rest. One thread per worker process, started on first use.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def run(self, snapshot: str, read: Callable[[], T]) -> Callable[[], T]:
        """Start ``read`` in ``snapshot``; the answer is the function that waits for it
        (and reads here, in this connection's snapshot, if the other connection failed)."""
        if self._pool is None or self._pid != os.getpid():  # a forked child has no thread
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kept-problems")
            self._pid = os.getpid()
        future: Future[T] = self._pool.submit(_read_in_snapshot, snapshot, read)

        def answer() -> T:
            try:
                return future.result()
            except Exception:
                log.warning("reading beside the load failed; read in the load", exc_info=True)
                return read()

        return answer


def _read_in_snapshot(snapshot: str, read: Callable[[], T]) -> T:
    """``read`` on this thread's connection, in the exported ``snapshot``."""
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # a SET takes no parameters
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return read()
    finally:
        connection.close()  # back to the pool; a broken connection is not kept


# --- Row versions -----------------------------------------------------------------------
#
# A row's version is PostgreSQL's xmin: the id of the transaction that wrote that row version.
# An UPDATE writes a new row version under the updating transaction's id, so a row that shows
# the xmin seen at the last load has not changed since; only a wrap-around of the 32-bit
# transaction counter could repeat one (after about four billion transactions). A deleted
# row is missing from the versions. A request's version also holds its home's coordinates
# and a digest of its preferences' and refused placements' versions (a new, changed or
# deleted one changes the digest), so a change to any of them reloads the request; likewise
# a plek's (its location's coordinates, its opleidingen) and a live placement's (its draws).


def _xmin(model: type[models.Model]) -> RawSQL:
    return RawSQL(f'"{model._meta.db_table}".xmin::text', (), output_field=TextField())


def _own_versions(rows: QuerySet[Any], *joined: str) -> dict[int, str]:
    """Per row, its xmin and the values of the ``joined`` fields (of other tables)."""
    parts: list[Any] = [_xmin(rows.model)]
    for field in joined:
        parts += [Value(":"), Cast(field, TextField())]
    version = Concat(*parts, output_field=TextField()) if joined else parts[0]
    return dict(rows.order_by().annotate(v=version).values_list("pk", "v"))


def _children_versions(rows: QuerySet[Any], parent: str) -> dict[int, str]:
    """Per parent, a digest of its child rows' versions.

    In no particular order: any change adds a transaction id the digest did not hold, so a
    change always changes it, and a different order at most reloads a parent needlessly.
    """
    digest = MD5(StringAgg(_xmin(rows.model), ","))
    return dict(rows.order_by().values(parent).annotate(v=digest).values_list(parent, "v"))


# --- The region's rows ---------------------------------------------------------------------


@dataclass
class _Kind(Generic[T]):
    """One kind of row as loaded: each row's engine object under its id, and its version."""

    versions: dict[int, Hashable]
    items: dict[int, T]

    @classmethod
    def read(
        cls,
        versions: Callable[[], dict[int, Hashable]] | None,
        build: Callable[[Collection[int] | None], dict[int, T]],
        before: _Kind[T] | None,
    ) -> _Kind[T]:
        """Rebuild the rows whose version changed since ``before`` (all without it).

        ``versions`` None: read all, keep no versions (a load not kept for the next).
        """
        if versions is None:
            return cls({}, build(None))
        now = versions()
        if before is None:
            changed: Collection[int] = now.keys()
        else:
            changed = {pk for pk, v in now.items() if before.versions.get(pk) != v}
        # Most of the region changed: one read of all is cheaper than a long id list.
        fresh = build(None if before is None or len(changed) * 2 > len(now) else changed)
        items: dict[int, T] = {}
        for pk in sorted(now):
            if pk not in changed:
                items[pk] = before.items[pk]  # type: ignore[union-attr]
            elif pk in fresh:  # else gone between the two reads (possible outside a snapshot)
                items[pk] = fresh[pk]
        return cls({pk: now[pk] for pk in items}, items)

    def ordered(self) -> tuple[T, ...]:
        return tuple(self.items.values())  # filled in id order


@dataclass
class _RegionRows:
    requests: _Kind[engine.Request]
    plekken: _Kind[engine.Plek]
    sources: _Kind[engine.Source]
    existing: _Kind[engine.ExistingPlacement]

    @classmethod
    def read(
        cls,
        region: Region,
        before: _RegionRows | None = None,
        *,
        keep: bool = False,
        aside: Callable[[Callable[[], Any]], Callable[[], Any]] | None = None,
    ) -> _RegionRows:
        """The region's rows; with ``keep``, with their versions, reusing ``before``'s.

        ``aside``: starts a read on another connection in this snapshot (_Aside.run).
        """
        requests = PlacementRequest.objects.filter(region=region).exclude(
            status=RequestStatus.WITHDRAWN
        )
        preferences = RequestPreference.objects.filter(request__region=region)
        refused = Placement.objects.filter(request__region=region).filter(REFUSED_PLACEMENTS)
        plekken = Plek.objects.filter(region=region, status=PlekStatus.PUBLISHED)
        opleidingen = Plek.opleidingen.through.objects.filter(
            plek__region=region, plek__status=PlekStatus.PUBLISHED
        )
        sources = SupervisionSource.objects.filter(region=region, active=True)
        live = Placement.objects.filter(request__region=region, status__in=LIVE_PLACEMENT_STATUSES)
        draws = PlacementSupervision.objects.filter(placement__in=live)

        def preference_versions() -> dict[int, str]:
            return _children_versions(preferences, "request_id")

        def draw_versions() -> dict[int, str]:
            return _children_versions(draws, "placement_id")

        # The two largest, started first and read beside the rest when they can be; the
        # kinds that need them are read last.
        if aside is not None and keep:
            request_children, placement_children = aside(preference_versions), aside(draw_versions)
        else:
            request_children, placement_children = preference_versions, draw_versions

        def request_versions() -> dict[int, Hashable]:
            return _join(
                _own_versions(requests, "home_postcode__latitude", "home_postcode__longitude"),
                request_children(),
                _children_versions(refused, "request_id"),
            )

        def plek_versions() -> dict[int, Hashable]:
            return _join(
                _own_versions(plekken, "location__latitude", "location__longitude"),
                _children_versions(opleidingen, "plek_id"),
            )

        def source_versions() -> dict[int, Hashable]:
            return _join(_own_versions(sources))

        def placement_versions() -> dict[int, Hashable]:
            return _join(_own_versions(live), placement_children())

        plekken_read = _Kind.read(
            plek_versions if keep else None,
            lambda only: _build_plekken(plekken, opleidingen, only),
            before.plekken if before else None,
        )
        sources_read = _Kind.read(
            source_versions if keep else None,
            lambda only: _build_sources(sources, only),
            before.sources if before else None,
        )
        requests_read = _Kind.read(
            request_versions if keep else None,
            lambda only: _build_requests(requests, preferences, refused, only),
            before.requests if before else None,
        )
        return cls(
            requests=requests_read,
            plekken=plekken_read,
            sources=sources_read,
            existing=_Kind.read(
                placement_versions if keep else None,
                lambda only: _build_existing(live, draws, only),
                before.existing if before else None,
            ),
        )

    def problem(self, region: Region) -> engine.Problem:
        return engine.Problem(
            region_id=region.pk,
            settings=_settings(region),
            requests=self.requests.ordered(),
            plekken=self.plekken.ordered(),
            sources=self.sources.ordered(),
            existing=self.existing.ordered(),
        )


def _join(own: dict[int, str], *children: dict[int, str]) -> dict[int, Hashable]:
    """A row's version with its children's: a new, changed or removed child changes it."""
    if not children:
        return dict(own)
    ids = own.keys()
    versions = zip(own.values(), *(map(c.get, ids) for c in children), strict=True)
    return dict(zip(ids, versions, strict=True))


def _only(rows: QuerySet[Any], only: Collection[int] | None, field: str = "pk") -> QuerySet[Any]:
    return rows if only is None else rows.filter(**{f"{field}__in": list(only)})


# --- Rows → engine objects -------------------------------------------------------------------
#
# values_list, not model instances: a region's requests and placements are the bulk of every
# full load (model instances, with their timestamps parsed, cost more than the rest).


def _settings(region: Region) -> engine.RegionSettings:
    return engine.RegionSettings(
        doelgroep_loads={
            s.doelgroep: float(s.default_load_hours) for s in region.doelgroep_settings.all()
        },
        peer_hours=float(region.peer_hours),
        peer_share=float(region.peer_share),
    )


def _build_requests(
    requests: QuerySet[PlacementRequest],
    preferences: QuerySet[RequestPreference],
    refused: QuerySet[Placement],
    only: Collection[int] | None,
) -> dict[int, engine.Request]:
    ranked: dict[int, list[int]] = {}
    for request_id, plek_id in (
        _only(preferences, only, "request_id").order_by("request_id", "rank")
        .values_list("request_id", "plek_id")
    ):  # fmt: skip
        ranked.setdefault(request_id, []).append(plek_id)
    excluded: dict[int, set[int]] = {}
    for request_id, plek_id in _only(refused, only, "request_id").values_list(
        "request_id", "plek_id"
    ):
        excluded.setdefault(request_id, set()).add(plek_id)
    fields = (
        "pk", "school_id", "opleiding_id", "doelgroep", "start_date", "end_date",
        "hours_per_week", "acceptable_sectors", "max_travel_km", "home_postcode__latitude",
        "home_postcode__longitude", "priority", "load_override_hours", "peer_mentor",
    )  # fmt: skip
    return {
        pk: engine.Request(
            id=pk,
            school_id=school_id,
            opleiding_id=opleiding_id,
            doelgroep=doelgroep,
            start=start,
            end=end,
            hours_per_week=float(hours),
            sectors=frozenset(sectors or ()),
            max_travel_km=float(max_travel),
            home=(latitude, longitude),
            preferences=tuple(ranked.get(pk, ())),
            priority=priority,
            load_override=float(override) if override is not None else None,
            peer_mentor=peer_mentor,
            # Declined, expired or withdrawn by a party there: never proposed there again.
            excluded_plekken=frozenset(excluded.get(pk, ())),
        )
        for (
            pk, school_id, opleiding_id, doelgroep, start, end, hours, sectors, max_travel,
            latitude, longitude, priority, override, peer_mentor,
        ) in _only(requests, only).order_by("pk").values_list(*fields)
    }  # fmt: skip


def _build_plekken(
    plekken: QuerySet[Plek], opleidingen: QuerySet[Any], only: Collection[int] | None
) -> dict[int, engine.Plek]:
    offered: dict[int, set[int]] = {}
    for plek_id, opleiding_id in _only(opleidingen, only, "plek_id").values_list(
        "plek_id", "opleiding_id"
    ):
        offered.setdefault(plek_id, set()).add(opleiding_id)
    fields = (
        "pk", "organisation_id", "location_id", "location__latitude", "location__longitude",
        "sector", "seats", "start_date", "end_date", "is_leerafdeling",
    )  # fmt: skip
    return {
        pk: engine.Plek(
            id=pk,
            organisation_id=organisation_id,
            location_id=location_id,
            location=(latitude, longitude),
            sector=sector,
            opleiding_ids=frozenset(offered.get(pk, ())),
            seats=seats,
            start=start,
            end=end,
            is_leerafdeling=is_leerafdeling,
        )
        for (
            pk, organisation_id, location_id, latitude, longitude, sector, seats, start, end,
            is_leerafdeling,
        ) in _only(plekken, only).order_by("pk").values_list(*fields)
    }  # fmt: skip


def _build_sources(
    sources: QuerySet[SupervisionSource], only: Collection[int] | None
) -> dict[int, engine.Source]:
    fields = (
        "pk", "kind", "hours_per_week", "start_date", "end_date", "max_students",
        "group_factor", "location_id", "plek_id", "school_id",
    )  # fmt: skip
    return {
        pk: engine.Source(
            id=pk,
            kind=kind,
            hours_per_week=float(hours),
            start=start,
            end=end,
            max_students=max_students,
            group_factor=float(group_factor),
            location_id=location_id,
            plek_id=plek_id,
            school_id=school_id,
        )
        for (
            pk, kind, hours, start, end, max_students, group_factor, location_id, plek_id,
            school_id,
        ) in _only(sources, only).order_by("pk").values_list(*fields)
    }  # fmt: skip


def _build_existing(
    live: QuerySet[Placement],
    draws: QuerySet[PlacementSupervision],
    only: Collection[int] | None,
) -> dict[int, engine.ExistingPlacement]:
    drawn: dict[int, list[engine.Draw]] = {}
    for placement_id, source_id, load_hours, source_hours in (
        _only(draws, only, "placement_id").order_by("pk")
        .values_list("placement_id", "source_id", "load_hours", "source_hours")
    ):  # fmt: skip
        drawn.setdefault(placement_id, []).append(
            engine.Draw(
                source_id=source_id, load_hours=float(load_hours), source_hours=float(source_hours)
            )
        )
    return {
        pk: engine.ExistingPlacement(
            request_id=request_id,
            plek_id=plek_id,
            fixed=status in FIXED_STATUSES,
            draws=tuple(drawn.get(pk, ())),
        )
        for pk, request_id, plek_id, status in _only(live, only)
        .order_by("pk")
        .values_list("pk", "request_id", "plek_id", "status")
    }


def stored_result(loaded: LoadedRegion) -> engine.Result:
    """The region's live placements as stored, as an engine result (for the checker).

    Requests without a live placement count as unplaced; their reasons are not stored here.
    """
    problem = loaded.problem
    placed = {e.request_id for e in problem.existing}
    return engine.Result(
        assignments=tuple(
            engine.Assignment(e.request_id, e.plek_id, e.draws) for e in problem.existing
        ),
        unplaced=tuple(
            engine.Unplaced(r.id, engine.model.REASON_SEATS_FULL)
            for r in problem.requests
            if r.id not in placed
        ),
    )
