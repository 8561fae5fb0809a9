from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.DashboardLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="dashboard:login"), name="logout"),
    path("data/coverage.json", views.coverage_data, name="coverage"),
    path("data/targets.json", views.targets_data, name="targets"),
    path("data/team.json", views.team_data, name="team"),
]
