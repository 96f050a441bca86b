"""The operations console (运维管理台), /ops/."""

from django.urls import path

from .views import dashboard, inspections

app_name = "ops"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("inspections/", inspections.inspection_list, name="inspections"),
    path("inspections/run/", inspections.inspection_run, name="inspection_run"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection"),
    path(
        "inspections/<int:pk>.<str:fmt>",
        inspections.inspection_download,
        name="inspection_download",
    ),
]
