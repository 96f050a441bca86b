"""The staff workbench, mounted at /staff/ (namespace "staff")."""

from django.urls import path

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.home, name="home"),
    path("applications/<int:application_id>/", staff_views.application, name="application"),
]
