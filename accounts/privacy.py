"""Personal information: who sees a phone number whole (PIPL: minimum necessary)."""

from __future__ import annotations

from .models import Role, User


def masked_phone(phone: str) -> str:
    """136****8888: enough to recognise a number, not to call it."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def phone_for(viewer: User, subject_id: int, phone: str) -> str:
    """The person themselves and the bureau see the number; everyone else a masked one."""
    if viewer.pk == subject_id or viewer.role == Role.BUREAU:
        return phone
    return masked_phone(phone)
