"""Reads for the operators' view of the system (the health checks are in ``health``)."""

from __future__ import annotations

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.applications.models import Application, Evidence
from jifen.audit.models import AuditEvent
from jifen.rounds.models import Round


def system_counts() -> dict[str, int]:
    """How many rows the main tables hold, keyed by what they are (in the order shown)."""
    return {
        "users": User.objects.count(),
        "employers": Employer.objects.count(),
        "applicants": ApplicantProfile.objects.count(),
        "rounds": Round.objects.count(),
        "applications": Application.objects.count(),
        "evidence": Evidence.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }
