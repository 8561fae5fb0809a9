"""Reads for trainings: scoped lists, one training, and the tallies the bureau's statistics sum."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import scope_q
from core.errors import NotFound, OutsideScope
from core.periods import day_start, in_window
from media.models import Photo, PhotoOwner
from media.selectors import photos_of

from .models import Training, TrainingAttendee

Bound = date | datetime | None


def _count_of(qs: QuerySet, key: str) -> Coalesce:
    """A correlated COUNT as an annotation (``qs`` is filtered on ``key`` = the outer row): one query for
    the whole page, whatever its size. Grouping by the correlated key leaves exactly one group, or none."""
    sub = qs.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def _trainings() -> QuerySet[Training]:
    photos = Photo.objects.filter(owner_kind=PhotoOwner.TRAINING, owner_id=OuterRef("pk"))
    roster = TrainingAttendee.objects.filter(training=OuterRef("pk"))
    return Training.objects.select_related("village", "commissioner").annotate(
        photo_count=_count_of(photos, "owner_id"), roster_size=_count_of(roster, "training")
    )


def trainings_visible_to(user: User) -> QuerySet[Training]:
    """A commissioner's own trainings; staff: those in villages of their area; the bureau: the city's."""
    if user.role == Role.COMMISSIONER:
        return _trainings().filter(commissioner=user)
    return _trainings().filter(scope_q(user, "village"))


def training_window(start: Bound, end: Bound) -> tuple[datetime | None, datetime | None]:
    """`from`/`to` as a half-open instant range [since, until).

    A date is an Asia/Shanghai day (the bureau's day): `from` starts at its 00:00+08:00 and `to` includes
    that whole day. A datetime (with its offset) is that instant, inclusive at both ends.
    """
    since = until = None
    if isinstance(start, datetime):
        since = start
    elif isinstance(start, date):
        since = day_start(start)
    if isinstance(end, datetime):
        until = end + timedelta(microseconds=1)
    elif isinstance(end, date):
        until = day_start(end + timedelta(days=1))
    return since, until


def trainings_list(
    *,
    user: User,
    county: str | None = None,
    township: str | None = None,
    village: str | None = None,
    commissioner: int | None = None,
    start: Bound = None,
    end: Bound = None,
) -> QuerySet[Training]:
    """The trainings ``user`` may see, filtered, newest first. Each row carries ``photo_count`` and
    ``roster_size``; a page of any size is one query (plus the count)."""
    qs = trainings_visible_to(user)
    if county:
        qs = qs.filter(village__county_code=county)
    if township:
        qs = qs.filter(village__township_code=township)
    if village:
        qs = qs.filter(village_id=village)
    if commissioner:
        qs = qs.filter(commissioner_id=commissioner)
    return in_window(qs, "started_at", *training_window(start, end)).order_by("-started_at", "-id")


def training_get(user: User, training_id: int) -> Training:
    """The training the path names, if ``user`` may see it: 403 when it exists outside their scope
    (the contract: 403 outside your role or area, 404 unknown id)."""
    training = trainings_visible_to(user).filter(pk=training_id).first()
    if training is None:
        if Training.objects.filter(pk=training_id).exists():
            raise OutsideScope(_("Training %(id)s is outside your scope.") % {"id": training_id})
        raise NotFound(_("No training %(id)s.") % {"id": training_id}, code="training_not_found")
    return training


def training_photos(training: Training) -> list[Photo]:
    return photos_of(PhotoOwner.TRAINING, [training.pk]).get(training.pk, [])
