"""The dashboard's Content-Security-Policy (core/csp.py), through the real URL stack."""

from __future__ import annotations

import re

import pytest

from tests.factories import BureauFactory

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


@pytest.fixture
def bureau(client, baise):
    client.force_login(BureauFactory())
    return client


def test_the_dashboard_runs_only_its_own_scripts(bureau):
    policy = _directives(bureau.get("/dashboard/"))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_the_dashboard_may_not_be_framed(bureau):
    assert _directives(bureau.get("/dashboard/"))["frame-ancestors"] == ["'none'"]


def test_the_login_page_carries_the_policy_too(client):
    assert "script-src 'self'" in client.get("/dashboard/login/")["Content-Security-Policy"]


def test_images_come_from_the_service_alone_without_a_tile_server(bureau, settings):
    settings.DASHBOARD_TILE_URL = ""

    assert _directives(bureau.get("/dashboard/"))["img-src"] == ["'self'", "data:"]


def test_a_configured_tile_server_may_serve_images(bureau, settings):
    settings.DASHBOARD_TILE_URL = "https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}"

    assert _directives(bureau.get("/dashboard/"))["img-src"] == ["'self'", "data:", "https://*.tianditu.gov.cn"]


def test_websockets_to_the_same_host_are_allowed(bureau):
    assert _directives(bureau.get("/dashboard/"))["connect-src"] == ["'self'", "ws://testserver"]


def test_the_page_has_no_inline_script_or_style(bureau):
    html = bureau.get("/dashboard/").content.decode()

    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)


def test_the_field_app_path_gets_the_same_policy(client):
    response = client.get("/app/")

    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_api_is_not_covered(client):
    assert not client.get("/api/v1/health").has_header("Content-Security-Policy")
