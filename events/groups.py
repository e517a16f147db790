"""Channel-layer group names, in one place: publisher and consumers must agree on them."""

from __future__ import annotations


def region_group(region_id: int) -> str:
    return f"region.{region_id}"


def organisation_group(organisation_id: int) -> str:
    return f"organisation.{organisation_id}"
