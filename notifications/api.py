"""The inbox over HTTP: list, mark read, and the registry of types and their payloads."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from redis.exceptions import RedisError

from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from core.errors import DomainError

from . import services
from .schemas import (
    NotificationFilters,
    NotificationOut,
    NotificationPage,
    NotificationTypesOut,
    ReadAllOut,
    TicketOut,
)
from .selectors import notifications_for
from .tickets import ticket_issue
from .types import registry_described

router = Router(tags=["notifications"], auth=jwt_auth)


class TicketsUnavailable(DomainError):
    status = 503
    code = "unavailable"
    message = _("Websocket tickets are unavailable right now; connect with ?token= meanwhile.")


@router.post(
    "/notifications/ticket",
    response=TicketOut,
    summary="A single-use ticket to open the notifications websocket",
    description=(
        "Open `/ws/notifications/?ticket=<ticket>[&since=<last_id>]` within `expires_in` seconds. A ticket "
        "opens one socket once, so the access token never appears in a URL (or a log). The socket lasts as "
        "long as the access token used here would have."
    ),
)
def notifications_ticket(request: HttpRequest):
    try:
        ticket = ticket_issue(claims=request.access_claims)
    except RedisError as exc:  # the cache is down: no process could redeem it
        raise TicketsUnavailable() from exc
    return {"ticket": ticket.ticket, "expires_in": ticket.expires_in}


@router.get("/notifications", response=NotificationPage, summary="My notifications, newest first")
def notifications(request: HttpRequest, filters: Query[NotificationFilters], pager: Query[PageIn]):
    return page_of(notifications_for(user_id=request.auth.pk, unread=filters.unread), pager)


@router.post("/notifications/read-all", response=ReadAllOut, summary="Mark all my notifications read")
def notifications_read_all(request: HttpRequest):
    return {"updated": services.notifications_mark_all_read(user=request.auth)}


@router.post(
    "/notifications/{int:notification_id}/read",
    response=NotificationOut,
    summary="Mark one of my notifications read",
    description="Marking it again changes nothing (the first read time stays). 404 for an id that is not yours.",
)
def notification_read(request: HttpRequest, notification_id: int):
    return services.notification_mark_read(user=request.auth, notification_id=notification_id)


@router.get(
    "/notifications/types",
    response=NotificationTypesOut,
    auth=None,
    summary="The notification types, who receives each, and each payload's JSON Schema",
)
def notification_types(request: HttpRequest):
    return {"items": registry_described()}
