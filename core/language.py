"""The language of a connection that never becomes a Django request (an ASGI layer, a websocket).

Django's LocaleMiddleware picks the language of HTTP requests; these follow the same rule from the
handshake's `Accept-Language`: the first supported language the client names, else LANGUAGE_CODE
(zh-hans).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header


def language_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str:
    accept = dict(headers).get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
