"""Run and analysis results as PostgreSQL's json (the text as written) instead of jsonb:
written whole by every run and read whole, never queried inside, and jsonb's parsing took
most of a run's write (core/fields.py, StoredJSONField).

Changing the type resets the columns' compression, so lz4 is set again (migration 0007),
after the change and, going back, after the change back.
"""

from importlib import import_module

from django.db import migrations

import core.fields

lz4 = import_module("coordination.migrations.0007_results_compressed_with_lz4")


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0007_results_compressed_with_lz4"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, lz4.forwards),
        migrations.AlterField(
            model_name="allocationrun",
            name="result",
            field=core.fields.StoredJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="analysisjob",
            name="base_result",
            field=core.fields.StoredJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="analysisjob",
            name="result",
            field=core.fields.StoredJSONField(blank=True, null=True),
        ),
        migrations.RunPython(lz4.forwards, migrations.RunPython.noop),
    ]
