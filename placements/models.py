"""Leerplek's data: regions, organisations, opleidingen, requests, plekken, supervision, placements.

Invariants that the database can hold are constraints here, so no code path (API, import,
admin, shell) can store a row that breaks them. Rules that span tables (a plek's location
belongs to the same organisation) are checked in services.py, under row locks.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from placements.domain import (
    GROUP_KINDS,
    LIVE_PLACEMENT_STATUSES,
    LOCATION_KINDS,
    Doelgroep,
    Leerweg,
    Niveau,
    OrganisationKind,
    PlacementStatus,
    PlekStatus,
    RequestStatus,
    Role,
    Sector,
    SupervisionKind,
)

postcode4_validator = RegexValidator(r"^[1-9][0-9]{3}$", "A postcode area is four digits.")


def _choice_values(choices: type[models.TextChoices]) -> list[str]:
    return [value for value, _label in choices.choices]


class Region(models.Model):
    """An arbeidsmarktregio: the unit of allocation, visibility and event ordering."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    proposal_expiry_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days a care organisation has to answer a proposal."
    )
    peer_hours = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        help_text="Hours a week each mentoring ouderejaars adds for eerstejaars.",
    )
    peer_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        help_text="Largest share of an eerstejaars' load that peers may carry.",
    )
    # Last event sequence number handed out; incremented under a row lock (notifications).
    last_event_seq = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal_expiry_days__gte=1), name="region_expiry_days_positive"
            ),
            models.CheckConstraint(condition=Q(peer_hours__gte=0), name="region_peer_hours_gte_0"),
            models.CheckConstraint(
                condition=Q(peer_share__gte=0, peer_share__lte=1), name="region_peer_share_0_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DoelgroepSetting(models.Model):
    """The region's default supervision need (hours a week) for one doelgroep."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="doelgroep_settings")
    doelgroep = models.CharField(max_length=20, choices=Doelgroep.choices)
    default_load_hours = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["region", "doelgroep"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "doelgroep"], name="doelgroep_once_per_region"
            ),
            models.CheckConstraint(
                condition=Q(default_load_hours__gte=0), name="doelgroep_load_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.doelgroep} {self.default_load_hours} h/wk"


class Organisation(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organisations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    contact_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="organisation_name_per_region"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user acts for exactly one organisation; the role limits what it may change."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class PostcodeArea(models.Model):
    """A four-digit postcode area with its centroid: students' homes are known only this far."""

    code = models.CharField(max_length=4, primary_key=True, validators=[postcode4_validator])
    latitude = models.FloatField()
    longitude = models.FloatField()
    municipality = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180)
                & Q(longitude__lte=180),
                name="postcodearea_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Location(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="locations"
    )
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=7)
    city = models.CharField(max_length=100)
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="location_name_per_organisation"
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180)
                & Q(longitude__lte=180),
                name="location_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.name}"


class Opleiding(models.Model):
    """An education programme as a student follows it: crebo (or CROHO) code, niveau, leerweg."""

    code = models.CharField(max_length=10, help_text="Crebo code (MBO) or CROHO code (HBO/WO).")
    name = models.CharField(max_length=200)
    niveau = models.CharField(max_length=5, choices=Niveau.choices)
    leerweg = models.CharField(max_length=10, choices=Leerweg.choices)

    class Meta:
        ordering = ["name", "leerweg"]
        verbose_name_plural = "opleidingen"
        constraints = [
            models.UniqueConstraint(fields=["code", "leerweg"], name="opleiding_code_leerweg"),
            models.CheckConstraint(
                condition=Q(niveau__in=_choice_values(Niveau)), name="opleiding_niveau_valid"
            ),
            models.CheckConstraint(
                condition=Q(leerweg__in=_choice_values(Leerweg)), name="opleiding_leerweg_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.get_niveau_display()}, {self.leerweg.upper()})"


class Plek(models.Model):
    """A leer-werkplek: seats for some opleidingen in a team at a location, over a period."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="plekken")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="plekken")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="plekken")
    team = models.CharField(max_length=200)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    opleidingen = models.ManyToManyField(Opleiding, related_name="plekken")
    seats = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    is_leerafdeling = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=PlekStatus.choices, default=PlekStatus.PUBLISHED
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "team", "start_date"]
        verbose_name_plural = "plekken"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="plek_dates_in_order"
            ),
            models.CheckConstraint(condition=Q(seats__gte=0), name="plek_seats_not_negative"),
            models.CheckConstraint(
                condition=Q(sector__in=_choice_values(Sector)), name="plek_sector_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=_choice_values(PlekStatus)), name="plek_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} / {self.team} ({self.start_date}–{self.end_date})"


class SupervisionSource(models.Model):
    """One instance of a begeleidingsvorm, with the hours a week it can carry over a period.

    The kind fixes the scope: location kinds carry placements at `location`, a leerafdeling
    only its `plek`, a docent-begeleider the students of `school`, a regional pool any
    placement in the region. The check constraint below makes other combinations impossible.
    """

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="supervision_sources")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="supervision_sources",
        help_text="Who provides it: care organisation, school or coordination office.",
    )
    kind = models.CharField(max_length=25, choices=SupervisionKind.choices)
    name = models.CharField(max_length=200)
    hours_per_week = models.DecimalField(max_digits=6, decimal_places=2)
    start_date = models.DateField()
    end_date = models.DateField()
    max_students = models.PositiveSmallIntegerField(null=True, blank=True)
    group_factor = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text="Share of a student's load a group form spends per student (e.g. 0.6).",
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_sources",
    )
    plek = models.ForeignKey(
        Plek, null=True, blank=True, on_delete=models.PROTECT, related_name="supervision_sources"
    )
    school = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="docent_sources",
        help_text="For a docent-begeleider: the school whose students it supervises.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="source_dates_in_order"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=0), name="source_hours_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_students__isnull=True) | Q(max_students__gte=1),
                name="source_max_students_positive",
            ),
            models.CheckConstraint(
                condition=Q(group_factor__gt=0, group_factor__lte=1), name="source_group_factor_0_1"
            ),
            models.CheckConstraint(
                condition=Q(group_factor=1) | Q(kind__in=[k.value for k in GROUP_KINDS]),
                name="source_group_factor_only_for_group_forms",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=[k.value for k in LOCATION_KINDS],
                        location__isnull=False,
                        plek__isnull=True,
                        school__isnull=True,
                    )
                    | Q(
                        kind=SupervisionKind.LEERAFDELING,
                        plek__isnull=False,
                        location__isnull=True,
                        school__isnull=True,
                    )
                    | Q(
                        kind=SupervisionKind.DOCENT_BEGELEIDER,
                        school__isnull=False,
                        location__isnull=True,
                        plek__isnull=True,
                    )
                    | Q(
                        kind=SupervisionKind.REGIONALE_POOL,
                        location__isnull=True,
                        plek__isnull=True,
                        school__isnull=True,
                    )
                ),
                name="source_scope_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.hours_per_week} h/wk)"


class PlacementRequest(models.Model):
    """A plaatsingsverzoek: one student's request for a plek over a period."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="requests")
    school = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="requests")
    student_pseudonym = models.CharField(max_length=64)
    student_name = models.CharField(max_length=200, blank=True)
    home_postcode = models.ForeignKey(
        PostcodeArea,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Four-digit postcode area of the student's home, never a full address.",
    )
    opleiding = models.ForeignKey(Opleiding, on_delete=models.PROTECT, related_name="requests")
    doelgroep = models.CharField(max_length=20, choices=Doelgroep.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1)
    acceptable_sectors = models.JSONField(
        default=list, blank=True, help_text="Sectors the student accepts; empty means any."
    )
    max_travel_km = models.PositiveSmallIntegerField()
    priority = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (normal) to 5 (e.g. a BBL student whose job depends on the place).",
    )
    load_override_hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    peer_mentor = models.BooleanField(
        default=False, help_text="An ouderejaars student who agreed to mentor eerstejaars."
    )
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="request_dates_in_order"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gt=0, hours_per_week__lte=60),
                name="request_hours_0_60",
            ),
            models.CheckConstraint(
                condition=Q(max_travel_km__gte=1), name="request_travel_positive"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="request_priority_1_5"
            ),
            models.CheckConstraint(
                condition=Q(load_override_hours__isnull=True) | Q(load_override_hours__gte=0),
                name="request_load_override_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(doelgroep__in=_choice_values(Doelgroep)), name="request_doelgroep_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=_choice_values(RequestStatus)), name="request_status_valid"
            ),
            models.UniqueConstraint(
                fields=["school", "student_pseudonym", "start_date"],
                condition=~Q(status=RequestStatus.WITHDRAWN),
                name="request_once_per_student_and_start",
            ),
        ]
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self) -> str:
        return f"{self.student_pseudonym} ({self.school})"


class RequestPreference(models.Model):
    """A ranked preferred plek of a request (rank 1 is the favourite)."""

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.CASCADE, related_name="preferences"
    )
    plek = models.ForeignKey(Plek, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["request", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["request", "rank"], name="preference_rank_unique"),
            models.UniqueConstraint(fields=["request", "plek"], name="preference_plek_unique"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=10), name="preference_rank_1_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} #{self.rank}: plek {self.plek_id}"


class Placement(models.Model):
    """A plaatsing: a request allocated to a plek, with the supervision it draws."""

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.PROTECT, related_name="placements"
    )
    plek = models.ForeignKey(Plek, on_delete=models.PROTECT, related_name="placements")
    status = models.CharField(
        max_length=10, choices=PlacementStatus.choices, default=PlacementStatus.PROPOSED
    )
    allocation_run = models.ForeignKey(
        "coordination.AllocationRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placements",
    )
    decline_reason = models.TextField(blank=True)
    proposed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-proposed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status__in=[s.value for s in LIVE_PLACEMENT_STATUSES]),
                name="one_live_placement_per_request",
            ),
            models.CheckConstraint(
                condition=Q(status__in=_choice_values(PlacementStatus)),
                name="placement_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=PlacementStatus.DECLINED) | ~Q(decline_reason=""),
                name="placement_decline_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["plek", "status"])]

    def __str__(self) -> str:
        return f"{self.request} → {self.plek} ({self.status})"


class PlacementSupervision(models.Model):
    """Hours a week a placement draws from one source, the same in every week it runs.

    `load_hours` is the part of the student's load the source carries; `source_hours` what
    that costs the source (load_hours × group_factor for group forms). Both exactly as the
    engine returns them: whole hundredths of an hour, and their product with a group factor
    of two decimals (coordination/engine/model.py, HOURS_UNIT).
    """

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="draws")
    source = models.ForeignKey(SupervisionSource, on_delete=models.PROTECT, related_name="draws")
    load_hours = models.DecimalField(max_digits=5, decimal_places=2)
    source_hours = models.DecimalField(max_digits=7, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["placement", "source"], name="draw_once_per_source"),
            models.CheckConstraint(condition=Q(load_hours__gt=0), name="draw_load_positive"),
            models.CheckConstraint(
                condition=Q(source_hours__gte=0), name="draw_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"placement {self.placement_id}: {self.load_hours} h from source {self.source_id}"
