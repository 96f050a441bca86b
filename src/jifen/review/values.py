"""A verified value typed by a person (a re-check's changed value): checked as the rules engine
checks a profile, so that a value the engine cannot score never enters the ledger."""

from __future__ import annotations

from typing import Any

from jifen.core.errors import FieldError, InvalidInput
from jifen.rules import ProfileError, validate_profile
from jifen.rules.problems import problem_zh

from . import records

_BOOL_KINDS = ("permits", "criminal_records")
_CODE_KINDS = ("innovation", "honours")


def _shape_problem(kind: str, value: Any) -> str | None:
    """What is wrong with the value's shape (before it is put in a profile), or None."""
    if kind in _BOOL_KINDS:
        return None if isinstance(value, bool) else "应为 true 或 false"
    if kind == "tax":
        if not isinstance(value, dict):
            return "应为对象：{\"年度\": 纳税额}"
        return None
    if not isinstance(value, list):
        return "应为列表"
    if kind in _CODE_KINDS:
        return None if all(isinstance(v, str) for v in value) else "应为项目代码的列表"
    if not all(isinstance(v, dict) for v in value):
        return "列表的每一项应为对象"
    if kind in records.VIOLATION_KIND and not all(isinstance(v.get("date"), str) for v in value):
        return "每一项应有日期 date（YYYY-MM-DD）"
    return None


def checked_value(kind: str, value: Any, *, profile: dict[str, Any], rule_set: str) -> Any:
    """``value`` as the verified value of ``kind``, put in ``profile`` (the verified profile
    it would change) and checked by the engine under ``rule_set``; InvalidInput naming the
    field ``value`` otherwise. Returns the value as the profile holds it."""
    problem = _shape_problem(kind, value)
    if problem is not None:
        raise InvalidInput(f"核验值格式有误：{problem}", field="value")
    changed = records.verified_profile(profile, {kind: value})
    try:
        validate_profile(changed, rule_set=rule_set)
    except ProfileError as exc:
        errors = [FieldError("value", problem_zh(p)) for p in exc.problems]
        raise InvalidInput(f"核验值有误：{errors[0].message}", errors=errors) from None
    return records.declared(kind, changed)
