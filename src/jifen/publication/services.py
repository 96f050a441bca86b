"""Writes of publication (公示), objections (异议) and settlement (落户).

Every write is keyword-only, atomic, gated by its phase (``phases.require_open``) and writes
its audit event in the same transaction. The bureau (市人社局管理员) publishes, answers
objections and records settlement; anyone may file an objection during the publication window.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jifen.applications.models import Application
from jifen.audit import redact
from jifen.audit.exports import record_export
from jifen.audit.services import record_event
from jifen.core import crypto, watermark
from jifen.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    NotPermitted,
    Throttled,
)
from jifen.core.roles import Role
from jifen.inbox.services import notify, notify_many
from jifen.review import ledger, results
from jifen.review.corrections import BOOLEAN_KINDS, parse_correction
from jifen.review.decisions import IN_RECHECK, check_verified_profile
from jifen.review.kinds import KINDS
from jifen.review.models import Action, Source, VerificationItem
from jifen.rounds import phases
from jifen.rounds.models import RankedResult, Round, RunState
from jifen.rules import INDICATORS, load_rule_set
from jifen.rules.identity import mask

from . import exports
from .models import (
    FileKind,
    ListedEntry,
    Objection,
    ObjectionState,
    Publication,
    PublicationFile,
    Settlement,
    SettlementState,
)

PUBLISH_ACTION = "publication.publish"
REPUBLISH_ACTION = "publication.republish"
OBJECTION_FILE_ACTION = "objection.file"
OBJECTION_STATE_ACTION = "objection.state"
OBJECTION_ANSWER_ACTION = "objection.answer"
OBJECTION_CORRECT_ACTION = "objection.correct"
SETTLEMENT_ACTION = "settlement.record"

BUREAU_ONLY = "只有市人社局管理员可以办理公示、异议和落户事项"
REASON_MIN = 10
REASON_MAX = 1000
ANSWER_MAX = 1000
NOTE_MAX = 500
SETTLE_REASON_MAX = 500
NAME_RE = re.compile(r"^[\u3400-\u9fff·A-Za-z ]{2,30}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# Objections one address may file per hour (settings.OBJECTION_PER_ADDRESS_PER_HOUR).
DEFAULT_PER_ADDRESS_PER_HOUR = 5
_CENT = Decimal("0.01")


def require_bureau(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.BUREAU_ADMIN:
        raise NotPermitted(BUREAU_ONLY)


def _points(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(_CENT)


# --- publication ------------------------------------------------------------------------------


def _entries(pub: Publication, run_id: int) -> list[ListedEntry]:
    """The admitted rows of the run as published rows: the identity number decrypted and
    masked once, here, never per request."""
    rows = (
        RankedResult.objects.filter(run_id=run_id, admitted=True)
        .select_related("application__applicant", "application__employer")
        .order_by("position")
    )
    out = []
    for r in rows.iterator(chunk_size=2000):
        app = r.application
        person = app.applicant if app is not None else None
        birth = r.birth_month or (f"{person.birth_date:%Y-%m}" if person else "")
        out.append(
            ListedEntry(
                publication=pub,
                position=r.position,
                rank=r.rank or 0,
                application=app,
                application_no=r.application_no,
                name=person.name if person else "",
                id_masked=mask(person.id_number) if person else "",
                birth_month=birth,
                employer=app.employer.name if app is not None else "",
                scores=[str(_points((r.indicators or {}).get(code))) for code in INDICATORS],
                total=_points(r.total),
            )
        )
    return out


# The published files are made once, at publication, by the bureau's publisher: their watermark
# names the publisher and the time; the public's downloads of them are in the access log.
PUBLISHED_NOTICE = "积分落户公示名单，仅供公示期内查阅核对，不得用于其他用途"


def _make_files(
    pub: Publication, entries: list[ListedEntry], year: int, actor: Any
) -> dict[str, float]:
    mark = watermark.for_actor(actor, at=pub.published_at, notice=PUBLISHED_NOTICE)
    makers = {
        FileKind.CSV: lambda: exports.to_csv(entries, watermark=mark),
        FileKind.XLSX: lambda: exports.to_xlsx(entries, year=year, watermark=mark),
        FileKind.PDF: lambda: exports.to_pdf(entries, year=year, watermark=mark),
    }
    seconds = {}
    for kind, make in makers.items():
        started = time.perf_counter()
        content = make()
        took = time.perf_counter() - started
        seconds[str(kind)] = round(took, 2)
        PublicationFile.objects.create(
            publication=pub, kind=kind, content=content, size=len(content), seconds=took
        )
        record_export(
            actor=actor,
            what="publication.list",
            fmt=str(kind),
            rows=len(entries),
            watermark=mark,
            target=pub,
            detail=f"{year}年积分落户公示名单",
        )
    return seconds


@transaction.atomic
def publish(*, actor: Any, round: Round) -> Publication:
    """Publish (or re-publish) the admitted list of ``round``'s current run: the snapshot rows
    and the three downloads replace the previous ones in one transaction."""
    require_bureau(actor)
    rnd = Round.objects.select_for_update().get(pk=round.pk)
    phases.require_open(rnd, phases.Phase.PUBLICATION)
    run = rnd.current_run
    if run is None or run.state != RunState.DONE:
        raise Conflict("该年度尚无已完成的积分评定结果，不能公示")
    now = timezone.now()
    pub = Publication.objects.select_for_update().filter(round=rnd).first()
    before = None
    if pub is None:
        pub = Publication.objects.create(
            round=rnd, run=run, published_by=actor, published_at=now, version=1
        )
    else:
        before = {"version": pub.version, "run": pub.run_id, "rows": pub.rows}
        pub.entries.all().delete()
        pub.files.all().delete()
        pub.version += 1
        pub.run = run
        pub.published_by = actor
        pub.published_at = now
    entries = _entries(pub, run.pk)
    ListedEntry.objects.bulk_create(entries, batch_size=1000)
    pub.rows = len(entries)
    pub.line = run.line
    pub.save()
    seconds = _make_files(pub, entries, rnd.year, actor)
    record_event(
        actor=actor,
        action=REPUBLISH_ACTION if before else PUBLISH_ACTION,
        target=pub,
        before=before,
        after={
            "version": pub.version,
            "run": run.pk,
            "rows": pub.rows,
            "line": str(pub.line) if pub.line is not None else None,
            "seconds": seconds,
        },
    )
    recipients = [e.application.applicant.user for e in entries if e.application is not None]
    subject = (
        f"{rnd.year}年积分落户公示名单已更新" if before else f"{rnd.year}年积分落户公示名单已公示"
    )
    notify_many(
        recipients=recipients,
        subject=subject,
        body=(
            f"您在{rnd.year}年积分落户公示名单中。公示期至"
            f"{timezone.localtime(rnd.publication_closes):%Y-%m-%d %H:%M}；"
            "公示期满后请按落户办理须知准备材料。"
        ),
        link=reverse("publication:my_result"),
    )
    return pub


# --- objections ---------------------------------------------------------------------------------


def _address_index(ip: str | None) -> str:
    return crypto.blind_index("ip:" + ip) if ip else ""


def _receipt(year: int) -> str:
    return f"YY{year}{secrets.randbelow(10**10):010d}"


def _check_filing(name: str, phone: str, reason: str) -> tuple[str, str, str]:
    errors: list[FieldError] = []
    name = (name or "").strip()
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    reason = (reason or "").strip()
    if not NAME_RE.match(name):
        errors.append(FieldError("name", "请填写异议人的真实姓名（2到30个字）"))
    if not PHONE_RE.match(phone):
        errors.append(FieldError("phone", "请输入11位手机号码"))
    if len(reason) < REASON_MIN:
        errors.append(FieldError("reason", f"请写明异议的事实和理由，至少 {REASON_MIN} 个字"))
    elif len(reason) > REASON_MAX:
        errors.append(FieldError("reason", f"异议理由最多 {REASON_MAX} 个字"))
    elif "\x00" in reason:
        errors.append(FieldError("reason", "不能包含空字符（NUL）"))
    if errors:
        raise InvalidInput("异议信息有误，请按提示修改", errors=errors)
    return name, phone, reason


@transaction.atomic
def objection_file(
    *, year: int, rank: int, name: str, phone: str, reason: str, ip: str | None = None
) -> Objection:
    """File an objection to the listed entry at ``rank`` of ``year``'s published list (no
    login: the filer's real name and phone, encrypted at rest). Returns it with its receipt."""
    rnd = Round.objects.filter(year=year).first()
    pub = Publication.objects.filter(round=rnd).first() if rnd else None
    if rnd is None or pub is None:
        raise NotFound("该年度尚未公示")
    phases.require_open(rnd, phases.Phase.PUBLICATION)
    name, phone, reason = _check_filing(name, phone, reason)
    entry = ListedEntry.objects.filter(publication=pub, rank=rank).order_by("position").first()
    if entry is None:
        raise InvalidInput("公示名单中没有该排名", field="rank")
    address = _address_index(ip)
    limit = getattr(settings, "OBJECTION_PER_ADDRESS_PER_HOUR", DEFAULT_PER_ADDRESS_PER_HOUR)
    if (
        address
        and Objection.objects.filter(
            address_index=address, created_at__gte=timezone.now() - timedelta(hours=1)
        ).count()
        >= limit
    ):
        raise Throttled("提交异议过于频繁，请1小时后再试")
    for _ in range(5):
        try:
            with transaction.atomic():
                objection = Objection.objects.create(
                    round=rnd,
                    receipt_no=_receipt(year),
                    application_id=entry.application_id,
                    application_no=entry.application_no,
                    rank=entry.rank,
                    listed_name=entry.name,
                    filer_name=name,
                    filer_phone=phone,
                    reason=reason,
                    address_index=address,
                )
            break
        except IntegrityError:  # a receipt number drawn twice: draw again
            continue
    else:  # pragma: no cover - 10^10 numbers
        raise Conflict("受理编号生成失败，请重试")
    record_event(
        actor=None,
        action=OBJECTION_FILE_ACTION,
        target=objection,
        after={
            "rank": entry.rank,
            "application": entry.application_id,
            "reason": redact.text_fact(reason, scope=f"publication.objection:{objection.pk}"),
        },
    )
    return objection


def objection_lookup(*, receipt_no: str, phone: str) -> Objection:
    """The filer's own objection: the receipt number and the phone it was filed with."""
    receipt_no = (receipt_no or "").strip().upper()
    index = crypto.phone_index((phone or "").strip())
    objection = Objection.objects.filter(receipt_no=receipt_no).first() if index else None
    if objection is None or not secrets.compare_digest(objection.phone_index, index):
        raise NotFound("没有找到该异议，请核对受理编号和联系电话")
    return objection


def _locked_objection(actor: Any, objection_id: int) -> Objection:
    require_bureau(actor)
    objection = (
        Objection.objects.select_for_update()
        .select_related("round")
        .filter(pk=objection_id)
        .first()
    )
    if objection is None:
        raise NotFound("没有找到该异议")
    return objection


@transaction.atomic
def objection_start_check(*, actor: Any, objection_id: int, note: str = "") -> Objection:
    """已受理 → 核查中, with what is being checked."""
    objection = _locked_objection(actor, objection_id)
    if objection.state == ObjectionState.ANSWERED:
        raise Conflict("该异议已答复")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"核查情况最多 {NOTE_MAX} 个字", field="note")
    before = objection.state
    objection.state = ObjectionState.CHECKING
    objection.note = note
    objection.save(update_fields=["state", "note", "phone_index", "updated_at"])
    record_event(
        actor=actor,
        action=OBJECTION_STATE_ACTION,
        target=objection,
        before={"state": before},
        after={"state": objection.state},
    )
    return objection


@transaction.atomic
def objection_answer(*, actor: Any, objection_id: int, answer: str) -> Objection:
    """The bureau's answer with its reason: 已答复 (final)."""
    objection = _locked_objection(actor, objection_id)
    if objection.state == ObjectionState.ANSWERED:
        raise Conflict("该异议已答复")
    answer = (answer or "").strip()
    if not answer:
        raise InvalidInput("请填写答复内容及理由", field="answer")
    if len(answer) > ANSWER_MAX:
        raise InvalidInput(f"答复最多 {ANSWER_MAX} 个字", field="answer")
    before = objection.state
    objection.state = ObjectionState.ANSWERED
    objection.answer = answer
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save()
    record_event(
        actor=actor,
        action=OBJECTION_ANSWER_ACTION,
        target=objection,
        before={"state": before},
        after={
            "state": objection.state,
            "answer": redact.text_fact(answer, scope=f"publication.objection:{objection.pk}:a"),
        },
    )
    return objection


@transaction.atomic
def objection_correct(
    *, actor: Any, objection_id: int, kind: str, value: Any, reason: str
) -> Objection:
    """Correct one verification item of the objected application because of the objection:
    a new decision in the verification ledger (superseding the item's), checked as a
    reviewer's correction is (``corrections.parse_correction`` and the rules engine), and a new
    first result. The round then needs a re-run (``rerun_needed``); the objection is 核查中."""
    objection = _locked_objection(actor, objection_id)
    if objection.state == ObjectionState.ANSWERED:
        raise Conflict("该异议已答复")
    if objection.application_id is None:
        raise Conflict("该公示条目没有对应的申报，不能更正")
    if kind not in KINDS:
        raise InvalidInput("请选择要更正的核验事项", field="kind")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写更正的理由", field="reason")
    if len(reason) > NOTE_MAX:
        raise InvalidInput(f"理由最多 {NOTE_MAX} 个字", field="reason")
    item = (
        VerificationItem.objects.select_for_update()
        .filter(application_id=objection.application_id, kind=kind)
        .first()
    )
    if item is None or item.latest_decision_id is None:
        raise Conflict("该核验事项尚无核验决定")
    if item.recheck in IN_RECHECK:
        raise Conflict("该事项正在复查中，请在复查处理中作出决定")
    app = Application.objects.select_related("round").get(pk=objection.application_id)
    verified = parse_correction(kind, value, load_rule_set(app.round.rule_set))
    if kind not in BOOLEAN_KINDS:
        check_verified_profile(item, verified)
    before_state = item.state
    decision = ledger.append(
        item,
        action=Action.CORRECT,
        source=Source.REVIEWER,
        value=verified,
        reason=f"公示异议（{objection.receipt_no}）：{reason}",
        actor=actor,
    )
    made = results.score_completed([app.pk])
    objection.decision = decision
    objection.rerun_needed = True
    previous = objection.state
    objection.state = ObjectionState.CHECKING
    objection.save(update_fields=["decision", "rerun_needed", "state", "phone_index", "updated_at"])
    record_event(
        actor=actor,
        action=OBJECTION_CORRECT_ACTION,
        target=objection,
        before={"state": previous, "item_state": before_state},
        after={
            "state": objection.state,
            "kind": kind,
            "decision": decision.pk,
            "first_result": made[0].pk if made else None,
            "rerun_needed": True,
        },
    )
    return objection


# --- settlement ---------------------------------------------------------------------------------


def _listed(rnd: Round, application_id: int) -> ListedEntry:
    entry = (
        ListedEntry.objects.filter(publication__round=rnd, application_id=application_id)
        .select_related("application__applicant__user")
        .first()
    )
    if entry is None:
        raise NotFound("该申请人不在公示的拟落户名单中")
    return entry


@transaction.atomic
def settlement_record(
    *,
    actor: Any,
    year: int,
    application_id: int,
    state: str,
    settled_on: date | None = None,
    reason: str = "",
) -> Settlement:
    """Record that an admitted applicant settled (已办理落户, with the date) or gave up the
    place (放弃落户, with the reason). A place given up is not re-allocated: nobody else is
    admitted in its stead."""
    require_bureau(actor)
    rnd = Round.objects.filter(year=year).first()
    if rnd is None:
        raise NotFound("没有该年度")
    phases.require_open(rnd, phases.Phase.SETTLEMENT)
    entry = _listed(rnd, application_id)
    reason = (reason or "").strip()
    if state == SettlementState.SETTLED:
        if settled_on is None:
            raise InvalidInput("请填写办理落户的日期", field="settled_on")
        if settled_on > timezone.localdate():
            raise InvalidInput("落户日期不能晚于今天", field="settled_on")
        reason = ""
    elif state == SettlementState.GIVEN_UP:
        if not reason:
            raise InvalidInput("请填写放弃落户的理由", field="reason")
        if len(reason) > SETTLE_REASON_MAX:
            raise InvalidInput(f"理由最多 {SETTLE_REASON_MAX} 个字", field="reason")
        settled_on = None
    else:
        raise InvalidInput("请选择“已办理落户”或“放弃落户”", field="state")
    row = Settlement.objects.select_for_update().filter(application_id=application_id).first()
    before = {"state": row.state} if row else None
    if row is None:
        row = Settlement(round=rnd, application_id=application_id)
    row.state = state
    row.settled_on = settled_on
    row.reason = reason
    row.recorded_by = actor
    row.save()
    record_event(
        actor=actor,
        action=SETTLEMENT_ACTION,
        target=row,
        before=before,
        after={
            "state": state,
            "settled_on": settled_on.isoformat() if settled_on else None,
            "application": application_id,
        },
    )
    label = SettlementState(state).label
    notify(
        recipient=entry.application.applicant.user,
        subject=f"{rnd.year}年积分落户：{label}",
        body=(
            f"市人社局已记录您{label}" + (f"（{settled_on:%Y-%m-%d}）" if settled_on else "") + "。"
        ),
        link=reverse("publication:my_result"),
    )
    return row
