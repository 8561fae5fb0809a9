"""Personal information: who sees a phone number whole (PIPL art. 6: minimum necessary).

The rule (contract v1.1, `GET /users`): the person themselves, the bureau, and county staff for the
people of their county or dispatched into it see the number; everyone else a masked one. Who that
is lives in accounts/scoping.py (`whole_phone_q`); this module applies it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Role, User
from .scoping import whole_phone_q


def masked_phone(phone: str) -> str:
    """136****8888: enough to recognise a number, not to call it."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def whole_phone_ids(viewer: User, user_ids: Iterable[int]) -> set[int]:
    """Of ``user_ids``, those whose number ``viewer`` sees whole. At most one query, for a whole page."""
    ids = set(user_ids)
    if viewer.role == Role.BUREAU:
        return ids
    whole = {viewer.pk} & ids
    rule = whole_phone_q(viewer)
    if rule is None or not ids - whole:
        return whole
    return whole | set(User.objects.filter(rule, pk__in=ids - whole).values_list("pk", flat=True))


def phone_for(viewer: User, subject_id: int, phone: str, *, whole_ids: set[int] | None = None) -> str:
    """The number as ``viewer`` may see it. Lists pass ``whole_ids`` (from `whole_phone_ids`, one query
    per page); a single read works it out (one query at most)."""
    if whole_ids is None:
        whole_ids = whole_phone_ids(viewer, [subject_id])
    return phone if subject_id in whole_ids else masked_phone(phone)
