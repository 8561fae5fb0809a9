"""The bounds of a person's name, checked wherever users are created (POST /users, adduser).

A name is shown in lists, notifications and the bureau's workbook; a control character, a line break
or a bidi override there is never a real name and can spoof or break what an official reads.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

NAME_MAX_LENGTH = 50
# Control and format characters (NUL, ESC, CR/LF, bidi overrides, zero-width marks), surrogates, private
# use, and the Unicode line and paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


class NameInvalid(ValueError):
    """Why a name was refused, in words a person reads."""


def person_name_clean(value: str) -> str:
    """The name trimmed, or NameInvalid: 1–50 characters, none of them control characters."""
    name = value.strip()
    if not name:
        raise NameInvalid(_("The name is empty."))
    if len(name) > NAME_MAX_LENGTH:
        raise NameInvalid(_("The name is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH})
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in name):
        raise NameInvalid(_("The name contains control characters."))
    return name
