"""Fixtures of the publication tests: the bureau's administrator and a published round."""

from __future__ import annotations

import pytest

from jifen.core.roles import Role
from jifen.publication import services
from tests.factories import make_staff

from .world import listed_round


@pytest.fixture
def bureau():
    return make_staff(Role.BUREAU_ADMIN)


@pytest.fixture
def published(bureau):
    """A round of four listed applicants, three admitted, published by ``bureau``."""
    w = listed_round(n=4, admitted=3)
    services.publish(actor=bureau, round=w.round)
    return w
