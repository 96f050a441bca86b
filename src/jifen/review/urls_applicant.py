"""URLs of the applicant pages (included by jifen.review.urls): the first result by year (an
applicant has one application a round, so the link in a message is the same for everyone)."""

from django.urls import path

from .views import applicant

urlpatterns: list = [
    path("", applicant.my_results, name="my_results"),
    path("<int:year>/", applicant.my_result, name="my_result"),
    path("<int:year>/recheck/", applicant.my_recheck, name="my_recheck"),
    path("<int:year>/disputes/<int:dispute_id>/evidence/", applicant.my_dispute_evidence,
         name="my_dispute_evidence"),
]
