"""Problems and their history now belong to the problems app (problems 0001). State only: no row moves."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("villages", "0003_area_surveyed_positions"),
        ("problems", "0001_problems_from_villages_and_commissioners"),
        # Nothing may point at villages.Problem any more when it goes.
        ("commissioners", "0006_claims_moved_to_problems"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="ProblemEvent"),
                migrations.DeleteModel(name="Problem"),
            ],
        ),
    ]
