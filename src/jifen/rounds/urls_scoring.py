"""The bureau's scoring pages, mounted at /rounds/ (namespace "scoring")."""

from django.urls import path

from . import views_scoring as views

app_name = "scoring"

urlpatterns = [
    path("<int:year>/scoring/", views.scoring_home, name="home"),
    path("<int:year>/scoring/runs/<int:run_id>/status/", views.scoring_status, name="status"),
]
