"""The audit trail: one call wherever personal details are read or figures leave the service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.ratelimits import client_ip

from .models import AuditEvent


def audit_record(request: HttpRequest, *, action: str, subject: str, **detail: Any) -> AuditEvent:
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    actor = user if getattr(user, "pk", None) else None
    return AuditEvent.objects.create(actor=actor, action=action, subject=subject, detail=detail,
                                     ip=client_ip(request))
