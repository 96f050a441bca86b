"""The applicant's pages (mounted at /my/, namespace "applications")."""

from django.urls import path

from . import views_applicant as views

urlpatterns = [
    path("", views.applicant_home, name="applicant_home"),
    path("link/", views.link_request, name="link_request"),
    path("link/<int:link_id>/cancel/", views.link_cancel, name="link_cancel"),
    path("applications/start/", views.application_start, name="application_start"),
    path("applications/<int:pk>/", views.declaration, name="declaration"),
    path("applications/<int:pk>/sections/<str:key>/", views.declaration_section,
         name="declaration_section"),
    path("applications/<int:pk>/sections/<str:key>/autosave/", views.declaration_autosave,
         name="declaration_autosave"),
    path("applications/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("applications/<int:pk>/assessment/", views.assessment, name="assessment"),
    path("applications/<int:pk>/submit/", views.submit, name="submit"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence_delete"),
]
