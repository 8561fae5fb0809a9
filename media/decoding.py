"""How many images are decoded at once: per process, and per person.

Decoding is where a photo costs: about 3 bytes a pixel of memory (150 MB at 48 MP, more while
rotating or converting) and up to seconds of CPU. A process decodes at most
``PHOTO_DECODES_PER_PROCESS`` images at once; a request beyond that waits up to
``PHOTO_DECODE_WAIT_S`` for a slot, then answers 503 ``overloaded`` (the machine is busy, not the
caller's fault). One person decodes at most ``PHOTO_DECODES_PER_USER`` at once; beyond that the
upload answers 429 at once (a phone sending its whole queue in parallel: it retries after).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .errors import PhotoDecodersBusy, PhotoUploadsInProgress

_lock = threading.Condition()
_running = 0
_by_user: dict[int, int] = {}


@contextmanager
def decode_slot(user_id: int | None = None) -> Iterator[None]:
    """Hold one of the process's decode slots (and one of the user's, when a user is named)."""
    global _running
    deadline = time.monotonic() + settings.PHOTO_DECODE_WAIT_S
    with _lock:
        if user_id is not None:
            if _by_user.get(user_id, 0) >= settings.PHOTO_DECODES_PER_USER:
                raise PhotoUploadsInProgress(
                    retry_after=2, message=_("Another of your photos is being processed; send this one after it."))
            # Counted from now, waiting included: two uploads of one person cannot both queue for a slot.
            _by_user[user_id] = _by_user.get(user_id, 0) + 1
        try:
            while _running >= settings.PHOTO_DECODES_PER_PROCESS:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PhotoDecodersBusy(
                        _("Too many photos are being processed right now; please retry shortly."))
                _lock.wait(left)
        except BaseException:
            _user_done(user_id)
            raise
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            _user_done(user_id)
            _lock.notify()


def _user_done(user_id: int | None) -> None:
    if user_id is None:
        return
    left = _by_user.get(user_id, 1) - 1
    if left > 0:
        _by_user[user_id] = left
    else:
        _by_user.pop(user_id, None)


def decodes_running() -> int:
    return _running
