"""/health/ for load balancers and container healthchecks.

Answered before any other middleware: a healthcheck calls the container by its own address
(`http://127.0.0.1:8000/health/`), which is neither an allowed host nor HTTPS, so the host
validation would answer 400 and the HTTPS redirect 301, and the service would look down.
It reports whether this process can reach its database.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

PATH = "/health/"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        return JsonResponse({"status": "ok", "database": "ok"})
