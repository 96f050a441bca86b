"""A round with many verified applications for the scoring-run tests, made quickly.

One application goes the whole way (declared, employer-submitted, every item decided, first
result scored: ``tests.review.results_world``); the others are copies of it with a new
applicant, number and verified profile (a first result whose profile is changed by
``variant``), so that a test can ask for the totals it needs. full_declaration(2026) scores
140.75; the variants below take points off by the rules (beijing-rules.md):
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from django.utils import timezone

from jifen.applications.models import Application, Status
from jifen.review.models import FirstResult
from jifen.review.results import score_verified
from jifen.rounds.models import Round
from tests.factories import make_applicant
from tests.review.results_world import World, world

# variant name -> (change of the verified profile, total)
VARIANTS: dict[str, tuple[dict[str, Any], float | None]] = {
    "full": ({}, 140.75),
    "no_innovation": ({"innovation": []}, 136.75),  # contest.municipal.third: 4
    "low_tax": ({"tax": {"2023": 1000, "2024": 1000, "2025": 1000}}, 136.75),  # tax 4 → 0
    "no_honours": ({"honours": []}, 120.75),  # model_worker: 20
    "bare": ({"innovation": [], "honours": []}, 116.75),
    "criminal": ({"person": {"criminal_record": True}}, None),  # not eligible
}


def open_scoring(rnd: Round) -> Round:
    now = timezone.now()
    rnd.scoring_opens = now - timedelta(days=1)
    rnd.scoring_closes = now + timedelta(days=10)
    rnd.save(update_fields=["scoring_opens", "scoring_closes"])
    return rnd


def base_world() -> World:
    return world(differ=False, recheck=False)


def add_verified(base: World, number: str, variant: str = "full") -> Application:
    """A copy of ``base``'s application with its own applicant and ``number``, verified as
    ``variant`` (a first result scored by the engine from the changed profile)."""
    change, _ = VARIANTS[variant]
    applicant = make_applicant()
    app = Application.objects.create(
        round=base.app.round,
        applicant=applicant.applicant,
        employer=base.app.employer,
        number=number,
        status=Status.EMPLOYER_SUBMITTED,
        data=base.app.data,
    )
    profile = copy.deepcopy(base.result.profile)
    for key, value in change.items():
        if key == "person":
            profile["person"].update(value)
        else:
            profile[key] = value
    profile["application_no"] = number
    person = {**profile["person"], "id_number": _id_for(profile["person"])}
    fields = score_verified(base.app.round.rule_set, {**profile, "person": person})
    FirstResult.objects.create(application=app, decisions={}, **fields)
    return app


def add_unverified(base: World, number: str) -> Application:
    """An employer-submitted application without a first result (verification not done)."""
    applicant = make_applicant()
    return Application.objects.create(
        round=base.app.round,
        applicant=applicant.applicant,
        employer=base.app.employer,
        number=number,
        status=Status.EMPLOYER_SUBMITTED,
        data=base.app.data,
    )


def _id_for(person: dict[str, Any]) -> str:
    from jifen.rules.identity import check_digit

    sex_digit = "1" if person["sex"] == "M" else "2"
    first17 = f"110101{person['birth_date'].replace('-', '')}00{sex_digit}"
    return first17 + check_digit(first17)
