"""Views of another person's personal data, on the record."""

from __future__ import annotations

from jifen.accounts.models import ApplicantProfile, User
from jifen.audit.services import record_access
from jifen.core.roles import Role


def record_personal_data_view(*, actor: User, applicant: ApplicantProfile, field: str) -> None:
    """Log that ``actor`` saw ``field`` of another person in full (access event)."""
    if (
        actor.is_authenticated
        and actor.role == Role.APPLICANT
        and actor.applicant.pk == applicant.pk
    ):
        return  # one's own data
    record_access(actor=actor, target=applicant, field=field)
