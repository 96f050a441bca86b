"""The operations console (运维管理台), /ops/."""

from django.urls import path

from .views import dashboard, reports

app_name = "ops"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("reports/", reports.reports_page, name="reports"),
    path("reports/download/", reports.report_download, name="report_download"),
]
