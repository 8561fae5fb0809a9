"""The back office: Django's admin site for the bureau, with every change in the audit trail.

Who may enter: an active account with the staff flag that is a superuser (the operator) or a bureau user
(市科技局). Inside, the bureau may do what the registered ModelAdmins allow without Django's per-model
permission rows: the programme has one back-office role, and a grid of permissions nobody maintains
would only be a second, silently diverging access rule. County and township staff work in the apps
and the API, where area scoping applies; the admin has none, so it stays the city's.

Every addition, change and deletion made here is written to `AuditEvent` (action "admin") beside
Django's own LogEntry, so the one trail a PIPL review reads covers the back office too. The login form
counts against the same guessing limits as the API (config/urls.py installs `AdminLoginForm`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def is_back_office_user(user: Any) -> bool:
    """Superusers, and bureau users with the staff flag."""
    if not (getattr(user, "is_active", False) and getattr(user, "is_staff", False)):
        return False
    return bool(user.is_superuser or getattr(user, "role", None) == "bureau")


class BureauAdminSite(admin.AdminSite):
    site_header = _("Baise S&T commissioners: back office")
    site_title = _("Back office")
    index_title = _("Programme data")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_back_office_user(request.user)


class BureauAdminConfig(AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS, so `admin.site` is the bureau's site."""

    default_site = "accounts.admin_site.BureauAdminSite"


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin the bureau may use, whose every change lands in the audit trail.

    Django calls the log_* hooks after each successful add, change (inlines included, in the change
    message) and deletion, bulk "delete selected" too; hooking there catches all of them in one place.
    Subclasses narrow what may be done (`read_only`)."""

    read_only = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_back_office_user(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_back_office_user(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return not self.read_only and is_back_office_user(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and is_back_office_user(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and is_back_office_user(request.user)

    def _audit(self, request: HttpRequest, operation: str, obj: Any, message: Any = "") -> None:
        # Here, not at the top: this module is an AppConfig (INSTALLED_APPS), loaded before any model.
        from .audit import audit_record
        from .models import AuditAction

        meta = obj._meta
        audit_record(request, action=AuditAction.ADMIN, subject=f"admin.{meta.app_label}.{meta.model_name}",
                     operation=operation, pk=str(obj.pk), object=str(obj)[:200], change=message)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any):
        entry = super().log_addition(request, obj, message)
        self._audit(request, "add", obj, message)
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any):
        entry = super().log_change(request, obj, message)
        self._audit(request, "change", obj, message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any):
        # Called before the rows are deleted, with the objects still whole.
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj in objects:
            self._audit(request, "delete", obj)
        return entries


class ReadOnlyInline(admin.TabularInline):
    """History shown beside its record, never edited there."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_back_office_user(request.user)
