"""/stats/: the bureau's statistics, ad-hoc statistics and what-if pages."""

from django.urls import path  # noqa: F401

app_name = "stats"

urlpatterns: list = []
