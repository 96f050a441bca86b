"""/stats/: the bureau's statistics, ad-hoc statistics and what-if pages."""

from django.urls import path

from . import adhoc_views, statistics_views, whatif_views

app_name = "stats"

urlpatterns: list = [
    path("", statistics_views.statistics, name="statistics"),
    path("statistics/<slug:key>.xlsx", statistics_views.statistics_xlsx, name="statistics_xlsx"),
    path("adhoc/", adhoc_views.adhoc_page, name="adhoc"),
    path("whatif/", whatif_views.whatif_page, name="whatif"),
]
