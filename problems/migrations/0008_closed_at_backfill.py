"""Closed problems written without ``closed_at`` (bulk loads such as the demo data before this fix) get
the best time known: when they were resolved, else their last change. The library of solved problems
orders by it, and a problem closed "never" would sort as the newest on PostgreSQL."""

from django.db import migrations
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Problem = apps.get_model("problems", "Problem")
    Problem.objects.filter(status="closed", closed_at__isnull=True).update(
        closed_at=Coalesce("resolved_at", "updated_at"))


class Migration(migrations.Migration):
    dependencies = [("problems", "0007_claim_team")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
