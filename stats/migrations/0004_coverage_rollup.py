"""The coverage rollup (stats.CoveragePeriod) and the triggers that keep it in step with its four sources.

Each source row adds to three rows of its village, when it counts: its Asia/Shanghai day's, its month's and
its year's. A verified check-in counts on the day it happened, a training on the day it started (1 session,
its headcount), a problem still resolved or closed on the day it was resolved, a dispatch on the day it
starts. A trigger after every insert, delete and counting-relevant update takes the old row's part away and
adds the new row's, in the writing transaction, so the rollup is right at commit whatever wrote the row.
Shanghai has kept UTC+8 without summer time since 1991, which SQLite's ``date(t, '+8 hours')`` relies on.
On PostgreSQL the unique index carries the measures, so that a province's rows are read from the index
alone. The rows already stored are summed in at the end.
"""

import django.db.models.deletion
from django.db import migrations, models

ROLLUP = "stats_coverageperiod"
UNIQUE = "stats_coverage_span_village_day"
MEASURES = ("checkins", "trainings", "trainees", "problems_resolved", "dispatches")
SPANS = ("day", "month", "year")

# table: (its day column, whether it is a timestamp, when a row counts, what it adds, the columns that decide)
SOURCES = {
    "commissioners_checkin": ("occurred_at", True, "{r}.verified", {"checkins": "1"},
                              ("village_id", "occurred_at", "verified")),
    "trainings_training": ("started_at", True, "1 = 1", {"trainings": "1", "trainees": "{r}.headcount"},
                           ("village_id", "started_at", "headcount")),
    "problems_problem": ("resolved_at", True,
                         "{r}.status IN ('resolved', 'closed') AND {r}.resolved_at IS NOT NULL",
                         {"problems_resolved": "1"}, ("village_id", "resolved_at", "status")),
    "commissioners_dispatch": ("starts_on", False, "1 = 1", {"dispatches": "1"}, ("village_id", "starts_on")),
}
UPSERT = ("ON CONFLICT (span, village_id, day) DO UPDATE SET "
          + ", ".join(f"{m} = {ROLLUP}.{m} + excluded.{m}" for m in MEASURES))


def _day(vendor: str, column: str, timestamp: bool, r: str, span: str) -> str:
    """The first day of the ``span`` (Shanghai) that row ``r``'s ``column`` falls in."""
    if vendor == "postgresql":
        day = f"({r}.{column} AT TIME ZONE 'Asia/Shanghai')::date" if timestamp else f"{r}.{column}"
        return day if span == "day" else f"date_trunc('{span}', {day})::date"
    modifiers = (", '+8 hours'" if timestamp else "") + ("" if span == "day" else f", 'start of {span}'")
    return f"date({r}.{column}{modifiers})"


def _add(vendor: str, table: str, r: str) -> str:
    """The INSERT … ON CONFLICT that adds row ``r``'s part to its day, month and year, if it counts."""
    column, timestamp, counts, adds, _decide = SOURCES[table]
    values = ", ".join(adds[m].format(r=r) if m in adds else "0" for m in MEASURES)
    return " ".join(
        f"INSERT INTO {ROLLUP} (span, village_id, day, {', '.join(MEASURES)}) "
        f"SELECT '{span}', {r}.village_id, {_day(vendor, column, timestamp, r, span)}, {values} "
        f"WHERE {counts.format(r=r)} {UPSERT};" for span in SPANS)


def _take(vendor: str, table: str, r: str) -> str:
    """The UPDATEs that take row ``r``'s part away, if it counted. Its rows exist (adding it made them):
    UPDATEs, not upserts, so that emptying every table at once (a test database's flush on SQLite, where the
    rollup may go first) leaves nothing behind."""
    column, timestamp, counts, adds, _decide = SOURCES[table]
    minus = ", ".join(f"{m} = {m} - ({adds[m].format(r=r)})" for m in adds)
    return " ".join(
        f"UPDATE {ROLLUP} SET {minus} WHERE span = '{span}' AND village_id = {r}.village_id "
        f"AND day = {_day(vendor, column, timestamp, r, span)} AND {counts.format(r=r)};" for span in SPANS)


def _changed(table: str, same: str) -> str:
    return " OR ".join(f"old.{c} {same} new.{c}" for c in SOURCES[table][4])


def _postgres(table: str) -> list[str]:
    name = f"stats_coverage_{table}"
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {_take('postgresql', table, 'old')} END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_add('postgresql', table, 'new')} END IF; "
        f"RETURN NULL; END $$",
        f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} FOR EACH ROW "
        f"WHEN ({_changed(table, 'IS DISTINCT FROM')}) EXECUTE FUNCTION {name}()",
    ]


def _sqlite(table: str) -> list[str]:
    name = f"stats_coverage_{table}"
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {_add('sqlite', table, 'new')} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {_take('sqlite', table, 'old')} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} WHEN {_changed(table, 'IS NOT')} BEGIN "
        f"{_take('sqlite', table, 'old')} {_add('sqlite', table, 'new')} END",
    ]


def _backfill(vendor: str) -> list[str]:
    """Every stored row's part, summed per village and day; then the days summed into months and years."""
    parts = []
    for table, (column, timestamp, counts, adds, _decide) in SOURCES.items():
        parts.append(f"SELECT r.village_id AS village_id, {_day(vendor, column, timestamp, 'r', 'day')} AS day, "
                     + ", ".join(f"{adds[m].format(r='r') if m in adds else '0'} AS {m}" for m in MEASURES)
                     + f" FROM {table} r WHERE {counts.format(r='r')}")
    sums = ", ".join(f"SUM({m})" for m in MEASURES)
    columns = f"span, village_id, day, {', '.join(MEASURES)}"
    statements = [f"INSERT INTO {ROLLUP} ({columns}) SELECT 'day', village_id, day, {sums} "
                  f"FROM ({' UNION ALL '.join(parts)}) parts GROUP BY village_id, day"]
    for span in ("month", "year"):
        first = f"date_trunc('{span}', day)::date" if vendor == "postgresql" else f"date(day, 'start of {span}')"
        statements.append(f"INSERT INTO {ROLLUP} ({columns}) SELECT '{span}', village_id, {first}, {sums} "
                          f"FROM {ROLLUP} WHERE span = 'day' GROUP BY village_id, {first}")
    return statements


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _postgres, "sqlite": _sqlite}.get(vendor)
    if statements is None:
        return
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {ROLLUP} DROP CONSTRAINT {UNIQUE}, ADD CONSTRAINT {UNIQUE} "
                              f"UNIQUE (span, village_id, day) INCLUDE ({', '.join(MEASURES)})")
    for table in SOURCES:
        for statement in statements(table):
            schema_editor.execute(statement)
    for statement in _backfill(vendor):
        schema_editor.execute(statement)
    # The planner's figures for the rows just written (VACUUM, which also lets the index answer alone, cannot
    # run in the migration's transaction: autovacuum comes soon after a large insert, or see docs/operations.md).
    schema_editor.execute(f"ANALYZE {ROLLUP}")


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SOURCES:
        name = f"stats_coverage_{table}"
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_update ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif vendor == "sqlite":
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0003_plan_baselines'),
        ('villages', '0005_category_parent'),
        ('commissioners', '0008_candidate_via_field'),
        ('trainings', '0003_training_mode_households'),
        ('problems', '0008_closed_at_backfill'),
    ]

    operations = [
        migrations.CreateModel(
            name='CoveragePeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('span', models.CharField(choices=[('day', '日'), ('month', '月'), ('year', '年')], max_length=5)),
                ('day', models.DateField(help_text="The period's first day.")),
                ('checkins', models.IntegerField(default=0, help_text='Verified check-ins.')),
                ('trainings', models.IntegerField(default=0, help_text='Training sessions started.')),
                ('trainees', models.IntegerField(default=0, help_text='Σ headcount of those sessions (人次).')),
                ('problems_resolved', models.IntegerField(default=0, help_text='Problems resolved, and still resolved or closed.')),
                ('dispatches', models.IntegerField(default=0, help_text='Dispatches starting (选派人次).')),
                ('village', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.area')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('span', 'village', 'day'), name='stats_coverage_span_village_day'), models.CheckConstraint(condition=models.Q(('span__in', ['day', 'month', 'year'])), name='stats_coverage_span_valid')],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
