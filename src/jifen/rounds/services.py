"""Round writes (the bureau's set-up screens come with the round-management issue)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from jifen.audit.services import record_event
from jifen.core.errors import FieldError, InvalidInput
from jifen.rules.ruleset import (
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    rule_set_name_for_year,
)

from .models import Round


@transaction.atomic
def round_create(
    *,
    actor,
    year: int,
    opens: datetime,
    closes: datetime,
    quota: int | None = None,
    rule_set: str | None = None,
) -> Round:
    """A new round; without a ``quota``, the rule set's (its ``ranking.quota``)."""
    errors: list[FieldError] = []
    try:
        name = rule_set or rule_set_name_for_year(year)
    except (RuleSetError, ValueError) as exc:
        earliest = min(load_rule_set(n).first_year for n in available_rule_sets())
        raise InvalidInput(
            f"{year}年度没有适用的积分规则（最早为 {earliest} 年度）", field="year"
        ) from exc
    if name not in available_rule_sets():
        errors.append(FieldError("rule_set", f"没有名为 {name} 的积分规则"))
    elif quota is None:
        quota = load_rule_set(name).quota
    if closes <= opens:
        errors.append(FieldError("declaration_closes", "申报截止时间必须晚于开始时间"))
    if quota is not None and quota <= 0:
        errors.append(FieldError("quota", "落户指标数必须为正数"))
    if Round.objects.filter(year=year).exists():
        errors.append(FieldError("year", f"{year}年度已存在"))
    if errors:
        raise InvalidInput("年度设置有误", errors=errors)
    rnd = Round.objects.create(
        year=year, rule_set=name, quota=quota, declaration_opens=opens, declaration_closes=closes
    )
    record_event(
        actor=actor,
        action="round.create",
        target=rnd,
        after={
            "year": year,
            "rule_set": name,
            "quota": quota,
            "opens": opens.isoformat(),
            "closes": closes.isoformat(),
        },
    )
    return rnd
