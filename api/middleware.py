"""Errors that never reach a ninja operation (unknown paths, wrong methods, bodies Django refuses
before routing) still answer in the contract's shape under /api/."""

from __future__ import annotations

import json
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from .errors import error_response, http_code_for, http_message_for, is_overload, overloaded_response


class ErrorShapeMiddleware:
    # Both sync and async: under ASGI a sync-only middleware between async ones costs every
    # request extra hops between the event loop and a thread.
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        refused = _refuse_nul(request)
        return refused or _shaped(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        refused = _refuse_nul(request)
        return refused or _shaped(request, await self.get_response(request))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/") and isinstance(exception, RequestDataTooBig):
            return error_response(413, "too_large", http_message_for("too_large"))
        if is_overload(exception):  # outside a ninja operation (the dashboard's pages too): never a 500
            return overloaded_response()
        return None


def _refuse_nul(request: HttpRequest) -> HttpResponse | None:
    query = request.META.get("QUERY_STRING", "")
    if request.path.startswith("/api/") and ("\x00" in request.path or "%00" in query):
        # PostgreSQL text cannot hold U+0000: refuse it before any query sees it.
        return error_response(422, "invalid", gettext("The URL may not contain the NUL character."))
    return None


def _shaped(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not request.path.startswith("/api/") or response.status_code < 400 or response.status_code >= 500:
        return response
    if response.get("Content-Type", "").startswith("application/json") and _is_error_shape(response):
        return response
    code = http_code_for(response.status_code)
    shaped = error_response(response.status_code, code, http_message_for(code))
    if response.has_header("Allow"):
        shaped["Allow"] = response["Allow"]
    return shaped


def _is_error_shape(response: HttpResponse) -> bool:
    if getattr(response, "streaming", False):
        return True
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)
