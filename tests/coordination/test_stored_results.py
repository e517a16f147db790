"""Run and analysis results are stored as json text (core/fields.py) and read back whole."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.db import connection

from coordination.models import AllocationRun, AnalysisJob, RunStatus

pytestmark = pytest.mark.django_db

DOCUMENT = {
    "format": "leerplek-allocation-result",
    "assignments": [{"request_id": 1, "plek_id": 2, "draws": [{"load_hours": 1.5}]}],
    "unplaced": [{"suggestion": "één plek méér in 'Zeist'\t\\ \"quoted\"\n"}],
    "gap": 0.0123456789012345,
    "stats": {"empty": {}, "none": None, "list": []},
}


def test_a_result_reads_back_as_it_was_written(world):
    run = AllocationRun.objects.create(
        region=world.region, status=RunStatus.FINISHED, result=DOCUMENT
    )

    assert AllocationRun.objects.get(pk=run.pk).result == DOCUMENT
    assert AllocationRun.objects.values_list("result", flat=True).get(pk=run.pk) == DOCUMENT
    # Written again by an update, as a run stores its result.
    AllocationRun.objects.filter(pk=run.pk).update(result={**DOCUMENT, "gap": 0.5})
    assert AllocationRun.objects.get(pk=run.pk).result["gap"] == 0.5


def test_a_missing_result_is_null_and_can_be_filtered_out(world):
    empty = AllocationRun.objects.create(region=world.region, status=RunStatus.FAILED)
    full = AllocationRun.objects.create(
        region=world.region, status=RunStatus.FINISHED, result=DOCUMENT
    )

    assert AllocationRun.objects.get(pk=empty.pk).result is None
    kept = AllocationRun.objects.filter(region=world.region, result__isnull=False)
    assert list(kept.values_list("pk", flat=True)) == [full.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's column types")
def test_results_are_json_columns_compressed_with_lz4_where_postgresql_has_it():
    columns = [
        (AllocationRun, "result"),
        (AnalysisJob, "result"),
        (AnalysisJob, "base_result"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                       "AND 'lz4' = ANY(enumvals)")  # fmt: skip
        has_lz4 = cursor.fetchone() is not None
        for model, field in columns:
            cursor.execute(
                "SELECT atttypid::regtype::text, attcompression FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attname = %s",
                [model._meta.db_table, model._meta.get_field(field).column],
            )
            assert cursor.fetchone() == ("json", "l" if has_lz4 else "")


def test_numpy_numbers_tuples_and_number_keys_are_written_as_json_writes_them(world):
    document = {"gap": np.float64(0.25), "placed": np.int64(7), "pair": (1, 2), "by_id": {3: "x"}}
    run = AllocationRun.objects.create(
        region=world.region, status=RunStatus.FINISHED, result=document
    )

    stored = AllocationRun.objects.get(pk=run.pk).result
    assert stored == {"gap": 0.25, "placed": 7, "pair": [1, 2], "by_id": {"3": "x"}}
    assert stored == json.loads(json.dumps({**document, "gap": 0.25, "placed": 7}))
