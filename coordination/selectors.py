"""Reads for coordinators: only their own region, and only coordinators."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from coordination.models import AllocationRun, AnalysisJob
from placements import selectors as placement_selectors
from placements.domain import OrganisationKind
from placements.models import Region


def regions_coordinated_by(user: Any) -> QuerySet[Region]:
    org = placement_selectors.organisation_of(user)
    if org is None or org.kind != OrganisationKind.COORDINATION:
        return Region.objects.none()
    return Region.objects.filter(pk=org.region_id)


def analysis_jobs_visible_to(user: Any) -> QuerySet[AnalysisJob]:
    return AnalysisJob.objects.filter(region__in=regions_coordinated_by(user))


def runs_visible_to(user: Any) -> QuerySet[AllocationRun]:
    return AllocationRun.objects.filter(region__in=regions_coordinated_by(user))
