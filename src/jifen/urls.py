"""Root URL configuration; each app brings its own urls module."""

from django.urls import include, path

from jifen.api.api import api
from jifen.ops.views.monitoring import metrics_view

urlpatterns = [
    path("", include("jifen.web.urls")),
    # Personal data: the applicant's download and corrections, the bureau's queue (PIPL).
    path("", include("jifen.privacy.urls")),
    path("accounts/", include("jifen.accounts.urls")),
    path("my/", include("jifen.applications.urls")),
    path("staff/rounds/", include("jifen.rounds.urls_setup")),
    path("staff/", include("jifen.web.staff_urls")),
    path("review/", include("jifen.review.urls")),
    path("messages/", include("jifen.inbox.urls")),
    path("stats/", include("jifen.stats.urls")),
    path("rounds/", include("jifen.rounds.urls_scoring")),
    path("gongshi/", include("jifen.publication.urls")),
    path("ops/", include("jifen.ops.urls")),
    path("api/", api.urls),
    # Prometheus metrics: this machine or an operator only (jifen.ops.views.monitoring).
    path("metrics", metrics_view, name="metrics"),
]

# Unexpected failures: the Chinese page or the API's JSON error, 503 while the database is away.
handler500 = "jifen.web.errors.server_error"
handler400 = "jifen.web.errors.bad_request"
