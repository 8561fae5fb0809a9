"""The one place where errors become the contract's shape:

    {"error": {"code": "<machine_code>", "message": "<human text>", "fields": {...}}}
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from core.errors import DomainError

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


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> JsonResponse:
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


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        name = _field_name(err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
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
    response = error_response(503, "overloaded", str(_("The service is busy; please try again shortly.")))
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
        names = ", ".join(fields) or "the request"
        return error_response(422, "invalid", f"Invalid input: {names}.", fields)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "not_authenticated", "Authentication is required: send a Bearer token.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = http_code_for(exc.status_code)
        if exc.status_code == 400 and "parse request body" in exc.message:
            code = "malformed_body"
        return error_response(exc.status_code, code, exc.message)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", str(exc) or "Not found.")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(413, "too_large", "The request body is too large.")

    @api.exception_handler(TooManyFieldsSent)
    def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
        return error_response(413, "too_large", "Too many fields in the request.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not bad input: log it whole, tell the client nothing internal.
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")

    def database_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_overload(exc):
            logger.warning("Overloaded on %s %s: %s", request.method, request.path, exc)
            return overloaded_response()
        return unexpected(request, exc)

    api.add_exception_handler(OperationalError, database_error)
    if PoolTimeout is not None:  # when raised bare, outside Django's wrapper
        api.add_exception_handler(PoolTimeout, database_error)
