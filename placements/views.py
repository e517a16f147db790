"""The start page: what this service is, where the API lives, and the demo logins."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from placements.domain import OrganisationKind, PlekStatus, RequestStatus
from placements.models import Membership, Region


def home(request: HttpRequest) -> HttpResponse:
    regions = Region.objects.annotate(
        schools=Count(
            "organisations", filter=Q(organisations__kind=OrganisationKind.SCHOOL), distinct=True
        ),
        care=Count(
            "organisations", filter=Q(organisations__kind=OrganisationKind.CARE), distinct=True
        ),
        open_requests=Count(
            "requests", filter=Q(requests__status=RequestStatus.OPEN), distinct=True
        ),
        plekken=Count("plekken", filter=Q(plekken__status=PlekStatus.PUBLISHED), distinct=True),
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
