"""Finding and removing what `seed_demo` put in a database, so that a real pilot starts clean.

Demo rows are known by their marks (demo/activity.py, demo/people.py): people named "演示-…" with a
demo phone (the fixed accounts 1380000xxxx, generated commissioners 13810xxxxxx and township staff
13820xxxxxx), and activity whose note, topic or title starts with 【演示】. A row written *with* a demo
account (its password is in the README) is demo activity too: it goes with the account, or the
account could not go (its rows are PROTECTed, being counted).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.deletion import ProtectedError

from accounts.models import Consent, User
from commissioners.models import Checkin, CommissionerProfile, Dispatch
from media.models import Photo, PhotoOwner
from notifications.models import Notification
from problems.models import Claim, Problem, ProblemEvent
from teams.models import Membership, Team, TeamDispatch
from trainings.models import Training

from .activity import MARK
from .people import DEMO_USERS

DEMO_NAME = "演示-"
GENERATED_PHONE_PREFIXES = ("13810", "13820")  # demo/activity.py: commissioners, township staff


class DemoRowsProtected(Exception):
    """Something that is not demo data refers to a demo row; nothing was removed."""


def demo_users() -> QuerySet:
    phone = Q(phone__in=[d.phone for d in DEMO_USERS])
    for prefix in GENERATED_PHONE_PREFIXES:
        phone |= Q(phone__startswith=prefix)
    return User.objects.filter(phone, name__startswith=DEMO_NAME)


def demo_rows() -> dict[str, QuerySet]:
    """Every demo row, by model, in the order they can be deleted (what refers to people first)."""
    people = demo_users()
    problems = Problem.objects.filter(Q(title__startswith=MARK) | Q(posted_by__in=people))
    checkins = Checkin.objects.filter(Q(note__startswith=MARK) | Q(commissioner__in=people) | Q(problem__in=problems))
    trainings = Training.objects.filter(Q(topic__startswith=MARK) | Q(commissioner__in=people))
    teams = Team.objects.filter(Q(name__startswith=MARK) | Q(created_by__in=people))
    return {
        "photos": Photo.objects.filter(
            Q(uploaded_by__in=people)
            | Q(owner_kind=PhotoOwner.PROBLEM, owner_id__in=problems.values("pk"))
            | Q(owner_kind=PhotoOwner.CHECKIN, owner_id__in=checkins.values("pk"))
            | Q(owner_kind=PhotoOwner.TRAINING, owner_id__in=trainings.values("pk"))),
        "checkins": checkins,
        "trainings": trainings,
        # A team dispatch's items hold its dispatches: they go first.
        "team_dispatches": TeamDispatch.objects.filter(Q(team__in=teams) | Q(dispatched_by__in=people)),
        "dispatches": Dispatch.objects.filter(
            Q(note__startswith=MARK) | Q(commissioner__in=people) | Q(dispatched_by__in=people)),
        "claims": Claim.objects.filter(Q(message=MARK) | Q(commissioner__in=people) | Q(problem__in=problems)
                                       | Q(team__in=teams)),
        "problem_events": ProblemEvent.objects.filter(Q(problem__in=problems) | Q(actor__in=people)),
        "problems": problems,
        # After the claims that name them; a demo person's membership of a real team goes too.
        "teams": teams,
        "team_memberships": Membership.objects.filter(user__in=people),
        "notifications": Notification.objects.filter(recipient__in=people),
        "consents": Consent.objects.filter(user__in=people),
        "commissioner_profiles": CommissionerProfile.objects.filter(user__in=people),
        "users": people,
    }


def demo_counts() -> dict[str, int]:
    return {name: qs.count() for name, qs in demo_rows().items()}


@transaction.atomic
def demo_remove() -> dict[str, int]:
    """Delete every demo row, all or nothing; returns how many of each were there.
    DemoRowsProtected when a row that is not demo still refers to one (nothing is removed then)."""
    counts = {}
    try:
        for name, rows in demo_rows().items():
            # Materialise the ids first: later querysets are defined through earlier ones.
            ids = list(rows.values_list("pk", flat=True))
            counts[name] = len(ids)
            for start in range(0, len(ids), 1000):
                rows.model.objects.filter(pk__in=ids[start:start + 1000]).delete()
    except ProtectedError as exc:
        blocking = sorted({f"{obj._meta.label} {obj.pk}" for obj in exc.protected_objects})[:10]
        raise DemoRowsProtected(", ".join(blocking)) from exc
    return counts
