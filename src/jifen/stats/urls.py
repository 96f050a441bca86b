"""/stats/: the bureau's statistics, ad-hoc statistics and what-if pages."""

from django.urls import path

from . import adhoc_views, whatif_views

app_name = "stats"

urlpatterns: list = [
    path("adhoc/", adhoc_views.adhoc_page, name="adhoc"),
    path("whatif/", whatif_views.whatif_page, name="whatif"),
]
