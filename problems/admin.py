"""Problems in the back office (accounts/admin_site.py: who, and the audit trail).

Read-only: a problem's life is the API's (post, claim, resolve, confirm), and the back office shows it
whole, with its claims and its history.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_site import AuditedModelAdmin, ReadOnlyInline

from .models import Claim, Problem, ProblemEvent


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
