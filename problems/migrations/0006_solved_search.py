"""The text indexes of the library of solved problems (problems/library.py), each on its own backend.

PostgreSQL: the pg_trgm extension and two partial GIN trigram indexes over closed problems, one over the
searchable text (the query spells the same expression, library.PG_INDEXED_TEXT) and one over the title
("similar"). SQLite: an FTS5 table with the trigram tokenizer whose content is the problems table itself
(external content: the text is stored once), holding closed problems only, kept in step by triggers on
every insert, update and delete of a problem, and filled with the problems already closed.
Neither backend runs the other's half.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FTS = "problems_solved_fts"
COLUMNS = "title, description, resolution_summary"


def _postgres_statements(table: str) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS problems_problem_solved_text_trgm ON {table} USING gin "
        f"((title || ' ' || description || ' ' || resolution_summary) gin_trgm_ops) WHERE status = 'closed'",
        f"CREATE INDEX IF NOT EXISTS problems_problem_solved_title_trgm ON {table} USING gin "
        f"(title gin_trgm_ops) WHERE status = 'closed'",
    ]


def _sqlite_statements(table: str) -> list[str]:
    new = "new.id, new.title, new.description, new.resolution_summary"
    old = "old.id, old.title, old.description, old.resolution_summary"
    delete_old = (f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) SELECT 'delete', {old} "
                  f"WHERE old.status = 'closed';")
    insert_new = f"INSERT INTO {FTS}(rowid, {COLUMNS}) SELECT {new} WHERE new.status = 'closed';"
    return [
        f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLUMNS}, content='{table}', content_rowid='id', "
        f"tokenize='trigram')",
        f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON {table} BEGIN {insert_new} END",
        f"CREATE TRIGGER {FTS}_update AFTER UPDATE ON {table} BEGIN {delete_old} {insert_new} END",
        f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON {table} BEGIN {delete_old} END",
        f"INSERT INTO {FTS}(rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM {table} WHERE status = 'closed'",
    ]


class TrigramExtensionOnPostgres(TrigramExtension):
    """Django's forwards skips other backends, its backwards does not (it asks pg_extension)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def indexes_create(apps, schema_editor):
    table = apps.get_model("problems", "Problem")._meta.db_table
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _postgres_statements, "sqlite": _sqlite_statements}.get(vendor)
    for statement in statements(table) if statements else []:
        schema_editor.execute(statement)


def indexes_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS problems_problem_solved_text_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS problems_problem_solved_title_trgm")
    elif vendor == "sqlite":
        for trigger in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")


class Migration(migrations.Migration):

    dependencies = [("problems", "0005_solved_indexes")]

    operations = [
        TrigramExtensionOnPostgres(),  # does nothing on SQLite
        migrations.RunPython(indexes_create, indexes_drop),
    ]
