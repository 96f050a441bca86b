"""The user-account reads: for security administrators only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from jifen.accounts import selectors
from jifen.core.errors import NotPermitted
from jifen.core.roles import Department, Role
from tests.factories import make_applicant, make_employer, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "applicant": make_applicant("c-applicant"),
        "agent": make_employer("a-agent"),
        "reviewer": make_staff(Role.REVIEWER, Department.TAX, username="b-reviewer"),
        "admin": make_staff(Role.SECURITY_ADMIN, username="d-admin"),
    }


def test_security_admin_sees_every_account_by_username(people) -> None:
    accounts = selectors.accounts_for_security_admin(people["admin"])
    assert [u.username for u in accounts] == ["a-agent", "b-reviewer", "c-applicant", "d-admin"]


def test_security_admin_filters_by_role(people) -> None:
    admin = people["admin"]
    assert list(selectors.accounts_for_security_admin(admin, role=Role.REVIEWER)) == [
        people["reviewer"]
    ]
    assert list(selectors.accounts_for_security_admin(admin, role=Role.APPLICANT)) == [
        people["applicant"]
    ]
    assert not selectors.accounts_for_security_admin(admin, role=Role.AUDITOR).exists()
    assert not selectors.accounts_for_security_admin(admin, role="no-such-role").exists()
    assert selectors.accounts_for_security_admin(admin, role=None).count() == 4


def test_role_counts_count_each_role_with_accounts(people) -> None:
    make_applicant()
    counts = selectors.role_counts(people["admin"])
    assert counts == {
        Role.APPLICANT: 2,
        Role.EMPLOYER_AGENT: 1,
        Role.REVIEWER: 1,
        Role.SECURITY_ADMIN: 1,
    }
    assert list(counts) == sorted(counts)  # in the order of the role values


@pytest.mark.parametrize(
    "role", [Role.BUREAU_ADMIN, Role.AUDITOR, Role.OPERATOR, Role.REVIEWER]
)
def test_other_staff_may_not_list_accounts(people, role: str) -> None:
    user = make_staff(role, Department.POLICE if role == Role.REVIEWER else "")
    with pytest.raises(NotPermitted):
        selectors.accounts_for_security_admin(user)
    with pytest.raises(NotPermitted):
        selectors.role_counts(user)


def test_the_public_may_not_list_accounts(people) -> None:
    for user in (people["applicant"], people["agent"], AnonymousUser()):
        with pytest.raises(NotPermitted):
            selectors.accounts_for_security_admin(user, role=Role.APPLICANT)
        with pytest.raises(NotPermitted):
            selectors.role_counts(user)
