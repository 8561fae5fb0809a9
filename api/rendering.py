"""The API's JSON renderer: every instant in a body is written one way (core.instants)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from core.instants import instant_text


class InstantJSONEncoder(NinjaJSONEncoder):
    # Django's encoder writes an instant in whatever offset it holds (`Z` for UTC, else the client's),
    # so a body echoing the request and one read back from the database disagreed.
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return instant_text(o)
        return super().default(o)


class ContractRenderer(JSONRenderer):
    encoder_class = InstantJSONEncoder
