"""Secrets never reach a log line: a filter for every handler the service's logging uses.

Old apps still open `/ws/notifications/?token=<access>`, and a server logs request lines (uvicorn logs
every websocket handshake with its query string, and every HTTP request in its access log). The filter
rewrites the value of a `token`, `ticket`, `access` or `refresh` query parameter, and anything shaped
like a JWT (an access or refresh token quoted in an error, say), to `[redacted]`, in the message, its
arguments and a logged traceback. The rest of the line stays: who called what, and how it ended.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# `token=…` in a query string or a form, up to the next separator.
_PARAM = re.compile(r"(?i)\b((?:access_?)?token|ticket|access|refresh)=([^&\s\"'#;,)\]]+)")
# A JWT: three base64url parts, the first a JSON object's encoding ("eyJ" is `{"`).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redacted(text: str) -> str:
    return _JWT.sub(REDACTED, _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Redact the formatted line (a secret may sit in the template or in an argument); a record that
        # held one is flattened to its redacted text, the others are left as they were.
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as it would
            return True
        clean = redacted(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
        return True
