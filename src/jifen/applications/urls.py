"""Pages of the declaration: the applicant's (urls_applicant) and the employer's (urls_employer)."""

from .urls_applicant import urlpatterns as applicant_patterns
from .urls_employer import urlpatterns as employer_patterns

app_name = "applications"

urlpatterns = applicant_patterns + employer_patterns
