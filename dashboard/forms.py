from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.errors import RateLimited
from core.ratelimits import client_ip, login_attempt_begin


class LoginLimitsMixin:
    """The API login's guessing limits for a browser login form (core/ratelimits.py): the dashboard and
    the admin site are further doors to the same accounts, so they count against the same allowances."""

    rate_limited = False

    def clean(self):
        phone = self.cleaned_data.get("username")
        attempt = None
        if phone:
            try:
                attempt = login_attempt_begin(phone, client_ip(self.request))
            except RateLimited as exc:
                self.rate_limited = True
                raise forms.ValidationError(
                    _("Too many attempts; try again in %(minutes)s minutes."), code="rate_limited",
                    params={"minutes": max(1, -(-exc.retry_after // 60))},
                ) from exc
        cleaned = super().clean()  # raises on a wrong password or an inactive account: the attempt counts
        if attempt is not None:
            attempt.succeeded()
        return cleaned


class PhoneLoginForm(LoginLimitsMixin, AuthenticationForm):
    """The accounts' phone and password, with the API login's guessing limits."""

    username = forms.CharField(
        label="手机号", max_length=11,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "numeric"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("The phone number or password is wrong."),
        "inactive": _("This account is deactivated."),
    }


class AdminLoginForm(LoginLimitsMixin, AdminAuthenticationForm):
    """The admin site's login (config/urls.py installs it), limited like every other login."""
