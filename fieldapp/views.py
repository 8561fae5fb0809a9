"""The field app at /app/: the shell page, its service worker, its manifest and its versioned files.

Nothing here reads or writes the database: the app talks to /api/v1/ like any other client. The page
and the worker are never cached by the browser (`no-cache`: always revalidated, so a new version is
seen at the next start with a network); the files the page loads carry the version in their URL and
are cached for a year. The app's static files hold no secret, so they are sent gzip'd (BREACH needs
a secret in the answer; core/compression.py keeps its rule for the API's JSON).
"""

from __future__ import annotations

import gzip
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.services import CURRENT_LOCATION_CONSENT_VERSION

from .assets import SERVICE_WORKER, assets
from .assets import version as assets_version

NO_CACHE = "no-cache"
# The modules app.js imports, asked for at once: on a 2 s round trip (slow 3G) a chain of imports
# found one level at a time costs a round trip per level.
MODULES = ("api.js", "store.js", "queue.js", "live.js", "screens.js")
A_YEAR = "public, max-age=31536000, immutable"
NAME = "百色科技特派员"
SHORT_NAME = "特派员"


def _accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _body(request: HttpRequest, response: HttpResponse, body: bytes, zipped: bytes | None) -> HttpResponse:
    response["Vary"] = "Accept-Encoding"
    if zipped is not None and _accepts_gzip(request):
        response["Content-Encoding"] = "gzip"
        body = zipped
    response.content = body
    return response


def _asset_base() -> str:
    return reverse("fieldapp:asset", args=[assets_version(), "x"])[:-1]


@require_safe
def shell(request: HttpRequest) -> HttpResponse:
    config = {
        "assets": _asset_base(),
        "sw": reverse("fieldapp:sw"),
        "api": "/api/v1/",
        "consent_version": CURRENT_LOCATION_CONSENT_VERSION,
        "tile_url": getattr(settings, "DASHBOARD_TILE_URL", ""),
        "tile_attribution": getattr(settings, "DASHBOARD_TILE_ATTRIBUTION", ""),
        "version": assets_version(),
    }
    response = render(request, "fieldapp/index.html", {"assets": _asset_base(), "config": config, "modules": MODULES})
    response["Cache-Control"] = NO_CACHE
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    base = _asset_base()
    shell_urls = [reverse("fieldapp:shell"), reverse("fieldapp:manifest"), *(base + name for name in assets())]
    source = (SERVICE_WORKER.read_text(encoding="utf-8")
              .replace("__VERSION__", assets_version())
              .replace("__SHELL__", json.dumps(shell_urls)))
    body = source.encode()
    response = HttpResponse(content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = NO_CACHE
    # The worker lives at /app/sw.js, so its scope is /app/ already; the header says so explicitly.
    response["Service-Worker-Allowed"] = reverse("fieldapp:shell")
    return _body(request, response, body, gzip.compress(body, 9, mtime=0))


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    base = _asset_base()
    document = {
        "name": NAME,
        "short_name": SHORT_NAME,
        "lang": "zh-CN",
        "start_url": reverse("fieldapp:shell"),
        "scope": reverse("fieldapp:shell"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1b6b3a",
        "icons": [
            {"src": base + "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": base + "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
    }
    response = HttpResponse(json.dumps(document, ensure_ascii=False), content_type="application/manifest+json")
    response["Cache-Control"] = NO_CACHE
    return response


@require_safe
def asset(request: HttpRequest, version: str, name: str) -> HttpResponse:
    # Another version's file is not served under this one's name: a year-long cache entry must
    # never hold bytes that its URL does not name.
    item = assets().get(name)
    if item is None or version != assets_version():
        raise Http404(name)
    response = HttpResponse(content_type=item.content_type)
    response["Cache-Control"] = A_YEAR
    return _body(request, response, item.body, item.gzipped)
