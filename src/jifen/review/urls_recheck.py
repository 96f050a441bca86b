"""URLs of the recheck pages (included by jifen.review.urls): the departments' and the service
window's disputes, and the re-check's evidence files."""

from django.urls import path

from .views import recheck

urlpatterns: list = [
    path("", recheck.recheck_list, name="recheck_list"),
    path("<int:dispute_id>/", recheck.recheck_detail, name="recheck_detail"),
    path("<int:dispute_id>/onsite/", recheck.recheck_send_onsite, name="recheck_send_onsite"),
    path("<int:dispute_id>/onsite-record/", recheck.recheck_onsite_record,
         name="recheck_onsite_record"),
    path("<int:dispute_id>/answer/", recheck.recheck_answer, name="recheck_answer"),
    path("evidence/<int:evidence_id>/", recheck.recheck_evidence, name="recheck_evidence"),
]
