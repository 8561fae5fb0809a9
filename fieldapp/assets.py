"""The field app's static files: what the shell is made of, its version, and their gzip'd bytes.

The files are read once per process. Their URLs carry a version (a hash of every file's content), so a
phone may keep them for a year: a changed file changes every URL, and the service worker, whose own
script names the version, fetches the new set. Leaflet is the dashboard's vendored copy (one copy in
the repository), served here under the app's own URLs so that the worker can cache it with the rest.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
LEAFLET = HERE.parent / "dashboard" / "static" / "dashboard" / "vendor" / "leaflet"

# name in the URL → file. The shell is everything the page needs to open and to work offline.
FILES: dict[str, Path] = {
    "app.css": ASSETS / "app.css",
    "app.js": ASSETS / "app.js",
    "api.js": ASSETS / "api.js",
    "store.js": ASSETS / "store.js",
    "queue.js": ASSETS / "queue.js",
    "screens.js": ASSETS / "screens.js",
    "live.js": ASSETS / "live.js",
    "map.js": ASSETS / "map.js",
    "icons/icon-192.png": ASSETS / "icons" / "icon-192.png",
    "icons/icon-512.png": ASSETS / "icons" / "icon-512.png",
    "leaflet/leaflet.js": LEAFLET / "leaflet.js",
    "leaflet/leaflet.css": LEAFLET / "leaflet.css",
}
SERVICE_WORKER = ASSETS / "sw.js"
# Already compressed formats are sent as they are.
COMPRESSIBLE = (".js", ".css", ".json", ".webmanifest", ".html", ".svg")


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes | None
    content_type: str


@cache
def assets() -> dict[str, Asset]:
    out = {}
    for name, path in FILES.items():
        body = path.read_bytes()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type.startswith(("text/", "application/javascript")) or name.endswith(".js"):
            content_type = ("text/javascript" if name.endswith(".js") else content_type) + "; charset=utf-8"
        zipped = gzip.compress(body, 9, mtime=0) if name.endswith(COMPRESSIBLE) else None
        out[name] = Asset(name, body, zipped, content_type)
    return out


@cache
def version() -> str:
    digest = hashlib.sha256()
    for name in sorted(FILES):
        digest.update(name.encode() + b"\0" + assets()[name].body)
    digest.update(SERVICE_WORKER.read_bytes())
    return digest.hexdigest()[:12]


def compressed_size(name: str) -> int:
    """Bytes on the wire for a client that accepts gzip."""
    item = assets()[name]
    return len(item.gzipped if item.gzipped is not None else item.body)
