"""The geo modules must stay importable without Django (management commands, workers, tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PURE_MODULES = ["geo.datums", "geo.distance", "geo.cells", "geo.fences", "geo.lookup", "geo.placement"]


def test_pure_geo_modules_do_not_import_django():
    script = (
        "import importlib, sys\n"
        f"for name in {PURE_MODULES!r}: importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""
