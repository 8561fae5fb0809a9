"""Areas and categories in the back office (accounts/admin_site.py: who, and the audit trail).

Areas: names only (see AreaAdmin).
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_site import AuditedModelAdmin

from .models import Area, AreaPositionChange, Category


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    """Areas come from the national divisions (`import_divisions`, `start_pilot`): their codes are the
    keys every record and every scope rule reads, and county_code / township_code are derived from them,
    so they are neither added nor deleted nor re-coded here. Positions and fences are read-only too: a
    change must re-judge the village's check-ins (docs/geo.md), which a form field would skip. What the
    bureau changes here is a name (a village renamed, a typo)."""

    list_display = ["code", "name", "level", "parent", "position_source"]
    list_filter = ["level", "position_source"]
    search_fields = ["code", "name"]
    ordering = ["code"]
    fields = ["code", "name", "level", "parent", "county_code", "township_code", "lat", "lng", "position_source",
              "fence_radius_m"]
    readonly_fields = ["code", "level", "parent", "county_code", "township_code", "lat", "lng", "position_source",
                       "fence_radius_m"]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en", "sort_order"]
    search_fields = ["code", "name", "name_en"]


@admin.register(AreaPositionChange)
class AreaPositionChangeAdmin(AuditedModelAdmin):
    """The trail of surveyed positions (`PUT /areas/{code}/position`, the positions import): read here,
    written only by the services that also re-judge the village's check-ins."""

    read_only = True
    list_display = ["area", "via", "lat", "lng", "accuracy_m", "crs", "from_source", "actor", "at"]
    list_filter = ["via"]
    search_fields = ["area__code", "area__name"]
    list_select_related = ["area", "actor"]
