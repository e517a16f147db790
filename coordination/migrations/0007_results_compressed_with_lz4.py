"""A run's stored result (1.4 MB of JSON at 10,000 requests, written by every run) and an
analysis's results compressed with lz4 instead of pglz: writing one took 46-50 ms in
PostgreSQL with pglz, 28 ms with lz4 (docs/benchmarks.md, issue 10's seventh step).

lz4 needs PostgreSQL built with it (the Debian packages and the official images are); where
it is not, the columns keep pglz. Only new values are compressed the new way.
"""

from django.db import migrations

COLUMNS = [("AllocationRun", "result"), ("AnalysisJob", "base_result"), ("AnalysisJob", "result")]


def _set_compression(apps, schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    qn = schema_editor.quote_name
    for model, field in COLUMNS:
        meta = apps.get_model("coordination", model)._meta
        table, column = qn(meta.db_table), qn(meta.get_field(field).column)
        schema_editor.execute(
            f"""
            DO $$ BEGIN
                ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method};
            EXCEPTION WHEN feature_not_supported THEN NULL;
            END $$
            """
        )


def forwards(apps, schema_editor) -> None:
    _set_compression(apps, schema_editor, "lz4")


def backwards(apps, schema_editor) -> None:
    _set_compression(apps, schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0006_run_failures_and_analysis_jobs"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
