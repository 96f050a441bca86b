"""Reading re-checks: the disputes a department (or the district service window) works, one
dispute with what it is about, and its evidence files.

Who sees what: a reviewer of the owning department all disputes of its kinds; a reviewer of the
service window those sent to it for an on-site check; the applicant their own. Anyone else is
told the dispute does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from jifen.accounts.models import User
from jifen.applications.models import Evidence
from jifen.applications.selectors import evidence_for, profile_of
from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.rules import load_rule_set

from . import records
from .kinds import KIND_NAMES, KIND_SECTION
from .models import Decision, Dispute, RecheckState
from .recheck import DISPUTE_NOT_FOUND, EVIDENCE_SECTION, may_see
from .selectors_result import COMPARISON_REASON

# The list's filters: what each shows (the default: everything not answered yet).
STATES: dict[str, str] = {
    "pending": "待办",
    RecheckState.OPEN: "待部门答复",
    RecheckState.ONSITE: "待现场核验",
    RecheckState.ANSWERED: "已答复",
    "all": "全部",
}


def _reviewer(user: User) -> None:
    if not user.is_authenticated or user.role != Role.REVIEWER:
        raise NotPermitted("只有部门审核员可以查看复查事项")


def _disputes() -> QuerySet[Dispute]:
    return Dispute.objects.select_related(
        "item", "item__application", "item__application__round", "request",
        "item__latest_decision",
    )


def _visible(user: User) -> QuerySet[Dispute]:
    if user.department == Department.SERVICE_WINDOW:
        return _disputes().filter(onsite_requested_at__isnull=False)
    return _disputes().filter(item__department=user.department)


def disputes_for(user: User, state: str = "pending") -> QuerySet[Dispute]:
    """The disputes ``user`` works, oldest request first; ``state`` one of ``STATES``."""
    _reviewer(user)
    qs = _visible(user)
    if state == "pending":
        qs = qs.exclude(item__recheck=RecheckState.ANSWERED)
    elif state in (RecheckState.OPEN, RecheckState.ONSITE, RecheckState.ANSWERED):
        qs = qs.filter(item__recheck=state)
    elif state != "all":
        raise NotFound("没有该状态的复查事项")
    return qs.order_by("request__created_at", "id")


def dispute_counts(user: User) -> dict[str, int]:
    """How many disputes ``user`` sees in each state (open, onsite, answered)."""
    _reviewer(user)
    counts = {
        row["item__recheck"]: row["n"]
        for row in _visible(user).order_by().values("item__recheck").annotate(n=Count("id"))
    }
    return {s: counts.get(s, 0) for s in (RecheckState.OPEN, RecheckState.ONSITE,
                                          RecheckState.ANSWERED)}


def _owner(user: User, dispute: Dispute) -> bool:
    return (
        user.is_authenticated
        and user.role == Role.APPLICANT
        and dispute.item.application.applicant.user_id == user.pk
    )


def dispute_for(user: User, dispute_id: int) -> Dispute:
    """One dispute, for its owning department, the service window it was sent to, or the
    applicant who asked; NotFound for anyone else."""
    dispute = (
        _disputes().select_related("item__application__applicant").filter(pk=dispute_id).first()
    )
    if dispute is None or not user.is_authenticated:
        raise NotFound(DISPUTE_NOT_FOUND)
    if _owner(user, dispute):
        return dispute
    if user.role == Role.REVIEWER and may_see(user, dispute):
        return dispute
    raise NotFound(DISPUTE_NOT_FOUND)


@dataclass
class DisputeDetail:
    dispute: Dispute
    kind: str
    name: str
    department_name: str
    declared_lines: list[str]
    verified_lines: list[str]
    differs: bool
    only_declared: list[str]
    only_recorded: list[str]
    reason: str
    decision: Decision | None
    verified: Any
    declared: Any
    evidence: list[Evidence] = field(default_factory=list)  # the re-check's new files
    declaration_evidence: list[Evidence] = field(default_factory=list)  # the section's files
    history: list[Decision] = field(default_factory=list)  # the item's ledger, oldest first


def detail_of(user: User, dispute: Dispute) -> DisputeDetail:
    """What the dispute is about: the declared and the verified value of its kind, their
    differences, the department's reason, the files (``dispute`` from ``dispute_for``)."""
    item = dispute.item
    app = item.application
    kind = item.kind
    names = records.code_names(load_rule_set(app.round.rule_set))
    declared = declared_value(dispute)
    decision = item.latest_decision
    verified = decision.value if decision is not None else records.empty(kind)
    diff = records.differences(kind, declared, verified, names=names)
    reason = ""
    if decision is not None:
        reason = decision.reason or (
            COMPARISON_REASON if decision.action == "compare" and decision.matched is False
            else ""
        )
    section = KIND_SECTION[kind]
    return DisputeDetail(
        dispute=dispute,
        kind=kind,
        name=KIND_NAMES[kind],
        department_name=Department(item.department).label,
        declared_lines=records.value_lines(kind, declared, names=names),
        verified_lines=records.value_lines(kind, verified, names=names),
        differs=bool(diff),
        only_declared=diff.only_declared,
        only_recorded=diff.only_recorded,
        reason=reason,
        decision=decision,
        verified=verified,
        declared=declared,
        evidence=list(dispute_evidence(dispute)),
        declaration_evidence=list(evidence_for(user, app).filter(section=section)),
        history=list(Decision.objects.filter(item=item).select_related("actor").order_by("id")),
    )


def declared_value(dispute: Dispute) -> Any:
    """What the applicant declared of the dispute's kind (the value a change may adopt)."""
    return records.declared(dispute.item.kind, profile_of(dispute.item.application))


def dispute_evidence(dispute: Dispute) -> QuerySet[Evidence]:
    """The files the applicant gave with the dispute."""
    return Evidence.objects.filter(
        application_id=dispute.item.application_id, section=EVIDENCE_SECTION,
        item_id=str(dispute.pk),
    )


def dispute_evidence_item(user: User, evidence_id: int) -> Evidence:
    """One re-check file, for whoever may see its dispute; NotFound otherwise."""
    ev = (
        Evidence.objects.select_related("application", "application__applicant")
        .filter(pk=evidence_id, section=EVIDENCE_SECTION)
        .first()
    )
    if ev is None or not ev.item_id.isdigit():
        raise NotFound("没有找到该材料")
    try:
        dispute = dispute_for(user, int(ev.item_id))
    except NotFound as exc:
        raise NotFound("没有找到该材料") from exc
    if dispute.item.application_id != ev.application_id:
        raise NotFound("没有找到该材料")
    return ev
