"""A problem's conversation (problems/messages.py): one message per author and client_id."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('problems', '0002_problems_tables'),
        ('villages', '0004_problems_moved_to_problems'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProblemMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('client_id', models.UUIDField(help_text="The phone's id for this write; a retry returns the first result.")),
                ('body', models.TextField(max_length=2000)),
                ('photo_ids', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='problemmessage',
            name='author',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='problem_messages', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='problemmessage',
            name='problem',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='problems.problem'),
        ),
        migrations.AddIndex(
            model_name='problemmessage',
            index=models.Index(fields=['problem', 'created_at', 'id'], name='problems_message_conversation'),
        ),
        migrations.AddConstraint(
            model_name='problemmessage',
            constraint=models.UniqueConstraint(fields=('author', 'client_id'), name='problems_message_client_id_once'),
        ),
        migrations.AddConstraint(
            model_name='problemmessage',
            constraint=models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='problems_message_body_not_empty'),
        ),
    ]
