"""The message centre's pages, under /messages/ (namespace "inbox")."""

from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("read-all/", views.message_read_all, name="read_all"),
    path("<int:message_id>/", views.message_detail, name="detail"),
]
