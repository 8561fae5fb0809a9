"""Serving photos to those whose scope includes the record."""

from __future__ import annotations

from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import parse_etags
from django.utils.translation import gettext_lazy as _
from ninja import Router

from api.auth import jwt_auth
from core.errors import OutsideScope

from .access import may_see_photo
from .models import Photo
from .selectors import photo_get
from .thumbnails import photo_thumbnail_make

router = Router(tags=["photos"], auth=jwt_auth)

# A stored copy and a thumbnail are written once and never replaced: a client may keep them for a
# year without asking again. `private`: they are served only with the owner's token, so no shared
# cache (a proxy, a CDN) may keep them. The ETag lets a client whose cache was evicted revalidate
# with `If-None-Match` and get 304 instead of the bytes again (2G links).
CACHE_CONTROL = "private, max-age=31536000, immutable"

_BINARY = {200: {"description": "The image", "content": {"image/*": {"schema": {
    "type": "string", "format": "binary"}}}}, 304: {"description": "Not modified (`If-None-Match`)."}}
_PHOTO_DOC = {"responses": _BINARY}
_THUMBNAIL_DOC = {"responses": {**_BINARY, 503: {
    "description": "Not made yet and every decoder stayed busy: `overloaded`; retry after `Retry-After`."}}}


def _etag(photo: Photo, thumbnail: bool) -> str:
    # The upload's digest names the stored copy's source; the id and kind tell copies of it apart.
    return f'"{photo.pk}-{photo.sha256[:24]}{"-t" if thumbnail else ""}"'


def _serve(request: HttpRequest, photo_id: int, thumbnail: bool) -> HttpResponse:
    photo = photo_get(photo_id)
    if not may_see_photo(request.auth, photo):
        raise OutsideScope(_("This photo belongs to a record outside your scope."))
    etag = _etag(photo, thumbnail)
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        if thumbnail:
            # Never the full copy in its place: a list of problems on a 2G link would download every
            # original. A thumbnail the task has not made yet is made now (once, bounded by the decode slots).
            photo = photo_thumbnail_make(photo=photo)
            response = FileResponse(photo.thumbnail.open("rb"), content_type="image/jpeg")
        else:
            response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    _release_database()
    return response


def _release_database() -> None:
    """Hand this request's pooled database connection back now, not after the last byte is sent.

    Django returns it at `request_finished`, once the whole answer has gone out: a photo going down a 2G
    link would hold one of the worker's few connections for seconds while only reading a file. Inside
    a transaction (tests, ATOMIC_REQUESTS) it stays: closing would end the transaction.
    """
    if not connection.in_atomic_block:
        connection.close()


@router.get("/photos/{photo_id}", summary="A photo (no EXIF)", openapi_extra=_PHOTO_DOC)
def photo(request: HttpRequest, photo_id: int):
    return _serve(request, photo_id, thumbnail=False)


@router.get("/photos/{photo_id}/thumbnail", summary="A photo's thumbnail (≤ 640 px JPEG, made on demand if missing)",
            openapi_extra=_THUMBNAIL_DOC)
def photo_thumbnail(request: HttpRequest, photo_id: int):
    return _serve(request, photo_id, thumbnail=True)
