from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

PAYLOAD_DOC = "Its shape depends on `type`: see `GET /notifications/types` for each type's JSON Schema."


class NotificationMessage(Schema):
    """Exactly what the websocket sends for one notification."""

    id: int
    type: str
    payload: dict[str, Any] = Field(..., description=PAYLOAD_DOC)
    created_at: datetime


class NotificationOut(NotificationMessage):
    read_at: datetime | None = None


class NotificationPage(Schema):
    count: int
    items: list[NotificationOut]


class NotificationFilters(Schema):
    unread: bool = Field(False, description="`1`: only the unread ones.")


class ReadAllOut(Schema):
    updated: int = Field(..., description="How many notifications this marked read.")


class NotificationTypeOut(Schema):
    type: str = Field(..., examples=["problem.posted"])
    label: str
    recipients: str = Field(..., description="Who receives this type.")
    description: str
    payload_schema: dict[str, Any] = Field(..., description="The payload's JSON Schema.")


class NotificationTypesOut(Schema):
    items: list[NotificationTypeOut]


class TicketOut(Schema):
    ticket: str = Field(..., description="Open `/ws/notifications/?ticket=<ticket>` with it, once.")
    expires_in: int = Field(..., description="Seconds the ticket stays valid if unused.")
