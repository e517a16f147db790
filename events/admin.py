from __future__ import annotations

from django.contrib import admin

from events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["region", "seq", "type", "created_at", "published_at"]
    list_filter = ["region", "type"]
    readonly_fields = [f.name for f in Event._meta.fields]
