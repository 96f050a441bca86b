"""Publication (公示), objections (异议) and settlement (落户), mounted at /gongshi/."""

from django.urls import path

from . import views

app_name = "publication"

urlpatterns = [
    path("<int:year>/", views.public_list, name="list"),
    path("<int:year>/download/<slug:kind>/", views.download, name="download"),
    path("<int:year>/objection/", views.objection_new, name="objection_new"),
    path("objection/lookup/", views.objection_lookup, name="objection_lookup"),
    path("my/", views.my_result, name="my_result"),
    path("manage/<int:year>/", views.manage, name="manage"),
    path("manage/<int:year>/objections/", views.objection_list, name="objection_list"),
    path("manage/objections/<int:objection_id>/", views.objection_detail, name="objection_detail"),
    path("manage/<int:year>/settlement/", views.settlement, name="settlement"),
]
