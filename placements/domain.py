"""Domain vocabulary shared by models, API, imports and the allocation loader.

Plain choices, no ORM: the allocation engine uses the same string values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.engine import model as engine_model


class OrganisationKind(models.TextChoices):
    SCHOOL = "school", "School (onderwijsinstelling)"
    CARE = "care", "Care organisation (zorgorganisatie)"
    COORDINATION = "coordination", "Regional coordination office"


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer (read only)"


class Niveau(models.TextChoices):
    MBO1 = "mbo1", "MBO 1"
    MBO2 = "mbo2", "MBO 2"
    MBO3 = "mbo3", "MBO 3"
    MBO4 = "mbo4", "MBO 4"
    AD = "ad", "Associate degree"
    HBO = "hbo", "HBO"
    WO = "wo", "WO"


class Leerweg(models.TextChoices):
    BOL = "bol", "BOL (school-based, with a stage)"
    BBL = "bbl", "BBL (work-based)"
    VOLTIJD = "voltijd", "Voltijd (HBO/WO full-time)"
    DEELTIJD = "deeltijd", "Deeltijd (HBO/WO part-time)"
    DUAAL = "duaal", "Duaal (HBO/WO work-based)"


class Sector(models.TextChoices):
    VVT = "vvt", _("VVT (elderly care)")
    GHZ = "ghz", _("GHZ (disability care)")
    GGZ = "ggz", _("GGZ (mental health)")
    ZIEKENHUIS = "ziekenhuis", _("Ziekenhuis (hospital)")
    JEUGDZORG = "jeugdzorg", _("Jeugdzorg (youth care)")
    WELZIJN = "welzijn", _("Welzijn (welfare)")
    THUISZORG = "thuiszorg", _("Thuiszorg (home care)")
    KRAAMZORG = "kraamzorg", _("Kraamzorg (maternity care)")
    HUISARTSENZORG = "huisartsenzorg", _("Huisartsenzorg (GP care)")


class Doelgroep(models.TextChoices):
    EERSTEJAARS = "eerstejaars", "Eerstejaars student"
    OUDEREJAARS = "ouderejaars", "Ouderejaars student"
    ZIJ_INSTROMER = "zij_instromer", "Zij-instromer (career switcher)"
    HERINTREDER = "herintreder", "Herintreder (returner)"
    ANDERSTALIG = "anderstalig", "Anderstalige student (non-native speaker)"
    STARTER = "starter", "Starter"


# Supervision hours a week each doelgroep needs when a new region has not set its own
# (coordinators change them per region; the demo region uses the same values).
DEFAULT_DOELGROEP_LOADS: dict[str, Decimal] = {
    Doelgroep.EERSTEJAARS: Decimal("4"),
    Doelgroep.OUDEREJAARS: Decimal("2"),
    Doelgroep.ZIJ_INSTROMER: Decimal("3"),
    Doelgroep.HERINTREDER: Decimal("2"),
    Doelgroep.ANDERSTALIG: Decimal("5"),
    Doelgroep.STARTER: Decimal("3"),
}


class SupervisionKind(models.TextChoices):
    WERKBEGELEIDER = "werkbegeleider", _("Werkbegeleider (individual work supervisor)")
    SENIOR_WERKBEGELEIDER = "senior_werkbegeleider", _("Senior werkbegeleider (group)")
    LEERCOACH = "leercoach", _("Leercoach (group)")
    INWERKCOACH = "inwerkcoach", _("Inwerkcoach (group)")
    STUDENT_ONDERSTEUNER = "student_ondersteuner", _("Student-ondersteuner (peer mentor)")
    DOCENT_BEGELEIDER = "docent_begeleider", _("Docent-begeleider (teacher from the school)")
    REGIONALE_POOL = "regionale_pool", _("Regionale pool")
    LEERAFDELING = "leerafdeling", _("Leerafdeling (learning ward)")


# The engine's list of kinds (coordination/engine/model.py) is the one list: these choices
# only add labels, and tests/test_supervision_kinds.py fails when the two differ.
# Kinds whose scope is one location of a care organisation, as the engine scopes them.
LOCATION_KINDS = tuple(
    SupervisionKind(k) for k in engine_model.SOURCE_KINDS if k in engine_model.LOCATION_KINDS
)
GROUP_KINDS = (
    SupervisionKind.SENIOR_WERKBEGELEIDER,
    SupervisionKind.LEERCOACH,
    SupervisionKind.INWERKCOACH,
)


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open (waiting for a place)"
    PROPOSED = "proposed", "Proposed to a care organisation"
    ACCEPTED = "accepted", "Accepted by the care organisation"
    CONFIRMED = "confirmed", "Confirmed by the school"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PlekStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PlacementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A placement in one of these states holds a seat and supervision hours.
LIVE_PLACEMENT_STATUSES = (
    PlacementStatus.PROPOSED,
    PlacementStatus.ACCEPTED,
    PlacementStatus.CONFIRMED,
)


def iso_week_span(start: dt.date, end: dt.date) -> int:
    """Number of ISO weeks touched by [start, end], both inclusive."""
    start_monday = start - dt.timedelta(days=start.weekday())
    end_monday = end - dt.timedelta(days=end.weekday())
    return (end_monday - start_monday).days // 7 + 1


# Which kinds of supervision each kind of organisation may offer.
SOURCE_KINDS_BY_ORGANISATION: dict[str, set[str]] = {
    OrganisationKind.CARE: {*LOCATION_KINDS, SupervisionKind.LEERAFDELING},
    OrganisationKind.SCHOOL: {SupervisionKind.DOCENT_BEGELEIDER},
    OrganisationKind.COORDINATION: {SupervisionKind.REGIONALE_POOL},
}
