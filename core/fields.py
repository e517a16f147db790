"""Model fields shared by the apps."""

from __future__ import annotations

import functools
import json
from typing import Any

import orjson
from django.db import models
from psycopg.types.json import Json

# numpy's scalars as numbers, as json.dumps does for its floats; keys that are not strings
# as strings, as json.dumps does.
_ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_ORJSON_OPTIONS)


class StoredJSONField(models.JSONField):
    """JSON kept as written (PostgreSQL's ``json`` type), for documents stored whole and
    read whole, never queried inside.

    ``jsonb`` parses every value into its binary form on the way in and prints it again on
    the way out: for an allocation run's result (1.4 MB at 10,000 requests, written by
    every run) that took 42-70 ms of each write, against 9-15 ms for ``json``, which only
    checks the text (docs/benchmarks.md, issue 10). Written by orjson unless the field has
    an encoder of its own: 2 ms for that result against 15-25 ms for json.dumps. Lookups
    into the document (``__key``, ``__contains``) need jsonb and are not offered here;
    ``__isnull`` works. Other databases store it as Django's JSONField does.
    """

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        # Sent as json, not as Django's jsonb: the server would parse it as jsonb first.
        if self.encoder is None:
            return Json(value, dumps=_dumps)
        return Json(value, dumps=functools.partial(json.dumps, cls=self.encoder))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or isinstance(value, str):
            return super().from_db_value(value, expression, connection)
        return value  # psycopg parsed the json column already (its json loader)
