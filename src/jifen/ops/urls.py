"""The operations console (运维管理台), /ops/."""

from django.urls import path

from .views import dashboard, monitoring

app_name = "ops"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("monitoring/", monitoring.monitoring, name="monitoring"),
]
