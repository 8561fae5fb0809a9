"""The project's URLs plus ``POST /bench/bare``: a django-ninja endpoint that parses and validates a
body shaped like a check-in (no auth, no database) and answers ``{"ok": true}``. It is the floor that
the check-in endpoint's throughput is compared with, served by the same process in the same run."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI
from pydantic import AwareDatetime, Field

from api.positions import PointIn
from config.urls import urlpatterns as project_urlpatterns

bare_api = NinjaAPI(urls_namespace="bench", title="bench", docs_url=None, openapi_url=None)


class BareIn(PointIn):
    # The same fields and validation as commissioners.schemas.CheckinIn.
    client_id: UUID
    village_code: str = Field(..., pattern=r"^[0-9]{12}$")
    occurred_at: AwareDatetime
    note: str = Field("", max_length=2000)
    problem_id: int | None = None


@bare_api.post("/bare")
def bare(request: HttpRequest, payload: BareIn):
    return {"ok": True}


urlpatterns = [*project_urlpatterns, path("bench/", bare_api.urls)]
