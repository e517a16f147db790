"""The start page: what this service is, where the API lives, and the demo logins."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from placements.domain import OrganisationKind, PlekStatus, RequestStatus
from placements.models import Membership, Organisation, PlacementRequest, Plek, Region


def home(request: HttpRequest) -> HttpResponse:
    # Subqueries, not joins: counting over three joined relations would multiply rows.
    def count(model: type, **filters: object) -> Subquery:
        return Subquery(
            model.objects.filter(region=OuterRef("pk"), **filters)
            .order_by()
            .values("region")
            .annotate(n=Count("pk"))
            .values("n")
        )

    regions = Region.objects.annotate(
        n_schools=count(Organisation, kind=OrganisationKind.SCHOOL),
        n_care=count(Organisation, kind=OrganisationKind.CARE),
        n_open_requests=count(PlacementRequest, status=RequestStatus.OPEN),
        n_plekken=count(Plek, status=PlekStatus.PUBLISHED),
    )
    # Demo logins are shown only outside production, where they are the seeded demo users.
    demo_users = (
        []
        if settings.PRODUCTION
        else Membership.objects.select_related("user", "organisation").order_by(
            "organisation__region__name", "organisation__kind", "organisation__name"
        )[:60]
    )
    return render(request, "placements/home.html", {"regions": regions, "demo_users": demo_users})
