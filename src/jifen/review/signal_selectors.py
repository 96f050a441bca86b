"""Reads of signals (异常信号): who sees which, and what a page or the API shows of one.

The bureau (市人社局管理员) sees every signal. A reviewer of a verifying department sees the
signals that concern their department (``Signal.departments``: a tax cluster the tax
department, the same evidence file the departments of the sections it was uploaded to, ...)
and touch their queue (an application with an item of their department). Anyone else: 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet

from jifen.accounts.models import User
from jifen.applications.models import Application
from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round

from .kinds import VERIFYING_DEPARTMENTS
from .models import Signal, SignalKind, SignalState, VerificationItem

NOT_PERMITTED = "异常信号仅供核验部门审核员和市人社局管理员查看"
NOT_FOUND = "没有找到该异常信号"

_SECTION_NAMES = {
    "conditions": "申请条件", "social_insurance": "社会保险", "housing": "住所",
    "education": "学历学位", "employment": "就业地", "innovation": "创新创业", "tax": "纳税",
    "honours": "荣誉表彰", "violations": "守法记录",
}


def _department(user: User) -> str | None:
    """None for the bureau (everything); the reviewer's department; NotPermitted otherwise."""
    if not user.is_authenticated:
        raise NotPermitted(NOT_PERMITTED)
    if user.role == Role.BUREAU_ADMIN:
        return None
    if user.role == Role.REVIEWER and user.department in VERIFYING_DEPARTMENTS:
        return str(user.department)
    raise NotPermitted(NOT_PERMITTED)


def _visible(queryset: QuerySet[Signal], department: str | None) -> QuerySet[Signal]:
    if department is None:
        return queryset
    through = Signal.applications.through
    in_queue = through.objects.filter(signal=OuterRef("pk")).filter(
        Exists(VerificationItem.objects.filter(
            application_id=OuterRef("application_id"), department=department
        ))
    )
    return queryset.filter(departments__contains=f"|{department}|").filter(Exists(in_queue))



def signals_for(
    user: User,
    *,
    rnd: Round | None = None,
    kind: str | None = None,
    state: str | None = None,
    number: str | None = None,
    employer_id: int | None = None,
) -> QuerySet[Signal]:
    """The signals ``user`` may see, newest first, filtered; NotPermitted for other roles."""
    queryset = _visible(Signal.objects.all(), _department(user))
    if rnd is not None:
        queryset = queryset.filter(round=rnd)
    if kind:
        queryset = queryset.filter(kind=kind)
    if state:
        queryset = queryset.filter(state=state)
    if employer_id:
        queryset = queryset.filter(employer_id=employer_id)
    if number:
        queryset = queryset.filter(
            Exists(Signal.applications.through.objects.filter(
                signal=OuterRef("pk"), application__number=number.strip()
            ))
        )
    return queryset.select_related("round", "employer", "handled_by").order_by("-id")


def signal_for(user: User, signal_id: int) -> Signal:
    """One signal ``user`` may see; NotFound when there is none (or not theirs to see)."""
    signal = signals_for(user).filter(pk=signal_id).first()
    if signal is None:
        raise NotFound(NOT_FOUND)
    return signal


def signal_applications(signal: Signal) -> list[Application]:
    """The applications of a signal, by number (employer loaded)."""
    return list(signal.applications.select_related("employer").order_by("number", "id"))


def members_by_signal(signals: Iterable[Signal]) -> dict[int, list[tuple[int, str]]]:
    """{signal id: [(application id, number), ...]} for a page of signals, in one query."""
    out: dict[int, list[tuple[int, str]]] = {}
    ids = [s.pk for s in signals]
    rows = (
        Signal.applications.through.objects.filter(signal_id__in=ids)
        .values_list("signal_id", "application_id", "application__number")
        .order_by("application__number")
    )
    for signal_id, app_id, number in rows:
        out.setdefault(signal_id, []).append((app_id, number))
    return out


def signals_for_application(
    app: Application, *, user: User | None = None, include_dismissed: bool = False
) -> list[Signal]:
    """The signals ``app`` is in (for a badge on its items): not the dismissed ones unless
    asked; with ``user``, only those ``user`` may see."""
    queryset = Signal.objects.filter(applications=app)
    if user is not None:
        queryset = _visible(queryset, _department(user))
    if not include_dismissed:
        queryset = queryset.exclude(state=SignalState.DISMISSED)
    return list(queryset.order_by("-id"))


def signal_counts(application_ids: Iterable[int], *, user: User | None = None) -> dict[int, int]:
    """{application id: how many signals not dismissed it is in} for a page of a queue (one
    query); applications in none are left out."""
    ids = list(application_ids)
    signals = Signal.objects.exclude(state=SignalState.DISMISSED)
    if user is not None:
        signals = _visible(signals, _department(user))
    rows = (
        Signal.applications.through.objects.filter(
            application_id__in=ids, signal__in=signals.values("pk")
        )
        .values("application_id")
        .annotate(n=Count("signal_id"))
        .values_list("application_id", "n")
    )
    return dict(rows)


def state_counts(user: User, rnd: Round | None) -> dict[str, int]:
    """{state: count} of the signals ``user`` sees in ``rnd``."""
    rows = (
        signals_for(user, rnd=rnd).order_by().values("state").annotate(n=Count("id"))
        .values_list("state", "n")
    )
    counts = dict.fromkeys(SignalState.values, 0)
    counts.update(dict(rows))
    return counts


# ---- what the evidence says, in Chinese --------------------------------------------------------


def _employers(value: Any) -> str:
    return "、".join(e.get("name", "") for e in value or []) or "—"


def evidence_lines(signal: Signal) -> list[tuple[str, str]]:
    """The signal's evidence as (label, text) lines for the page."""
    e: dict[str, Any] = signal.evidence or {}
    kind = signal.kind
    lines: list[tuple[str, str]] = []
    if kind == SignalKind.SAME_EVIDENCE:
        sections = "、".join(_SECTION_NAMES.get(s, s) for s in e.get("sections", []))
        lines += [
            ("文件内容指纹（SHA-256 前缀）", e.get("sha256_prefix", "")),
            ("文件大小", f"{e.get('size', 0)} 字节"),
            ("上传次数", str(e.get("files", 0))),
            ("所在填报项", sections or "—"),
            ("涉及申请人", f"{e.get('applicants', 0)} 名"),
            ("用人单位", _employers(e.get("employers"))),
        ]
    elif kind == SignalKind.SAME_PHONE:
        lines += [
            ("手机号码（已遮蔽）", e.get("phone_masked", "")),
            ("号码指纹", e.get("phone_fingerprint", "")),
            ("涉及申请人", f"{e.get('applicants', 0)} 名"),
            ("用人单位", _employers(e.get("employers"))),
        ]
    elif kind == SignalKind.TAX_CLUSTER:
        band = e.get("band") or ["", ""]
        years = "；".join(f"{y} 年 {n} 名" for y, n in sorted((e.get("years") or {}).items()))
        lines += [
            ("用人单位", (e.get("employer") or {}).get("name", "")),
            ("积分规则分档线", f"{e.get('threshold', '')} 元"),
            ("“刚过分档线”区间", f"{band[0]} 元（含）至 {band[1]} 元（不含）"),
            ("申报纳税的申请人", f"{e.get('applicants_with_tax', 0)} 名"),
            ("落在区间内的申请人",
             f"{e.get('applicants_in_band', 0)} 名（{e.get('share_percent', 0)}%）"),
            ("按年度", years or "—"),
            ("判定条件", f"至少 {e.get('min_applicants', '')} 名且占比不低于 "
                         f"{e.get('min_share_percent', '')}%"),
        ]
    elif kind == SignalKind.INSURANCE_BURST:
        window = e.get("window") or ["", ""]
        lines += [
            ("用人单位", (e.get("employer") or {}).get("name", "")),
            ("首次参保月份集中区间", f"{window[0]} 至 {window[1]}"),
            ("有社会保险记录的申请人", f"{e.get('applicants_insured', 0)} 名"),
            ("区间内首次参保的申请人",
             f"{e.get('applicants_in_window', 0)} 名（{e.get('share_percent', 0)}%）"),
            ("判定条件", f"{e.get('window_months', '')} 个月内至少 {e.get('min_applicants', '')}"
                         f" 名且占比不低于 {e.get('min_share_percent', '')}%"),
        ]
    elif kind == SignalKind.RECORDS_CONFLICT:
        study = "；".join(
            f"{r.get('from')} 至 {r.get('to')}" for r in e.get("education", [])
        )
        lines += [
            ("申请编号", e.get("application", "")),
            ("全日制学习期间", study or "—"),
            ("同时缴纳社会保险的月份", "、".join(e.get("months", [])) or "—"),
            ("重叠月数", f"{e.get('overlap_months', 0)} 个月"),
            ("判定条件", f"重叠至少 {e.get('min_months', '')} 个月"),
        ]
    previously = e.get("previously")
    if previously:
        state = SignalState(previously.get("state", SignalState.OPEN)).label
        when = previously.get("handled_at", "")[:16].replace("T", " ")
        lines.append(("此前处理", f"{state}（{when}）：{previously.get('note', '')}；"
                                  "其后涉及的申请有变化，重新待处理"))
    return lines


def department_labels(signal: Signal) -> list[str]:
    return [Department(d).label for d in signal.department_list if d in Department.values]

