"""Verification pages, mounted at /review/ (namespace "review"): the departments' queues and
comparisons, re-checks and signals for staff; the applicant's first result under /review/my/."""

from django.urls import include, path

app_name = "review"

urlpatterns = [
    path("", include("jifen.review.urls_queue")),
    path("compare/", include("jifen.review.urls_compare")),
    path("recheck/", include("jifen.review.urls_recheck")),
    path("signals/", include("jifen.review.urls_signals")),
    path("my/", include("jifen.review.urls_applicant")),
]
