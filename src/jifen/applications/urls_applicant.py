"""The applicant's pages (mounted at /my/, namespace "applications")."""

from django.urls import path

from .views import applicant, declaration, evidence

urlpatterns = [
    path("", applicant.applicant_home, name="applicant_home"),
    path("link/", applicant.link_request, name="link_request"),
    path("link/<int:link_id>/cancel/", applicant.link_cancel, name="link_cancel"),
    path("applications/start/", applicant.application_start, name="application_start"),
    path("applications/<int:pk>/", declaration.declaration, name="declaration"),
    path("applications/<int:pk>/sections/<str:key>/", declaration.declaration_section,
         name="declaration_section"),
    path("applications/<int:pk>/sections/<str:key>/autosave/", declaration.declaration_autosave,
         name="declaration_autosave"),
    path("applications/<int:pk>/evidence/", evidence.evidence_upload, name="evidence_upload"),
    path("applications/<int:pk>/assessment/", declaration.assessment, name="assessment"),
    path("applications/<int:pk>/submit/", declaration.submit, name="submit"),
    path("applications/<int:pk>/withdraw/", declaration.withdraw, name="withdraw"),
    path("evidence/<int:evidence_id>/", evidence.evidence_download, name="evidence_download"),
    path("evidence/<int:evidence_id>/delete/", evidence.evidence_delete, name="evidence_delete"),
]
