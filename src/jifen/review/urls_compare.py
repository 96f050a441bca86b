"""URLs of the compare pages (included by jifen.review.urls)."""

from django.urls import path

from .views import compare

urlpatterns = [
    path("", compare.compare_home, name="compare"),
    path("<int:run_id>/", compare.compare_run, name="compare_run"),
    path("<int:run_id>/status/", compare.compare_status, name="compare_status"),
]
