"""URLs of the queue pages (included by jifen.review.urls): the reviewers' queue and items,
the bureau's overview."""

from django.urls import path

from .views import queue

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("bulk-confirm/", queue.bulk_confirm, name="bulk_confirm"),
    path("items/<int:item_id>/", queue.item, name="item"),
    path("items/<int:item_id>/confirm/", queue.confirm, name="item_confirm"),
    path("items/<int:item_id>/correct/", queue.correct, name="item_correct"),
    path("items/<int:item_id>/reject/", queue.reject, name="item_reject"),
    path("overview/", queue.overview, name="overview"),
]
