"""The staff workbench, mounted at /staff/ (namespace "staff")."""

from django.urls import path

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.home, name="home"),
    path("applications/<int:application_id>/", staff_views.application, name="application"),
    path("accounts/new/", staff_views.account_create, name="account_create"),
    path("accounts/<int:user_id>/<slug:action>/", staff_views.account_action,
         name="account_action"),
]
