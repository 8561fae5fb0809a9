"""Claims now belong to the problems app (problems 0001), and a check-in names a problems.Problem.

State only: the table and the check-ins' foreign key column stay as they are (problems 0002 renames
the tables; the foreign key follows the table it points at).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("commissioners", "0005_matching_candidates"),
        ("problems", "0001_problems_from_villages_and_commissioners"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="checkin",
                    name="problem",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="checkins", to="problems.problem"),
                ),
                migrations.DeleteModel(name="Claim"),
            ],
        ),
    ]
