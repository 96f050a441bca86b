"""Public pages of the site (home page) and the health endpoints."""
