"""The operator's reads: table sizes and unapplied migrations."""

import pytest

from jifen.applications import services
from jifen.web import health
from jifen.web.selectors import system_counts
from tests.factories import fill_declaration, linked_pair, make_round

pytestmark = pytest.mark.django_db


def test_system_counts_count_the_main_tables() -> None:
    assert system_counts() == {
        "users": 0, "employers": 0, "applicants": 0, "rounds": 0, "applications": 0,
        "evidence": 0, "audit_events": 0,
    }
    make_round(2026)
    applicant, _agent = linked_pair()
    fill_declaration(applicant, services.application_start(actor=applicant), evidence=False)

    counts = system_counts()

    assert list(counts) == ["users", "employers", "applicants", "rounds", "applications",
                            "evidence", "audit_events"]
    assert (counts["users"], counts["employers"], counts["applicants"]) == (2, 1, 1)
    assert (counts["rounds"], counts["applications"], counts["evidence"]) == (1, 1, 0)
    assert counts["audit_events"] > 0


def test_no_migration_is_left_to_apply() -> None:
    assert health.unapplied_migrations() == []
