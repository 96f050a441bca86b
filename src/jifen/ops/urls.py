"""The operations console (运维管理台), /ops/."""

from django.urls import path

from .views import backups, dashboard

app_name = "ops"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("backups/", backups.backups, name="backups"),
    path("backups/take/", backups.backup_now, name="backup_now"),
    path("backups/drill/", backups.drill_now, name="backup_drill"),
]
