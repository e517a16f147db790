from __future__ import annotations

from django.contrib import admin

from placements import models


class DoelgroepSettingInline(admin.TabularInline):
    model = models.DoelgroepSetting
    extra = 0


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "proposal_expiry_days", "peer_hours", "peer_share"]
    search_fields = ["name", "code"]
    inlines = [DoelgroepSettingInline]


@admin.register(models.DoelgroepSetting)
class DoelgroepSettingAdmin(admin.ModelAdmin):
    list_display = ["region", "doelgroep", "default_load_hours"]
    list_filter = ["region", "doelgroep"]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(models.PostcodeArea)
class PostcodeAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "municipality", "latitude", "longitude"]
    search_fields = ["code", "municipality"]


@admin.register(models.Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "postcode", "city"]
    list_filter = ["organisation__region", "city"]
    search_fields = ["name", "city", "postcode", "organisation__name"]


@admin.register(models.Opleiding)
class OpleidingAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "niveau", "leerweg"]
    list_filter = ["niveau", "leerweg"]
    search_fields = ["name", "code"]


@admin.register(models.Plek)
class PlekAdmin(admin.ModelAdmin):
    list_display = [
        "team",
        "organisation",
        "location",
        "sector",
        "seats",
        "start_date",
        "end_date",
        "status",
    ]
    list_filter = ["region", "sector", "status", "is_leerafdeling"]
    search_fields = ["team", "organisation__name", "location__name"]
    filter_horizontal = ["opleidingen"]
    raw_id_fields = ["location"]


@admin.register(models.SupervisionSource)
class SupervisionSourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "organisation",
        "hours_per_week",
        "start_date",
        "end_date",
        "active",
    ]
    list_filter = ["region", "kind", "active"]
    search_fields = ["name", "organisation__name"]
    raw_id_fields = ["location", "plek", "school"]


class RequestPreferenceInline(admin.TabularInline):
    model = models.RequestPreference
    extra = 0
    raw_id_fields = ["plek"]


@admin.register(models.PlacementRequest)
class PlacementRequestAdmin(admin.ModelAdmin):
    list_display = [
        "student_pseudonym",
        "school",
        "opleiding",
        "doelgroep",
        "start_date",
        "end_date",
        "priority",
        "status",
    ]
    list_filter = ["region", "status", "doelgroep", "priority"]
    search_fields = ["student_pseudonym", "school__name"]
    raw_id_fields = ["opleiding", "home_postcode", "created_by"]
    inlines = [RequestPreferenceInline]


class PlacementSupervisionInline(admin.TabularInline):
    model = models.PlacementSupervision
    extra = 0
    raw_id_fields = ["source"]


@admin.register(models.Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["request", "plek", "status", "proposed_at", "expires_at"]
    list_filter = ["status", "plek__region"]
    raw_id_fields = ["request", "plek", "allocation_run"]
    inlines = [PlacementSupervisionInline]


@admin.register(models.RequestPreference)
class RequestPreferenceAdmin(admin.ModelAdmin):
    list_display = ["request", "plek", "rank"]
    raw_id_fields = ["request", "plek"]


@admin.register(models.PlacementSupervision)
class PlacementSupervisionAdmin(admin.ModelAdmin):
    list_display = ["placement", "source", "load_hours", "source_hours"]
    raw_id_fields = ["placement", "source"]
