"""The registry of notification types: what each one carries and who receives it.

A type is added here (its payload schema, its audience) and nowhere else; the model's check
constraint and the `GET /notifications/types` endpoint both read this registry. Adding or renaming
a type changes the constraint, so `makemigrations notifications` produces a migration for it.

Payloads are stored as sent and replayed for as long as the row lives, so a payload schema may
only grow by optional fields (with a default); a field is never renamed or made required.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import models
from pydantic import BaseModel, ConfigDict, Field, model_serializer
from pydantic import ValidationError as PydanticValidationError

VILLAGE_CODE = r"^[0-9]{12}$"


class NotificationType(models.TextChoices):
    PROBLEM_POSTED = "problem.posted", "新难题"
    CLAIM_CREATED = "claim.created", "特派员揭榜"
    CLAIM_ACCEPTED = "claim.accepted", "揭榜被采纳"
    CLAIM_DECLINED = "claim.declined", "揭榜未被采纳"
    PROBLEM_RESOLVED = "problem.resolved", "难题已解决"
    PROBLEM_ESCALATED = "problem.escalated", "难题上报县级"
    PROBLEM_MESSAGE = "problem.message", "难题新留言"
    PROBLEM_REJECTED = "problem.rejected", "验收未通过"
    PROBLEM_REFERRED = "problem.referred", "难题转交"
    PROBLEM_CLOSED = "problem.closed", "难题已办结"


class Payload(BaseModel):
    # Plain pydantic, not ninja's Schema: a fan-out validates one payload per recipient, and the
    # Schema's Django-object getter doubled that cost. Nothing here reads from model instances.
    # An unknown key is a typo in the caller, not data to keep.
    model_config = ConfigDict(extra="forbid")


class TeamFieldsOmittedWhenEmpty(Payload):
    """Payloads that grew team fields: a notification about no team stores and sends none of them (not
    nulls), so what every existing client receives for a person's claim is unchanged."""

    @model_serializer(mode="wrap")
    def _without_empty_team_fields(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        for key in ("team_id", "team_name", "team_ids"):
            if key in data and not data[key]:
                del data[key]
        return data


class ProblemPostedPayload(TeamFieldsOmittedWhenEmpty):
    problem_id: int
    title: str = Field(..., min_length=1, max_length=200)
    category: str = Field(..., max_length=32, description="A category code (`GET /categories`).")
    village_code: str = Field(..., pattern=VILLAGE_CODE)
    urgency: Literal["low", "normal", "high"]
    distance_km: float = Field(..., ge=0, description="From the recipient's home position to the problem (a team "
                                                    "member without one: from their registered area).")
    team_ids: list[int] = Field(default_factory=list,
                                description="The recipient's teams serving the village (why a team member hears).")


class ClaimCreatedPayload(TeamFieldsOmittedWhenEmpty):
    problem_id: int
    claim_id: int
    commissioner_id: int
    commissioner_name: str = Field(..., max_length=64)
    team_id: int | None = Field(None, description="Set when the commissioner claimed for their team.")
    team_name: str | None = Field(None, max_length=64)


class ClaimDecidedPayload(TeamFieldsOmittedWhenEmpty):
    problem_id: int
    claim_id: int
    team_id: int | None = Field(None, description="A team's claim: every member is told.")


class ProblemResolvedPayload(Payload):
    problem_id: int
    summary: str = Field(..., max_length=2000)


class ProblemEscalatedPayload(Payload):
    problem_id: int
    reason: Literal["unclaimed", "deadline"]
    village_code: str = Field(..., pattern=VILLAGE_CODE)


class ProblemMessagePayload(Payload):
    problem_id: int
    message_id: int
    author_id: int
    author_name: str = Field(..., max_length=64)
    author_role: Literal["commissioner", "township_staff", "county_staff", "bureau"]
    excerpt: str = Field(..., max_length=100, description="The message's first 100 characters.")


class ProblemRejectedPayload(Payload):
    problem_id: int
    reason: str = Field(..., max_length=2000, description="Why the staff judged it not fixed.")


class ProblemReferredPayload(Payload):
    problem_id: int
    reason: str = Field(..., max_length=2000)
    village_code: str = Field(..., pattern=VILLAGE_CODE)
    by: Literal["commissioner", "staff"] = Field(..., description="Who handed it back.")


class ProblemClosedPayload(Payload):
    problem_id: int
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


@dataclass(frozen=True)
class NotificationKind:
    type: NotificationType
    payload: type[Payload]
    recipients: str
    description: str


REGISTRY: dict[str, NotificationKind] = {
    kind.type.value: kind
    for kind in (
        NotificationKind(
            NotificationType.PROBLEM_POSTED,
            ProblemPostedPayload,
            "Available, active commissioners with the problem's category in their expertise whose home is "
            "within the search radius of the problem, and the members of active teams of that industry whose "
            "service area covers the village.",
            "A village posted a problem a commissioner could take up (揭榜).",
        ),
        NotificationKind(
            NotificationType.CLAIM_CREATED,
            ClaimCreatedPayload,
            "The staff who manage the problem (its township's staff).",
            "A commissioner claimed a problem.",
        ),
        NotificationKind(
            NotificationType.CLAIM_ACCEPTED,
            ClaimDecidedPayload,
            "The commissioner whose claim it is (a team's claim: every member).",
            "The problem's staff accepted the claim: the problem is in progress.",
        ),
        NotificationKind(
            NotificationType.CLAIM_DECLINED,
            ClaimDecidedPayload,
            "The commissioner whose claim it is (a team's claim: every member).",
            "Another claim was accepted, or the problem was withdrawn.",
        ),
        NotificationKind(
            NotificationType.PROBLEM_RESOLVED,
            ProblemResolvedPayload,
            "The staff who manage the problem, who confirm and rate it.",
            "The accepted commissioner reported the problem resolved.",
        ),
        NotificationKind(
            NotificationType.PROBLEM_ESCALATED,
            ProblemEscalatedPayload,
            "The county staff of the problem's county.",
            "An open problem went unclaimed too long or passed its deadline (its status is unchanged).",
        ),
        NotificationKind(
            NotificationType.PROBLEM_MESSAGE,
            ProblemMessagePayload,
            "The others who may read the message: the staff taking part (the poster, the township's staff, "
            "staff who wrote in the conversation) and, for a staff message, the live claimants (a team's claim: every "
            "member); a team member's message also reaches the team.",
            "A new message in a problem's conversation.",
        ),
        NotificationKind(
            NotificationType.PROBLEM_REJECTED,
            ProblemRejectedPayload,
            "The commissioner whose claim was accepted (a team's claim: every member).",
            "The township's staff judged the resolution did not fix it: the problem is in progress again.",
        ),
        NotificationKind(
            NotificationType.PROBLEM_REFERRED,
            ProblemReferredPayload,
            "The county staff of the problem's county, the problem's township staff and poster, and the "
            "commissioner whose claim was referred, every member for a team's (everyone but who referred it).",
            "A problem was handed back (I cannot solve this): it is open to claims again.",
        ),
        NotificationKind(
            NotificationType.PROBLEM_CLOSED,
            ProblemClosedPayload,
            "The commissioner whose claim was accepted (a team's claim: every member).",
            "The township's staff confirmed the resolution with a rating: the problem is closed.",
        ),
    )
}


def payload_validated(type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as stored: checked against the type's schema and normalised to JSON values.

    An unknown type or a payload that does not fit is a bug in the caller, not bad user input:
    it raises ``ValueError`` (never a 4xx).
    """
    kind = REGISTRY.get(type)
    if kind is None:
        raise ValueError(f"Unknown notification type {type!r}; known: {', '.join(REGISTRY)}.")
    try:
        return kind.payload.model_validate(payload).model_dump(mode="json")
    except PydanticValidationError as exc:
        raise ValueError(f"Invalid payload for {type!r}: {exc}") from exc


def registry_described() -> list[dict[str, Any]]:
    """Every type with its audience and its payload's JSON Schema (for clients and the docs)."""
    return [
        {
            "type": kind.type.value,
            "label": kind.type.label,
            "recipients": kind.recipients,
            "description": kind.description,
            "payload_schema": kind.payload.model_json_schema(),
        }
        for kind in REGISTRY.values()
    ]
