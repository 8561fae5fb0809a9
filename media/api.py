"""Serving photos to those whose scope includes the record."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router

from api.auth import jwt_auth
from core.errors import OutsideScope

from .access import may_see_photo
from .selectors import photo_get

router = Router(tags=["photos"], auth=jwt_auth)

_BINARY = {"responses": {200: {"description": "The image", "content": {"image/*": {"schema": {
    "type": "string", "format": "binary"}}}}}}


def _serve(request: HttpRequest, photo_id: int, thumbnail: bool) -> FileResponse:
    photo = photo_get(photo_id)
    if not may_see_photo(request.auth, photo):
        raise OutsideScope(_("This photo belongs to a record outside your scope."))
    field = photo.thumbnail if thumbnail and photo.thumbnail else photo.file
    content_type = "image/jpeg" if field is photo.thumbnail else photo.content_type
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@router.get("/photos/{photo_id}", summary="A photo (no EXIF)", openapi_extra=_BINARY)
def photo(request: HttpRequest, photo_id: int):
    return _serve(request, photo_id, thumbnail=False)


@router.get("/photos/{photo_id}/thumbnail", summary="A photo's thumbnail (≤ 640 px)", openapi_extra=_BINARY)
def photo_thumbnail(request: HttpRequest, photo_id: int):
    return _serve(request, photo_id, thumbnail=True)
