"""The operations console (运维管理台), /ops/."""

from django.urls import path

from .views import (
    backups,
    cmdb,
    complaints,
    dashboard,
    incidents,
    inspections,
    monitoring,
    reports,
    training,
    visits,
)
from .views import parameters as parameter_views

app_name = "ops"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    # incidents and complaints (故障处理, 投诉受理)
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/<str:number>/", incidents.incident_detail, name="incident"),
    path(
        "incidents/<str:number>/report.pdf",
        incidents.incident_report_download,
        name="incident_report",
    ),
    path("incidents/<str:number>/<slug:step>/", incidents.incident_step, name="incident_step"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/<str:number>/", complaints.complaint_detail, name="complaint"),
    path("complaints/<str:number>/answer/", complaints.complaint_answer, name="complaint_answer"),
    # On-site service, training, CMDB, system parameters (issue 10, "records").
    path("visits/", visits.visit_list, name="visits"),
    path("visits/new/", visits.visit_new, name="visit_new"),
    path("visits/export.xlsx", visits.visit_export, name="visits_export"),
    path("visits/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/solve/", visits.visit_solve, name="visit_solve"),
    path("visits/<int:pk>/sign-off/", visits.visit_sign_off, name="visit_sign_off"),
    path("training/", training.training_list, name="training"),
    path("training/materials/", training.training_materials, name="training_materials"),
    path("training/new/", training.training_new, name="training_new"),
    path("training/<int:pk>/", training.training_detail, name="training_detail"),
    path("training/<int:pk>/held/", training.training_held, name="training_held"),
    path("training/<int:pk>/cancel/", training.training_cancel, name="training_cancel"),
    path("training/<int:pk>/upload/", training.training_upload, name="training_upload"),
    path("training/<int:pk>/material/", training.training_material, name="training_material"),
    path("cmdb/", cmdb.cmdb_list, name="cmdb"),
    path("cmdb/new/", cmdb.cmdb_new, name="cmdb_new"),
    path("cmdb/discover/", cmdb.cmdb_discover, name="cmdb_discover"),
    path("cmdb/<int:pk>/", cmdb.cmdb_detail, name="cmdb_detail"),
    path("cmdb/<int:pk>/retire/", cmdb.cmdb_retire, name="cmdb_retire"),
    path("parameters/", parameter_views.parameter_list, name="parameters"),
    path("parameters/<str:key>/", parameter_views.parameter_edit, name="parameter_edit"),
    path("inspections/", inspections.inspection_list, name="inspections"),
    path("inspections/run/", inspections.inspection_run, name="inspection_run"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection"),
    path(
        "inspections/<int:pk>.<str:fmt>",
        inspections.inspection_download,
        name="inspection_download",
    ),
    path("monitoring/", monitoring.monitoring, name="monitoring"),
    path("reports/", reports.reports_page, name="reports"),
    path("reports/download/", reports.report_download, name="report_download"),
    path("backups/", backups.backups, name="backups"),
    path("backups/take/", backups.backup_now, name="backup_now"),
    path("backups/drill/", backups.drill_now, name="backup_drill"),
]
