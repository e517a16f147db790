"""Thin API views: parse, call one selector or service, format.

Reads use the `*_visible_to` selectors, writes the `*_writable_by` ones, so another tenant's
object is a 404 on both.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api.idempotency import SCHEMA_PARAMETER as IDEMPOTENCY_PARAMETER
from core.api.idempotency import idempotent
from core.api.renderers import SPREADSHEET_FORMATS, CSVRenderer, XLSXRenderer
from placements import lifecycle, selectors, services
from placements.api import filters, serializers
from placements.api.permissions import IsMember

WRITE_ACTIONS = {"create", "update", "partial_update", "destroy"}


class TenantViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsMember]
    visible = staticmethod(lambda user: None)
    writable = staticmethod(lambda user: None)

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if self.action in WRITE_ACTIONS or self.request.method not in ("GET", "HEAD", "OPTIONS"):
            return self.writable(user)
        return self.visible(user)

    def organisation(self) -> Any:
        return selectors.organisation_of(self.request.user)

    def respond(self, instance: Any, code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the visible selector so annotations (name visibility) apply.
        fresh = self.visible(self.request.user).get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, status=code)


class WritableTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Create, update and (where `remove` exists) delete through one service call each.

    Subclasses implement `submit(data)`, `change(instance, data)` and optionally
    `remove(instance)`; validated data never carries owners (serializers reject them).
    """

    def submit(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def change(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    @idempotent
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.submit(dict(serializer.validated_data)), status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.change(instance, dict(serializer.validated_data)))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)


class PlacementRequestViewSet(WritableTenantViewSet):
    """Placement requests (plaatsingsverzoeken). Schools write their own; DELETE withdraws."""

    serializer_class = serializers.PlacementRequestSerializer
    filterset_class = filters.PlacementRequestFilter
    ordering_fields = ["created_at", "start_date", "priority", "student_pseudonym", "status"]
    search_fields = ["student_pseudonym"]
    visible = staticmethod(selectors.requests_visible_to)
    writable = staticmethod(selectors.requests_writable_by)

    def submit(self, data: dict[str, Any]) -> Any:
        preferences = data.pop("preferences", [])
        return services.request_submit(
            school=self.organisation(),
            data=data,
            preferences=preferences,
            created_by=self.request.user,
        )

    def change(self, instance: Any, data: dict[str, Any]) -> Any:
        preferences = data.pop("preferences", None)
        return services.request_update(request=instance, data=data, preferences=preferences)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.request_withdraw(request=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlekViewSet(WritableTenantViewSet):
    """Leer-werkplekken. Care organisations write their own; schools read published ones."""

    serializer_class = serializers.PlekSerializer
    filterset_class = filters.PlekFilter
    ordering_fields = ["start_date", "seats", "team", "created_at"]
    search_fields = ["team", "location__name", "location__city"]
    visible = staticmethod(selectors.plekken_visible_to)
    writable = staticmethod(selectors.plekken_writable_by)

    def submit(self, data: dict[str, Any]) -> Any:
        opleidingen = data.pop("opleidingen")
        return services.plek_publish(
            organisation=self.organisation(), data=data, opleidingen=opleidingen
        )

    def change(self, instance: Any, data: dict[str, Any]) -> Any:
        opleidingen = data.pop("opleidingen", None)
        return services.plek_update(plek=instance, data=data, opleidingen=opleidingen)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.plek_withdraw(plek=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class LocationViewSet(WritableTenantViewSet):
    serializer_class = serializers.LocationSerializer
    ordering_fields = ["name", "city"]
    search_fields = ["name", "city", "postcode"]
    filterset_fields = ["organisation", "city"]
    visible = staticmethod(selectors.locations_visible_to)
    writable = staticmethod(selectors.locations_writable_by)

    def submit(self, data: dict[str, Any]) -> Any:
        return services.location_create(organisation=self.organisation(), data=data)

    def change(self, instance: Any, data: dict[str, Any]) -> Any:
        return services.location_update(location=instance, data=data)


class SupervisionSourceViewSet(WritableTenantViewSet):
    """Supervision sources (begeleidingsvormen at a location, plek, school or region)."""

    serializer_class = serializers.SupervisionSourceSerializer
    filterset_class = filters.SupervisionSourceFilter
    ordering_fields = ["kind", "name", "hours_per_week", "start_date"]
    search_fields = ["name"]
    visible = staticmethod(selectors.sources_visible_to)
    writable = staticmethod(selectors.sources_writable_by)

    def submit(self, data: dict[str, Any]) -> Any:
        return services.source_create(organisation=self.organisation(), data=data)

    def change(self, instance: Any, data: dict[str, Any]) -> Any:
        return services.source_update(source=instance, data=data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.source_remove(source=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlacementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Placements and the proposal workflow: accept/decline (care), confirm (school), withdraw.

    An answer from the wrong party is a 403; from the wrong state a 409 with `current_state`.
    (`@action` replaces the schema that `@idempotent` attaches, hence the explicit header.)
    """

    serializer_class = serializers.PlacementSerializer
    filterset_class = filters.PlacementFilter
    ordering_fields = ["proposed_at", "status", "expires_at"]
    visible = staticmethod(selectors.placements_visible_to)
    writable = staticmethod(selectors.placements_visible_to)
    # `?format=csv` or `?format=xlsx`: every visible placement (filters apply), no pages.
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer, XLSXRenderer]

    def paginate_queryset(self, queryset: Any) -> Any:
        if self.request.accepted_renderer.format in SPREADSHEET_FORMATS:
            return None
        return super().paginate_queryset(queryset)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        fmt = getattr(request, "accepted_renderer", None)
        if fmt is not None and fmt.format in SPREADSHEET_FORMATS and response.status_code == 200:
            response["Content-Disposition"] = f'attachment; filename="placements.{fmt.format}"'
        return response

    def _answer(self, transition: Any, **kwargs: Any) -> Response:
        placement = transition(placement=self.get_object(), by=self.organisation(), **kwargs)
        return self.respond(placement)

    @extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request: Request, pk: str) -> Response:
        return self._answer(lifecycle.placement_accept)

    @extend_schema(request=serializers.DeclineSerializer, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def decline(self, request: Request, pk: str) -> Response:
        body = serializers.DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(lifecycle.placement_decline, reason=body.validated_data["reason"])

    @extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def confirm(self, request: Request, pk: str) -> Response:
        return self._answer(lifecycle.placement_confirm)

    @extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._answer(lifecycle.placement_withdraw)


class OrganisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = serializers.OrganisationSerializer
    filterset_fields = ["kind"]
    ordering_fields = ["name"]
    search_fields = ["name"]
    visible = staticmethod(selectors.organisations_visible_to)
    writable = staticmethod(selectors.organisations_visible_to)


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The user's region and its settings; a coordination admin may change the settings."""

    serializer_class = serializers.RegionSerializer
    ordering_fields = ["name"]
    filterset_fields = ["code"]
    visible = staticmethod(selectors.regions_visible_to)
    writable = staticmethod(selectors.regions_writable_by)

    def partial_update(self, request: Request, pk: str) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        region = services.region_update_settings(
            region=instance, data=dict(serializer.validated_data)
        )
        return self.respond(region)


class OpleidingViewSet(viewsets.ReadOnlyModelViewSet):
    """The opleidingen known to Leerplek (maintained by administrators in the admin)."""

    serializer_class = serializers.OpleidingSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["niveau", "leerweg", "code"]
    ordering_fields = ["name", "code"]
    search_fields = ["name", "code"]

    def get_queryset(self) -> QuerySet:
        return selectors.opleidingen()


class PostcodeAreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PostcodeAreaSerializer
    lookup_field = "code"
    permission_classes = [IsAuthenticated]
    filterset_fields = ["municipality"]
    ordering_fields = ["code"]
    search_fields = ["code", "municipality"]

    def get_queryset(self) -> QuerySet:
        return selectors.postcode_areas()


@extend_schema(responses=serializers.MeSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request: Request) -> Response:
    """Who am I acting for: the organisation and role behind the credentials."""
    membership = selectors.membership_of(request.user)
    return Response(
        serializers.MeSerializer(
            {
                "username": request.user.get_username(),
                "organisation": membership.organisation if membership else None,
                "role": membership.role if membership else None,
            }
        ).data
    )
