"""Personal data's pages: the applicant's (/my/privacy/) and the bureau's queue
(/staff/corrections/), namespace "privacy"."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("my/privacy/", views.mine, name="mine"),
    path("my/privacy/download/", views.download, name="download"),
    path("staff/corrections/", views.queue, name="queue"),
    path("staff/corrections/<int:pk>/", views.detail, name="detail"),
]
