"""The plan's targets in the back office (accounts/admin_site.py: who, and the audit trail)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_site import AuditedModelAdmin

from .models import Target


@admin.register(Target)
class TargetAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "value", "unit", "rule", "area", "period_start", "period_end"]
    list_filter = ["rule"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area"]
