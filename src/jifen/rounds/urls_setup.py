"""The bureau's round set-up pages, mounted at /staff/rounds/ (namespace "round_setup")."""

from django.urls import path

from . import views_setup

app_name = "round_setup"

urlpatterns = [
    path("", views_setup.round_list, name="list"),
    path("new/", views_setup.round_new, name="new"),
    path("<int:year>/", views_setup.round_detail, name="detail"),
    path("<int:year>/edit/", views_setup.round_edit, name="edit"),
]
