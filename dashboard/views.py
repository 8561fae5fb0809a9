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
from stats.selectors import Window, baselines_beside, stats_area_for, targets_progress
from stats.teams import team_figures
from villages.models import AreaLevel

from .forms import PhoneLoginForm
from .params import coverage_params, team_params
from .selectors import plan_period, team_service_area, township_names, visible_team, visible_teams

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
    teams = visible_teams(user)
    config = {
        "urls": {"coverage": reverse("dashboard:coverage"), "targets": reverse("dashboard:targets"),
                 "team": reverse("dashboard:team"), "login": reverse("dashboard:login")},
        "plan": {"from": start.isoformat(), "to": end.isoformat()},
        "area": {"code": user.area.code, "name": user.area.name, "level": user.area.level},
        # The level the map opens at: the city's counties for the bureau; for county staff, whose
        # county alone would be one shape in one colour, its townships.
        "level": AreaLevel.TOWNSHIP if user.area.level == AreaLevel.COUNTY else AreaLevel.COUNTY,
        # Basemap tiles are off by default: the bureau's network is often closed to the internet.
        "tiles": {"url": getattr(settings, "DASHBOARD_TILE_URL", ""),
                  "attribution": getattr(settings, "DASHBOARD_TILE_ATTRIBUTION", "")},
    }
    return render(request, "dashboard/index.html", {"config": config, "role": Role(user.role).label, "teams": teams})


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
    within = stats_area_for(request.user)
    start, end = plan_period()
    return {"targets": targets_progress(within=within), "area_code": request.user.area_id,
            # The previous plan's results beside the current plan's so far (/stats/baselines).
            "baselines": baselines_beside(window=Window(start, end), within=within),
            "plan": {"from": start, "to": end}}


@_data_view
def team_data(request: HttpRequest) -> dict:
    """One shared service team's work in the window, for the team filter: the team, its service area and
    what of it to highlight at each map level, and its figures (stats/teams.py, as /stats/teams). A team
    the reader may not see is 403 (county staff see their county's teams and those serving it)."""
    team_id, window = team_params(request.GET)
    team = visible_team(request.user, team_id)
    figures = team_figures(within=stats_area_for(request.user), start=window.start, end=window.end,
                           team_id=team_id)[0]
    return {
        "team": team,
        **team_service_area(team_id),
        "figures": {key: figures[key] for key in ("members", "service_days", "trainings", "trainees",
                                                  "problems_resolved", "rating_avg")},
        "window": {"from": window.start, "to": window.end},
    }
