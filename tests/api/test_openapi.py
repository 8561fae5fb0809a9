"""The served OpenAPI document is valid OpenAPI, describes the websocket, and its docs page needs no CDN."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_served_schema_passes_openapi_spec_validator(api):
    schema = api.anonymous().get("/openapi.json").json()

    validate(schema)  # raises OpenAPIValidationError with the first fault

    assert schema["openapi"].startswith("3.1")


def test_a_parameter_example_is_an_example_object(api):
    schema = api.anonymous().get("/openapi.json").json()

    near = next(p for p in schema["paths"]["/api/v1/commissioners"]["get"]["parameters"] if p["name"] == "near")

    assert near["examples"] == {"example1": {"value": "23.90,106.61"}}


def test_the_schema_describes_the_notifications_websocket(api):
    schema = api.anonymous().get("/openapi.json").json()

    socket = schema["x-websockets"]["/ws/notifications/"]

    assert set(socket["query"]) == {"token", "since"}
    assert set(socket["server_messages"]) == {"notification", "pong", "acked", "error"}
    assert set(socket["server_messages"]["notification"]["required"]) == {"id", "type", "payload", "created_at"}
    assert set(socket["client_messages"]) == {"ack", "ping"}
    assert set(socket["close_codes"]) == {"4401", "4400", "1011"}
    assert (ROOT / socket["documentation"].split("#")[0]).is_file()
    tag = next(t for t in schema["tags"] if t["name"] == "notifications")
    assert "/ws/notifications/" in tag["description"]


def test_the_docs_page_loads_swagger_ui_from_the_service_not_a_cdn(api):
    html = api.anonymous().get("/docs").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', html)

    assert "/static/ninja/swagger-ui-bundle.js" in sources
    assert "/static/ninja/swagger-ui.css" in sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source


def _served_with(env: dict[str, str], path: str) -> int:
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        # secure: with DEBUG off (the PostgreSQL run) plain HTTP would be redirected to HTTPS
        f"print(Client().get({path!r}, secure=True).status_code)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120, check=True)
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_api_docs_0_serves_neither_the_docs_nor_the_schema(path):
    assert _served_with({"API_DOCS": "1"}, path) == 200
    assert _served_with({"API_DOCS": "0"}, path) == 404
