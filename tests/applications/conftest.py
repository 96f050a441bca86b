"""Fixtures shared by the application tests: a round open now and a linked pair.

A test file that needs another shape (test_links: people without a link) defines its own.
"""

import pytest

from jifen.accounts.models import User
from jifen.rounds.models import Round
from tests.factories import linked_pair, make_round


@pytest.fixture
def rnd() -> Round:
    """The 2026 round, open for declaration now."""
    return make_round(2026)


@pytest.fixture
def pair(rnd: Round) -> tuple[User, User]:
    """An applicant and an employer agent whose link is confirmed."""
    return linked_pair()


@pytest.fixture
def applicant(pair: tuple[User, User]) -> User:
    return pair[0]


@pytest.fixture
def agent(pair: tuple[User, User]) -> User:
    return pair[1]
