"""Serializers: parse and format only. Owners and states are set by services, never by input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.api.fields import KnownIdField, ModelSerializer, PostcodeAreaField
from placements import selectors
from placements.domain import OrganisationKind, Sector, iso_week_span
from placements.models import (
    DoelgroepSetting,
    Location,
    Opleiding,
    Organisation,
    Placement,
    PlacementRequest,
    PlacementSupervision,
    Plek,
    PostcodeArea,
    Region,
    SupervisionSource,
)


class StrictFieldsMixin:
    """Reject fields a client may not set, instead of silently ignoring them.

    Without this a client sending `school` or `status` would get a 201 and believe it set
    them; with it the answer names the field.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {
                name
                for name, field in self.fields.items()
                if not field.read_only  # type: ignore[attr-defined]
            }
            extra = sorted(set(data) - writable)
            if extra:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set."] for name in extra}, code="not_writable"
                )
        return super().to_internal_value(data)  # type: ignore[misc]


def _user(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return request.user if request else None


class DatesInOrderMixin:
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = getattr(self, "instance", None)
        start = attrs.get("start_date", getattr(instance, "start_date", None))
        end = attrs.get("end_date", getattr(instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": ["The end date is before the start date."]}, code="dates_out_of_order"
            )
        return super().validate(attrs)  # type: ignore[misc]


# --- Reference data -------------------------------------------------------------------


class DoelgroepSettingSerializer(ModelSerializer):
    class Meta:
        model = DoelgroepSetting
        fields = ["doelgroep", "default_load_hours"]


class RegionSerializer(StrictFieldsMixin, ModelSerializer):
    doelgroep_settings = DoelgroepSettingSerializer(many=True, read_only=True)

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "proposal_expiry_days",
            "peer_hours",
            "peer_share",
            "doelgroep_settings",
            "last_event_seq",
        ]
        read_only_fields = ["id", "code", "name", "last_event_seq"]


class OrganisationSerializer(ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "region"]


class OpleidingSerializer(ModelSerializer):
    class Meta:
        model = Opleiding
        fields = ["id", "code", "name", "niveau", "leerweg"]


class PostcodeAreaSerializer(ModelSerializer):
    class Meta:
        model = PostcodeArea
        fields = ["code", "latitude", "longitude", "municipality"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    organisation = OrganisationSerializer(allow_null=True)
    role = serializers.CharField(allow_null=True)


# --- Locations, plekken, sources ------------------------------------------------------


class LocationSerializer(StrictFieldsMixin, ModelSerializer):
    class Meta:
        model = Location
        fields = [
            "id",
            "organisation",
            "name",
            "street",
            "postcode",
            "city",
            "latitude",
            "longitude",
        ]
        read_only_fields = ["id", "organisation"]
        extra_kwargs = {
            "latitude": {"min_value": -90, "max_value": 90},
            "longitude": {"min_value": -180, "max_value": 180},
        }


class PlekSerializer(StrictFieldsMixin, DatesInOrderMixin, ModelSerializer):
    location = KnownIdField(queryset=Location.objects.none())
    opleidingen = KnownIdField(queryset=Opleiding.objects.all(), many=True, allow_empty=False)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True)

    class Meta:
        model = Plek
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "location",
            "location_name",
            "team",
            "sector",
            "opleidingen",
            "seats",
            "start_date",
            "end_date",
            "is_leerafdeling",
            "status",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "organisation", "status", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is not None:
            # Only the organisation's own locations can be chosen; others "do not exist".
            self.fields["location"].queryset = selectors.locations_writable_by(user)


class SupervisionSourceSerializer(StrictFieldsMixin, DatesInOrderMixin, ModelSerializer):
    location = KnownIdField(queryset=Location.objects.none(), required=False, allow_null=True)
    plek = KnownIdField(queryset=Plek.objects.none(), required=False, allow_null=True)

    class Meta:
        model = SupervisionSource
        fields = [
            "id",
            "organisation",
            "kind",
            "name",
            "hours_per_week",
            "start_date",
            "end_date",
            "max_students",
            "group_factor",
            "location",
            "plek",
            "school",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "organisation", "school", "active", "created_at", "updated_at"]
        extra_kwargs = {
            "hours_per_week": {"min_value": Decimal("0")},
            "group_factor": {"min_value": Decimal("0.01"), "max_value": Decimal("1")},
            "max_students": {"min_value": 1},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is not None:
            self.fields["location"].queryset = selectors.locations_writable_by(user)
            self.fields["plek"].queryset = selectors.plekken_writable_by(user)


# --- Requests -------------------------------------------------------------------------


class PlacementRequestSerializer(StrictFieldsMixin, DatesInOrderMixin, ModelSerializer):
    home_postcode = PostcodeAreaField(
        queryset=PostcodeArea.objects.all(), help_text="Four digits, e.g. 3511."
    )
    acceptable_sectors = serializers.ListField(
        child=serializers.ChoiceField(choices=Sector.choices),
        allow_empty=True,
        required=False,
        help_text="Sectors the student accepts; empty means any.",
    )
    preferences = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        write_only=True,
        max_length=10,
        help_text="Preferred plek ids, best first (at most 10).",
    )
    weeks = serializers.SerializerMethodField()
    school_name = serializers.CharField(source="school.name", read_only=True)
    opleiding_name = serializers.CharField(source="opleiding.name", read_only=True)

    class Meta:
        model = PlacementRequest
        fields = [
            "id",
            "school",
            "school_name",
            "student_pseudonym",
            "student_name",
            "home_postcode",
            "opleiding",
            "opleiding_name",
            "doelgroep",
            "start_date",
            "end_date",
            "weeks",
            "hours_per_week",
            "acceptable_sectors",
            "max_travel_km",
            "preferences",
            "priority",
            "load_override_hours",
            "peer_mentor",
            "status",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "school", "status", "created_at", "updated_at"]
        extra_kwargs = {
            "hours_per_week": {"min_value": Decimal("0.5"), "max_value": Decimal("60")},
            "max_travel_km": {"min_value": 1, "max_value": 300},
            "load_override_hours": {"min_value": Decimal("0"), "max_value": Decimal("40")},
            "priority": {"min_value": 1, "max_value": 5},
        }

    def get_weeks(self, obj: PlacementRequest) -> int:
        return iso_week_span(obj.start_date, obj.end_date)

    def validate_acceptable_sectors(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def to_representation(self, instance: PlacementRequest) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["preferences"] = [
            p.plek_id for p in sorted(instance.preferences.all(), key=lambda p: p.rank)
        ]
        # Names only where selectors say so (annotated on the queryset); pseudonym always.
        if not getattr(instance, "student_name_visible", False):
            data["student_name"] = None
        viewer = getattr(instance, "viewer_kind", None)
        # The school's free-text notes are for the school; a care organisation does not see
        # which other plekken the student preferred.
        if viewer != OrganisationKind.SCHOOL:
            data["notes"] = None
        if viewer == OrganisationKind.CARE:
            data["preferences"] = None
        return data


# --- Placements -----------------------------------------------------------------------


class DrawSerializer(ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    source_kind = serializers.CharField(source="source.kind", read_only=True)

    class Meta:
        model = PlacementSupervision
        fields = ["source", "source_name", "source_kind", "load_hours", "source_hours"]


class PlacementSerializer(ModelSerializer):
    draws = DrawSerializer(many=True, read_only=True)
    student_pseudonym = serializers.CharField(source="request.student_pseudonym", read_only=True)
    school = serializers.IntegerField(source="request.school_id", read_only=True)
    school_name = serializers.CharField(source="request.school.name", read_only=True)
    opleiding = serializers.CharField(source="request.opleiding.name", read_only=True)
    start_date = serializers.DateField(source="request.start_date", read_only=True)
    end_date = serializers.DateField(source="request.end_date", read_only=True)
    organisation = serializers.IntegerField(source="plek.organisation_id", read_only=True)
    organisation_name = serializers.CharField(source="plek.organisation.name", read_only=True)
    location_name = serializers.CharField(source="plek.location.name", read_only=True)
    plek_team = serializers.CharField(source="plek.team", read_only=True)
    sector = serializers.CharField(source="plek.sector", read_only=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "request",
            "student_pseudonym",
            "school",
            "school_name",
            "opleiding",
            "start_date",
            "end_date",
            "plek",
            "plek_team",
            "organisation",
            "organisation_name",
            "location_name",
            "sector",
            "status",
            "allocation_run",
            "decline_reason",
            "proposed_at",
            "expires_at",
            "answered_at",
            "confirmed_at",
            "draws",
        ]
        read_only_fields = fields


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the student is declined.")
