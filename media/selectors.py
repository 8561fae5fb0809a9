from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from core.errors import NotFound

from .models import Photo


def photo_get(photo_id: int) -> Photo:
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound(_("No such photo."), code="photo_not_found")
    return photo


def photos_of(owner_kind: str, owner_ids: Iterable[int]) -> dict[int, list[Photo]]:
    """Photos of many records in one query, grouped by owner id."""
    grouped: dict[int, list[Photo]] = {}
    for photo in Photo.objects.filter(owner_kind=owner_kind, owner_id__in=list(owner_ids)).order_by("id"):
        grouped.setdefault(photo.owner_id, []).append(photo)
    return grouped


def photo_out(photo: Photo) -> dict:
    return {
        "id": photo.pk,
        "url": f"/api/v1/photos/{photo.pk}",
        "thumbnail_url": f"/api/v1/photos/{photo.pk}/thumbnail",
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "created_at": photo.created_at,
    }
