"""Request parsing: JSON that PostgreSQL could not store is refused at the door."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.parser import Parser


def _refuse_nul(value: Any) -> None:
    # PostgreSQL text cannot hold U+0000; a string carrying one would fail deep in an INSERT.
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("strings may not contain the NUL character"))
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item)


class StrictJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        _refuse_nul(data)
        return data
