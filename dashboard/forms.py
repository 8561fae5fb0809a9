from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.errors import RateLimited
from core.ratelimits import client_ip, rate_limit_hit


class PhoneLoginForm(AuthenticationForm):
    """The accounts' phone and password, with the API login's guessing limits: the page is a second
    door to the same accounts, so it counts against the same allowances (settings.RATE_LIMITS)."""

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
        "rate_limited": _("Too many attempts; try again in %(minutes)s minutes."),
    }

    rate_limited = False

    def clean(self):
        try:
            rate_limit_hit("login_ip", client_ip(self.request))
            if self.cleaned_data.get("username"):
                rate_limit_hit("login_phone", self.cleaned_data["username"])
        except RateLimited as exc:
            self.rate_limited = True
            raise forms.ValidationError(
                self.error_messages["rate_limited"], code="rate_limited",
                params={"minutes": max(1, -(-exc.retry_after // 60))},
            ) from exc
        return super().clean()
