from __future__ import annotations

import django_filters

from placements.models import Placement, PlacementRequest, Plek, SupervisionSource


class PlacementRequestFilter(django_filters.FilterSet):
    start_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    start_before = django_filters.DateFilter(field_name="start_date", lookup_expr="lte")

    class Meta:
        model = PlacementRequest
        fields = ["status", "doelgroep", "opleiding", "school", "priority", "peer_mentor"]


class PlekFilter(django_filters.FilterSet):
    opleiding = django_filters.NumberFilter(field_name="opleidingen")
    available_on = django_filters.DateFilter(method="filter_available_on")

    class Meta:
        model = Plek
        fields = ["sector", "status", "organisation", "location", "is_leerafdeling"]

    def filter_available_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


class SupervisionSourceFilter(django_filters.FilterSet):
    class Meta:
        model = SupervisionSource
        fields = ["kind", "active", "location", "plek", "organisation"]


class PlacementFilter(django_filters.FilterSet):
    class Meta:
        model = Placement
        fields = ["status", "plek", "request", "allocation_run"]
