"""AccountBackend: Django's ModelBackend, reading the applicant profile or the employer with the
account (one query on every signed-in request instead of two)."""

from __future__ import annotations

import pytest

from jifen.accounts.backends import PATH, AccountBackend
from tests.factories import make_applicant, make_employer, make_staff

pytestmark = pytest.mark.django_db


def test_the_profile_comes_with_the_account(django_assert_num_queries) -> None:
    applicant = make_applicant()
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(applicant.pk)
        assert user.applicant.pk == applicant.applicant.pk
    agent = make_employer()
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(agent.pk)
        assert user.employer.code == agent.employer.code
    staff = make_staff("reviewer", "tax")
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(staff.pk)
        assert getattr(user, "applicant", None) is None and user.employer is None


def test_inactive_or_unknown_accounts_are_nobody() -> None:
    applicant = make_applicant()
    applicant.is_active = False
    applicant.save()
    assert AccountBackend().get_user(applicant.pk) is None
    assert AccountBackend().get_user(10**9) is None


def test_a_signed_in_session_names_this_backend(client) -> None:
    applicant = make_applicant()
    client.force_login(applicant)
    assert client.session["_auth_user_backend"] == PATH
    assert client.get("/my/").status_code == 200
