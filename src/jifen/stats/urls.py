"""/stats/: the bureau's statistics, ad-hoc statistics and what-if pages."""

from django.urls import path

from . import statistics_views

app_name = "stats"

urlpatterns: list = [
    path("", statistics_views.statistics, name="statistics"),
    path("statistics/<slug:key>.xlsx", statistics_views.statistics_xlsx, name="statistics_xlsx"),
]
