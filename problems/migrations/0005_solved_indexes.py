"""The library of solved problems: the most recently closed, and by category (problems/library.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('problems', '0004_honest_closure'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(condition=models.Q(('status', 'closed')), fields=['-closed_at', '-id'], name='problems_problem_solved_recent'),
        ),
        migrations.AddIndex(
            model_name='problem',
            index=models.Index(condition=models.Q(('status', 'closed')), fields=['category', '-closed_at'], name='problems_problem_solved_cat'),
        ),
    ]
