"""Content-Security-Policy for the service's own web pages: the dashboard, and the field app at /app/.

Django 5.2 has no CSP of its own (6.0 will). The pages load nothing from outside the service: their
scripts and styles are static files (no inline script, no inline style attribute; the dashboard's
configuration travels in a `<script type="application/json">` block, which is data, not script), so
the policy is strict: a script injected into a page by some future bug would not run, and the data
it could reach would have nowhere to go. The one outside origin a page may use is the basemap tile
server, when `DASHBOARD_TILE_URL` is set.

Which paths get the header is a setting (`CONTENT_SECURITY_POLICY_PATHS`, /dashboard/ and /app/).
The API (JSON, read by apps, not rendered), its docs page (whose bundled Swagger UI needs inline
script) and Django's admin are not covered. The policy is per page, the browser's storage per origin:
those uncovered pages share the field app's IndexedDB (its tokens) when they share its origin, which
is why docs/app.md recommends the app an origin of its own in production, or at least API_DOCS=0.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

HEADER = "Content-Security-Policy"

BASE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    # data: for Leaflet's and the page's tiny inline images (the blank favicon).
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "manifest-src": ("'self'",),
    "worker-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


# The field app previews the photos a person has just taken (blob: URLs of the files they picked) before
# they are uploaded; nothing else on the service's pages needs blob: images.
FIELD_APP_PATH = "/app/"


def tile_source(url_template: str) -> str | None:
    """The CSP source for a Leaflet tile URL template: its scheme and host, with a `{s}` subdomain
    placeholder (t{s}.example.cn) widened to a wildcard (*.example.cn)."""
    if not url_template:
        return None
    parts = urlsplit(url_template)
    if not parts.scheme or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    host = ".".join(["*", *labels[1:]] if "{" in labels[0] else labels)
    return f"{parts.scheme}://{host}"


def policy(request: HttpRequest) -> str:
    """The policy for one response (the field app's adds blob: images). Websockets (the notifications)
    go to the page's own host: 'self' covers ws: and wss: in current browsers, and the explicit source
    covers older ones."""
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    if request.path.startswith(FIELD_APP_PATH):
        directives["img-src"].append("blob:")
    tiles = tile_source(getattr(settings, "DASHBOARD_TILE_URL", ""))
    if tiles:
        directives["img-src"].append(tiles)
    try:
        host = request.get_host()
    except DisallowedHost:
        host = ""
    if host:
        directives["connect-src"].append(f"{'wss' if request.is_secure() else 'ws'}://{host}")
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Adds the policy to every response under `settings.CONTENT_SECURITY_POLICY_PATHS` that has
    none of its own (a view may set a stricter one)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        paths = tuple(getattr(settings, "CONTENT_SECURITY_POLICY_PATHS", ()))
        if paths and request.path.startswith(paths) and HEADER not in response:
            response[HEADER] = policy(request)
        return response
