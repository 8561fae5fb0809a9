"""Areas, categories and problems in the back office (accounts/admin_site.py: who, and the audit trail).

A village's position is not edited here: positions come from a survey import or staff on site, and a
change re-judges the village's check-ins (docs/geo.md), which a form field would skip. Problems are
read-only: their life is the API's (post, claim, resolve, confirm), and the back office shows it whole.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_site import AuditedModelAdmin, ReadOnlyInline
from commissioners.models import Claim

from .models import Area, Category, Problem, ProblemEvent


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "parent", "position_source"]
    list_filter = ["level", "position_source"]
    search_fields = ["code", "name"]
    ordering = ["code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["county_code", "township_code", "lat", "lng", "position_source", "cell"]
    exclude = ["geometry"]

    def get_readonly_fields(self, request, obj=None):
        # The code is the key every record points at; a new area is given one, an existing one keeps it.
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en", "sort_order"]
    search_fields = ["code", "name", "name_en"]


class ProblemEventInline(ReadOnlyInline):
    model = ProblemEvent
    fields = ["at", "kind", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    ordering = ["at", "id"]


class ClaimInline(ReadOnlyInline):
    model = Claim
    fields = ["created_at", "commissioner", "status", "message", "decided_at"]
    readonly_fields = fields


@admin.register(Problem)
class ProblemAdmin(AuditedModelAdmin):
    read_only = True
    list_display = ["id", "title", "village", "category", "status", "urgency", "created_at"]
    list_filter = ["status", "urgency", "category"]
    search_fields = ["title", "village__name", "village__code"]
    list_select_related = ["village", "category"]
    date_hierarchy = "created_at"
    inlines = [ClaimInline, ProblemEventInline]
    exclude = ["client_id", "cell"]
