"""geo/ is pure: numbers and shapes in and out. No module of it imports Django or any app of the project,
so it stays importable anywhere (management commands, workers, benchmarks, tests without a database)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import geo

ROOT = Path(__file__).resolve().parents[2]
APPS = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"geo"}
MODULES = sorted(f"geo.{m.name}" for m in pkgutil.iter_modules(geo.__path__))


def test_every_module_of_geo_is_checked():
    assert {"geo.near", "geo.lookup", "geo.datums", "geo.distance"} <= set(MODULES)
    assert {"core", "api", "accounts", "villages", "problems"} <= APPS


def test_no_module_of_geo_imports_django_or_an_app():
    script = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        f"apps = {sorted(APPS | {'django'})!r}\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in apps)\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
