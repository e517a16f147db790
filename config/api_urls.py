"""The API's one router: every app's viewsets under /api/v1/."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from coordination.api import views as coordination_views
from notifications.api import NotificationViewSet
from placements.api import import_views, views

router = DefaultRouter()
router.register("requests", views.PlacementRequestViewSet, basename="request")
router.register("plekken", views.PlekViewSet, basename="plek")
router.register("locations", views.LocationViewSet, basename="location")
router.register("sources", views.SupervisionSourceViewSet, basename="source")
router.register("placements", views.PlacementViewSet, basename="placement")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("regions", views.RegionViewSet, basename="region")
router.register("opleidingen", views.OpleidingViewSet, basename="opleiding")
router.register("postcode-areas", views.PostcodeAreaViewSet, basename="postcode-area")
router.register(
    "allocation-runs", coordination_views.AllocationRunViewSet, basename="allocation-run"
)
router.register("analysis-jobs", coordination_views.AnalysisJobViewSet, basename="analysis-job")
router.register("notifications", NotificationViewSet, basename="notification")
router.register(
    "allocation-problems",
    coordination_views.AllocationProblemViewSet,
    basename="allocation-problem",
)

urlpatterns = [
    path("me/", views.me, name="me"),
    path("auth/token/", obtain_auth_token, name="auth-token"),
    path("requests/import/", import_views.RequestImportView.as_view(), name="request-import"),
    path("plekken/import/", import_views.PlekImportView.as_view(), name="plek-import"),
    path("sources/import/", import_views.SourceImportView.as_view(), name="source-import"),
    path("", include(router.urls)),
]
