"""The applicant's first result (初核结果), as the applicant reads it: per indicator the
self-assessment beside the verified points, per kind of record the declared beside the
verified value, with the differences and the department's reason.

Only the applicant's own (NotFound for anyone else, staff included: the departments read the
items in their queues). Reading one's own result is not an access event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from jifen.accounts.models import User
from jifen.applications.explain import explain_zh, reasons_of
from jifen.applications.models import Application, Evidence, Status
from jifen.applications.selectors import assess, profile_of
from jifen.core.errors import NotFound
from jifen.core.roles import Department, Role
from jifen.rules import load_rule_set

from . import records
from .kinds import KIND_DEPARTMENT, KIND_NAMES, KINDS
from .models import (
    Action,
    Decision,
    Dispute,
    FirstResult,
    ItemState,
    RecheckRequest,
    RecheckState,
    VerificationItem,
)
from .recheck import EVIDENCE_SECTION, window_text
from .results import newest_result

# The reason shown for a kind the department's file decided differently from the declaration.
COMPARISON_REASON = "与部门数据比对不一致"
NOT_FOUND = "没有找到该申报"
NOT_SUBMITTED = "申报尚未由用人单位提交部门核验"


@dataclass
class IndicatorRow:
    """One indicator: the self-assessment's points (None when the declaration cannot be
    scored) beside the verified points, with the verified basis in Chinese."""

    indicator: str
    name: str
    declared: float | None
    verified: float
    basis: str
    reference: str
    declared_basis: str = ""

    @property
    def differs(self) -> bool:
        return self.declared is not None and round(self.declared - self.verified, 2) != 0

    @property
    def change(self) -> float | None:
        return None if self.declared is None else round(self.verified - self.declared, 2)


@dataclass
class KindRow:
    """One kind of record: declared beside verified, and why they differ."""

    kind: str
    name: str
    department: str
    department_name: str
    state: str
    state_name: str
    declared: Any
    verified: Any
    declared_lines: list[str]
    verified_lines: list[str]
    differs: bool
    only_declared: list[str]
    only_recorded: list[str]
    reason: str
    action: str
    source: str
    source_name: str
    decided_at: datetime | None
    recheck: str
    recheck_name: str
    dispute: Dispute | None = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class RecheckInfo:
    """The re-check: the window, whether the applicant may still ask, and what they asked."""

    window: str
    open_now: bool
    request: RecheckRequest | None
    can_request: bool
    disputes: list[Dispute] = field(default_factory=list)


@dataclass
class ApplicantResult:
    app: Application
    decided: int
    total_items: int
    result: FirstResult | None
    declared_total: float | None = None
    declared_eligible: bool | None = None
    declared_reasons: list[str] = field(default_factory=list)
    declared_problems: int = 0
    indicators: list[IndicatorRow] = field(default_factory=list)
    kinds: list[KindRow] = field(default_factory=list)
    recheck: RecheckInfo | None = None

    @property
    def submitted(self) -> bool:
        """Whether the employer passed the application on to the departments."""
        return self.app.status == Status.EMPLOYER_SUBMITTED

    @property
    def verifying(self) -> bool:
        return self.result is None and self.submitted

    @property
    def progress_text(self) -> str:
        if not self.submitted:
            return NOT_SUBMITTED
        return progress_text(self.decided, self.total_items)

    @property
    def different_kinds(self) -> list[KindRow]:
        return [k for k in self.kinds if k.differs]


def progress_text(decided: int, total: int) -> str:
    return f"部门核验中（已核验 {decided} / {total} 项）"


def _own(user: User, app: Application | None) -> Application:
    if (
        app is None
        or not user.is_authenticated
        or user.role != Role.APPLICANT
        or app.applicant.user_id != user.pk
    ):
        raise NotFound(NOT_FOUND)
    return app


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related("round", "applicant", "employer")


def own_application(user: User, application_id: int) -> Application:
    """The applicant's own application ``application_id``; NotFound for anyone else."""
    return _own(user, _applications().filter(pk=application_id).first())


def own_application_of_year(user: User, year: int) -> Application:
    """The applicant's own application of the round ``year``; NotFound when there is none."""
    if not user.is_authenticated or user.role != Role.APPLICANT:
        raise NotFound(NOT_FOUND)
    app = _applications().filter(round__year=year, applicant__user=user).first()
    return _own(user, app)


def verification_progress(app: Application) -> tuple[int, int]:
    """(items decided, items in all) of an application (0 of 11 before they open)."""
    decided = (
        VerificationItem.objects.filter(application=app).exclude(state=ItemState.WAITING).count()
    )
    return decided, len(KINDS)


@dataclass
class VerificationStatus:
    """What the applicant's home page says of the verification of one application."""

    year: int
    verifying: bool
    decided: int
    total: int
    total_points: float | None
    recheck_open: bool

    @property
    def text(self) -> str:
        return progress_text(self.decided, self.total)


def status_of(app: Application) -> VerificationStatus | None:
    """The verification's state of ``app`` for its owner's home page (None before the
    employer passed it on)."""
    if app.status != Status.EMPLOYER_SUBMITTED:
        return None
    result = newest_result(app)
    decided, total = verification_progress(app)
    return VerificationStatus(
        year=app.round.year,
        verifying=result is None,
        decided=decided,
        total=total,
        total_points=float(result.total) if result is not None else None,
        recheck_open=result is not None and app.round.recheck_open()
        and not RecheckRequest.objects.filter(application=app).exists(),
    )


def _reason(decision: Decision) -> str:
    if decision.reason:
        return decision.reason
    if decision.action == Action.COMPARE and decision.matched is False:
        return COMPARISON_REASON
    return ""


def _indicators(result: FirstResult, app: Application) -> tuple[list[IndicatorRow], Any]:
    assessment = assess(app)
    declared = {e["indicator"]: e for e in explain_zh(assessment.breakdown)}
    rows = []
    for entry in result.explanation_zh:
        mine = declared.get(entry["indicator"])
        rows.append(
            IndicatorRow(
                indicator=entry["indicator"],
                name=entry["name"],
                declared=float(mine["points"]) if mine is not None else None,
                verified=float(entry["points"]),
                basis=entry["basis"],
                reference=entry.get("reference", ""),
                declared_basis=mine["basis"] if mine is not None else "",
            )
        )
    return rows, assessment


def _kinds(app: Application, result: FirstResult, request: RecheckRequest | None) -> list[KindRow]:
    rule_set = load_rule_set(app.round.rule_set)
    names = records.code_names(rule_set)
    declared_profile = profile_of(app)
    items = {i.kind: i for i in VerificationItem.objects.filter(application=app)}
    decisions = Decision.objects.in_bulk(list(result.decisions.values()))
    disputes: dict[str, Dispute] = {}
    evidence: dict[str, list[Evidence]] = {}
    if request is not None:
        for d in Dispute.objects.filter(request=request).select_related("item"):
            disputes[d.item.kind] = d
        by_id = {str(d.pk): d.item.kind for d in disputes.values()}
        for ev in Evidence.objects.filter(
            application=app, section=EVIDENCE_SECTION, item_id__in=list(by_id)
        ):
            evidence.setdefault(by_id[ev.item_id], []).append(ev)
    rows = []
    for kind in KINDS:
        item = items.get(kind)
        decision = decisions.get(result.decisions.get(kind))
        if item is None or decision is None:
            continue
        declared = records.declared(kind, declared_profile)
        verified = decision.value
        diff = records.differences(kind, declared, verified, names=names)
        department = KIND_DEPARTMENT[kind]
        rows.append(
            KindRow(
                kind=kind,
                name=KIND_NAMES[kind],
                department=department,
                department_name=Department(department).label,
                state=item.state,
                state_name=item.get_state_display(),
                declared=declared,
                verified=verified,
                declared_lines=records.value_lines(kind, declared, names=names),
                verified_lines=records.value_lines(kind, verified, names=names),
                differs=bool(diff),
                only_declared=diff.only_declared,
                only_recorded=diff.only_recorded,
                reason=_reason(decision),
                action=decision.action,
                source=decision.source,
                source_name=decision.get_source_display(),
                decided_at=decision.created_at,
                recheck=item.recheck,
                recheck_name=RecheckState(item.recheck).label if item.recheck else "",
                dispute=disputes.get(kind),
                evidence=evidence.get(kind, []),
            )
        )
    return rows


def result_of(app: Application) -> ApplicantResult:
    """The result of ``app`` as its owner reads it (the caller has checked it is theirs)."""
    decided, total = verification_progress(app)
    result = newest_result(app)
    out = ApplicantResult(app=app, decided=decided, total_items=total, result=result)
    if result is None:
        return out
    request = RecheckRequest.objects.filter(application=app).first()
    out.indicators, assessment = _indicators(result, app)
    if assessment.result is not None:
        out.declared_total = float(assessment.result["total"])
        out.declared_eligible = bool(assessment.result["eligible"])
        out.declared_reasons = reasons_of(assessment.breakdown)
    out.declared_problems = len(assessment.errors)
    out.kinds = _kinds(app, result, request)
    open_now = app.round.recheck_open()
    out.recheck = RecheckInfo(
        window=window_text(app.round),
        open_now=open_now,
        request=request,
        can_request=open_now and request is None,
        disputes=[k.dispute for k in out.kinds if k.dispute is not None],
    )
    return out


def applicant_result(user: User, application_id: int) -> ApplicantResult:
    """The applicant's own result of ``application_id``; NotFound for anyone else."""
    return result_of(own_application(user, application_id))


def applicant_result_of_year(user: User, year: int) -> ApplicantResult:
    return result_of(own_application_of_year(user, year))


def applications_with_verification(user: User) -> list[Application]:
    """The applicant's applications the employer passed on, newest round first."""
    if not user.is_authenticated or user.role != Role.APPLICANT:
        raise NotFound(NOT_FOUND)
    return list(
        _applications()
        .filter(applicant__user=user, status=Status.EMPLOYER_SUBMITTED)
        .order_by("-round__year")
    )
