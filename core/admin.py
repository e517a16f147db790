from __future__ import annotations

from django.contrib import admin

from core.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "key", "method", "path", "response_status", "created_at"]
    search_fields = ["key", "user__username"]
    readonly_fields = [f.name for f in IdempotencyRecord._meta.fields]
