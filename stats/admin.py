"""The plan's targets in the back office (accounts/admin_site.py: who, and the audit trail)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts.admin_site import AuditedModelAdmin
from core.errors import Invalid

from .models import PlanBaseline, Target
from .services import target_check

# target_check names the area `area_code`, as the API does; the form's field is `area`.
_FORM_FIELD = {"area_code": "area"}


class TargetForm(forms.ModelForm):
    """The API's rules for a target (stats/services.py: target_check), so that the back office cannot
    store a target the API would refuse: a known counting rule, the city or one of its counties, a
    period that does not end before it starts."""

    class Meta:
        model = Target
        fields = ["code", "name", "unit", "value", "period_start", "period_end", "area", "rule", "sort_order",
                  "baseline_value", "baseline_label"]

    def clean(self):
        cleaned = super().clean()
        start, end, rule = cleaned.get("period_start"), cleaned.get("period_end"), cleaned.get("rule")
        if start and end and rule:
            area = cleaned.get("area")
            try:
                target_check(rule=rule, area_code=area.code if area else None, period_start=start, period_end=end)
            except Invalid as exc:
                for name, message in exc.fields.items():
                    field = _FORM_FIELD.get(name, name)
                    self.add_error(field if field in self.fields else None, str(message))
        return cleaned


@admin.register(Target)
class TargetAdmin(AuditedModelAdmin):
    form = TargetForm
    list_display = ["code", "name", "value", "unit", "rule", "area", "period_start", "period_end",
                    "baseline_value", "baseline_label"]
    list_filter = ["rule"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area"]


@admin.register(PlanBaseline)
class PlanBaselineAdmin(AuditedModelAdmin):
    """The previous plan's results shown beside today's (十三五: 1,724 人次…); the bureau corrects a figure
    here. The measure says which of today's figures it stands beside."""

    list_display = ["code", "name", "value", "unit", "at_least", "period_label", "measure", "sort_order"]
    list_filter = ["period_label", "measure"]
    search_fields = ["code", "name"]
