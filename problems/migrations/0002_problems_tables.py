"""The moved tables take this app's names: problems_problem, problems_problemevent, problems_claim, with
their indexes and constraints renamed to match. Renaming a table keeps its rows, ids and sequence, and
the foreign keys pointing at it (check-ins', claims', events') follow it on PostgreSQL and SQLite alike.
The content types follow too, so permissions and the back office's history keep pointing at the models.
"""

from django.db import migrations, models

MOVED = [("villages", "problem"), ("villages", "problemevent"), ("commissioners", "claim")]

STATUSES = ["open", "in_progress", "resolved", "closed", "withdrawn"]
KINDS = ["posted", "claimed", "accepted", "resolved", "closed", "withdrawn", "escalated", "photo_added"]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, model in MOVED:
        if not ContentType.objects.filter(app_label="problems", model=model).exists():
            ContentType.objects.filter(app_label=app_label, model=model).update(app_label="problems")


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, model in MOVED:
        if not ContentType.objects.filter(app_label=app_label, model=model).exists():
            ContentType.objects.filter(app_label="problems", model=model).update(app_label=app_label)


def _renamed(model_name, old, new):
    return [migrations.RemoveConstraint(model_name=model_name, name=old.name),
            migrations.AddConstraint(model_name=model_name, constraint=new)]


def _check(condition, name):
    return models.CheckConstraint(condition=condition, name=name)


POSITION = models.Q(("lat__gte", -90), ("lat__lte", 90), ("lng__gte", -180), ("lng__lte", 180))
RATED_IFF_CLOSED = models.Q(
    models.Q(("status", "closed"), ("rating__gte", 1), ("rating__lte", 5)),
    models.Q(models.Q(("status", "closed"), _negated=True), ("rating__isnull", True)),
    _connector="OR",
)
CLAIM_STATUSES = ["pending", "accepted", "declined", "withdrawn"]


def _constraint_pairs():
    """(model, old constraint, new constraint): the same rule under this app's name."""
    pairs = []
    for model_name, rules in {
        "problem": [
            ("problem_client_id_once", lambda n: models.UniqueConstraint(fields=("posted_by", "client_id"), name=n)),
            ("problem_status_valid", lambda n: _check(models.Q(("status__in", STATUSES)), n)),
            ("problem_urgency_valid", lambda n: _check(models.Q(("urgency__in", ["low", "normal", "high"])), n)),
            ("problem_position_valid", lambda n: _check(POSITION, n)),
            ("problem_rated_iff_closed", lambda n: _check(RATED_IFF_CLOSED, n)),
        ],
        "problemevent": [
            ("problemevent_kind_valid", lambda n: _check(models.Q(("kind__in", KINDS)), n)),
        ],
    }.items():
        for suffix, make in rules:
            pairs.append((model_name, make(f"villages_{suffix}"), make(f"problems_{suffix}")))
    for suffix, make in [
        ("claim_status_valid", lambda n: _check(models.Q(("status__in", CLAIM_STATUSES)), n)),
        ("claim_one_live_per_commissioner",
         lambda n: models.UniqueConstraint(condition=models.Q(("status__in", ["pending", "accepted"])),
                                           fields=("problem", "commissioner"), name=n)),
        ("claim_one_accepted_per_problem",
         lambda n: models.UniqueConstraint(condition=models.Q(("status", "accepted")), fields=("problem",), name=n)),
    ]:
        pairs.append(("claim", make(f"commissioners_{suffix}"), make(f"problems_{suffix}")))
    return pairs


class Migration(migrations.Migration):

    dependencies = [
        ("problems", "0001_problems_from_villages_and_commissioners"),
        ("villages", "0004_problems_moved_to_problems"),
        ("commissioners", "0006_claims_moved_to_problems"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="problem", table=None),
        migrations.AlterModelTable(name="problemevent", table=None),
        migrations.AlterModelTable(name="claim", table=None),
        migrations.RenameIndex(model_name="problem", new_name="problems_problem_status_cell",
                               old_name="villages_problem_status_cell"),
        migrations.RenameIndex(model_name="problem", new_name="problems_problem_village",
                               old_name="villages_problem_village"),
        migrations.RenameIndex(model_name="problem", new_name="problems_problem_escalation",
                               old_name="villages_problem_escalation"),
        migrations.RenameIndex(model_name="claim", new_name="problems_claim_by_status",
                               old_name="commissioners_claim_by_status"),
        *[op for model_name, old, new in _constraint_pairs() for op in _renamed(model_name, old, new)],
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
