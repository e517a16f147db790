"""Coordinators' allocation API: runs, unplaced reasons, and the problem/result export."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordination import selectors
from coordination.engine.jsonio import problem_to_dict
from coordination.loading import load_problem
from coordination.models import AllocationRun, UnplacedRequest
from placements.api.permissions import IsMember


class UnplacedRequestSerializer(serializers.ModelSerializer):
    student_pseudonym = serializers.CharField(source="request.student_pseudonym", read_only=True)

    class Meta:
        model = UnplacedRequest
        fields = [
            "request",
            "student_pseudonym",
            "reason",
            "criterion",
            "binding_plekken",
            "binding_sources",
            "suggestion",
        ]


class AllocationRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = AllocationRun
        fields = [
            "id",
            "region",
            "status",
            "trigger",
            "created_at",
            "started_at",
            "finished_at",
            "requests_considered",
            "placed",
            "unplaced",
            "upper_bound",
            "objective",
            "error",
        ]


class AllocationRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Allocation runs of the coordinator's region, newest first."""

    serializer_class = AllocationRunSerializer
    permission_classes = [IsMember]
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "placed"]

    def get_queryset(self) -> QuerySet:
        return selectors.runs_visible_to(self.request.user)

    @extend_schema(responses=UnplacedRequestSerializer(many=True))
    @action(detail=True)
    def unplaced(self, request: Request, pk: str) -> Response:
        """Every request the run left unplaced, with its reason and what would place it."""
        run = self.get_object()
        page = self.paginate_queryset(
            run.unplaced_requests.select_related("request").order_by("pk")
        )
        return self.get_paginated_response(UnplacedRequestSerializer(page, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True)
    def result(self, request: Request, pk: str) -> Response:
        """The run's result in the documented JSON format (docs/allocation-format.md)."""
        return Response(self.get_object().result)


class AllocationProblemViewSet(viewsets.ViewSet):
    permission_classes = [IsMember]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """The region's current allocation problem in the documented JSON format."""
        region = get_object_or_404(selectors.regions_coordinated_by(request.user), pk=pk)
        return Response(problem_to_dict(load_problem(region).problem))
