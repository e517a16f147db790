"""The OpenAPI schema validates without warnings and is served with its interactive docs."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

MAIN_PATHS = [
    "/api/v1/requests/",
    "/api/v1/requests/{id}/",
    "/api/v1/plekken/",
    "/api/v1/plekken/{id}/",
    "/api/v1/locations/",
    "/api/v1/sources/",
    "/api/v1/sources/{id}/",
    "/api/v1/placements/",
    "/api/v1/placements/{id}/",
    "/api/v1/organisations/",
    "/api/v1/regions/",
    "/api/v1/opleidingen/",
    "/api/v1/postcode-areas/",
    "/api/v1/me/",
]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning (a field it cannot type, a name
    # clash between components) into a failing command, not a line in the log.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_the_schema_validates_and_holds_the_main_paths(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Leerplek API"
    missing = [path for path in MAIN_PATHS if path not in schema["paths"]]
    assert missing == []


def test_the_schema_documents_writes_lists_and_auth(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/requests/"]) >= {"get", "post"}
    assert set(paths["/api/v1/requests/{id}/"]) >= {"get", "put", "patch", "delete"}
    # lists are paginated and filterable
    list_params = {p["name"] for p in paths["/api/v1/requests/"]["get"]["parameters"]}
    assert {"page", "page_size", "ordering", "status", "doelgroep"} <= list_params
    # token and session authentication
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    # nothing a client may not set appears in the request body of a request
    request_body = schema["components"]["schemas"]["PlacementRequestRequest"]["properties"]
    assert not {"school", "status", "region", "id"} & set(request_body)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/requests/",
        "/api/v1/plekken/",
        "/api/v1/locations/",
        "/api/v1/sources/",
        "/api/v1/placements/{id}/accept/",
        "/api/v1/placements/{id}/decline/",
    ],
)
def test_idempotent_posts_document_the_header(schema, path):
    params = schema["paths"][path]["post"].get("parameters", [])
    headers = [p["name"] for p in params if p["in"] == "header"]
    assert headers == ["Idempotency-Key"]


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/requests/" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
