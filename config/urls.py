from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("", RedirectView.as_view(pattern_name="dashboard:index", permanent=False)),
]
