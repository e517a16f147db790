from __future__ import annotations

from django.contrib import admin

from notifications import models


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "event", "placement"]
