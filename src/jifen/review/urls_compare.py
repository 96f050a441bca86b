"""URLs of the compare pages (included by jifen.review.urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
