"""People in the back office: find, create, change, deactivate, reset a password; read the audit trail.

No password field anywhere: a new person and a reset get a temporary password, shown once to the
operator, that must be changed at the next login. Deactivation goes through `user_deactivate`, so
tokens, refresh tokens, websockets and browser sessions end at once.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

from . import services
from .admin_site import AuditedModelAdmin, is_back_office_user
from .models import PHONE_REGEX, AuditEvent, User
from .names import NameInvalid, person_name_clean


class UserAddForm(forms.ModelForm):
    """The API's rules for a new person (phone, name, a role at its area's level), checked as a form."""

    class Meta:
        model = User
        fields = ["phone", "name", "role", "area"]

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not re.match(PHONE_REGEX, phone):
            raise ValidationError(_("The phone must be an 11-digit mainland mobile number."))
        return phone

    def clean_name(self) -> str:
        try:
            return person_name_clean(self.cleaned_data["name"])
        except NameInvalid as exc:
            raise ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        role, area = cleaned.get("role"), cleaned.get("area")
        if role and area:
            try:
                services.area_for_role(role, area.code)
            except DomainError as exc:
                self.add_error("area", str(exc.message))
        return cleaned


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "area", "is_active", "is_staff", "is_superuser"]

    def clean_name(self) -> str:
        try:
            return person_name_clean(self.cleaned_data["name"])
        except NameInvalid as exc:
            raise ValidationError(str(exc)) from None


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    list_display = ["phone", "name", "role", "area", "is_active", "is_staff", "password_change_required",
                    "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["phone", "name", "area__name", "area__code"]
    list_select_related = ["area"]
    autocomplete_fields = ["area"]
    ordering = ["-date_joined"]
    actions = ["deactivate", "reset_password"]
    readonly_fields = ["phone", "role", "password_change_required", "date_joined", "last_login"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = UserChangeForm if obj is not None else UserAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["phone", "name", "role", "area"]
        return ["phone", "name", "role", "area", "is_active", "is_staff", "is_superuser",
                "password_change_required", "date_joined", "last_login"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        fields = list(self.readonly_fields)
        if not request.user.is_superuser:
            # Only the operator hands out back-office access or superuser rights, or edits a superuser.
            fields += ["is_staff", "is_superuser"]
            if obj.is_superuser:
                fields += ["name", "area", "is_active"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People are deactivated, never deleted: their dispatches, check-ins and trainings are the record.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        if not change:
            temporary = services.temporary_password()
            # The form checked what user_create checks; what is left is a race on the phone (a 409 in the API).
            user = services.user_create(actor=None, phone=obj.phone, password=temporary, name=obj.name,
                                        role=obj.role, area_code=obj.area_id)
            user.password_change_required = True
            user.save(update_fields=["password_change_required"])
            obj.pk = user.pk
            obj.refresh_from_db()
            self.message_user(request, _("Temporary password for %(phone)s: %(password)s (shown once; they must "
                                         "change it at their first login).") % {"phone": obj.phone,
                                                                                 "password": temporary},
                              messages.WARNING)
            return
        deactivating = "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True  # the service turns it off, and ends every session
        super().save_model(request, obj, form, change)
        if deactivating:
            services.user_deactivate(user=obj)

    @admin.action(description=_("Deactivate the selected people (their sessions end now)"))
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for user in queryset.exclude(pk=request.user.pk).filter(is_active=True):
            if user.is_superuser and not request.user.is_superuser:
                continue
            services.user_deactivate(user=user)
            self.log_change(request, user, [{"changed": {"fields": ["is_active"]}}])
            done += 1
        self.message_user(request, _("%(count)d people deactivated.") % {"count": done})

    @admin.action(description=_("Reset the selected people's passwords"))
    def reset_password(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset.select_related("area"):
            try:
                temporary = services.password_reset(actor=request.user, user=user)
            except DomainError as exc:
                self.message_user(request, f"{user.phone}: {exc.message}", messages.ERROR)
                continue
            self.log_change(request, user, [{"changed": {"fields": ["password"]}}])
            self.message_user(request, _("Temporary password for %(phone)s: %(password)s (shown once; they must "
                                         "change it at their first login).") % {"phone": user.phone,
                                                                                 "password": temporary},
                              messages.WARNING)


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedModelAdmin):
    """The trail itself: readable, never editable, here as anywhere."""

    read_only = True
    list_display = ["at", "action", "subject", "actor", "ip"]
    list_filter = ["action"]
    search_fields = ["subject", "actor__phone", "actor__name"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_back_office_user(request.user)
