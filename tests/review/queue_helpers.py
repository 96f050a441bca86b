"""Builders shared by the queue tests: a comparison's decision on an item, reviewers."""

from __future__ import annotations

from typing import Any

from jifen.core.roles import Role
from jifen.review import ledger
from jifen.review.models import Action, Decision, Source, VerificationItem
from tests.factories import make_staff


def reviewer(department: str) -> Any:
    return make_staff(Role.REVIEWER, department)


def item_of(app: Any, kind: str) -> VerificationItem:
    return VerificationItem.objects.get(application=app, kind=kind)


def compare(item: VerificationItem, value: Any, *, matched: bool) -> Decision:
    """What a data comparison writes for ``item`` (its recorded value and outcome)."""
    item = VerificationItem.objects.get(pk=item.pk)
    return ledger.append(item, action=Action.COMPARE, source=Source.COMPARISON, value=value,
                         matched=matched)


def another_submitted(agent: Any = None) -> Any:
    """One more application, of the current round, passed on by its employer (``agent``'s
    employer, or a new one)."""
    from jifen.applications import services
    from tests.factories import fill_declaration, linked_pair, make_applicant

    if agent is None:
        applicant, agent = linked_pair()
    else:
        applicant = make_applicant()
        link = services.link_request(actor=applicant, employer_code=agent.employer.code)
        services.link_confirm(actor=agent, link_id=link.pk)
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    return services.application_employer_submit(actor=agent, application_id=app.pk,
                                                version=app.version)
