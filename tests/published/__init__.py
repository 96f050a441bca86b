"""Tests against the published lists of settled applicants (../shared/data)."""
