"""Domain errors.

Services raise these; `api/errors.py` maps them, once, to the contract's error shape
`{"error": {"code", "message", "fields"}}` and status. Apps define their own subclasses
(``ProblemNotOpen(Conflict)``) with a stable machine ``code``.

Messages are English msgids, translated by Django's i18n (locale/, zh-hans by default,
``Accept-Language: en`` for English). The class messages are lazy: they become text in the
language of the request that is being answered, when `api/errors.py` renders them.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: str | Promise = _("The request cannot be served.")

    def __init__(self, message: str | Promise | None = None, *, fields: dict[str, Any] | None = None,
                 code: str | None = None) -> None:
        self.message = message or self.message
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(self.message)


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    message = _("Authentication is required.")


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    message = _("The phone number or password is wrong.")


class InvalidToken(DomainError):
    status = 401
    code = "invalid_token"
    message = _("The token is invalid, expired or revoked.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = _("Your role may not do this.")


class OutsideScope(Forbidden):
    code = "outside_scope"
    message = _("This is outside your area.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = _("No such record.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = _("The record is not in a state that allows this.")


class ClientIdReused(Conflict):
    """A phone's write replayed with its ``client_id`` but a different body: not the same write."""

    code = "client_id_reused"
    message = _("This client_id was already used for a different record.")


class Invalid(DomainError):
    status = 422
    code = "invalid"
    message = _("The request is invalid.")


class TooLarge(DomainError):
    status = 413
    code = "too_large"
    message = _("The request is too large.")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    message = _("Too many requests; try again later.")

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def rendered(value: Any) -> Any:
    """Lazy translations (a domain error's message, its field details) as text in the active language."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: rendered(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rendered(item) for item in value]
    return value
