"""The rules engine: pure Python, no Django.

Reads applicant profiles (``jifen.profile/1``), scores them under a rule set read from dated
data files, and explains every indicator. See ``../shared/spec/beijing-rules.md`` and
``../shared/spec/profile-format.md``.
"""

from __future__ import annotations

from typing import Any

from .profile import validate_profile
from .ranking import (
    Candidate,
    RankedEntry,
    RankingOutcome,
    RankingRule,
    TieBreak,
    rank,
    rank_results,
)
from .ruleset import (
    INDICATORS,
    RuleSet,
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    rule_set_name_for_year,
)
from .schema import PROFILE_FORMAT, Profile, ProfileError
from .scoring import RESULT_FORMAT, Breakdown, score, to_result

__all__ = [
    "INDICATORS",
    "PROFILE_FORMAT",
    "RESULT_FORMAT",
    "Breakdown",
    "Candidate",
    "Profile",
    "ProfileError",
    "RankedEntry",
    "RankingOutcome",
    "RankingRule",
    "RuleSet",
    "RuleSetError",
    "TieBreak",
    "available_rule_sets",
    "load_rule_set",
    "rank",
    "rank_results",
    "rule_set_name_for_year",
    "score",
    "score_profile",
    "to_result",
    "validate_profile",
]


def score_profile(data: Any, rule_set: str | None = None) -> dict[str, Any]:
    """Validate and score one profile (parsed JSON); the ``jifen.result/1`` object.

    Raises :class:`ProfileError` listing every problem, each naming its field.
    """
    return to_result(score(validate_profile(data, rule_set)))
