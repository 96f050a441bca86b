"""Views of another person's personal data, on the record."""

from __future__ import annotations

from collections.abc import Iterable

from jifen.accounts.models import ApplicantProfile, User
from jifen.audit.services import record_access
from jifen.core.roles import Role

from ..models import Application


def record_personal_data_view(*, actor: User, applicant: ApplicantProfile, field: str) -> None:
    """Log that ``actor`` saw ``field`` of another person in full (access event)."""
    if (
        actor.is_authenticated
        and actor.role == Role.APPLICANT
        and actor.applicant.pk == applicant.pk
    ):
        return  # one's own data
    record_access(actor=actor, target=applicant, field=field)


DECLARATION_FIELD = "declaration"


def record_declaration_view(*, actor: User, app: Application, sections: Iterable[str]) -> None:
    """Log that ``actor`` (an employer agent or a staff member) was shown ``sections`` of the
    declaration ``app`` (access event, field "declaration", the section keys as its detail).
    The applicant's own reads are not logged."""
    if actor.is_authenticated and actor.role == Role.APPLICANT:
        return
    record_access(actor=actor, target=app, field=DECLARATION_FIELD, detail=",".join(sections))
