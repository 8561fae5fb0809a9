"""The durable inbox: every notification is a row before it is a websocket message."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .types import NotificationType


class Notification(models.Model):
    """One event for one person.

    The primary key is the client's cursor: a client that saw notification N reconnects with
    ``since=N`` and is replayed every later one. For that to be gapless, one recipient's rows must
    commit in id order; `services.notify` makes sure of it (see ``_inboxes_lock``).
    """

    id = models.BigAutoField(primary_key=True)
    # An inbox is nobody's record but its owner's: it goes with them.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="notifications", on_delete=models.CASCADE)
    type = models.CharField(max_length=40, choices=NotificationType.choices)
    payload = models.JSONField()
    # The event's identity for this recipient (e.g. "problem.posted:42"): a fan-out that is retried
    # or redelivered after a worker died creates nothing twice. Empty: no identity, no check.
    key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=NotificationType.values), name="notifications_notification_type_valid"
            ),
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~Q(key=""),
                name="notifications_notification_key_once",
            ),
        ]
        indexes = [
            # "the recipient's notifications after id N, in id order" (websocket replay, the cursor,
            # the list newest first) and "the recipient's last id" (the consumer's starting cursor).
            models.Index(fields=["recipient", "id"], name="notifications_notif_inbox"),
            # "the recipient's unread ones": the unread count, `?unread=1`, read-all. Partial, so it
            # holds only what is unread, which is a small part of an inbox.
            models.Index(
                fields=["recipient", "id"], condition=Q(read_at__isnull=True), name="notifications_notif_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} to {self.recipient_id}"
