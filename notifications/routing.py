"""WebSocket URL patterns (mounted in config/asgi.py behind origin and auth checks)."""

from __future__ import annotations

from django.urls import path

from notifications.consumers import OrganisationStreamConsumer, RegionStreamConsumer

websocket_urlpatterns = [
    path("ws/v1/regions/<int:region_id>/", RegionStreamConsumer.as_asgi()),
    path("ws/v1/organisations/<int:organisation_id>/", OrganisationStreamConsumer.as_asgi()),
]
