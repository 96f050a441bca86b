"""The JSON API (django-ninja): every step of the applicant's and the employer's work.

``jifen.api.api.api`` is the NinjaAPI instance mounted at /api/ (OpenAPI at /api/openapi.json,
interactive docs at /api/docs for signed-in staff only). Endpoints stay thin: they call the
services (writes) and selectors (reads), which check the role and ownership again.
"""
