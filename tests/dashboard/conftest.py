"""The dashboard's tests speak plain HTTP to it, as a browser on the test machine does.

Production (DEBUG off) sits behind TLS: settings redirect plain HTTP and mark cookies Secure. Here a
real browser talks to a local live server over http://127.0.0.1, so those are turned off for these
tests (SecurityMiddleware reads SECURE_SSL_REDIRECT when a server builds its middleware: every
server these tests start is started after this fixture).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def plain_http(settings):
    from django.core.cache import cache

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Login attempts are rate-limited in the cache: every test starts with fresh allowances.
    cache.clear()
    yield
    cache.clear()
