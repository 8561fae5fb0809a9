"""The one place where errors become the contract's shape:

    {"error": {"code": "<machine_code>", "message": "<human text>", "fields": {...}}}

Messages and field details are rendered here, in the language of the request being answered
(LocaleMiddleware: zh-hans by default, English for `Accept-Language: en`). pydantic's own English
(`Input should be less than or equal to 200`) never reaches a client: each error `type` has a
translated message of ours, with pydantic's context values (`le`, `max_length`, ...) filled in.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from core.errors import DomainError, rendered

try:
    from psycopg_pool import PoolTimeout
except ImportError:  # pragma: no cover - the lock installs it
    PoolTimeout = None

logger = logging.getLogger(__name__)

# Where ninja says a value came from; the client cares about the field's own name.
_LOCATIONS = {"body", "query", "path", "form", "file", "header", "cookie"}
# By convention every router names its body parameter `payload` (and query schemas `filters`).
_PARAM_NAMES = {"payload", "filters", "pager", "params"}

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "overloaded",
}

# The sentence for each fallback code, where nothing more specific is known (api/middleware.py too).
_HTTP_MESSAGES: dict[str, Promise] = {
    "bad_request": _("Bad request."),
    "not_authenticated": _("Authentication is required."),
    "forbidden": _("Your role may not do this."),
    "not_found": _("No such endpoint."),
    "method_not_allowed": _("This endpoint does not accept that method."),
    "conflict": _("The record is not in a state that allows this."),
    "too_large": _("The request body is too large."),
    "unsupported_media_type": _("This content type is not accepted."),
    "invalid": _("The request is invalid."),
    "rate_limited": _("Too many requests; try again later."),
    "overloaded": _("The service is busy; please try again shortly."),
    "error": _("The request cannot be served."),
}


def http_message_for(code: str) -> str:
    return str(_HTTP_MESSAGES.get(code, _HTTP_MESSAGES["error"]))


class ErrorDetail(Schema):
    code: str = Field(..., description="A stable machine code, e.g. `outside_scope`, `invalid`, `rate_limited`.")
    message: str = Field(..., description="Human text.")
    fields: dict[str, Any] = Field(..., description="Per-field problems (422); empty otherwise.")


class ErrorOut(Schema):
    error: ErrorDetail


ERROR_DESCRIPTION = (
    "An error, in the contract's shape. 400 malformed body, 401 unauthenticated, 403 outside your role or "
    "area, 404 unknown id, 405 wrong method, 409 state conflict, 413 too large, 415 unsupported media type, "
    "422 invalid, 429 rate limited (with Retry-After); 503 `overloaded` (with Retry-After) when the service "
    "is busy."
)


def with_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document `ErrorOut` as the `4XX` answer of every operation (the handlers above make every 4xx one)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorOut"] = error_schema
    for operations in schema["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault("4XX", {
                "description": ERROR_DESCRIPTION,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
            })
    return schema


def error_body(code: str, message: str | Promise, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": rendered(fields or {})}}


def error_response(status: int, code: str, message: str | Promise,
                   fields: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False})


def http_code_for(status: int) -> str:
    return _HTTP_CODES.get(status, "error")


def _field_name(loc: list | tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _PARAM_NAMES:
        parts = parts[1:]
    return ".".join(parts) or "body"


# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) → our message;
# `%(name)s` takes the value of that name from the error's `ctx`.
_VALIDATION_MESSAGES: dict[str, Promise] = {
    "missing": _("This field is required."),
    "extra_forbidden": _("This field is not accepted."),
    "string_type": _("Must be a string."),
    "string_too_short": _("Must be at least %(min_length)s characters long."),
    "string_too_long": _("Must be at most %(max_length)s characters long."),
    "string_pattern_mismatch": _("Is not in the expected format."),
    "too_short": _("Must have at least %(min_length)s items."),
    "too_long": _("Must have at most %(max_length)s items."),
    "less_than": _("Must be less than %(lt)s."),
    "less_than_equal": _("Must be less than or equal to %(le)s."),
    "greater_than": _("Must be greater than %(gt)s."),
    "greater_than_equal": _("Must be greater than or equal to %(ge)s."),
    "multiple_of": _("Must be a multiple of %(multiple_of)s."),
    "int_type": _("Must be a whole number."),
    "int_parsing": _("Must be a whole number."),
    "int_from_float": _("Must be a whole number."),
    "int_parsing_size": _("The number is too large."),
    "float_type": _("Must be a number."),
    "float_parsing": _("Must be a number."),
    "finite_number": _("Must be a finite number."),
    "decimal_type": _("Must be a number."),
    "decimal_parsing": _("Must be a number."),
    "bool_type": _("Must be true or false."),
    "bool_parsing": _("Must be true or false."),
    "enum": _("Must be one of: %(expected)s."),
    "literal_error": _("Must be one of: %(expected)s."),
    "json_invalid": _("Is not valid JSON."),
    "json_type": _("Must be a JSON string."),
    "uuid_type": _("Must be a UUID."),
    "uuid_parsing": _("Must be a UUID."),
    "uuid_version": _("Must be a UUID."),
    "date_type": _("Must be a date (YYYY-MM-DD)."),
    "date_parsing": _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": _("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": _("Must be a date (YYYY-MM-DD), without a time."),
    "datetime_type": _("Must be a date and time (ISO 8601, with its UTC offset)."),
    "datetime_parsing": _("Must be a date and time (ISO 8601, with its UTC offset)."),
    "datetime_from_date_parsing": _("Must be a date and time (ISO 8601, with its UTC offset)."),
    "timezone_aware": _("The time must carry its UTC offset."),
    "list_type": _("Must be a list."),
    "set_type": _("Must be a list."),
    "tuple_type": _("Must be a list."),
    "dict_type": _("Must be an object."),
    "model_type": _("Must be an object."),
    "model_attributes_type": _("Must be an object."),
    "url_parsing": _("Must be a URL."),
    "url_type": _("Must be a URL."),
    "bytes_type": _("Must be a file or text."),
    "union_tag_invalid": _("Must be one of: %(expected_tags)s."),
    "none_required": _("Must be empty (null)."),
}
_INVALID_VALUE = _("Invalid value.")


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error as a sentence in the active language."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and ctx.get("error"):
        # Our validators raise ValueError with a translatable message (already text here: ninja
        # renders it while the request's language is active).
        return str(ctx["error"])
    template = _VALIDATION_MESSAGES.get(kind)
    if template is None:
        return gettext("Invalid value.")
    try:
        return str(template) % {key: str(value) for key, value in ctx.items()}
    except (KeyError, TypeError, ValueError):
        return gettext("Invalid value.")


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        name = _field_name(err.get("loc", ()))
        msg = validation_message(err)
        fields[name] = f"{fields[name]}; {msg}" if name in fields else msg
    return fields


def is_overload(exc: BaseException) -> bool:
    """The database could not serve in time: its pool had no free connection (psycopg_pool's
    PoolTimeout, which Django wraps in an OperationalError) or SQLite's file stayed locked."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if PoolTimeout is not None and isinstance(exc, PoolTimeout):
            return True
        if isinstance(exc, OperationalError) and "database is locked" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def overloaded_response() -> JsonResponse:
    # Not the client's fault and not a bug: say so, and when to come back.
    response = error_response(503, "overloaded", http_message_for("overloaded"))
    response["Retry-After"] = str(settings.OVERLOAD_RETRY_AFTER_S)
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = error_response(exc.status, exc.code, str(exc.message), exc.fields)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # RateLimited, and the overload errors of media/
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_fields(exc.errors)
        if not fields:
            return error_response(422, "invalid", gettext("The request is invalid."))
        # The list of names in the reader's language (", " / "、").
        names = gettext(", ").join(fields)
        return error_response(422, "invalid", gettext("Invalid input: %(fields)s.") % {"fields": names}, fields)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "not_authenticated", gettext("Authentication is required: send a Bearer token."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = http_code_for(exc.status_code)
        message = exc.message
        if exc.status_code == 400 and "parse request body" in exc.message:
            code = "malformed_body"
            message = gettext("The request body cannot be parsed (send JSON, without NUL characters).")
        elif code in _HTTP_MESSAGES:
            # ninja's and the routers' HttpErrors carry English; the client gets the status's sentence.
            message = str(_HTTP_MESSAGES[code])
        return error_response(exc.status_code, code, message)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", gettext("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(413, "too_large", gettext("The request body is too large."))

    @api.exception_handler(TooManyFieldsSent)
    def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
        return error_response(413, "too_large", gettext("Too many fields in the request."))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not bad input: log it whole, tell the client nothing internal.
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", gettext("Something went wrong on our side."))

    def database_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_overload(exc):
            logger.warning("Overloaded on %s %s: %s", request.method, request.path, exc)
            return overloaded_response()
        return unexpected(request, exc)

    api.add_exception_handler(OperationalError, database_error)
    if PoolTimeout is not None:  # when raised bare, outside Django's wrapper
        api.add_exception_handler(PoolTimeout, database_error)
