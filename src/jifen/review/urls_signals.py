"""URLs of the signals pages (included by jifen.review.urls)."""

from django.urls import path

from .views import signals

urlpatterns = [
    path("", signals.signal_list, name="signals"),
    path("<int:signal_id>/", signals.signal_detail, name="signal"),
    path("<int:signal_id>/<slug:action>/", signals.signal_handle, name="signal_handle"),
]
