"""Problems (基层出题、特派员揭榜): what a village posts, its history, and the commissioners' claims on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from villages.models import Area, Category


class ProblemStatus(models.TextChoices):
    OPEN = "open", "待揭榜"
    IN_PROGRESS = "in_progress", "服务中"
    RESOLVED = "resolved", "已解决"
    CLOSED = "closed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


class Urgency(models.TextChoices):
    LOW = "low", "一般"
    NORMAL = "normal", "较急"
    HIGH = "high", "紧急"


class Problem(models.Model):
    """A technical problem a village posts (基层出题) for commissioners to take up (揭榜)."""

    client_id = models.UUIDField(help_text="The phone's id for this write; a retry returns the first result.")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="problems_posted",
        # Problems are counted by the bureau; a user who posted one is deactivated, never deleted.
        on_delete=models.PROTECT,
    )
    village = models.ForeignKey(Area, related_name="problems", on_delete=models.PROTECT)
    category = models.ForeignKey(Category, related_name="problems", on_delete=models.PROTECT)
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    lat = models.FloatField()
    lng = models.FloatField()
    cell = models.BigIntegerField()
    deadline = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    resolution_summary = models.TextField(max_length=5000, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["posted_by", "client_id"], name="problems_problem_client_id_once"),
            models.CheckConstraint(condition=Q(status__in=ProblemStatus.values), name="problems_problem_status_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="problems_problem_urgency_valid"),
            models.CheckConstraint(
                condition=Q(lat__gte=-90) & Q(lat__lte=90) & Q(lng__gte=-180) & Q(lng__lte=180),
                name="problems_problem_position_valid",
            ),
            # A rating exists exactly when the problem is closed: closing is the rating.
            models.CheckConstraint(
                condition=(Q(status=ProblemStatus.CLOSED) & Q(rating__gte=1) & Q(rating__lte=5))
                | (~Q(status=ProblemStatus.CLOSED) & Q(rating__isnull=True)),
                name="problems_problem_rated_iff_closed",
            ),
        ]
        indexes = [
            # "open problems near me": the commissioners' list (status filter + cell ranges).
            models.Index(fields=["status", "cell"], name="problems_problem_status_cell"),
            # "a village's / a township's problems" for staff lists and coverage counts.
            models.Index(fields=["village", "status"], name="problems_problem_village"),
            # the escalation sweep: open, not yet escalated, oldest first.
            models.Index(fields=["status", "escalated_at", "created_at"], name="problems_problem_escalation"),
            # The library of solved problems (problems/library.py): without a query, the most recently closed;
            # with a category, that category's (a short term's LIKE then scans only these rows). The text
            # indexes are backend-specific and made by migration 0006_solved_search (pg_trgm GIN / FTS5).
            models.Index(fields=["-closed_at", "-id"], condition=Q(status="closed"),
                         name="problems_problem_solved_recent"),
            models.Index(fields=["category", "-closed_at"], condition=Q(status="closed"),
                         name="problems_problem_solved_cat"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class ProblemEventKind(models.TextChoices):
    POSTED = "posted", "发布"
    CLAIMED = "claimed", "揭榜"
    ACCEPTED = "accepted", "确认揭榜人"
    RESOLVED = "resolved", "解决"
    CLOSED = "closed", "评价办结"
    WITHDRAWN = "withdrawn", "撤回"
    ESCALATED = "escalated", "超时上报"
    PHOTO_ADDED = "photo_added", "上传照片"
    REJECTED = "rejected", "验收未通过"
    REFERRED = "referred", "转交"


class ProblemEvent(models.Model):
    """The audit trail of a problem: who did what, when, from which status to which."""

    problem = models.ForeignKey(Problem, related_name="events", on_delete=models.CASCADE)
    kind = models.CharField(max_length=12, choices=ProblemEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(max_length=5000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProblemEventKind.values), name="problems_problemevent_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"problem {self.problem_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    ACCEPTED = "accepted", "已确认"
    DECLINED = "declined", "未选中"
    WITHDRAWN = "withdrawn", "已撤回"
    # The accepted commissioner could not solve it (or staff judged so): the problem was opened again.
    REFERRED = "referred", "已转交"


LIVE_CLAIM_STATUSES = (ClaimStatus.PENDING, ClaimStatus.ACCEPTED)


class Claim(models.Model):
    """A commissioner taking up a problem (揭榜)."""

    problem = models.ForeignKey(Problem, related_name="claims", on_delete=models.PROTECT)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="claims",
        # Claims count toward a commissioner's assessment: never deleted with a user.
        on_delete=models.PROTECT,
    )
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, related_name="claims",
        # A team's claims are its record (matching, /stats/teams): a team is retired, never deleted.
        on_delete=models.PROTECT,
        help_text="Set when a member claims for their team: once accepted, every member works on the problem.",
    )
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="problems_claim_status_valid"),
            # One live claim per commissioner and problem: a double tap cannot claim twice.
            models.UniqueConstraint(
                fields=["problem", "commissioner"],
                condition=Q(status__in=["pending", "accepted"]),
                name="problems_claim_one_live_per_commissioner",
            ),
            # One live claim per team and problem: two members cannot claim it twice for their team.
            models.UniqueConstraint(
                fields=["problem", "team"],
                condition=Q(status__in=["pending", "accepted"], team__isnull=False),
                name="problems_claim_one_live_per_team",
            ),
            # Whatever races, a problem has at most one accepted claim.
            models.UniqueConstraint(
                fields=["problem"],
                condition=Q(status="accepted"),
                name="problems_claim_one_accepted_per_problem",
            ),
        ]
        indexes = [
            # workload and track record in matching: a commissioner's claims by status.
            models.Index(fields=["commissioner", "status"], name="problems_claim_by_status"),
            # a team's workload and record (matching, /stats/teams): its claims by status.
            models.Index(fields=["team", "status"], condition=Q(team__isnull=False), name="problems_claim_team_status"),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} on problem {self.problem_id} by {self.commissioner_id}"


class ProblemMessage(models.Model):
    """One message in a problem's conversation (problems/messages.py says who takes part)."""

    problem = models.ForeignKey(Problem, related_name="messages", on_delete=models.CASCADE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="problem_messages",
        # What was said on a problem stays with it: authors are deactivated, never deleted.
        on_delete=models.PROTECT,
    )
    client_id = models.UUIDField(help_text="The phone's id for this write; a retry returns the first result.")
    body = models.TextField(max_length=2000)
    # Photos the author added to the problem (media.Photo ids, owner kind "problem"), shown with the message.
    photo_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="problems_message_client_id_once"),
            models.CheckConstraint(condition=~Q(body=""), name="problems_message_body_not_empty"),
        ]
        indexes = [
            # a conversation, oldest first (the list and its count).
            models.Index(fields=["problem", "created_at", "id"], name="problems_message_conversation"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} on problem {self.problem_id} by {self.author_id}"
