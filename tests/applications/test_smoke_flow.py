"""The whole applicant/employer journey at the service level, end to end."""

import pytest

from jifen.applications import selectors, services
from jifen.applications.models import Status
from tests.factories import fill_declaration, linked_pair, make_round

pytestmark = pytest.mark.django_db


def test_journey_from_link_to_employer_submission():
    make_round(2026)
    applicant, agent = linked_pair()
    app = services.application_start(actor=applicant)
    assert app.number.startswith("26")
    app = fill_declaration(applicant, app)
    assessment = selectors.assess(app)
    assert assessment.errors == []
    assert assessment.result["eligible"] is True
    assert assessment.result["indicators"]["honours"] == 20.0
    app = services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    assert app.status == Status.SUBMITTED
    app = services.application_employer_submit(
        actor=agent, application_id=app.pk, version=app.version
    )
    assert app.status == Status.EMPLOYER_SUBMITTED
