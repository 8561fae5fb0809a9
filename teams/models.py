"""Shared service teams (技术服务共享团队): commissioners of several counties grouped around an industry,
serving a set of townships and villages together."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Team(models.Model):
    """A team: an industry, a home county whose staff manage it, members and a service area."""

    name = models.CharField(max_length=64)
    industry = models.ForeignKey(
        "villages.Category", related_name="teams",
        # A category in use by a team stays: teams are counted in the bureau's figures.
        on_delete=models.PROTECT,
    )
    home_county = models.ForeignKey(
        "villages.Area", related_name="teams_managed", on_delete=models.PROTECT,
        help_text="The county whose staff manage the team (the bureau manages every team).",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["home_county_id", "name", "id"]
        constraints = [
            # Two teams of one county with one name would be told apart by nobody.
            models.UniqueConstraint(fields=["home_county", "name"], name="teams_team_name_once_per_county"),
        ]
        indexes = [
            # "the teams of this industry" (matching, lists filtered by industry).
            models.Index(fields=["industry", "active"], name="teams_team_industry"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    LEADER = "leader", "组长"
    MEMBER = "member", "组员"


class Membership(models.Model):
    """A commissioner in a team. The leader is a membership with the leader role, so a leader who is
    not a member cannot be stored, and the partial unique constraint allows one leader per team."""

    team = models.ForeignKey(Team, related_name="memberships", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="team_memberships",
        # A member's team work is counted for them: a person is deactivated, never deleted.
        on_delete=models.PROTECT,
    )
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team_id", "role", "id"]  # "leader" < "member": the leader first
        constraints = [
            models.CheckConstraint(condition=Q(role__in=MemberRole.values), name="teams_membership_role_valid"),
            models.UniqueConstraint(fields=["team", "user"], name="teams_membership_once"),
            models.UniqueConstraint(fields=["team"], condition=Q(role="leader"), name="teams_membership_one_leader"),
        ]
        indexes = [
            # "the teams this person belongs to": a commissioner's list, claims, check-ins, assessment.
            models.Index(fields=["user", "team"], name="teams_membership_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in team {self.team_id} ({self.role})"


class ServiceArea(models.Model):
    """A township or village a team serves."""

    team = models.ForeignKey(Team, related_name="service_areas", on_delete=models.CASCADE)
    area = models.ForeignKey("villages.Area", related_name="+", on_delete=models.PROTECT)

    class Meta:
        ordering = ["team_id", "area_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "area"], name="teams_servicearea_once"),
        ]
        indexes = [
            # "the teams serving this village or its township": matching, the problem.posted audience.
            models.Index(fields=["area", "team"], name="teams_servicearea_area"),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id} serves {self.area_id}"


class TeamDispatch(models.Model):
    """One call that dispatched every active member of a team (one Dispatch, one 人次, each).
    ``client_id`` makes the call safe to retry: the same caller and id answer the first result."""

    team = models.ForeignKey(Team, related_name="dispatch_calls", on_delete=models.PROTECT)
    client_id = models.UUIDField(null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    dispatches = models.ManyToManyField("commissioners.Dispatch", related_name="+", through="TeamDispatchItem")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dispatched_by", "client_id"], condition=Q(client_id__isnull=False),
                                    name="teams_teamdispatch_client_id_once"),
        ]

    def __str__(self) -> str:
        return f"team dispatch {self.pk} of team {self.team_id}"


class TeamDispatchItem(models.Model):
    team_dispatch = models.ForeignKey(TeamDispatch, related_name="items", on_delete=models.CASCADE)
    dispatch = models.OneToOneField("commissioners.Dispatch", related_name="+", on_delete=models.PROTECT)

    class Meta:
        ordering = ["team_dispatch_id", "id"]

    def __str__(self) -> str:
        return f"dispatch {self.dispatch_id} of team dispatch {self.team_dispatch_id}"


class TeamCandidate(models.Model):
    """Matching's read model for teams: one row per active team, category it takes up and active member.

    A team takes up its industry's problems and, when its industry is a field (果树), those of the field's
    industries (芒果, 柑橘, 香蕉), as a person's expertise does. Each row carries the member's point (their home,
    else their registered area) and the team's record on problems, so matching and the ``problem.posted``
    audience read a category's teams from one index, with no joins. Written only by
    ``teams.candidates.team_candidates_refresh``, in the transaction of every write that changes it.
    """

    team = models.ForeignKey(Team, related_name="+", on_delete=models.CASCADE)
    category = models.ForeignKey("villages.Category", related_name="+", on_delete=models.CASCADE)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    active_problems = models.PositiveIntegerField(default=0)
    resolved_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "team", "member"], name="teams_candidate_once"),
        ]
        indexes = [
            # A category's rows, grouped by team, read from the index alone.
            models.Index(fields=["category", "team", "member"], name="teams_candidate_category",
                         include=["lat", "lng", "active_problems", "resolved_count", "rating_sum",
                                  "rating_count"]),
            models.Index(fields=["team"], name="teams_candidate_team"),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id} for {self.category_id}: member {self.member_id}"
