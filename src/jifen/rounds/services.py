"""Round writes: the bureau creates a round and changes its parameters (每项变更留痕).

Every parameter change is a :class:`RoundChange` row (field, old → new, reason, actor, time)
and an audit event, in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.errors import FieldError, InvalidInput, NotPermitted
from jifen.core.roles import Department, Role
from jifen.rules.ruleset import (
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    rule_set_name_for_year,
)

from . import phases
from .models import Round, RoundChange, ScoringRun
from .phases import ORDER, Phase

# Every phase's window fields, in the year's order.
WINDOW_FIELDS: tuple[str, ...] = tuple(f for p in ORDER for f in phases.field_names(p))
# What round_update may change (the year is the round's identity: not a parameter).
PARAMETERS: tuple[str, ...] = ("rule_set", "quota", *WINDOW_FIELDS, "verification_days")
PARAMETER_LABELS: dict[str, str] = {
    "rule_set": "积分规则",
    "quota": "落户指标数",
    "verification_days": "部门核验时限（工作日）",
    **{f: str(Round._meta.get_field(f).verbose_name) for f in WINDOW_FIELDS},
}
REASON_MAX = 500
VERIFICATION_DAYS_MAX = 60

# The order the phases' windows must keep (checked on the later phase's field):
# (later field, earlier field, message). Windows may overlap, as Beijing's do.
ORDER_RULES: tuple[tuple[str, str, str], ...] = (
    ("declaration_opens", "registration_opens", "个人申报不能早于注册与单位关联开始"),
    ("employer_review_opens", "declaration_opens", "单位审核不能早于个人申报开始"),
    ("verification_opens", "employer_review_opens", "部门核验不能早于单位审核开始"),
    ("recheck_opens", "verification_opens", "复查不能早于部门核验开始"),
    ("scoring_opens", "verification_opens", "积分评定不能早于部门核验开始"),
    # Scoring takes the verified data: the re-checks must be over by then.
    ("scoring_opens", "recheck_closes", "积分评定不能早于复查结束"),
    ("publication_opens", "scoring_opens", "公示不能早于积分评定开始"),
    ("settlement_opens", "publication_opens", "落户办理不能早于公示开始"),
)


def _stamp(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def schedule_errors(values: Mapping[str, datetime | None]) -> list[FieldError]:
    """The problems of a round's windows (``<phase>_opens``/``_closes``), each naming its
    field: a window without both ends, a window that does not close after it opens, and a
    phase opening before the phase it follows (``ORDER_RULES``)."""
    errors: list[FieldError] = []
    for phase in ORDER:
        o, c = phases.field_names(phase)
        opens, closes = values.get(o), values.get(c)
        if opens is None and closes is None and phase != Phase.DECLARATION:
            continue
        if opens is None:
            errors.append(FieldError(o, f"请填写{phase.label}开始时间"))
        elif closes is None:
            errors.append(FieldError(c, f"请填写{phase.label}截止时间"))
        elif closes <= opens:
            errors.append(FieldError(c, f"{phase.label}截止时间必须晚于开始时间"))
    # A phase whose window is wrong is not compared with the others (one error a field).
    bad = {f for e in errors for f in phases.field_names(e.field.rsplit("_", 1)[0])}
    for later, earlier, message in ORDER_RULES:
        a, b = values.get(later), values.get(earlier)
        if a is None or b is None or later in bad or earlier in bad:
            continue
        if a < b and later not in {e.field for e in errors}:
            errors.append(FieldError(later, f"{message}（{_stamp(b)}）"))
    return errors


def verifying_departments() -> dict[str, str]:
    """The departments that verify records, with their names (their days are set per round)."""
    # Imported here: jifen.review imports the rounds app.
    from jifen.review.kinds import VERIFYING_DEPARTMENTS

    return {d: Department(d).label for d in VERIFYING_DEPARTMENTS}


def clean_verification_days(value: Any) -> tuple[dict[str, int], list[FieldError]]:
    """``{department: working days}`` with known departments and whole days 1–60; the
    departments left out keep the default (``review.kinds.DEFAULT_VERIFICATION_DAYS``)."""
    if value in (None, ""):
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [FieldError("verification_days", "应为各部门的核验时限（工作日）")]
    known = verifying_departments()
    clean: dict[str, int] = {}
    errors: list[FieldError] = []
    for dept, days in value.items():
        name = f"verification_days.{dept}"
        if dept not in known:
            errors.append(FieldError(name, f"没有名为 {dept} 的核验部门"))
            continue
        if days in (None, ""):
            continue
        if isinstance(days, str) and days.strip().isdigit():
            days = int(days.strip())
        if isinstance(days, bool) or not isinstance(days, int):
            errors.append(FieldError(name, f"{known[dept]}的核验时限应为整数（工作日）"))
            continue
        number = days
        if not 1 <= number <= VERIFICATION_DAYS_MAX:
            limit = f"1 至 {VERIFICATION_DAYS_MAX} 个工作日"
            errors.append(FieldError(name, f"{known[dept]}的核验时限应为 {limit}"))
            continue
        clean[dept] = number
    return clean, errors


# Far above any year's quota (6,000 in 2020), and what the database column holds with room:
# a bigger number is a typing error, not a quota (and would overflow the column).
QUOTA_MAX = 1_000_000


def _quota_errors(quota: Any) -> list[FieldError]:
    if isinstance(quota, bool) or not isinstance(quota, int):
        return [FieldError("quota", "落户指标数应为整数")]
    if quota <= 0:
        return [FieldError("quota", "落户指标数必须为正数")]
    if quota > QUOTA_MAX:
        return [FieldError("quota", f"落户指标数不能超过 {QUOTA_MAX}")]
    return []


def require_bureau(actor: Any) -> None:
    """Rounds are the bureau's: a bureau administrator, or the system (``actor=None``: the
    command line and the demo)."""
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.BUREAU_ADMIN:
        raise NotPermitted("只有市人社局管理员可以设置积分落户年度")


def _json(value: Any) -> Any:
    """A parameter's value as stored in RoundChange and the audit log."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@transaction.atomic
def round_create(
    *,
    actor,
    year: int,
    opens: datetime,
    closes: datetime,
    quota: int | None = None,
    rule_set: str | None = None,
    windows: Mapping[str, datetime | None] | None = None,
    verification_days: Mapping[str, Any] | None = None,
) -> Round:
    """A new round; without a ``quota``, the rule set's (its ``ranking.quota``).

    ``opens``/``closes``: the declaration window; ``windows``: other phases' windows by field
    (``scoring_opens`` …): a phase left out gets its default (``phases.DEFAULT_SCHEDULE``)."""
    require_bureau(actor)
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
    if quota is not None:
        errors += _quota_errors(quota)
    if Round.objects.filter(year=year).exists():
        errors.append(FieldError("year", f"{year}年度已存在"))
    days, day_errors = clean_verification_days(verification_days)
    errors += day_errors
    unknown = set(windows or {}) - set(WINDOW_FIELDS)
    errors += [FieldError(f, "不是可设置的阶段时间") for f in sorted(unknown)]
    rnd = Round(
        year=year,
        rule_set=name,
        quota=quota,
        declaration_opens=opens,
        declaration_closes=closes,
        verification_days=days,
    )
    for f, value in (windows or {}).items():
        if f in WINDOW_FIELDS and f not in ("declaration_opens", "declaration_closes"):
            setattr(rnd, f, value)
    if closes > opens:
        rnd.fill_default_windows()
        errors += [
            e
            for e in schedule_errors({f: getattr(rnd, f) for f in WINDOW_FIELDS})
            if e.field != "declaration_closes"
        ]
    if errors:
        raise InvalidInput("年度设置有误", errors=errors)
    rnd.save()
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
            "windows": {f: _json(getattr(rnd, f)) for f in WINDOW_FIELDS},
            "verification_days": days,
        },
    )
    return rnd


@dataclass
class RoundUpdate:
    round: Round
    changes: list[RoundChange]
    # Said on the page: e.g. the results must be re-run after the rule set or quota changed.
    warnings: list[str] = field(default_factory=list)


def has_scoring_run(rnd: Round) -> bool:
    """Whether the round has results that a change of rule set or quota would make stale."""
    return (
        rnd.current_run_id is not None
        or ScoringRun.objects.filter(round=rnd, kind="score").exists()
    )


RERUN_WARNING = (
    "本年度已有积分评定结果：积分规则或落户指标数变更后，须重新进行积分评定，结果才会按新参数计算"
)


@transaction.atomic
def round_update(*, actor, round: Round, changes: Mapping[str, Any], reason: str) -> RoundUpdate:
    """Change parameters of ``round`` (any of ``PARAMETERS``), with a required reason. Only
    the values that differ are changed; each is one RoundChange row and the whole change one
    ``round.update`` audit event. InvalidInput names each bad field (nothing is written)."""
    require_bureau(actor)
    rnd = Round.objects.select_for_update().get(pk=round.pk)
    errors: list[FieldError] = []
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        errors.append(FieldError("reason", "请填写变更理由"))
    elif len(reason) > REASON_MAX:
        errors.append(FieldError("reason", f"变更理由最多 {REASON_MAX} 个字"))
    unknown = sorted(set(changes) - set(PARAMETERS))
    errors += [FieldError(f, "不是可变更的年度参数") for f in unknown]
    new: dict[str, Any] = {}
    for f in PARAMETERS:
        if f not in changes:
            continue
        value = changes[f]
        if f == "rule_set":
            if value not in available_rule_sets():
                errors.append(FieldError("rule_set", f"没有名为 {value} 的积分规则"))
                continue
        elif f == "quota":
            quota_errors = _quota_errors(value)
            if quota_errors:
                errors += quota_errors
                continue
        elif f == "verification_days":
            value, day_errors = clean_verification_days(value)
            if day_errors:
                errors += day_errors
                continue
        elif value is not None and not isinstance(value, datetime):
            errors.append(FieldError(f, "应为日期时间"))
            continue
        elif value is None:
            # A window is moved, never removed (a removed one would come back as the default).
            errors.append(FieldError(f, f"请填写{PARAMETER_LABELS[f]}"))
            continue
        if value != getattr(rnd, f):
            new[f] = value
    schedule = {f: new.get(f, getattr(rnd, f)) for f in WINDOW_FIELDS}
    errors += [e for e in schedule_errors(schedule) if e.field not in {x.field for x in errors}]
    if errors:
        raise InvalidInput("年度参数变更有误", errors=errors)
    if not new:
        raise InvalidInput("没有需要变更的参数（填写的与现有设置相同）")
    made = []
    for f, value in new.items():
        old = getattr(rnd, f)
        setattr(rnd, f, value)
        made.append(
            RoundChange.objects.create(
                round=rnd, field=f, old=_json(old), new=_json(value), reason=reason, actor=actor
            )
        )
    rnd.save(update_fields=list(new))
    record_event(
        actor=actor,
        action="round.update",
        target=rnd,
        before={f: _json(c.old) for f, c in zip(new, made, strict=True)},
        after={
            **{f: _json(v) for f, v in new.items()},
            "reason": reason,
            "changes": [c.pk for c in made],
        },
    )
    warnings = []
    if {"rule_set", "quota"} & set(new) and has_scoring_run(rnd):
        warnings.append(RERUN_WARNING)
    for f in new:  # the caller's instance shows the change too
        setattr(round, f, getattr(rnd, f))
    return RoundUpdate(rnd, made, warnings)
