"""Reads of the verification work: a department's queue and its counts, one item with the
declaration beside the department's records, and the bureau's view of waiting and overdue
items. The same permission rules as the decisions: a reviewer sees their department's items
only (another department's item is NotFound), everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications.declaration import SECTIONS_BY_KEY
from jifen.applications.models import Evidence
from jifen.applications.selectors import profile_of
from jifen.applications.services import record_declaration_view
from jifen.core.errors import InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from jifen.rules.ruleset import load_rule_set

from . import records, sla
from .decisions import IN_RECHECK, NOT_FOUND, latest_comparison, require_reviewer
from .kinds import KIND_NAMES, KIND_SECTION, VERIFYING_DEPARTMENTS, kinds_of
from .models import Decision, ItemState, VerificationItem

ORDERS = {"waiting": ("opened_at", "id"), "-waiting": ("-opened_at", "-id")}


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def department_queue(
    user: User,
    rnd: Round | None,
    *,
    state: str | None = None,
    kind: str | None = None,
    employer: int | str | None = None,
    matched: bool | None = None,
    recheck: bool | None = None,
    overdue: bool | None = None,
    number: str | None = None,
    order: str = "waiting",
    today: date | None = None,
) -> QuerySet[VerificationItem]:
    """The items of ``rnd`` owned by the reviewer's department, filtered:

    ``state`` an ItemState; ``kind`` one of the department's kinds; ``employer`` an employer's
    id (int) or a part of its name or its whole credit code (str); ``matched`` the latest
    comparison's outcome; ``recheck`` True for items in re-check (open or awaiting the on-site
    check), False for the others; ``overdue`` True for waiting items past their due date;
    ``number`` the application number, exact or its beginning. ``order``: ``"waiting"`` the
    longest waiting first (by ``opened_at``), ``"-waiting"`` the newest first.
    """
    require_reviewer(user)
    if rnd is None:
        return VerificationItem.objects.none()
    qs = VerificationItem.objects.filter(round=rnd, department=user.department)
    if state:
        if state not in ItemState.values:
            raise InvalidInput("没有这种核验状态", field="state")
        qs = qs.filter(state=state)
    if kind:
        if kind not in kinds_of(user.department):
            raise InvalidInput("本部门不核验该类事项", field="kind")
        qs = qs.filter(kind=kind)
    if isinstance(employer, int):
        qs = qs.filter(application__employer_id=employer)
    elif employer:
        text = employer.strip()
        qs = qs.filter(
            Q(application__employer__name__icontains=text)
            | Q(application__employer__credit_code=text.upper())
        )
    if matched is not None:
        qs = qs.filter(matched=matched)
    if recheck is True:
        qs = qs.filter(recheck__in=IN_RECHECK)
    elif recheck is False:
        qs = qs.exclude(recheck__in=IN_RECHECK)
    if overdue is True:
        qs = qs.filter(state=ItemState.WAITING, due_on__lt=_today(today))
    elif overdue is False:
        qs = qs.exclude(state=ItemState.WAITING, due_on__lt=_today(today))
    if number:
        qs = qs.filter(application__number__startswith=number.strip())
    if order not in ORDERS:
        raise InvalidInput("排序方式只能是 waiting 或 -waiting", field="order")
    return qs.select_related("application", "application__employer").order_by(*ORDERS[order])


def _counts(qs: QuerySet[VerificationItem], today: date) -> dict[str, int]:
    agg = qs.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=Q(state=ItemState.WAITING, due_on__lt=today)),
        recheck=Count("id", filter=Q(recheck__in=IN_RECHECK)),
        **{s: Count("id", filter=Q(state=s)) for s in ItemState.values},
    )
    return {k: v or 0 for k, v in agg.items()}


def queue_counts(user: User, rnd: Round | None, *, today: date | None = None) -> dict[str, int]:
    """How many of the department's items of ``rnd`` are in each state (every ItemState a
    key), ``overdue`` (waiting past the due date), ``recheck`` (in re-check) and ``total``."""
    require_reviewer(user)
    if rnd is None:
        return {"total": 0, "overdue": 0, "recheck": 0, **{s: 0 for s in ItemState.values}}
    qs = VerificationItem.objects.filter(round=rnd, department=user.department)
    return _counts(qs, _today(today))


@dataclass(frozen=True)
class QueueRow:
    item: VerificationItem
    kind_name: str
    waiting_days: int
    overdue: bool
    bulk_confirmable: bool


def queue_rows(items: Iterable[VerificationItem], *, today: date | None = None) -> list[QueueRow]:
    """The queue's rows with what the list shows besides the item: the working days it has
    waited (until decided) and whether it is overdue, and whether bulk confirmation takes it."""
    today = _today(today)
    out = []
    for item in items:
        opened = timezone.localdate(item.opened_at)
        until = timezone.localdate(item.decided_at) if item.decided else today
        out.append(
            QueueRow(
                item=item,
                kind_name=KIND_NAMES[item.kind],
                waiting_days=sla.waiting_days(opened, until),
                overdue=is_overdue(item, today),
                bulk_confirmable=item.state == ItemState.MATCHED
                and item.recheck not in IN_RECHECK,
            )
        )
    return out


def is_overdue(item: VerificationItem, today: date | None = None) -> bool:
    """Waiting (no decision yet) past its due date."""
    return (
        item.state == ItemState.WAITING
        and item.due_on is not None
        and item.due_on < _today(today)
    )


# --- one item ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    decision: Decision
    actor: str
    source: str
    action: str
    reason: str
    lines: list[str]
    file_name: str


@dataclass
class ItemDetail:
    item: VerificationItem
    kind_name: str
    section_title: str
    applicant_name: str
    id_number_masked: str
    employer_name: str
    declared: Any
    declared_lines: list[str]
    recorded: Any  # None: no comparison has recorded a value
    recorded_lines: list[str]
    only_declared: list[str]
    only_recorded: list[str]
    verified_lines: list[str] | None  # the latest decision's value (None while waiting)
    history: list[HistoryRow]
    evidence: list[Evidence]
    names: dict[str, str] = field(default_factory=dict)
    waiting_days: int = 0
    overdue: bool = False
    in_recheck: bool = False


def _actor_label(decision: Decision) -> str:
    if decision.actor is None:
        return "系统（数据比对）" if decision.comparison_id else "系统"
    name = decision.actor.get_full_name() or decision.actor.username
    return f"{name}（{decision.actor.username}）"


def _evidence(item: VerificationItem) -> list[Evidence]:
    """The evidence files of the kind's declaration section; of the violations only those of
    the item's kind of violation (and any attached to the whole section)."""
    app = item.application
    section = KIND_SECTION[item.kind]
    qs = Evidence.objects.filter(application=app, section=section)
    if item.kind in records.VIOLATION_KIND:
        wanted = records.VIOLATION_KIND[item.kind]
        ids = [
            str(row.get("id", ""))
            for row in app.data.get("violations") or []
            if isinstance(row, dict) and row.get("kind") == wanted
        ]
        qs = qs.filter(Q(item_id__in=ids) | Q(item_id=""))
    return list(qs.order_by("uploaded_at", "id"))


def item_for(user: User, item_id: int) -> VerificationItem:
    """The item if it is the reviewer's department's; NotFound otherwise (no way to tell an
    item of another department from one that does not exist)."""
    require_reviewer(user)
    item = (
        VerificationItem.objects.select_related(
            "application", "application__round", "application__applicant",
            "application__employer", "latest_decision",
        )
        .filter(pk=item_id, department=user.department)
        .first()
    )
    if item is None:
        raise NotFound(NOT_FOUND)
    return item


def item_detail(user: User, item_id: int, *, today: date | None = None) -> ItemDetail:
    """One item for its reviewer: the declared value beside the department's recorded value
    with the differences, the verified value, the ledger (newest first), the evidence of its
    section and the applicant (name, identity number masked).

    Showing the declaration to staff is on the record: an access event for the application,
    with the kind's section.
    """
    item = item_for(user, item_id)
    app = item.application
    names = records.code_names(load_rule_set(app.round.rule_set))
    declared = records.declared(item.kind, profile_of(app))
    compared = latest_comparison(item)
    recorded = compared.value if compared is not None else None
    diff = (
        records.differences(item.kind, declared, recorded, names=names)
        if compared is not None
        else records.Differences()
    )
    decisions = list(
        Decision.objects.filter(item=item)
        .select_related("actor", "comparison")
        .order_by("-id")
    )
    history = [
        HistoryRow(
            decision=d,
            actor=_actor_label(d),
            source=d.get_source_display(),
            action=d.get_action_display(),
            reason=d.reason,
            lines=records.value_lines(item.kind, d.value, names=names),
            file_name=d.comparison.file_name if d.comparison_id else "",
        )
        for d in decisions
    ]
    latest = item.latest_decision
    today = _today(today)
    record_declaration_view(actor=user, app=app, sections=[KIND_SECTION[item.kind]])
    return ItemDetail(
        item=item,
        kind_name=KIND_NAMES[item.kind],
        section_title=SECTIONS_BY_KEY[KIND_SECTION[item.kind]].title,
        applicant_name=app.applicant.name,
        id_number_masked=app.applicant.id_number_masked,
        employer_name=app.employer.name,
        declared=declared,
        declared_lines=records.value_lines(item.kind, declared, names=names),
        recorded=recorded,
        recorded_lines=(
            records.value_lines(item.kind, recorded, names=names) if compared is not None else []
        ),
        only_declared=diff.only_declared,
        only_recorded=diff.only_recorded,
        verified_lines=(
            records.value_lines(item.kind, latest.value, names=names) if latest else None
        ),
        history=history,
        evidence=_evidence(item),
        names=names,
        waiting_days=queue_rows([item], today=today)[0].waiting_days,
        overdue=is_overdue(item, today),
        in_recheck=item.recheck in IN_RECHECK,
    )


# --- the bureau ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentLoad:
    department: str
    label: str
    days: int  # the department's time limit (working days)
    total: int
    waiting: int
    decided: int
    overdue: int
    recheck: int
    oldest_waiting: datetime | None


def overdue(rnd: Round, *, today: date | None = None) -> list[DepartmentLoad]:
    """Per verifying department (in the spec's order): its items of ``rnd``, how many wait,
    are decided, are overdue (waiting past the due date) and in re-check, and since when the
    oldest waits. No permission check: see ``bureau_overview``."""
    today = _today(today)
    rows = {
        r["department"]: r
        for r in VerificationItem.objects.filter(round=rnd)
        .order_by()
        .values("department")
        .annotate(
            total=Count("id"),
            waiting=Count("id", filter=Q(state=ItemState.WAITING)),
            overdue=Count("id", filter=Q(state=ItemState.WAITING, due_on__lt=today)),
            recheck=Count("id", filter=Q(recheck__in=IN_RECHECK)),
            oldest=Min("opened_at", filter=Q(state=ItemState.WAITING)),
        )
    }
    out = []
    for department in VERIFYING_DEPARTMENTS:
        r = rows.get(department, {})
        total, waiting = r.get("total", 0), r.get("waiting", 0)
        out.append(
            DepartmentLoad(
                department=department,
                label=Department(department).label,
                days=sla.days_for(rnd, department),
                total=total,
                waiting=waiting,
                decided=total - waiting,
                overdue=r.get("overdue", 0),
                recheck=r.get("recheck", 0),
                oldest_waiting=r.get("oldest"),
            )
        )
    return out


def require_bureau(user: User) -> None:
    if not getattr(user, "is_authenticated", False) or user.role != Role.BUREAU_ADMIN:
        raise NotPermitted("只有市人社局管理员可以查看各部门核验进度")


def bureau_overview(
    user: User, rnd: Round | None, *, today: date | None = None
) -> list[DepartmentLoad]:
    """``overdue`` for the bureau's administrators (NotPermitted for anyone else); empty
    without a round."""
    require_bureau(user)
    return overdue(rnd, today=today) if rnd is not None else []
