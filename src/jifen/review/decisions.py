"""The reviewers' decisions on their department's items: confirm, correct, reject, and the
bulk confirmation of matched items.

Each decision is a new ledger row (``ledger.append``, the item held locked), an audit event
without personal data (the kind, the states before and after, the decision's id), and then
``results.score_completed`` so that an application whose last item this was gets its first
result in the same transaction. An item in re-check is decided through the re-check flow, not
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jifen.accounts.models import User
from jifen.applications.selectors import profile_of
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase, require_open
from jifen.rules import validate_profile
from jifen.rules.problems import problem_zh
from jifen.rules.ruleset import load_rule_set
from jifen.rules.schema import ProfileError

from . import ledger, records, results
from .corrections import BOOLEAN_KINDS, parse_correction
from .models import Action, Decision, ItemState, RecheckState, Source, VerificationItem

CONFIRM_ACTION = "review.confirm"
CORRECT_ACTION = "review.correct"
REJECT_ACTION = "review.reject"
BULK_CONFIRM_ACTION = "review.bulk_confirm"

IN_RECHECK = (RecheckState.OPEN, RecheckState.ONSITE)
MAX_REASON = 500
MAX_BULK = 500
NOT_FOUND = "没有找到该核验事项"
IN_RECHECK_MESSAGE = "该事项正在复查中，请在复查处理中作出决定"


def require_reviewer(user: Any) -> None:
    """NotPermitted unless ``user`` is a reviewer of a department that verifies kinds."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.REVIEWER:
        raise NotPermitted("只有部门审核员可以办理核验事项")
    if not user.department:
        raise NotPermitted("您的账户未指定所属部门，不能办理核验事项")


def _locked_item(actor: User, item_id: int) -> VerificationItem:
    """The item, locked, if it is the actor's department's (NotFound otherwise: an item of
    another department looks like one that does not exist)."""
    require_reviewer(actor)
    item = (
        VerificationItem.objects.select_for_update()
        .filter(pk=item_id, department=actor.department)
        .first()
    )
    if item is None:
        raise NotFound(NOT_FOUND)
    if item.recheck in IN_RECHECK:
        raise Conflict(IN_RECHECK_MESSAGE)
    require_open(item.application.round, Phase.VERIFICATION)
    return item


def _reason(reason: str, *, required: bool, what: str) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise InvalidInput(f"请填写{what}的理由", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"理由最多 {MAX_REASON} 个字", field="reason")
    return reason


def latest_comparison(item: VerificationItem) -> Decision | None:
    """The newest data comparison's decision on ``item`` (None: no file has decided it)."""
    return (
        Decision.objects.filter(item=item, action=Action.COMPARE).order_by("-id").first()
    )


def confirm_value(item: VerificationItem) -> Any:
    """What confirming ``item`` makes verified: the department's recorded value when a
    comparison has one, else what was declared."""
    compared = latest_comparison(item)
    if compared is not None:
        return compared.value
    return records.declared(item.kind, profile_of(item.application))


def _decide(
    item: VerificationItem, *, actor: User, action: str, audit_action: str, value: Any,
    reason: str,
) -> Decision:
    before = item.state
    decision = ledger.append(
        item, action=action, source=Source.REVIEWER, value=value, reason=reason, actor=actor
    )
    record_event(
        actor=actor,
        action=audit_action,
        target=item,
        before={"state": before},
        after={"kind": item.kind, "state": item.state, "decision": decision.pk},
    )
    results.score_completed([item.application_id])
    return decision


@transaction.atomic
def item_confirm(*, actor: User, item_id: int, reason: str = "") -> Decision:
    """Confirm the item: the recorded value (or, with no comparison, the declared one)
    becomes the verified value."""
    item = _locked_item(actor, item_id)
    reason = _reason(reason, required=False, what="确认")
    return _decide(item, actor=actor, action=Action.CONFIRM, audit_action=CONFIRM_ACTION,
                   value=confirm_value(item), reason=reason)


def check_verified_profile(item: VerificationItem, value: Any) -> None:
    """The rules engine must be able to score the profile with ``value`` in it (the first
    result is scored from it): its problems, named by row where the row is known."""
    app = item.application
    profile = records.verified_profile(profile_of(app), {item.kind: value})
    try:
        validate_profile(profile, rule_set=app.round.rule_set)
    except ProfileError as exc:
        rows_match = item.kind in ("social_insurance", "employment", "housing", "education")
        errors = []
        for problem in exc.problems:
            head, _, rest = problem.path.partition("[")
            if rows_match and head == item.kind and rest:
                index, _, column = rest.partition("]")
                column = column.lstrip(".") or None
                field = f"value[{index}]" + (f".{column}" if column else "")
                errors.append(FieldError(field, f"第 {int(index) + 1} 行：{problem.message_zh}"))
            else:
                errors.append(FieldError("value", problem_zh(problem)))
        raise InvalidInput("更正的核验值未通过积分规则校验，请按提示修改", errors=errors) from None


@transaction.atomic
def item_correct(*, actor: User, item_id: int, value: Any, reason: str) -> Decision:
    """Correct the item: ``value`` (the records of the kind as rows with the kind's columns,
    or a yes/no choice for permits and criminal records; see ``corrections``) becomes the
    verified value. A reason is required."""
    item = _locked_item(actor, item_id)
    reason = _reason(reason, required=True, what="更正")
    rule_set = load_rule_set(item.application.round.rule_set)
    verified = parse_correction(item.kind, value, rule_set)
    if item.kind not in BOOLEAN_KINDS:
        check_verified_profile(item, verified)
    return _decide(item, actor=actor, action=Action.CORRECT, audit_action=CORRECT_ACTION,
                   value=verified, reason=reason)


@transaction.atomic
def item_reject(*, actor: User, item_id: int, reason: str) -> Decision:
    """Reject the item (不予认定): the applicant is taken to have no such record. A reason is
    required."""
    item = _locked_item(actor, item_id)
    reason = _reason(reason, required=True, what="不予认定")
    return _decide(item, actor=actor, action=Action.REJECT, audit_action=REJECT_ACTION,
                   value=records.empty(item.kind), reason=reason)


@dataclass(frozen=True)
class BulkResult:
    confirmed: int
    skipped: int
    decision_ids: list[int]


@transaction.atomic
def items_bulk_confirm(*, actor: User, item_ids: Sequence[int]) -> BulkResult:
    """Confirm each of ``item_ids`` that is a matched item of the actor's department and not
    in re-check (its recorded value becomes verified); the others are skipped and counted.
    One audit event for the batch."""
    require_reviewer(actor)
    wanted = list(dict.fromkeys(int(i) for i in item_ids))
    if not wanted:
        raise InvalidInput("请选择要确认的核验事项", field="item_ids")
    if len(wanted) > MAX_BULK:
        raise InvalidInput(f"一次最多确认 {MAX_BULK} 项", field="item_ids")
    items = list(
        VerificationItem.objects.filter(
            pk__in=wanted, department=actor.department, state=ItemState.MATCHED
        )
        .exclude(recheck__in=IN_RECHECK)
        .select_related("latest_decision")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    # Every round the chosen items belong to must be in its verification phase.
    app_ids = {i.application_id for i in items}
    for rnd in Round.objects.filter(applications__pk__in=app_ids).distinct().order_by("year"):
        require_open(rnd, Phase.VERIFICATION)
    made: list[Decision] = []
    for item in items:
        # A matched item's latest decision is its comparison: its value is the recorded one.
        value = item.latest_decision.value if item.latest_decision else confirm_value(item)
        made.append(
            ledger.append(item, action=Action.CONFIRM, source=Source.REVIEWER, value=value,
                          actor=actor)
        )
    record_event(
        actor=actor,
        action=BULK_CONFIRM_ACTION,
        target_type="review.verificationitem",
        after={
            "confirmed": len(made),
            "skipped": len(wanted) - len(made),
            "items": [i.pk for i in items],
            "decisions": [d.pk for d in made],
        },
    )
    results.score_completed({i.application_id for i in items})
    return BulkResult(len(made), len(wanted) - len(made), [d.pk for d in made])
