"""The operations console (运维管理台), /ops/."""

from django.urls import path

from .views import complaints, dashboard, incidents

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
]
