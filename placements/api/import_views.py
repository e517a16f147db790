"""Bulk import endpoints: upload a CSV or XLSX file, get all rows created or none.

    POST /api/v1/requests/import/   (schools)
    POST /api/v1/plekken/import/    (care organisations)
    POST /api/v1/sources/import/    (care organisations)

Multipart with one field, `file`. 201 `{"created": N, "ids": [...]}`; 400 with every bad
row in the shared error shape, each error also carrying `row` and `column`; 403 for
organisations of the wrong kind and viewers; 413 for files over IMPORT_MAX_BYTES.
Columns and formats: docs/imports.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_body
from core.api.idempotency import idempotent
from core.errors import FieldError
from placements import selectors
from placements.api.permissions import IsMember
from placements.imports.importers import (
    KINDS,
    ImportNotAllowed,
    ImportResult,
    check_allowed,
    import_file,
)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV (UTF-8, comma or semicolon separated) or XLSX (first sheet); "
        "the first row holds the column names."
    )


class ImportCreatedSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Number of rows created.")
    ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the created objects, in file order."
    )


class ImportErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="e.g. rows[3].crebo, columns.school or file.")
    row = serializers.IntegerField(
        allow_null=True, help_text="Spreadsheet row: 1 is the header, 2 the first data row."
    )
    column = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    type = serializers.CharField()
    errors = ImportErrorItemSerializer(many=True)


def result_body(result: ImportResult) -> dict[str, Any]:
    """The shared error shape, with `row` and `column` beside each path."""
    body = error_body(
        "validation_error", [FieldError(e.path, e.code, e.message) for e in result.errors]
    )
    for item, error in zip(body["errors"], result.errors, strict=True):
        item["row"] = error.row
        item["column"] = error.column
    return body


class _ImportView(APIView):
    permission_classes = [IsAuthenticated, IsMember]
    parser_classes = [MultiPartParser, FormParser]
    kind = ""

    def _upload(self, request: Request) -> Any:
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError(
                {
                    "file": [
                        exceptions.ErrorDetail("Upload the file in the field 'file'.", "required")
                    ]
                }
            )
        return upload

    @idempotent
    def _import(self, request: Request) -> Response:
        organisation = selectors.organisation_of(request.user)
        try:
            check_allowed(KINDS[self.kind], organisation, request.user)
        except ImportNotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        upload = self._upload(request)
        max_bytes = settings.IMPORT_MAX_BYTES
        if upload.size > max_bytes:
            return Response(
                error_body(
                    "client_error",
                    [
                        FieldError(
                            "file",
                            "too_large",
                            f"The file is larger than {max_bytes // 1024} KB; split it into parts.",
                        )
                    ],
                ),
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        result = import_file(
            self.kind,
            organisation,
            request.user,
            upload.read(),
            upload.name or "",
            max_bytes=max_bytes,
        )
        if not result.ok:
            return Response(result_body(result), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": result.created, "ids": result.ids}, status=status.HTTP_201_CREATED
        )


def _schema(kind: str, summary: str) -> Any:
    columns = ", ".join(
        f"`{c.name}`{'' if c.required else ' (optional)'}" for c in KINDS[kind].columns
    )
    return extend_schema(
        summary=summary,
        description=(
            "All or nothing: one bad row saves no row, and a 400 lists every bad row with "
            "its spreadsheet row number (header = row 1) and column. Owners come from your "
            f"account, never from the file. Columns: {columns}. See docs/imports.md."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Repeat an upload safely: the same key returns the first answer.",
            )
        ],
        responses={
            201: ImportCreatedSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description="Bad rows; nothing saved."),
            403: OpenApiResponse(ImportErrorSerializer, description="Not allowed to import."),
            413: OpenApiResponse(ImportErrorSerializer, description="File too large."),
        },
    )


class RequestImportView(_ImportView):
    kind = "requests"

    @_schema("requests", "Import placement requests from CSV or XLSX (schools)")
    def post(self, request: Request) -> Response:
        return self._import(request)


class PlekImportView(_ImportView):
    kind = "plekken"

    @_schema("plekken", "Import plekken from CSV or XLSX (care organisations)")
    def post(self, request: Request) -> Response:
        return self._import(request)


class SourceImportView(_ImportView):
    kind = "sources"

    @_schema("sources", "Import supervision sources from CSV or XLSX (care organisations)")
    def post(self, request: Request) -> Response:
        return self._import(request)
