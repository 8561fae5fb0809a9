"""Keep matching's read model (MatchingCandidate) equal to the rows it is derived from.

One row per commissioner and category they can take problems of: each field of their expertise and,
for a field (果树), each industry under it (芒果, 柑橘, 香蕉). So matching, the ``problem.posted``
audience and everything else reading the model see a field's experts for its industries' problems
without knowing the tree. When the industries under a field change (villages.hooks.fields_changed:
the seed adds them, the back office adds, moves or removes one), that field's experts are refreshed.

Every write that changes who is matchable or how they score calls ``candidates_refresh`` with
the commissioners concerned, inside its own transaction: profile create/update (home,
availability, expertise), and the problems app's claim accepted, problem resolved, problem confirmed
with a rating. The refresh recomputes those commissioners' rows from the source (profile, user,
expertise, and their track record on problems, read through commissioners/hooks.py), so it can never
drift by missing an increment, and is idempotent.
``candidates_rebuild()`` (``manage.py matching_refresh``) recomputes everyone, in chunks: after a
bulk import, or if anything ever wrote the source rows behind the services' back.

On PostgreSQL the table is also kept in the order of its (category, home_cell) index
(``candidates_recluster``): a category's candidates near a point are then a few dozen heap pages
instead of one page per candidate (bench/matching: 1,500 candidates read 1,473 pages, 6.7 ms, before;
49 pages, 1.1 ms, after). CLUSTER is one-shot: rows a refresh writes later land wherever there is room,
so the order decays with the day's claims (a few hundred rows of ≈800,000 at national scale), and the
nightly ``matching_recluster_task`` (settings.CELERY_BEAT_SCHEDULE) and every rebuild restore it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from villages.models import Category

from .hooks import commissioners_changed, track_records
from .models import CommissionerProfile, MatchingCandidate

REBUILD_CHUNK = 2_000


def candidates_refresh(user_ids: Iterable[int]) -> int:
    """Recompute the matching rows of these commissioners; returns how many rows they now have.

    Locks their profile rows first (in id order), so two writers refreshing one commissioner
    serialise instead of racing on the rows' unique constraint.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    with transaction.atomic():
        rows = _refresh(ids)
        commissioners_changed(ids)  # their teams' rows too (teams/candidates.py)
        return rows


def _refresh(ids: list[int]) -> int:
    """The body of ``candidates_refresh``, inside its transaction."""
    profiles = list(
        CommissionerProfile.objects.select_for_update(of=("self",))
        .filter(user_id__in=ids).order_by("user_id")
        .select_related("user").only("user_id", "home_lat", "home_lng", "home_cell", "available",
                                     "user__is_active", "user__area_id")
    )
    MatchingCandidate.objects.filter(commissioner_id__in=ids).delete()
    matchable = [p for p in profiles if p.available and p.user.is_active and p.home_cell is not None]
    if not matchable:
        return 0
    records = track_records([p.user_id for p in matchable])
    expertise = CommissionerProfile.expertise.through.objects.filter(
        commissionerprofile_id__in=[p.user_id for p in matchable]).values_list("commissionerprofile_id",
                                                                               "category_id")
    by_user: dict[int, set[str]] = {}
    for user_id, category in expertise:
        by_user.setdefault(user_id, set()).add(category)
    # An expertise in a field covers the field's industries (果树 covers 芒果): one row for each.
    industries: dict[str, list[str]] = {}
    field_of: dict[str, str] = {}
    fields = set().union(*by_user.values()) if by_user else set()
    for parent, code in Category.objects.filter(parent_id__in=fields).values_list("parent_id", "code"):
        industries.setdefault(parent, []).append(code)
        field_of[code] = parent
    rows = []
    for p in matchable:
        active, resolved, rating_sum, rating_count = records.get(p.user_id, (0, 0, 0, 0))
        own = by_user.get(p.user_id, set())
        covered = own.union(*(industries.get(c, ()) for c in own))
        for category in sorted(covered):
            rows.append(MatchingCandidate(
                commissioner_id=p.user_id, category_id=category, home_lat=p.home_lat, home_lng=p.home_lng,
                home_cell=p.home_cell, county_code=p.user.area_id[:6], active_problems=active,
                resolved_count=resolved, rating_sum=rating_sum, rating_count=rating_count,
                via_field="" if category in own else field_of[category],
            ))
    MatchingCandidate.objects.bulk_create(rows, batch_size=1_000)
    return len(rows)


def candidates_refresh_for_fields(codes: list[str], *, chunk: int = REBUILD_CHUNK) -> int:
    """Recompute the rows of every commissioner with an expertise in one of these fields: the
    industries under the fields changed (villages.hooks.fields_changed), and so what they cover."""
    experts = sorted(set(CommissionerProfile.expertise.through.objects.filter(category_id__in=codes)
                         .values_list("commissionerprofile_id", flat=True)))
    return sum(candidates_refresh(experts[i : i + chunk]) for i in range(0, len(experts), chunk))


def candidates_rebuild(*, chunk: int = REBUILD_CHUNK) -> int:
    """Recompute every commissioner's rows (and drop rows of people without a profile), then put the
    table back in index order."""
    MatchingCandidate.objects.exclude(
        commissioner_id__in=CommissionerProfile.objects.values("user_id")).delete()
    total, last = 0, 0
    while True:
        ids = list(CommissionerProfile.objects.filter(user_id__gt=last).order_by("user_id")
                   .values_list("user_id", flat=True)[:chunk])
        if not ids:
            break
        total += candidates_refresh(ids)
        last = ids[-1]
    candidates_recluster()
    return total


def candidates_recluster() -> bool:
    """PostgreSQL: rewrite the read model in the order of its (category, home_cell) index, and analyze it.

    Takes the table's ACCESS EXCLUSIVE lock for the rewrite (≈8 s for 800,000 rows): matching and the
    refreshes wait meanwhile, hence nightly. SQLite keeps no such order (nothing to do): returns False."""
    if connection.vendor != "postgresql":
        return False
    table = MatchingCandidate._meta.db_table
    index = connection.ops.quote_name("commissioners_candidate_near")
    with connection.cursor() as cursor:
        # CLUSTER refuses a table with pending trigger events: the deferred foreign-key checks of rows
        # written earlier in the same transaction (a rebuild inside one) are made now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"CLUSTER {connection.ops.quote_name(table)} USING {index}")
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True
