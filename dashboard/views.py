"""The bureau's and the counties' web page: a session login over the same accounts, the page, and the
two JSON feeds it draws from. Views parse, authorise, call a stats selector and shape; nothing else."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from accounts.models import Role, User
from api.errors import error_response
from core.errors import DomainError
from stats.schemas import coverage_features
from stats.selectors import stats_area_for, targets_progress
from villages.models import AreaLevel

from .forms import PhoneLoginForm
from .params import coverage_params
from .selectors import plan_period, township_names

# The same roles as the API's /stats endpoints: the bureau sees the city, county staff their county.
DASHBOARD_ROLES = (Role.BUREAU, Role.COUNTY_STAFF)


def may_view(user: User) -> bool:
    return user.is_authenticated and user.role in DASHBOARD_ROLES


class DashboardLoginView(LoginView):
    template_name = "dashboard/login.html"
    authentication_form = PhoneLoginForm
    redirect_authenticated_user = True
    next_page = "dashboard:index"

    def form_invalid(self, form: PhoneLoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.rate_limited:
            response.status_code = 429
        return response


@login_required(login_url="dashboard:login")
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_view(user):
        return render(request, "dashboard/forbidden.html", {"role": Role(user.role).label}, status=403)
    start, end = plan_period()
    config = {
        "urls": {"coverage": reverse("dashboard:coverage"), "targets": reverse("dashboard:targets"),
                 "login": reverse("dashboard:login")},
        "plan": {"from": start.isoformat(), "to": end.isoformat()},
        "area": {"code": user.area.code, "name": user.area.name, "level": user.area.level},
        # The level the map opens at: the city's counties for the bureau; for county staff, whose
        # county alone would be one shape in one colour, its townships.
        "level": AreaLevel.TOWNSHIP if user.area.level == AreaLevel.COUNTY else AreaLevel.COUNTY,
        # Basemap tiles are off by default: the bureau's network is often closed to the internet.
        "tiles": {"url": getattr(settings, "DASHBOARD_TILE_URL", ""),
                  "attribution": getattr(settings, "DASHBOARD_TILE_ATTRIBUTION", "")},
    }
    return render(request, "dashboard/index.html", {"config": config, "role": Role(user.role).label})


def _data_view(view: Callable[[HttpRequest], dict]) -> Callable[[HttpRequest], HttpResponse]:
    """Session-authenticated JSON for the page (gzipped by core.compression): 401/403/405/422 in the
    API's error shape."""

    @wraps(view)
    @never_cache
    def wrapper(request: HttpRequest) -> HttpResponse:
        if request.method != "GET":
            response = error_response(405, "method_not_allowed", gettext("Only GET is supported."))
            response["Allow"] = "GET"
            return response
        if not request.user.is_authenticated:
            return error_response(401, "not_authenticated", gettext("Your login has expired; log in again."))
        if not may_view(request.user):
            message = gettext("The dashboard is open to the city bureau and county offices only.")
            return error_response(403, "forbidden", message)
        try:
            body = view(request)
        except DomainError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.fields)
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

    return wrapper


@_data_view
def coverage_data(request: HttpRequest) -> dict:
    level, window = coverage_params(request.GET)
    area = request.user.area
    collection = coverage_features(level=level, window=window, within=area)
    if level == AreaLevel.VILLAGE:
        townships = township_names(area)
        for feature in collection["features"]:
            props = feature["properties"]
            props["township_code"] = props["code"][:9]
            props["township_name"] = townships.get(props["township_code"], "")
    return {
        **collection,
        "level": level,
        "window": {"from": window.start, "to": window.end},
        "area": {"code": area.code, "name": area.name, "level": area.level},
    }


@_data_view
def targets_data(request: HttpRequest) -> dict:
    # The reader's scope, as the API's /stats/targets: county staff see their own county's figure only.
    return {"targets": targets_progress(within=stats_area_for(request.user)), "area_code": request.user.area_id}
