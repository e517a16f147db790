"""One JSON error shape for the whole API (and the imports):

    {"type": "validation_error",
     "errors": [{"path": "preferences[2]", "code": "...", "message": "..."}]}

`type` is validation_error (400), client_error (401/403/404/405/409/413/415/429) or
server_error. A 409 also carries `current_state`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainValidationError, FieldError, InvalidTransition, NotPermitted


def flatten_errors(detail: Any, path: str = "") -> list[FieldError]:
    """DRF's nested error detail → a flat list with field paths like `rows[3].crebo`."""
    if isinstance(detail, dict):
        out: list[FieldError] = []
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                sub = f"{path}[{key}]"  # a list item's error (ListField reports a dict)
            else:
                key = "" if key in ("non_field_errors", "__all__") else str(key)
                sub = f"{path}.{key}" if path and key else (path or key)
            out.extend(flatten_errors(value, sub))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [
                FieldError(path, getattr(item, "code", "invalid") or "invalid", str(item))
                for item in detail
            ]
        out = []
        for index, item in enumerate(detail):
            if item in ({}, [], None):
                continue
            out.extend(flatten_errors(item, f"{path}[{index}]"))
        return out
    return [FieldError(path, getattr(detail, "code", "invalid") or "invalid", str(detail))]


def error_body(kind: str, errors: list[FieldError], **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "errors": [{"path": e.path, "code": e.code, "message": e.message} for e in errors],
        **extra,
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainValidationError):
        return Response(
            error_body("validation_error", exc.errors), status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, InvalidTransition):
        return Response(
            error_body(
                "client_error",
                [FieldError("", "invalid_state", str(exc))],
                current_state=exc.current_state,
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotPermitted):
        return Response(
            error_body("client_error", [FieldError("", "permission_denied", str(exc))]),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, IntegrityError):
        # A constraint caught what validation let through (usually a concurrent change).
        return Response(
            error_body(
                "client_error",
                [
                    FieldError(
                        "",
                        "conflict",
                        "The change conflicts with the current data; reload and retry.",
                    )
                ],
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("validation_error", flatten_errors(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = error_body("client_error", [FieldError("", str(code), str(exc.detail))])
    return response
