"""Idempotent POSTs: a repeated `Idempotency-Key` returns the first answer, creates nothing new.

The record is written in the same transaction as the change. Two identical requests racing
each other meet at the unique (user, key) index: the loser's whole transaction rolls back
and it replays the winner's answer, so exactly one change commits.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import error_body
from core.errors import FieldError
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

# Documented on every decorated operation, so clients find the header in /api/schema/.
SCHEMA_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Repeat a POST safely: the same key (1 to 255 characters, per user) returns the first "
        "answer with `Idempotent-Replayed: true` and creates nothing new; the same key with a "
        "different request is a 422."
    ),
)


def _fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path, parsed fields and uploaded files.

    Parsed data rather than the raw body: a multipart retry carries a new random boundary,
    and the raw body may already be consumed (CSRF checks read uploads first).
    """
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    fields = {
        key: (request.data.getlist(key) if hasattr(request.data, "getlist") else request.data[key])
        for key in request.data
        if key not in request.FILES
    }
    digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\n{name}={upload.name}:{upload.size}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_fingerprint != fingerprint:
        return Response(
            error_body(
                "client_error",
                [
                    FieldError(
                        "headers.Idempotency-Key",
                        "key_reused",
                        "This Idempotency-Key was used for a different request.",
                    )
                ],
            ),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a POST handler of a DRF view to honour the Idempotency-Key header."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            return Response(
                error_body(
                    "validation_error",
                    [FieldError("headers.Idempotency-Key", "invalid", "1 to 255 characters.")],
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = _fingerprint(request)
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        request_fingerprint=fingerprint,
                        response_status=response.status_code,
                        response_body=response.data,
                    )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if existing is None:
                raise
            return _replay(existing, fingerprint)
        return response

    return extend_schema(parameters=[SCHEMA_PARAMETER])(wrapper)
