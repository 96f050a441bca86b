"""The demo's verification scene: a few hundred synthetic applications passed on to the
departments, every department's records compared (some of them differing from what was
declared), reviewers' decisions, first results, re-checks at every step, and a queue of
applications that arrived after the comparisons and wait for a reviewer's hand.

Everything goes through the same services as real work: ``import_applications``, the data
comparison on real CSV files, the reviewers' ledger, the re-check flow.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from random import Random
from typing import Any

from django.conf import settings
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications.models import Application, Status
from jifen.applications.selectors import profile_of
from jifen.applications.services.imports import import_applications
from jifen.review import records
from jifen.review.comparisons import run_comparison, start_run
from jifen.review.corrections import value_rows
from jifen.review.decisions import item_confirm, item_reject, items_bulk_confirm
from jifen.review.kinds import KIND_DEPARTMENT, KINDS
from jifen.review.models import ItemState, VerificationItem
from jifen.review.recheck import (
    dispute_answer,
    dispute_onsite_record,
    dispute_send_onsite,
    recheck_request,
)
from jifen.review.record_files import KIND_COLUMNS
from jifen.review.sources import FileSource
from jifen.rounds.models import Round
from jifen.synth import generate, write_profiles

# Applications whose department records are all compared, and those passed on afterwards
# (waiting for reviewers); the test settings make it smaller.
DEFAULT_SIZE = (360, 40)
_SEED = 20261130
# The first four imported applications: their employment records differ, and they dispute it.
_RECHECKED = range(1, 5)

Say = Callable[[str], None]


def _number(year: int, n: int) -> str:
    return f"{year % 100:02d}{900000 + n}"


def _profiles(year: int, count: int, start: int) -> list[dict[str, Any]]:
    out = []
    for i, profile in enumerate(generate(count, year, _SEED + start)):
        profile["application_no"] = _number(year, start + i + 1)
        out.append(profile)
    return out


def _import(year: int, profiles: list[dict[str, Any]], actor: User) -> list[int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "applications.jsonl"
        with path.open("wb") as out:
            write_profiles(profiles, out)
        return list(import_applications(actor=actor, year=year, path=path).application_ids)


def _altered(kind: str, value: Any) -> Any:
    """What a department's records might say instead (the demo's differences)."""
    if kind in ("permits", "criminal_records"):
        return not value
    if kind == "social_insurance" and value:
        last = dict(value[-1])
        last["back_paid"] = [m for m in last.get("back_paid", []) if m <= last["to"]]
        year, month = int(last["to"][:4]), int(last["to"][5:])
        if (year, month) > (int(last["from"][:4]), int(last["from"][5:])):
            month -= 6
            while month < 1:
                month += 12
                year -= 1
            cut = f"{year:04d}-{month:02d}"
            if cut >= last["from"]:
                last["to"] = cut
                last["back_paid"] = [m for m in last["back_paid"] if m <= cut]
        return [*value[:-1], last]
    if kind in ("housing", "employment") and value:
        last = dict(value[-1])
        last["district"] = "大兴区" if last["district"] != "大兴区" else "顺义区"
        return [*value[:-1], last]
    if kind == "education" and value:
        first = dict(value[0])
        first["full_time"] = not first.get("full_time")
        return [first, *value[1:]]
    if kind == "tax" and value:
        year = sorted(value)[-1]
        return {**value, year: round(float(value[year]) * 0.8, 2)}
    if kind in ("innovation", "honours") and value:
        return value[:-1]
    if kind == "detentions":
        return [*value, {"kind": "administrative_detention", "date": "2023-06-18"}]
    return value


def _rows(kind: str, id_number: str, value: Any) -> list[list[str]]:
    """The department file's rows of one person (as the spec's columns)."""
    if kind in ("permits", "criminal_records"):
        return [[id_number]] if value else []
    if kind in ("detentions", "tax_offences"):
        return [[id_number, v["date"]] for v in value]
    if kind == "tax":
        return [[id_number, y, str(a)] for y, a in sorted(value.items()) if float(a)]
    if kind in ("innovation", "honours"):
        return [[id_number, code] for code in value]
    columns = KIND_COLUMNS[kind][1:]
    rows = []
    for record in value:
        row = [id_number]
        for c in columns:
            cell = record.get(c)
            if c == "back_paid":
                cell = ";".join(cell or [])
            elif c == "full_time":
                cell = "是" if cell else "否"
            row.append("" if cell is None else str(cell))
        rows.append(row)
    return rows


def _department_file(
    kind: str, profiles: list[dict[str, Any]], rng: Random, folder: Path,
    *, differing: frozenset[str] = frozenset(), rechecked: frozenset[str] = frozenset(),
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(KIND_COLUMNS[kind])
    for profile in profiles:
        value = records.declared(kind, profile)
        forced = (kind == "tax" and profile["application_no"] in differing) or (
            kind == "employment" and profile["application_no"] in rechecked
        )
        if rng.random() < 0.06 or forced:
            value = _altered(kind, value)
        writer.writerows(_rows(kind, profile["person"]["id_number"], value))
    path = folder / f"{kind}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


def load_verification(rnd: Round, *, bureau: User, say: Say) -> None:
    """The verification scene in ``rnd`` (the demo's round)."""
    compared_count, late_count = getattr(settings, "DEMO_VERIFICATION_SIZE", DEFAULT_SIZE)
    rng = Random(_SEED)
    # The applications passed on through the web (the demo's own applicants) are compared too;
    # the department's tax records of the first of them differ from what was declared.
    on_the_web = [
        profile_of(app)
        for app in Application.objects.filter(round=rnd, status=Status.EMPLOYER_SUBMITTED)
        .select_related("round", "applicant").order_by("id")
    ]
    differing = frozenset(p["application_no"] for p in on_the_web[:1])
    compared = _profiles(rnd.year, compared_count, 0)
    _import(rnd.year, compared, bureau)
    say(f"  {compared_count} applications passed on to the departments (import_applications)")
    compared += on_the_web
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            reviewer = User.objects.get(username=f"demo-reviewer-{KIND_DEPARTMENT[kind]}")
            path = _department_file(
                kind, compared, rng, Path(tmp), differing=differing,
                rechecked=frozenset(_number(rnd.year, n) for n in _RECHECKED),
            )
            run = start_run(round_=rnd, kind=kind, actor=reviewer, file_name=path.name,
                            size=path.stat().st_size)
            run_comparison(run, FileSource(path, kind, file_name=path.name))
    say("  the departments' records compared, kind by kind (数据比对)")
    late = _profiles(rnd.year, late_count, compared_count)
    _import(rnd.year, late, bureau)
    say(f"  {late_count} applications passed on later: waiting in the reviewers' queues")
    # The re-check window: open now for a fortnight.
    now = timezone.now()
    Round.objects.filter(pk=rnd.pk).update(
        recheck_opens=now - timedelta(days=2), recheck_closes=now + timedelta(days=12)
    )
    rnd.refresh_from_db()
    _reviewers_at_work(rnd, late_count)
    say("  reviewers' decisions: matched tax items confirmed in bulk, late items decided by hand")
    _rechecks(rnd)
    say("  re-checks (复查): one upheld, one changed, one after an on-site check, one waiting")


def _reviewer(department: str) -> User:
    return User.objects.get(username=f"demo-reviewer-{department}")


def _reviewers_at_work(rnd: Round, late_count: int) -> None:
    """Bulk confirmation of matched items, and a few late applications decided by hand."""
    tax = _reviewer("tax")
    matched = list(
        VerificationItem.objects.filter(round=rnd, kind="tax", state=ItemState.MATCHED)
        .order_by("id").values_list("id", flat=True)[:100]
    )
    items_bulk_confirm(actor=tax, item_ids=matched)
    waiting = (
        VerificationItem.objects.filter(round=rnd, state=ItemState.WAITING)
        .select_related("application").order_by("application_id", "id")
    )
    first_late = sorted({i.application_id for i in waiting})[: max(1, late_count // 8)]
    for item in waiting.filter(application_id__in=first_late):
        reviewer = _reviewer(item.department)
        if item.kind == "housing":
            item_reject(actor=reviewer, item_id=item.pk,
                        reason="租赁合同未在住房城乡建设部门登记备案，不予认定")
        else:
            item_confirm(actor=reviewer, item_id=item.pk, reason="经核对部门业务系统，与申报一致")


def _rechecks(rnd: Round) -> None:
    """Four applicants dispute a kind whose records differed from their declaration."""
    different = (
        VerificationItem.objects.filter(
            round=rnd, state=ItemState.DIFFERENT, recheck="", kind="employment",
            application__number__in=[_number(rnd.year, n) for n in _RECHECKED],
        )
        .select_related("application__applicant__user").order_by("application__number")
    )
    chosen: list[VerificationItem] = []
    for item in different:
        if all(c.application_id != item.application_id for c in chosen):
            chosen.append(item)
        if len(chosen) == 4:
            break
    statements = (
        "本人缴费记录完整，部门数据有遗漏，现提交单位出具的缴费证明。",
        "所在区填报无误，附劳动合同和单位营业执照复印件。",
        "学历证书原件可到服务窗口核验。",
        "纳税金额以完税证明为准，请重新核对。",
    )
    disputes = []
    for item, statement in zip(chosen, statements, strict=False):
        request = recheck_request(
            actor=item.application.applicant.user, application_id=item.application_id,
            disputes=[{"kind": item.kind, "statement": statement}],
        )
        disputes.append((item, request.disputes.get()))
    for n, (item, dispute) in enumerate(disputes):
        reviewer = _reviewer(item.department)
        if n == 0:
            dispute_answer(actor=reviewer, dispute_id=dispute.pk, outcome="upheld",
                           reason="经复核部门业务数据，维持原核验结果")
        elif n == 1:
            declared = records.declared(item.kind, profile_of(item.application))
            dispute_answer(actor=reviewer, dispute_id=dispute.pk, outcome="changed",
                           reason="经复核，采信申请人提交的证明材料",
                           value=value_rows(item.kind, declared))
        elif n == 2:
            dispute_send_onsite(actor=reviewer, dispute_id=dispute.pk,
                                reason="需查验证书原件")
            dispute_onsite_record(actor=_reviewer("service_window"), dispute_id=dispute.pk,
                                  note="已查验原件，与申报一致", consistent=True)
