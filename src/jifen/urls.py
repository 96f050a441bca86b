"""Root URL configuration; each app brings its own urls module."""

from django.urls import include, path


urlpatterns = [
    path("", include("jifen.web.urls")),
    path("accounts/", include("jifen.accounts.urls")),
    path("my/", include("jifen.applications.urls")),
    path("staff/", include("jifen.web.staff_urls")),
]
