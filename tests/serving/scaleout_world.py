"""The data of the scale-out test, written into a served system's database by one of its nodes
(``manage.py shell -c``, with the node's production settings and keys):

- a round of 2026 in its scoring phase with ``applications`` verified applications (the
  scoring-run tests' world: tests/rounds/scoring_world.py);
- an applicant who signs in on the web;
- a bureau administrator with a confirmed authenticator (TOTP) whose key the test knows, so it
  can type the current code as the person would.

``main`` prints one JSON object with what the test needs.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from django.test.utils import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.core.roles import Role
from tests.factories import PASSWORD, make_applicant, make_staff
from tests.rounds.scoring_world import add_verified, base_world, open_scoring

YEAR = 2026
VARIANTS = ("full", "no_innovation", "low_tax", "no_honours", "bare", "criminal")


def build(applications: int) -> dict[str, Any]:
    base = base_world()
    rnd = open_scoring(base.app.round)
    # The crowd's passwords are never typed: a fast hash keeps building it quick (production
    # hashes with Argon2, a tenth of a second each).
    variants = list(itertools.islice(itertools.cycle(VARIANTS), applications - 1))
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i, variant in enumerate(variants):
            add_verified(base, f"2697{i:04d}", variant)
    applicant = make_applicant("scaleout-applicant", name="周可心")
    bureau = make_staff(Role.BUREAU_ADMIN, username="scaleout-bureau")
    device = TOTPDevice.objects.create(user=bureau, name="扩展测试身份验证器", confirmed=True)
    return {
        "year": rnd.year,
        "applications": applications,
        "not_eligible": variants.count("criminal"),
        "password": PASSWORD,
        "applicant": applicant.username,
        "applicant_name": applicant.full_name,
        "bureau": bureau.username,
        "totp_key": device.key,
    }


def main(applications: int) -> None:
    print(json.dumps(build(applications)))
