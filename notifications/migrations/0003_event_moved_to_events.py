# Event moved to the events app (same table): point the notification at it, then forget the
# old model. Only Django's model state changes; the database stays as it is.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0001_initial'),
        ('notifications', '0002_notification'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='notification',
                    name='event',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='events.event'),
                ),
                migrations.DeleteModel(name='Event'),
            ],
            database_operations=[],
        ),
    ]
