"""The library's search index is in place after every migration: on SQLite, Django remakes a table when a
later migration alters it in some ways and drops its triggers with it, which would leave the FTS5 index
silently stale (docs/problems.md, "Library")."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 triggers are SQLite's")
def test_the_fts_triggers_exist_after_migrating():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'problems_problem'"
                       " AND name LIKE 'problems_solved_fts%'")
        triggers = {row[0] for row in cursor.fetchall()}
    assert triggers == {f"problems_solved_fts_{kind}" for kind in ("insert", "update", "delete")}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's")
def test_the_trigram_indexes_exist_after_migrating():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'problems_problem' "
                       "AND indexdef LIKE '%%gin_trgm_ops%%'")
        assert len(cursor.fetchall()) == 2
