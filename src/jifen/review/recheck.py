"""The re-check (复查) and the on-site check (现场核验).

Within the round's re-check window an applicant with a first result asks once for a re-check
of chosen items, each with a statement and, if they like, new evidence files. The owning
department answers each disputed item — upheld or changed, with a reason — after, where paper
must be seen, the district service window has checked the originals. An answer is a decision
in the ledger (``uphold`` or ``correct``, source ``recheck`` or ``onsite``); the application is
scored again and the applicant told the answer and the score.

``VerificationItem.recheck`` follows the dispute: open → (onsite → open) → answered.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications.models import Application, Evidence
from jifen.applications.services import store_evidence
from jifen.audit import redact
from jifen.audit.services import record_event
from jifen.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    NotPermitted,
)
from jifen.core.roles import Department, Role
from jifen.rounds import phases
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase
from jifen.rules import load_rule_set

from . import ledger, notifications, records
from .corrections import BOOLEAN_KINDS, parse_correction
from .decisions import check_verified_profile
from .kinds import KIND_NAMES, KINDS
from .models import (
    Action,
    Dispute,
    Outcome,
    RecheckRequest,
    RecheckState,
    Source,
    VerificationItem,
)
from .results import newest_result, score_completed

# Evidence files of a re-check: section "recheck", item_id the dispute's id.
EVIDENCE_SECTION = "recheck"
STATEMENT_MAX = 2000
REASON_MAX = 2000

DISPUTE_NOT_FOUND = "没有找到该复查事项"


def _stamp(when: Any) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def window_text(rnd: Round) -> str:
    """The re-check window in words (for refusals and pages)."""
    return phases.describe(rnd, Phase.RECHECK)


def _check_window(rnd: Round) -> None:
    """Filing and answering a re-check both happen in the re-check phase (初核结果与复查): the
    departments answer within the window the bureau set, before scoring takes the verified
    data. Not the verification phase: by the default schedule it closes as re-checks open."""
    phases.require_open(rnd, Phase.RECHECK)


def _text(value: Any, *, field: str, missing: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(missing, field=field)
    if len(text) > limit:
        raise InvalidInput(f"最多 {limit} 个字", field=field)
    return text


# --- the applicant ------------------------------------------------------------------------


def _own_application(actor: User, application_id: int) -> Application:
    """The actor's own application, locked; NotFound for anyone else's (no existence leak)."""
    if actor is None or not actor.is_authenticated or actor.role != Role.APPLICANT:
        raise NotPermitted("只有申请人本人可以申请复查")
    app = (
        # Only the application's row: locking the round would queue every applicant's request.
        Application.objects.select_for_update(of=("self",))
        .select_related("round", "applicant")
        .filter(pk=application_id)
        .first()
    )
    if app is None or app.applicant.user_id != actor.pk:
        raise NotFound("没有找到该申报")
    return app


def _disputed(disputes: Any) -> list[tuple[str, str, list[Any]]]:
    """(kind, statement, files) of each dispute asked for; InvalidInput naming each bad one."""
    if not isinstance(disputes, list | tuple) or not disputes:
        raise InvalidInput("请至少选择一项申请复查的核验事项", field="disputes")
    errors: list[FieldError] = []
    out: list[tuple[str, str, list[Any]]] = []
    seen: set[str] = set()
    for i, entry in enumerate(disputes):
        where = f"disputes[{i}]"
        if not isinstance(entry, dict):
            errors.append(FieldError(where, "应为对象：{kind, statement}"))
            continue
        kind = entry.get("kind")
        if kind not in KINDS:
            errors.append(FieldError(f"{where}.kind", f"没有名为“{kind}”的核验事项"))
            continue
        if kind in seen:
            errors.append(FieldError(f"{where}.kind", f"“{KIND_NAMES[kind]}”重复选择"))
            continue
        seen.add(kind)
        statement = entry.get("statement")
        text = statement.strip() if isinstance(statement, str) else ""
        if not text:
            errors.append(FieldError(f"{where}.statement",
                                     f"请填写对“{KIND_NAMES[kind]}”申请复查的理由"))
        elif len(text) > STATEMENT_MAX:
            errors.append(FieldError(f"{where}.statement",
                                     f"“{KIND_NAMES[kind]}”的复查理由最多 {STATEMENT_MAX} 个字"))
        out.append((kind, text, list(entry.get("files") or [])))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    return out


def _statement_fact(dispute: Dispute) -> dict[str, Any]:
    return redact.text_fact(dispute.statement, scope=f"review.dispute:{dispute.pk}:statement")


def _add_file(actor: User, app: Application, dispute: Dispute, upload: Any) -> Evidence:
    return store_evidence(
        actor=actor, app=app, section=EVIDENCE_SECTION, item_id=str(dispute.pk), upload=upload,
        action="recheck.evidence_add", target=dispute, after={"dispute": dispute.pk},
    )


@transaction.atomic
def recheck_request(
    *, actor: User, application_id: int, disputes: Sequence[dict[str, Any]]
) -> RecheckRequest:
    """The applicant's one re-check request: ``disputes`` is ``[{kind, statement}]`` (each may
    carry ``files``: uploads stored as its evidence). Within the window, once, for kinds that
    have a decision, once the first result is out."""
    app = _own_application(actor, application_id)
    _check_window(app.round)
    earlier = RecheckRequest.objects.filter(application=app).first()
    if earlier is not None:
        raise Conflict(
            f"每份申报只能申请一次复查，您已于 {_stamp(earlier.created_at)} 提交复查申请",
            field="disputes",
        )
    wanted = _disputed(disputes)
    items = {
        i.kind: i
        for i in VerificationItem.objects.select_for_update().filter(
            application=app, kind__in=[k for k, _, _ in wanted]
        )
    }
    undecided = [
        FieldError(f"disputes[{n}].kind", f"“{KIND_NAMES[kind]}”尚无核验决定，不能申请复查")
        for n, (kind, _, _) in enumerate(wanted)
        if kind not in items or items[kind].latest_decision_id is None
    ]
    if undecided:
        raise InvalidInput(undecided[0].message, errors=undecided)
    if newest_result(app) is None:
        raise Conflict("尚无初核结果，各部门核验完毕、初核结果发布后才能申请复查")
    request = RecheckRequest.objects.create(application=app, requested_by=actor)
    stored: list[Evidence] = []
    try:
        made = []
        for n, (kind, statement, files) in enumerate(wanted):
            item = items[kind]
            dispute = Dispute.objects.create(request=request, item=item, statement=statement)
            item.recheck = RecheckState.OPEN
            item.save(update_fields=["recheck"])
            made.append(dispute)
            for upload in files:
                try:
                    stored.append(_add_file(actor, app, dispute, upload))
                except (InvalidInput, Conflict) as exc:
                    # Named by the dispute it was given for: the request has several.
                    name = os.path.basename(getattr(upload, "name", "") or "")
                    raise type(exc)(
                        f"“{KIND_NAMES[kind]}”的证明材料“{name}”：{exc.message}",
                        field=f"disputes[{n}].files",
                    ) from exc
        record_event(
            actor=actor,
            action="recheck.request",
            target=request,
            after={
                "application": app.pk,
                "disputes": [
                    {"dispute": d.pk, "kind": d.item.kind, "statement": _statement_fact(d),
                     "files": sum(1 for e in stored if e.item_id == str(d.pk))}
                    for d in made
                ],
            },
        )
    except Exception:
        # Nothing of the request stays: neither its rows (rolled back) nor its files.
        for ev in stored:
            ev.file.storage.delete(ev.file.name)
        raise
    return request


def _own_dispute(actor: User, dispute_id: int) -> tuple[Dispute, Application]:
    if actor is None or not actor.is_authenticated or actor.role != Role.APPLICANT:
        raise NotPermitted("只有申请人本人可以上传复查材料")
    dispute = (
        Dispute.objects.select_related("request", "item").filter(pk=dispute_id).first()
    )
    if dispute is None:
        raise NotFound(DISPUTE_NOT_FOUND)
    try:
        app = _own_application(actor, dispute.request.application_id)
    except NotFound as exc:
        raise NotFound(DISPUTE_NOT_FOUND) from exc
    return dispute, app


@transaction.atomic
def dispute_add_evidence(*, actor: User, dispute_id: int, upload: Any) -> Evidence:
    """One more evidence file for the actor's own disputed item, within the window and until
    it is answered. Checked and encrypted as every evidence file."""
    dispute, app = _own_dispute(actor, dispute_id)
    _check_window(app.round)
    item = VerificationItem.objects.select_for_update().get(pk=dispute.item_id)
    if item.recheck == RecheckState.ANSWERED:
        raise Conflict("该复查事项已答复，不能再上传材料", field="file")
    return _add_file(actor, app, dispute, upload)


# --- the departments and the service window -----------------------------------------------


def _reviewer(actor: User) -> None:
    if actor is None or not actor.is_authenticated or actor.role != Role.REVIEWER:
        raise NotPermitted("只有部门审核员可以办理复查事项")


def may_see(actor: User, dispute: Dispute) -> bool:
    """The owning department sees its disputes; the service window those sent to it."""
    if actor.department == dispute.item.department:
        return True
    return (
        actor.department == Department.SERVICE_WINDOW and dispute.onsite_requested_at is not None
    )


def _staff_dispute(actor: User, dispute_id: int) -> tuple[Dispute, VerificationItem]:
    """The dispute and its item, both locked; NotFound when the actor may not see it."""
    _reviewer(actor)
    dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound(DISPUTE_NOT_FOUND)
    # No select_related here: PostgreSQL cannot lock the nullable side of an outer join.
    item = VerificationItem.objects.select_for_update().get(pk=dispute.item_id)
    dispute.item = item
    if not may_see(actor, dispute):
        raise NotFound(DISPUTE_NOT_FOUND)
    return dispute, item


def _owning_department(actor: User, item: VerificationItem, what: str) -> None:
    if actor.department != item.department:
        raise NotPermitted(
            f"只有{Department(item.department).label}的审核员可以{what}"
        )


def _waiting_for_department(item: VerificationItem) -> None:
    if item.recheck == RecheckState.ANSWERED:
        raise Conflict("该复查事项已答复")
    if item.recheck == RecheckState.ONSITE:
        raise Conflict("该复查事项正在现场核验，请等待区服务窗口记录核验结果")
    if item.recheck != RecheckState.OPEN:
        raise Conflict("该核验事项没有待办的复查申请")


@transaction.atomic
def dispute_send_onsite(*, actor: User, dispute_id: int, reason: str) -> Dispute:
    """The owning department asks the district service window to see the originals."""
    dispute, item = _staff_dispute(actor, dispute_id)
    _check_window(item.application.round)
    _owning_department(actor, item, "转交现场核验")
    _waiting_for_department(item)
    if dispute.onsite_at is not None:
        raise Conflict("该复查事项已经过现场核验，不能再次转交")
    reason = _text(reason, field="reason", missing="请填写转交现场核验的理由（须核验哪些原件）",
                   limit=REASON_MAX)
    dispute.onsite_requested_at = timezone.now()
    dispute.onsite_requested_by = actor
    dispute.onsite_reason = reason
    dispute.save(update_fields=["onsite_requested_at", "onsite_requested_by", "onsite_reason"])
    item.recheck = RecheckState.ONSITE
    item.save(update_fields=["recheck"])
    record_event(
        actor=actor,
        action="recheck.send_onsite",
        target=dispute,
        before={"recheck": RecheckState.OPEN},
        after={
            "recheck": RecheckState.ONSITE,
            "kind": item.kind,
            "reason": redact.text_fact(reason, scope=f"review.dispute:{dispute.pk}:onsite_reason"),
        },
    )
    return dispute


@transaction.atomic
def dispute_onsite_record(*, actor: User, dispute_id: int, note: str, consistent: bool) -> Dispute:
    """The service window records what the originals showed and returns the dispute to the
    owning department (which answers it)."""
    dispute, item = _staff_dispute(actor, dispute_id)
    _check_window(item.application.round)
    if actor.department != Department.SERVICE_WINDOW:
        raise NotPermitted("只有区服务窗口的审核员可以记录现场核验结果")
    if item.recheck != RecheckState.ONSITE:
        raise Conflict("该复查事项不在待现场核验状态")
    note = _text(note, field="note", missing="请填写现场核验意见（原件显示的情况）",
                 limit=REASON_MAX)
    if not isinstance(consistent, bool):
        raise InvalidInput("请选择原件与申报内容是否一致", field="consistent")
    dispute.onsite_note = note
    dispute.onsite_consistent = consistent
    dispute.onsite_by = actor
    dispute.onsite_at = timezone.now()
    dispute.save(update_fields=["onsite_note", "onsite_consistent", "onsite_by", "onsite_at"])
    item.recheck = RecheckState.OPEN
    item.save(update_fields=["recheck"])
    record_event(
        actor=actor,
        action="recheck.onsite_record",
        target=dispute,
        before={"recheck": RecheckState.ONSITE},
        after={
            "recheck": RecheckState.OPEN,
            "kind": item.kind,
            "consistent": consistent,
            "note": redact.text_fact(note, scope=f"review.dispute:{dispute.pk}:onsite_note"),
        },
    )
    return dispute


@transaction.atomic
def dispute_answer(
    *, actor: User, dispute_id: int, outcome: str, reason: str, value: Any = None
) -> Dispute:
    """The owning department's answer. ``upheld``: the verified value stays (ledger action
    ``uphold``); ``changed``: ``value`` becomes the verified value (action ``correct``, source
    ``onsite`` when the service window saw the originals, else ``recheck``) — given as a
    reviewer's correction is (``corrections.parse_correction``: the kind's rows, or yes/no).
    The application is scored again and the applicant told the answer and the score."""
    dispute, item = _staff_dispute(actor, dispute_id)
    _check_window(item.application.round)
    _owning_department(actor, item, "答复复查")
    _waiting_for_department(item)
    if outcome not in Outcome.values:
        raise InvalidInput("请选择复查结论：维持原核验结果或变更核验结果", field="outcome")
    reason = _text(reason, field="reason", missing="请填写复查答复的理由", limit=REASON_MAX)
    current = item.latest_decision
    if current is None:  # a request is only accepted for decided items
        raise Conflict("该核验事项尚无核验决定")
    app = Application.objects.select_related("round", "applicant").get(pk=item.application_id)
    before = newest_result(app)
    if outcome == Outcome.UPHELD:
        if value is not None:
            raise InvalidInput("维持原核验结果时不填写核验值", field="value")
        decision = ledger.append(
            item, action=Action.UPHOLD, source=Source.RECHECK, value=current.value,
            reason=reason, actor=actor,
        )
    else:
        if value is None:
            raise InvalidInput("变更核验结果时请填写变更后的核验值", field="value")
        # The same checks as a reviewer's correction (the department files' row checks and
        # the engine's), the same shape: the kind's rows, or yes/no.
        new_value = parse_correction(item.kind, value, load_rule_set(app.round.rule_set))
        if item.kind not in BOOLEAN_KINDS:
            check_verified_profile(item, new_value)
        if records.same(item.kind, new_value, current.value):
            raise InvalidInput(
                "变更后的核验值与原核验值相同；如不变更，请选择维持原核验结果", field="value"
            )
        source = Source.ONSITE if dispute.onsite_at is not None else Source.RECHECK
        decision = ledger.append(
            item, action=Action.CORRECT, source=source, value=new_value, reason=reason,
            actor=actor,
        )
    now = timezone.now()
    dispute.outcome = outcome
    dispute.answer = reason
    dispute.answered_by = actor
    dispute.answered_at = now
    dispute.decision = decision
    dispute.save(update_fields=["outcome", "answer", "answered_by", "answered_at", "decision"])
    item.recheck = RecheckState.ANSWERED
    item.save(update_fields=["recheck"])
    record_event(
        actor=actor,
        action="recheck.answer",
        target=dispute,
        before={"recheck": RecheckState.OPEN, "decision": current.pk},
        after={
            "recheck": RecheckState.ANSWERED,
            "kind": item.kind,
            "outcome": outcome,
            "decision": decision.pk,
            "action": decision.action,
            "decision_source": decision.source,
            "value": redact.fingerprint(decision.value,
                                        scope=f"review.decision:{decision.pk}:value"),
            "reason": redact.text_fact(reason, scope=f"review.dispute:{dispute.pk}:answer"),
        },
    )
    made = score_completed([app.pk], after_recheck=True)
    notifications.recheck_answered(dispute, made[0] if made else None, before)
    return dispute

