"""Problems, their history and their claims move to this app, rows and all.

State only: the models this app now owns are the tables villages (problems, events) and commissioners
(claims) created, under those tables' names. commissioners 0006 and villages 0004 then forget them, and
0002 renames the tables (and their indexes and constraints) to this app's names. Nothing is copied: every
row, id, sequence and foreign key stays where it is.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

STATUSES = [("open", "待揭榜"), ("in_progress", "服务中"), ("resolved", "已解决"), ("closed", "已办结"),
            ("withdrawn", "已撤回")]
KINDS = [("posted", "发布"), ("claimed", "揭榜"), ("accepted", "确认揭榜人"), ("resolved", "解决"),
         ("closed", "评价办结"), ("withdrawn", "撤回"), ("escalated", "超时上报"), ("photo_added", "上传照片")]
CLAIM_STATUSES = [("pending", "待确认"), ("accepted", "已确认"), ("declined", "未选中"), ("withdrawn", "已撤回")]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("villages", "0003_area_surveyed_positions"),
        ("commissioners", "0005_matching_candidates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Problem",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("client_id", models.UUIDField(
                            help_text="The phone's id for this write; a retry returns the first result.")),
                        ("title", models.CharField(max_length=120)),
                        ("description", models.TextField(max_length=5000)),
                        ("urgency", models.CharField(choices=[("low", "一般"), ("normal", "较急"), ("high", "紧急")],
                                                     default="normal", max_length=10)),
                        ("lat", models.FloatField()),
                        ("lng", models.FloatField()),
                        ("cell", models.BigIntegerField()),
                        ("deadline", models.DateField(blank=True, null=True)),
                        ("status", models.CharField(choices=STATUSES, default="open", max_length=12)),
                        ("resolution_summary", models.TextField(blank=True, max_length=5000)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("rating", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("rating_comment", models.TextField(blank=True, max_length=2000)),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        ("escalated_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("category", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                       related_name="problems", to="villages.category")),
                        ("posted_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                        related_name="problems_posted",
                                                        to=settings.AUTH_USER_MODEL)),
                        ("village", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                      related_name="problems", to="villages.area")),
                    ],
                    options={
                        "db_table": "villages_problem",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["status", "cell"], name="villages_problem_status_cell"),
                            models.Index(fields=["village", "status"], name="villages_problem_village"),
                            models.Index(fields=["status", "escalated_at", "created_at"],
                                         name="villages_problem_escalation"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("posted_by", "client_id"),
                                                    name="villages_problem_client_id_once"),
                            models.CheckConstraint(
                                condition=models.Q(("status__in", ["open", "in_progress", "resolved", "closed",
                                                                   "withdrawn"])),
                                name="villages_problem_status_valid"),
                            models.CheckConstraint(condition=models.Q(("urgency__in", ["low", "normal", "high"])),
                                                   name="villages_problem_urgency_valid"),
                            models.CheckConstraint(
                                condition=models.Q(("lat__gte", -90), ("lat__lte", 90), ("lng__gte", -180),
                                                   ("lng__lte", 180)),
                                name="villages_problem_position_valid"),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "closed"), ("rating__gte", 1), ("rating__lte", 5)),
                                    models.Q(models.Q(("status", "closed"), _negated=True), ("rating__isnull", True)),
                                    _connector="OR"),
                                name="villages_problem_rated_iff_closed"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ProblemEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("kind", models.CharField(choices=KINDS, max_length=12)),
                        ("from_status", models.CharField(blank=True, max_length=12)),
                        ("to_status", models.CharField(blank=True, max_length=12)),
                        ("note", models.TextField(blank=True, max_length=5000)),
                        ("at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                                    related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("problem", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="events", to="problems.problem")),
                    ],
                    options={
                        "db_table": "villages_problemevent",
                        "ordering": ["at", "id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("kind__in", [k for k, _ in KINDS])),
                                name="villages_problemevent_kind_valid"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Claim",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("message", models.TextField(blank=True, max_length=2000)),
                        ("status", models.CharField(choices=CLAIM_STATUSES, default="pending", max_length=10)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        ("commissioner", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                           related_name="claims", to=settings.AUTH_USER_MODEL)),
                        ("problem", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                      related_name="claims", to="problems.problem")),
                    ],
                    options={
                        "db_table": "commissioners_claim",
                        "ordering": ["created_at", "id"],
                        "indexes": [models.Index(fields=["commissioner", "status"],
                                                 name="commissioners_claim_by_status")],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("status__in", [s for s, _ in CLAIM_STATUSES])),
                                name="commissioners_claim_status_valid"),
                            models.UniqueConstraint(condition=models.Q(("status__in", ["pending", "accepted"])),
                                                    fields=("problem", "commissioner"),
                                                    name="commissioners_claim_one_live_per_commissioner"),
                            models.UniqueConstraint(condition=models.Q(("status", "accepted")), fields=("problem",),
                                                    name="commissioners_claim_one_accepted_per_problem"),
                        ],
                    },
                ),
            ],
        ),
    ]
