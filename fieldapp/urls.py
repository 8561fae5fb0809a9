from django.urls import path

from . import views

app_name = "fieldapp"

urlpatterns = [
    path("", views.shell, name="shell"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("v/<str:version>/<path:name>", views.asset, name="asset"),
]
