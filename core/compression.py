"""Gzip for the big JSON answers: coverage maps and lists, on rural mobile networks.

The village map is ~700 kB of JSON and ~50 kB gzipped. Compressing every response is not safe,
though: BREACH recovers a secret from the compressed size of a response that also reflects input
an attacker controls. So only JSON answers to reads are compressed (GET/HEAD: no answer to a read
carries a token or a password), and never anything under the token endpoints, whatever the method.
HTML is left alone (the login page carries the CSRF token, even though Django masks it per request).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

JSON_TYPES = ("application/json", "application/geo+json")
# Token answers (access and refresh tokens) must never be compressed, whatever a later change does
# to their methods.
NEVER_COMPRESSED = ("/api/v1/auth/",)
READS = ("GET", "HEAD")


class JSONGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (Vary: Accept-Encoding, weak ETags, the 200-byte floor, its
    random-length filename padding), limited to JSON answers to reads outside /api/v1/auth/."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if (request.method not in READS or content_type not in JSON_TYPES
                or request.path.startswith(NEVER_COMPRESSED)):
            return response
        return super().process_response(request, response)
