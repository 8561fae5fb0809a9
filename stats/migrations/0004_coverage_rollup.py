"""The coverage rollup (stats.CoverageDay) and the triggers that keep it in step with its four sources.

Each source row adds to one (village, Asia/Shanghai day) row when it counts: a verified check-in on the day
it happened, a training on the day it started (1 session, its headcount), a problem still resolved or closed
on the day it was resolved, a dispatch on the day it starts. A trigger after every insert, delete and
counting-relevant update takes the old row's part away and adds the new row's, in the writing transaction,
so the rollup is right at commit whatever wrote the row. Shanghai has kept UTC+8 without summer time since
1991, which SQLite's ``date(t, '+8 hours')`` relies on. The rows already stored are summed in at the end.
"""

from django.db import migrations, models
import django.db.models.deletion

ROLLUP = "stats_coverageday"
MEASURES = ("checkins", "trainings", "trainees", "problems_resolved", "dispatches")

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
UPSERT = (f"ON CONFLICT (village_id, day) DO UPDATE SET "
          + ", ".join(f"{m} = {ROLLUP}.{m} + excluded.{m}" for m in MEASURES))


def _day(vendor: str, column: str, timestamp: bool, r: str) -> str:
    if not timestamp:
        return f"{r}.{column}"
    return (f"({r}.{column} AT TIME ZONE 'Asia/Shanghai')::date" if vendor == "postgresql"
            else f"date({r}.{column}, '+8 hours')")


def _add(vendor: str, table: str, r: str) -> str:
    """The INSERT … ON CONFLICT that adds row ``r``'s part, if it counts."""
    column, timestamp, counts, adds, _decide = SOURCES[table]
    values = ", ".join(adds[m].format(r=r) if m in adds else "0" for m in MEASURES)
    return (f"INSERT INTO {ROLLUP} (village_id, day, {', '.join(MEASURES)}) "
            f"SELECT {r}.village_id, {_day(vendor, column, timestamp, r)}, {values} "
            f"WHERE {counts.format(r=r)} {UPSERT};")


def _take(vendor: str, table: str, r: str) -> str:
    """The UPDATE that takes row ``r``'s part away, if it counted. Its row exists (adding it made it): an
    UPDATE, not an upsert, so that emptying every table at once (a test database's flush on SQLite, where
    the rollup may go first) leaves nothing behind."""
    column, timestamp, counts, adds, _decide = SOURCES[table]
    minus = ", ".join(f"{m} = {m} - ({adds[m].format(r=r)})" for m in adds)
    return (f"UPDATE {ROLLUP} SET {minus} WHERE village_id = {r}.village_id "
            f"AND day = {_day(vendor, column, timestamp, r)} AND {counts.format(r=r)};")


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


def _backfill(vendor: str) -> str:
    """Every stored row's part, summed per village and day, in one statement."""
    parts = []
    for table, (column, timestamp, counts, adds, _decide) in SOURCES.items():
        parts.append(f"SELECT r.village_id AS village_id, {_day(vendor, column, timestamp, 'r')} AS day, "
                     + ", ".join(f"{adds[m].format(r='r') if m in adds else '0'} AS {m}" for m in MEASURES)
                     + f" FROM {table} r WHERE {counts.format(r='r')}")
    sums = ", ".join(f"SUM({m})" for m in MEASURES)
    return (f"INSERT INTO {ROLLUP} (village_id, day, {', '.join(MEASURES)}) SELECT village_id, day, {sums} "
            f"FROM ({' UNION ALL '.join(parts)}) parts GROUP BY village_id, day")


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _postgres, "sqlite": _sqlite}.get(vendor)
    if statements is None:
        return
    for table in SOURCES:
        for statement in statements(table):
            schema_editor.execute(statement)
    schema_editor.execute(_backfill(vendor))


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
            name='CoverageDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('checkins', models.IntegerField(default=0, help_text='Verified check-ins that day.')),
                ('trainings', models.IntegerField(default=0, help_text='Training sessions started that day.')),
                ('trainees', models.IntegerField(default=0, help_text='Σ headcount of those sessions (人次).')),
                ('problems_resolved', models.IntegerField(default=0, help_text='Problems resolved that day and still resolved or closed.')),
                ('dispatches', models.IntegerField(default=0, help_text='Dispatches starting that day (选派人次).')),
                ('village', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='villages.area')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('village', 'day'), name='stats_coverageday_village_day')],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
