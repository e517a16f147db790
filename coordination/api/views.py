"""Coordinators' allocation API: runs, unplaced reasons, and the problem/result export."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from coordination import analyses, dashboard, selectors, services
from coordination.engine.jsonio import problem_to_dict
from coordination.loading import load_problem
from coordination.models import AllocationRun, AnalysisJob, AnalysisKind, UnplacedRequest
from placements.api.permissions import IsMember
from placements.domain import Sector, SupervisionKind


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
            "mode",
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


class ScenarioSourceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupervisionKind.choices)
    hours_per_week = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0")
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    max_students = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    group_factor = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        required=False,
    )
    location = serializers.IntegerField(required=False, allow_null=True)
    plek = serializers.IntegerField(required=False, allow_null=True)
    school = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError(
                {"end_date": ["The end date is before the start date."]}
            )
        return attrs


class ScenarioSerializer(serializers.Serializer):
    add_sources = ScenarioSourceSerializer(many=True, required=False)
    remove_source_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    remove_plek_ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class ScenarioOutcomeSerializer(serializers.Serializer):
    placed_before = serializers.IntegerField()
    placed_after = serializers.IntegerField()
    placed_delta = serializers.IntegerField()
    newly_placed = serializers.ListField(child=serializers.IntegerField())
    newly_unplaced = serializers.ListField(child=serializers.IntegerField())


class CapacityRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    sources = serializers.IntegerField()
    hours_per_week = serializers.FloatField()
    placements_carried = serializers.IntegerField()
    load_hours_carried = serializers.FloatField()
    placed_without = serializers.IntegerField()
    placements_lost_without = serializers.IntegerField()


class AnalysisJobSerializer(serializers.ModelSerializer):
    result = serializers.JSONField(
        read_only=True,
        help_text="When finished: a scenario's outcome (placed_before, placed_after, "
        "placed_delta, newly_placed, newly_unplaced) or a capacity report's rows.",
    )

    class Meta:
        model = AnalysisJob
        fields = [
            "id",
            "region",
            "kind",
            "status",
            "progress",
            "parameters",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class AnalysisJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Capacity reports and scenarios of the coordinator's region, newest first."""

    serializer_class = AnalysisJobSerializer
    permission_classes = [IsMember]
    filterset_fields = ["kind", "status"]

    def get_queryset(self) -> QuerySet:
        return selectors.analysis_jobs_visible_to(self.request.user)


REGION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class UnplacedFilter(serializers.Serializer):
    school = serializers.IntegerField(required=False, min_value=1)
    opleiding = serializers.IntegerField(required=False, min_value=1)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)


def _accepted(job: AnalysisJob, new: bool) -> Response:
    """202 for a new job (poll it, or follow the region stream); 200 for a known one."""
    return Response(
        AnalysisJobSerializer(job).data,
        status=status.HTTP_202_ACCEPTED if new else status.HTTP_200_OK,
        headers={"Location": f"/api/v1/analysis-jobs/{job.pk}/"},
    )


class AllocationProblemViewSet(viewsets.ViewSet):
    """A coordinator's region as an allocation problem: runs, export, what-if, capacity."""

    permission_classes = [IsMember]

    def _region(self, pk: str):
        return get_object_or_404(selectors.regions_coordinated_by(self.request.user), pk=pk)

    @extend_schema(
        request=None,
        responses={202: AllocationRunSerializer, 200: AllocationRunSerializer},
        parameters=[REGION_ID],
    )
    @action(detail=True, methods=["post"])
    def runs(self, request: Request, pk: str) -> Response:
        """Start a full allocation run now. 202 with the queued run; 200 with the run that
        is already queued. Its progress and end arrive on the region stream."""
        run, new = services.allocation_queue_run(
            region=self._region(pk), requested_by=request.user.get_username()
        )
        return Response(
            AllocationRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED if new else status.HTTP_200_OK,
            headers={"Location": f"/api/v1/allocation-runs/{run.pk}/"},
        )

    @extend_schema(
        request=ScenarioSerializer,
        responses={202: AnalysisJobSerializer, 200: AnalysisJobSerializer},
        parameters=[REGION_ID],
    )
    @action(detail=True, methods=["post"])
    def scenario(self, request: Request, pk: str) -> Response:
        """What if these sources were added or removed, or these plekken removed? Queues a
        job (202) whose result shows who would gain or lose a place; stores nothing else.
        The same question about the same region state returns the earlier job (200)."""
        region = self._region(pk)
        body = ScenarioSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job, new = analyses.analysis_request(
            region=region, kind=AnalysisKind.SCENARIO, parameters=body.data, user=request.user
        )
        return _accepted(job, new)

    @extend_schema(
        request=None,
        responses={202: AnalysisJobSerializer, 200: AnalysisJobSerializer},
        parameters=[REGION_ID],
    )
    @action(detail=True, methods=["post"])
    def capacity(self, request: Request, pk: str) -> Response:
        """Per begeleidingsvorm: placements carried, and how many would be lost without it.
        Queues a job (202); for a region state already reported, returns that job (200)."""
        job, new = analyses.analysis_request(
            region=self._region(pk), kind=AnalysisKind.CAPACITY, parameters={}, user=request.user
        )
        return _accepted(job, new)

    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[REGION_ID])
    @action(detail=True)
    def overview(self, request: Request, pk: str) -> Response:
        """The dashboard's figures: headline counts, demand and supply per sector and
        opleiding, placements and supervision per week, supervision per begeleidingsvorm
        and location, the latest runs and events (`seq`: the last event included)."""
        return Response(dashboard.region_overview(region=self._region(pk)))

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            REGION_ID,
            OpenApiParameter("school", OpenApiTypes.INT),
            OpenApiParameter("opleiding", OpenApiTypes.INT),
            OpenApiParameter("sector", OpenApiTypes.STR),
        ],
    )
    @action(detail=True, url_path="unplaced")
    def unplaced(self, request: Request, pk: str) -> Response:
        """Requests still waiting that the latest run could not place, with the reason and
        what would place them; filter by `school`, `opleiding` (ids) or `sector`."""
        params = UnplacedFilter(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            dashboard.unplaced_requests(region=self._region(pk), **params.validated_data)
        )

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """The region's current allocation problem in the documented JSON format."""
        return Response(problem_to_dict(load_problem(self._region(pk)).problem))
