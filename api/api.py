"""The NinjaAPI instance: auth, error handlers and every app's router, under /api/v1/."""

from __future__ import annotations

from django.conf import settings
from ninja import NinjaAPI

from accounts.api import auth_router
from accounts.api import router as identity_router
from commissioners.api import router as commissioners_router
from core.instants import INSTANT_FORMAT
from media.api import router as photos_router
from notifications.api import router as notifications_router
from problems.api import router as problems_router
from stats.api import router as stats_router
from teams.api import router as teams_router
from trainings.api import router as trainings_router
from villages.api import router as areas_router

from .errors import install_error_handlers, with_error_responses
from .health import router as health_router
from .openapi import contract_schema
from .parsers import StrictJSONParser
from .rendering import ContractRenderer


class ContractAPI(NinjaAPI):
    """The served schema documents the error shape on every operation and the websocket, and is valid
    OpenAPI 3.1 (api/openapi.py)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return contract_schema(with_error_responses(schema))


api = ContractAPI(
    title="百色市科技特派员服务 API",
    version="1",
    description=(
        "Backend of Baise City's science-and-technology commissioner programme. "
        "Errors: `{error: {code, message, fields}}`. Positions: `crs` = wgs84 | gcj02 | bd09 "
        "(default wgs84); stored and answered in WGS-84 unless `?crs=` asks otherwise. "
        f"Times: {INSTANT_FORMAT}"
    ),
    urls_namespace="api",
    # Swagger UI's scripts and styles come from ninja's own static files ("ninja" in INSTALLED_APPS), not a
    # CDN: the page works with no internet. API_DOCS=0 serves neither the page nor the schema.
    docs_url="/docs" if settings.API_DOCS else None,
    openapi_url="/openapi.json" if settings.API_DOCS else None,
    parser=StrictJSONParser(),
    renderer=ContractRenderer(),
)
install_error_handlers(api)

api.add_router("/auth", auth_router)
api.add_router("", identity_router)
api.add_router("", areas_router)
api.add_router("", commissioners_router)
api.add_router("", notifications_router)
api.add_router("", problems_router)
api.add_router("", teams_router)
api.add_router("", trainings_router)
api.add_router("", photos_router)
api.add_router("", stats_router)
api.add_router("", health_router)
