"""Who may see a photo: the app that owns the record decides, through a small registry.

Apps register a checker for their owner kind in `AppConfig.ready()`; media never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Photo

PhotoAccess = Callable[["User", int], bool]
_CHECKERS: dict[str, PhotoAccess] = {}


def register_photo_access(kind: str, checker: PhotoAccess) -> None:
    _CHECKERS[kind] = checker


def may_see_photo(user: User, photo: Photo) -> bool:
    checker = _CHECKERS.get(photo.owner_kind)
    return bool(checker and checker(user, photo.owner_id))
