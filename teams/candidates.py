"""Keep matching's read model for teams (TeamCandidate) equal to the rows it is derived from.

One row per active team, category it takes up (its industry and, for a field, each industry under it)
and active member, with the member's point (home, else registered area) and the team's record.
Every write that changes them refreshes the teams concerned inside its own transaction:

- a team created or changed (industry, active, members): ``teams.services``;
- a member's home, availability, area or right to log in: commissioners' ``candidates_refresh`` calls
  ``team_candidates_refresh_for_members`` (``commissioners.hooks.register_commissioners_changed``);
- a team's claim accepted, its problem resolved, rejected, referred or confirmed: the problems app;
- the industries under a field changed (``villages.hooks.fields_changed``), a village's position moved
  (members registered there without a home).

The refresh recomputes the teams' rows from the source, so it cannot drift by a missed increment, and is
idempotent. ``team_candidates_rebuild()`` (``manage.py matching_refresh``) recomputes every team.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from villages.models import Category

from .hooks import team_records
from .models import Membership, Team, TeamCandidate

REBUILD_CHUNK = 2_000


def team_candidates_refresh(team_ids: Iterable[int]) -> int:
    """Recompute these teams' rows; returns how many rows they now have. Locks the teams' rows first (in
    id order, as every team write takes them), so two refreshes of one team serialise."""
    ids = sorted({pk for pk in team_ids if pk is not None})
    if not ids:
        return 0
    with transaction.atomic():
        teams = list(Team.objects.select_for_update().filter(pk__in=ids).order_by("pk")
                     .values_list("pk", "industry_id", "active"))
        TeamCandidate.objects.filter(team_id__in=ids).delete()
        active = {pk: industry for pk, industry, is_active in teams if is_active}
        if not active:
            return 0
        takes: dict[str, list[str]] = {code: [code] for code in active.values()}
        for parent, code in Category.objects.filter(parent_id__in=takes).values_list("parent_id", "code"):
            takes[parent].append(code)
        records = team_records(list(active))
        rows = []
        for team_id, user_id, home_lat, home_lng, area_lat, area_lng in (
                Membership.objects.filter(team_id__in=active, user__is_active=True).order_by("team_id", "user_id")
                .values_list("team_id", "user_id", "user__commissioner__home_lat", "user__commissioner__home_lng",
                             "user__area__lat", "user__area__lng")):
            lat, lng = (home_lat, home_lng) if home_lat is not None else (area_lat, area_lng)
            busy, resolved, rating_sum, rating_count = records.get(team_id, (0, 0, 0, 0))
            rows += [TeamCandidate(team_id=team_id, category_id=code, member_id=user_id, lat=lat, lng=lng,
                                   active_problems=busy, resolved_count=resolved, rating_sum=rating_sum,
                                   rating_count=rating_count) for code in takes[active[team_id]]]
        TeamCandidate.objects.bulk_create(rows, batch_size=1_000)
        return len(rows)


def team_candidates_refresh_for_members(user_ids: Iterable[int]) -> int:
    """The teams these commissioners belong to (their point, activity or record changed)."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    return team_candidates_refresh(Membership.objects.filter(user_id__in=ids).values_list("team_id", flat=True))


def team_candidates_refresh_for_fields(codes: list[str]) -> int:
    """The teams of these fields (the industries under them changed, and so what the teams take up)."""
    return team_candidates_refresh(Team.objects.filter(industry_id__in=codes).values_list("pk", flat=True))


def team_candidates_refresh_for_village(village_code: str) -> None:
    """A village moved: the teams of members registered there (their point when they have no home)."""
    team_candidates_refresh_for_members(
        Membership.objects.filter(user__area_id=village_code).values_list("user_id", flat=True))


def team_candidates_rebuild(*, chunk: int = REBUILD_CHUNK) -> int:
    """Recompute every team's rows."""
    ids = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    TeamCandidate.objects.exclude(team_id__in=ids).delete()
    return sum(team_candidates_refresh(ids[i : i + chunk]) for i in range(0, len(ids), chunk))
