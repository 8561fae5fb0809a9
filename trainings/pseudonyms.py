"""Attendees' phone numbers as keyed hashes: the same person is recognised, the number is not kept.

A plain SHA-256 of an 11-digit mobile number is reversed by trying all ~10^10 numbers in hours; a keyed
HMAC is not, as long as the key stays on the server.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.crypto import salted_hmac

from accounts.models import PHONE_REGEX

# Why not plain SECRET_KEY: rotating SECRET_KEY (a leak, routine hygiene) would silently change every hash,
# and the same person would stop matching across trainings. Deployments set TRAINING_PHONE_HASH_KEY once and
# keep it; until they do, the hashes are keyed by SECRET_KEY (under this salt) and a rotation starts over.
PHONE_HASH_SETTING = "TRAINING_PHONE_HASH_KEY"
_SALT = "trainings.attendee.phone"
_SEPARATORS = re.compile(r"[\s\-()]")


def phone_normalise(phone: str) -> str | None:
    """A mainland mobile number as its 11 digits (spaces, dashes, +86 / 0086 dropped); None if it is not one."""
    digits = _SEPARATORS.sub("", phone or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    return digits if re.fullmatch(PHONE_REGEX, digits) else None


def phone_hash(phone: str) -> str:
    """The keyed hash (64 hex characters) of an already normalised number."""
    secret = getattr(settings, PHONE_HASH_SETTING, None) or settings.SECRET_KEY
    return salted_hmac(_SALT, phone, secret=secret, algorithm="sha256").hexdigest()
