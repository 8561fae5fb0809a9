"""Point Django at the dedicated benchmark database and bring its schema up to date.

Benchmarks never touch the service's database: they use ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/kjtpy_bench``), create it when missing, and run the
project's migrations on it. ``DATABASE_URL`` from the caller's shell is deliberately ignored,
so a benchmark started from a production-like shell cannot write synthetic rows into it.

Call ``setup()`` before importing any model; it returns the URL it used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kjtpy_bench"


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist. True if it was created."""
    import psycopg
    from psycopg import sql

    name = _database_name(url)
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def setup(url: str | None = None, *, migrate: bool = True, log=print) -> str:
    """Configure settings for the bench database, ``django.setup()``, and migrate it."""
    url = url or bench_url()
    name = _database_name(url)
    if "bench" not in name:
        # The data set generators delete and rewrite rows: never against a real database.
        raise SystemExit(f"refusing to benchmark against database {name!r}: its name must contain 'bench'")
    if ensure_database(url):
        log(f"created database {name}")
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"  # also keeps Django from recording every query in memory
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-real-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))

    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    return url
