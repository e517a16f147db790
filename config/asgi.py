"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (the WebSocket routing does).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.auth import WebSocketAuthStack  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402
from workers import embedded  # noqa: E402

# Without a broker (embedded mode) this process also runs the Celery worker and beat.
embedded.start()

# The origin check lives in the consumers (notifications.auth.origin_allowed): whether a
# missing Origin is acceptable depends on how the client authenticated.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketAuthStack(URLRouter(websocket_urlpatterns)),
    }
)
