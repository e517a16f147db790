from __future__ import annotations

from django.contrib import admin

from coordination import models


@admin.register(models.AllocationRun)
class AllocationRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "region",
        "status",
        "trigger",
        "placed",
        "unplaced",
        "upper_bound",
        "created_at",
    ]
    list_filter = ["region", "status"]


@admin.register(models.UnplacedRequest)
class UnplacedRequestAdmin(admin.ModelAdmin):
    list_display = ["run", "request", "reason", "criterion"]
    list_filter = ["reason"]
    raw_id_fields = ["run", "request"]
