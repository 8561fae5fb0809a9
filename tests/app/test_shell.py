"""The field app's pages without a browser: headers (CSP, caching, the worker's scope), the manifest,
the versioned files, and the shell's size budget."""

from __future__ import annotations

import gzip
import io
import json
import re

import pytest
from django.test import Client
from PIL import Image

from fieldapp.assets import FILES, assets, compressed_size, version

BUDGET_BYTES = 300_000
NO_CACHE = "no-cache"


@pytest.fixture
def client():
    return Client()


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: rest for name, *rest in (part.split() for part in policy.split(";") if part.strip())}


def test_the_shell_is_served_in_chinese_with_the_policy_and_never_cached(client):
    response = client.get("/app/")
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_CACHE
    page = response.content.decode()
    assert '<html lang="zh-CN">' in page and "百色科技特派员" in page
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:", "blob:"]  # previews of the photos just taken
    assert "'self'" in directives["worker-src"] and "'self'" in directives["manifest-src"]


def test_the_shell_has_no_inline_script_or_style(client):
    page = client.get("/app/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    for attrs, body in scripts:
        assert 'type="application/json"' in attrs or (not body.strip() and "src=" in attrs), attrs
    assert "style=" not in page and "<style" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_the_page_links_the_manifest_and_loads_versioned_files(client):
    page = client.get("/app/").content.decode()
    assert '<link rel="manifest" href="/app/manifest.webmanifest">' in page
    assert f'src="/app/v/{version()}/app.js"' in page
    config = json.loads(re.search(r'<script id="app-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["sw"] == "/app/sw.js" and config["api"] == "/api/v1/"


def test_the_manifest_installs_the_app_to_the_home_screen(client):
    response = client.get("/app/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] and manifest["short_name"]
    assert (manifest["start_url"], manifest["display"]) == ("/app/", "standalone")
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        icon = client.get(src)
        assert icon.status_code == 200 and icon["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(icon.content)).size == tuple(int(x) for x in size.split("x"))


def test_the_service_worker_covers_the_app_and_is_never_cached(client):
    response = client.get("/app/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == NO_CACHE
    assert response["Service-Worker-Allowed"] == "/app/"
    source = response.content.decode()
    assert f"const VERSION = '{version()}';" in source
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    assert shell[0] == "/app/" and "/app/manifest.webmanifest" in shell
    assert {f"/app/v/{version()}/{name}" for name in FILES} <= set(shell)


def test_versioned_files_are_kept_a_year_and_sent_gzipd(client):
    response = client.get(f"/app/v/{version()}/app.js", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(response.content) == assets()["app.js"].body
    plain = client.get(f"/app/v/{version()}/app.js")
    assert "Content-Encoding" not in plain and plain.content == assets()["app.js"].body


def test_another_versions_file_or_an_unknown_one_is_not_found(client):
    assert client.get("/app/v/000000000000/app.js").status_code == 404
    assert client.get(f"/app/v/{version()}/settings.py").status_code == 404
    assert client.get(f"/app/v/{version()}/../views.py").status_code == 404


def test_the_pages_are_read_only(client):
    assert client.post("/app/").status_code == 405
    assert client.post("/app/sw.js").status_code == 405


def test_the_whole_shell_is_under_the_budget_compressed(client):
    # Everything the service worker keeps (the page, the manifest and every file, Leaflet included),
    # as the server sends it to a phone that accepts gzip.
    page = len(client.get("/app/").content)
    manifest = len(client.get("/app/manifest.webmanifest").content)
    worker = len(client.get("/app/sw.js", HTTP_ACCEPT_ENCODING="gzip").content)
    total = page + manifest + worker + sum(compressed_size(name) for name in FILES)
    print(f"shell: {total} bytes gzip'd ({len(FILES) + 3} files)")
    assert total < BUDGET_BYTES


def test_every_module_the_app_imports_is_in_the_shell():
    # A module missing from FILES would not be cached by the worker: the app would break offline.
    for name, path in FILES.items():
        if name.endswith(".js"):
            for imported in re.findall(r"""(?:from|import\()\s*'\./([\w/.-]+)'""", path.read_text()):
                assert imported in FILES, f"{name} imports {imported}, which the shell does not list"


def test_the_app_never_writes_markup_from_data():
    # What people type is shown as text (textContent, DOM nodes), never parsed as HTML.
    for name, path in FILES.items():
        if name.endswith(".js") and not name.startswith("leaflet/"):
            source = path.read_text()
            assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "document.write" not in source


# Leaflet writes a string given as content as HTML (tooltips, popups, divIcon's `html`, the layers control's
# labels, attribution prefixes). The app passes nodes: `text(…)` (map.js) or `h(…)` (screens.js).
_CONTENT_CALL = re.compile(r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\(\s*")
_NODE_ARGUMENT = re.compile(r"(text|h)\(")
_HTML_SINKS = re.compile(r"divIcon\([^)]*\bhtml\s*:|control\.layers\(|addAttribution\(|setPrefix\(", re.S)


def _markup_from_data(source: str) -> list[str]:
    found = [f"{m.group(1)}({source[m.end():m.end() + 30]}"
             for m in _CONTENT_CALL.finditer(source) if not _NODE_ARGUMENT.match(source, m.end())]
    return found + [m.group(0) for m in _HTML_SINKS.finditer(source)]


def test_the_check_for_leaflet_markup_catches_strings():
    assert _markup_from_data("marker.addTo(map).bindTooltip(p.title);")
    assert _markup_from_data("layer.bindPopup(`<b>${p.title}</b>`)")
    assert _markup_from_data("L.popup().setContent('x')")
    assert _markup_from_data("L.marker(ll, { icon: L.divIcon({ className: 'n', html: p.title }) })")
    assert not _markup_from_data("marker.bindTooltip(text(p.title)); layer.bindPopup(h('b', {}, p.title))")


def test_leaflet_gets_nodes_never_strings():
    for name, path in FILES.items():
        if name.endswith(".js") and not name.startswith("leaflet/"):
            assert _markup_from_data(path.read_text()) == [], name
