# The Event model moved here from the notifications app; its table (notifications_event),
# indexes and constraints stay as they are, so only Django's model state changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('placements', '0001_initial'),
        ('notifications', '0002_notification'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.BigIntegerField()),
                        ('type', models.CharField(max_length=60)),
                        ('version', models.PositiveSmallIntegerField(default=1)),
                        ('payload', models.JSONField(default=dict)),
                        ('audience', models.JSONField(default=list)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='placements.region')),
                    ],
                    options={
                        'db_table': 'notifications_event',
                        'ordering': ['region', 'seq'],
                        'indexes': [models.Index(condition=models.Q(('published_at__isnull', True)), fields=['created_at'], name='event_unpublished')],
                        'constraints': [models.UniqueConstraint(fields=('region', 'seq'), name='event_seq_unique_per_region')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
