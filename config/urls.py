from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.api import api
from dashboard.forms import AdminLoginForm

# The admin site's login counts against the same guessing limits as every other login.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("app/", include("fieldapp.urls")),
    path("", RedirectView.as_view(pattern_name="dashboard:index", permanent=False)),
]
