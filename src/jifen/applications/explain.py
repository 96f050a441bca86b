"""The Chinese explanation of a self-assessment, for the pages and the API.

The rules engine records the facts behind every indicator and eligibility reason and writes
them in Chinese itself (``jifen.rules.render_zh``, from a ``Breakdown``); nothing here reads
the English of the result format back. This module only picks the engine's Breakdown out of
an Assessment and names indicators with the rule set's names.
"""

from __future__ import annotations

from typing import Any

from jifen.rules import Breakdown
from jifen.rules.render_zh import explanation_zh, reasons_zh
from jifen.rules.ruleset import RuleSet, newest_rule_set


def explain_zh(breakdown: Breakdown | None) -> list[dict[str, Any]]:
    """One entry per indicator, in the published order (empty without a score).

    Each entry: ``indicator``, ``name`` (Chinese), ``points``, ``basis`` (Chinese),
    ``basis_en`` (the result format's English) and ``reference``.
    """
    return explanation_zh(breakdown) if breakdown is not None else []


def reasons_of(breakdown: Breakdown | None) -> list[str]:
    """The failed eligibility conditions in Chinese, in order (empty without a score)."""
    return reasons_zh(breakdown) if breakdown is not None else []


def indicator_name(code: str, rule_set: RuleSet | None = None) -> str:
    """The Chinese name of an indicator, from ``rule_set`` (by default the newest)."""
    return (rule_set or newest_rule_set()).indicator_names.get(code, code)
