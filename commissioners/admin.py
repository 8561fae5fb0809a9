"""Dispatches (选派) in the back office: the record the plan's first target counts, corrected by the bureau.

Who may, and the audit trail: accounts/admin_site.py.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_site import AuditedModelAdmin

from .models import Dispatch


@admin.register(Dispatch)
class DispatchAdmin(AuditedModelAdmin):
    list_display = ["id", "commissioner", "village", "starts_on", "ends_on", "dispatched_by", "created_at"]
    list_filter = ["starts_on"]
    search_fields = ["commissioner__name", "commissioner__phone", "village__name", "village__code"]
    list_select_related = ["commissioner", "village", "dispatched_by"]
    autocomplete_fields = ["commissioner", "village", "dispatched_by"]
    date_hierarchy = "starts_on"
    readonly_fields = ["created_at"]
