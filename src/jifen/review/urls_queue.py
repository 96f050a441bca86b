"""URLs of the queue pages (included by jifen.review.urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
