"""The employer agent's pages, under /my/employer/ (namespace "applications")."""

from django.urls import path

from .views import employer as views

urlpatterns = [
    path("employer/", views.employer_home, name="employer_home"),
    path(
        "employer/links/<int:link_id>/confirm/",
        views.employer_link_confirm,
        name="employer_link_confirm",
    ),
    path(
        "employer/links/<int:link_id>/refuse/",
        views.employer_link_refuse,
        name="employer_link_refuse",
    ),
    path(
        "employer/applications/<int:application_id>/",
        views.employer_application,
        name="employer_application",
    ),
    path(
        "employer/applications/<int:application_id>/reveal-id/",
        views.employer_reveal_id,
        name="employer_reveal_id",
    ),
    path(
        "employer/applications/<int:application_id>/return/",
        views.employer_application_return,
        name="employer_application_return",
    ),
    path(
        "employer/applications/<int:application_id>/submit/",
        views.employer_application_submit,
        name="employer_application_submit",
    ),
]
