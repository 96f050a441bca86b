"""The re-check (复查) and the on-site check (现场核验): who may do what, when; the ledger rows,
audit events and new scores each answer makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jifen.applications.models import Evidence
from jifen.audit.models import AuditEvent
from jifen.core import filecrypt
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted, OutsideWindow
from jifen.core.roles import Department, Role
from jifen.review import recheck
from jifen.review.models import (
    Action,
    Decision,
    Dispute,
    FirstResult,
    ItemState,
    RecheckRequest,
    RecheckState,
    Source,
    VerificationItem,
)
from jifen.review.results import score_completed
from jifen.rounds import phases
from jifen.rounds.models import Round
from jifen.web.audit_display import event_lines
from tests.factories import employer_submitted, make_applicant, make_staff
from tests.review.results_world import (
    HOUSING_DECLARED_ROWS,
    HOUSING_RECORDED,
    TAX_DECLARED_ROWS,
    World,
    close_recheck,
    open_recheck,
    pdf_upload,
    world,
)

pytestmark = pytest.mark.django_db

HOUSING_STATEMENT = "2008年至2015年我在海淀区租房居住，租赁合同已备案，请复查。"
TAX_STATEMENT = "2025年度我的个人所得税为150000.50元，附完税证明。"


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "evidence"
    with override_settings(EVIDENCE_ROOT=root):
        yield root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def w() -> World:
    return world()


def reviewer(department: str) -> object:
    return make_staff(Role.REVIEWER, department)


def ask(w: World, *kinds: str, files: dict[str, list] | None = None) -> RecheckRequest:
    statements = {"housing": HOUSING_STATEMENT, "tax": TAX_STATEMENT}
    return recheck.recheck_request(
        actor=w.applicant, application_id=w.app.pk,
        disputes=[{"kind": k, "statement": statements.get(k, "请复查。"),
                   "files": (files or {}).get(k, [])} for k in kinds],
    )


def dispute_of(w: World, kind: str) -> Dispute:
    return Dispute.objects.select_related("item").get(request__application=w.app, item__kind=kind)


def item_of(w: World, kind: str) -> VerificationItem:
    return VerificationItem.objects.get(application=w.app, kind=kind)


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


# --- the request ---------------------------------------------------------------------------


def test_a_request_opens_one_dispute_per_chosen_item(w: World) -> None:
    request = ask(w, "housing", "tax")
    assert request.requested_by == w.applicant
    housing, tax = dispute_of(w, "housing"), dispute_of(w, "tax")
    assert housing.statement == HOUSING_STATEMENT and tax.statement == TAX_STATEMENT
    assert item_of(w, "housing").recheck == RecheckState.OPEN
    assert item_of(w, "tax").recheck == RecheckState.OPEN
    assert item_of(w, "permits").recheck == ""
    event = last_event("recheck.request")
    assert event.actor == w.applicant and event.target_id == str(request.pk)
    kinds = [d["kind"] for d in event.after["disputes"]]
    assert kinds == ["housing", "tax"] and event.after["application"] == w.app.pk
    # The statements are the applicant's words: only their length and fingerprint are logged.
    assert HOUSING_STATEMENT not in json.dumps(event.after, ensure_ascii=False)
    assert event.after["disputes"][0]["statement"]["length"] == len(HOUSING_STATEMENT)
    # The auditor reads it in Chinese.
    housing, tax = len(HOUSING_STATEMENT), len(TAX_STATEMENT)
    assert event_lines(event) == [
        f"申报记录编号：{w.app.pk}",
        f"复查事项：住所（复查理由已填写（{housing} 字，内容不入日志），材料 0 个）；"
        f"个人所得税（复查理由已填写（{tax} 字，内容不入日志），材料 0 个）",
    ]


def test_outside_the_window_there_is_no_request(w: World) -> None:
    close_recheck(w.app)
    with pytest.raises(OutsideWindow) as exc:
        ask(w, "housing")
    rnd = w.app.round
    rnd.refresh_from_db()
    # The gate's message: the phase, and its window in phases.describe's words.
    assert exc.value.message == f"初核结果与复查阶段已经结束：{phases.describe(rnd, 'recheck')}"
    assert exc.value.message.startswith("初核结果与复查阶段已经结束：2026年度初核结果与复查阶段为 ")
    # A window taken away (update(): save() would give the default one back).
    Round.objects.filter(pk=rnd.pk).update(recheck_opens=None, recheck_closes=None)
    w.app.round.refresh_from_db()
    with pytest.raises(OutsideWindow) as exc:
        ask(w, "housing")
    assert exc.value.message == "初核结果与复查阶段尚未安排：2026年度初核结果与复查阶段尚未安排"
    assert not RecheckRequest.objects.exists()


def test_an_application_asks_once(w: World) -> None:
    ask(w, "housing")
    with pytest.raises(Conflict) as exc:
        ask(w, "tax")
    assert "每份申报只能申请一次复查，您已于" in exc.value.message
    assert exc.value.errors[0].field == "disputes"
    assert Dispute.objects.count() == 1 and item_of(w, "tax").recheck == ""


def test_each_refused_statement_and_kind_is_named() -> None:
    w = world()
    with pytest.raises(InvalidInput) as exc:
        recheck.recheck_request(actor=w.applicant, application_id=w.app.pk, disputes=[
            {"kind": "housing", "statement": "请复查"},
            {"kind": "tax", "statement": "   "},
            {"kind": "pets", "statement": "x"},
            {"kind": "housing", "statement": "又一次"},
        ])
    assert [e.as_dict() for e in exc.value.errors] == [
        {"field": "disputes[1].statement", "message": "请填写对“个人所得税”申请复查的理由"},
        {"field": "disputes[2].kind", "message": "没有名为“pets”的核验事项"},
        {"field": "disputes[3].kind", "message": "“住所”重复选择"},
    ]
    with pytest.raises(InvalidInput) as exc:
        recheck.recheck_request(actor=w.applicant, application_id=w.app.pk, disputes=[])
    assert exc.value.as_dict()["errors"] == [
        {"field": "disputes", "message": "请至少选择一项申请复查的核验事项"}
    ]
    assert not RecheckRequest.objects.exists()


def test_a_kind_without_a_decision_cannot_be_disputed() -> None:
    applicant, _, app = employer_submitted()
    open_recheck(app)
    permits = VerificationItem.objects.get(application=app, kind="permits")
    from jifen.review import ledger

    ledger.append(permits, action=Action.CONFIRM, source="reviewer", value=True)
    with pytest.raises(InvalidInput) as exc:
        recheck.recheck_request(actor=applicant, application_id=app.pk, disputes=[
            {"kind": "permits", "statement": "请复查"},
            {"kind": "housing", "statement": "请复查"},
        ])
    assert [e.as_dict() for e in exc.value.errors] == [
        {"field": "disputes[1].kind", "message": "“住所”尚无核验决定，不能申请复查"}
    ]
    # Decided, but no first result yet (the other kinds wait).
    with pytest.raises(Conflict) as exc:
        recheck.recheck_request(actor=applicant, application_id=app.pk,
                                disputes=[{"kind": "permits", "statement": "请复查"}])
    assert exc.value.message.startswith("尚无初核结果")


def test_only_the_applicant_asks_for_their_own(w: World) -> None:
    stranger = make_applicant()
    with pytest.raises(NotFound):
        recheck.recheck_request(actor=stranger, application_id=w.app.pk,
                                disputes=[{"kind": "housing", "statement": "x"}])
    for actor in (w.agent, reviewer(Department.HOUSING)):
        with pytest.raises(NotPermitted):
            recheck.recheck_request(actor=actor, application_id=w.app.pk,
                                    disputes=[{"kind": "housing", "statement": "x"}])
    assert not RecheckRequest.objects.exists()


# --- evidence -----------------------------------------------------------------------------


def test_files_of_a_request_are_checked_and_stored_encrypted(w: World, evidence_root) -> None:
    ask(w, "housing", files={"housing": [pdf_upload("租赁合同.pdf"), pdf_upload("备案.pdf")]})
    dispute = dispute_of(w, "housing")
    files = list(Evidence.objects.filter(section="recheck").order_by("id"))
    assert [(e.item_id, e.original_name) for e in files] == [
        (str(dispute.pk), "租赁合同.pdf"), (str(dispute.pk), "备案.pdf")
    ]
    stored = Path(files[0].file.path).read_bytes()
    assert stored.startswith(filecrypt.MAGIC) and b"%PDF" not in stored[:64]
    events = AuditEvent.objects.filter(action="recheck.evidence_add").order_by("seq")
    assert "填报项：复查材料" in event_lines(events[0])
    assert [e.after["dispute"] for e in events] == [dispute.pk, dispute.pk]
    assert all(e.target_type == "review.dispute" for e in events)
    assert "租赁合同" not in json.dumps([e.after for e in events], ensure_ascii=False)


def test_a_bad_file_refuses_the_whole_request(w: World, evidence_root) -> None:
    fake = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    declaration_files = stored_files(evidence_root)
    with pytest.raises(InvalidInput) as exc:
        ask(w, "housing", "tax", files={"housing": [pdf_upload()], "tax": [fake]})
    assert exc.value.errors[0].field == "disputes[1].files"
    assert exc.value.message.startswith("“个人所得税”的证明材料“合同.pdf”：")
    assert not RecheckRequest.objects.exists() and not Dispute.objects.exists()
    assert not Evidence.objects.filter(section="recheck").exists()
    assert stored_files(evidence_root) == declaration_files  # the good file went too
    assert item_of(w, "housing").recheck == ""


def test_more_files_until_the_answer(w: World) -> None:
    ask(w, "housing")
    dispute = dispute_of(w, "housing")
    ev = recheck.dispute_add_evidence(actor=w.applicant, dispute_id=dispute.pk,
                                      upload=pdf_upload("补充.pdf"))
    assert (ev.section, ev.item_id) == ("recheck", str(dispute.pk))
    with pytest.raises(NotFound):
        recheck.dispute_add_evidence(actor=make_applicant(), dispute_id=dispute.pk,
                                     upload=pdf_upload())
    recheck.dispute_answer(actor=reviewer(Department.HOUSING), dispute_id=dispute.pk,
                           outcome="upheld", reason="备案系统无该租赁记录")
    with pytest.raises(Conflict) as exc:
        recheck.dispute_add_evidence(actor=w.applicant, dispute_id=dispute.pk,
                                     upload=pdf_upload())
    assert exc.value.message == "该复查事项已答复，不能再上传材料"


def test_no_more_files_after_the_window(w: World) -> None:
    ask(w, "housing")
    close_recheck(w.app)
    with pytest.raises(OutsideWindow):
        recheck.dispute_add_evidence(actor=w.applicant, dispute_id=dispute_of(w, "housing").pk,
                                     upload=pdf_upload())


# --- the answer ---------------------------------------------------------------------------


def test_upheld_keeps_the_value_in_a_new_ledger_row(w: World) -> None:
    ask(w, "housing")
    dispute = dispute_of(w, "housing")
    before = item_of(w, "housing").latest_decision
    officer = reviewer(Department.HOUSING)
    recheck.dispute_answer(actor=officer, dispute_id=dispute.pk, outcome="upheld",
                           reason="住房租赁备案系统中没有该合同的备案")
    dispute.refresh_from_db()
    item = item_of(w, "housing")
    decision = item.latest_decision
    assert (decision.action, decision.source, decision.value) == (
        Action.UPHOLD, Source.RECHECK, HOUSING_RECORDED)
    assert decision.supersedes_id == before.pk and decision.actor == officer
    assert decision.reason == "住房租赁备案系统中没有该合同的备案"
    assert item.state == ItemState.DIFFERENT and item.recheck == RecheckState.ANSWERED
    assert (dispute.outcome, dispute.decision_id, dispute.answered_by) == (
        "upheld", decision.pk, officer)
    newest = FirstResult.objects.filter(application=w.app).order_by("-id").first()
    assert newest.pk != w.result.pk and newest.after_recheck
    assert float(newest.total) == 135.0 and newest.decisions["housing"] == decision.pk
    event = last_event("recheck.answer")
    assert event.actor == officer and event.target_id == str(dispute.pk)
    assert event.after["outcome"] == "upheld" and event.after["decision"] == decision.pk
    assert event.after["action"] == "uphold" and event.after["decision_source"] == "recheck"
    assert event.before == {"recheck": "open", "decision": before.pk}
    assert "备案" not in json.dumps(event.after, ensure_ascii=False)
    lines = event_lines(event)
    assert "复查结论：维持原核验结果" in lines and "决定来源：复查" in lines
    assert "核验决定：复查维持" in lines and "复查状态：复查中 → 已答复" in lines


def test_changed_corrects_the_value_and_the_score(w: World) -> None:
    ask(w, "tax")
    dispute = dispute_of(w, "tax")
    officer = reviewer(Department.TAX)
    recheck.dispute_answer(actor=officer, dispute_id=dispute.pk, outcome="changed",
                           reason="经核实完税证明，2025年度纳税额为150000.50元",
                           value=TAX_DECLARED_ROWS)
    declared = {"2023": 120000, "2024": 80000, "2025": 150000.5}
    item = item_of(w, "tax")
    decision = item.latest_decision
    assert (decision.action, decision.source) == (Action.CORRECT, Source.RECHECK)
    assert decision.value == declared
    assert item.state == ItemState.CORRECTED and item.recheck == RecheckState.ANSWERED
    rows = Decision.objects.filter(item=item).order_by("id").values_list("action", flat=True)
    assert list(rows) == ["compare", "correct", "correct"]  # nothing overwritten
    newest = FirstResult.objects.filter(application=w.app).order_by("-id").first()
    assert newest.after_recheck and float(newest.total) == 137.0  # tax 2 → 4
    assert newest.result["indicators"]["tax"] == 4.0
    assert last_event("recheck.answer").after["outcome"] == "changed"


def test_the_on_site_check_path(w: World) -> None:
    ask(w, "housing")
    dispute = dispute_of(w, "housing")
    housing, window = reviewer(Department.HOUSING), reviewer(Department.SERVICE_WINDOW)
    # The service window sees nothing until the department sends it.
    with pytest.raises(NotFound):
        recheck.dispute_onsite_record(actor=window, dispute_id=dispute.pk, note="x",
                                      consistent=True)
    with pytest.raises(InvalidInput) as exc:
        recheck.dispute_send_onsite(actor=housing, dispute_id=dispute.pk, reason="  ")
    assert exc.value.errors[0].as_dict() == {
        "field": "reason", "message": "请填写转交现场核验的理由（须核验哪些原件）"}
    recheck.dispute_send_onsite(actor=housing, dispute_id=dispute.pk,
                                reason="请核验2008—2015年租赁合同原件及备案证明")
    assert item_of(w, "housing").recheck == RecheckState.ONSITE
    event = last_event("recheck.send_onsite")
    assert event.before == {"recheck": "open"} and event.after["recheck"] == "onsite"
    # While the window checks, the department waits; only the window records.
    with pytest.raises(Conflict) as exc:
        recheck.dispute_answer(actor=housing, dispute_id=dispute.pk, outcome="upheld",
                               reason="x")
    assert "正在现场核验" in exc.value.message
    with pytest.raises(NotPermitted) as exc:
        recheck.dispute_onsite_record(actor=housing, dispute_id=dispute.pk, note="x",
                                      consistent=True)
    assert exc.value.message == "只有区服务窗口的审核员可以记录现场核验结果"
    with pytest.raises(NotPermitted) as exc:
        recheck.dispute_answer(actor=window, dispute_id=dispute.pk, outcome="upheld",
                               reason="x")
    assert exc.value.message == "只有住房城乡建设的审核员可以答复复查"
    with pytest.raises(InvalidInput) as exc:
        recheck.dispute_onsite_record(actor=window, dispute_id=dispute.pk, note="",
                                      consistent=True)
    assert exc.value.errors[0].field == "note"
    recheck.dispute_onsite_record(actor=window, dispute_id=dispute.pk,
                                  note="查验租赁合同原件及区住建委备案证明，与申报一致",
                                  consistent=True)
    dispute.refresh_from_db()
    assert dispute.onsite_consistent is True and dispute.onsite_by == window
    assert item_of(w, "housing").recheck == RecheckState.OPEN
    assert last_event("recheck.onsite_record").after["consistent"] is True
    with pytest.raises(Conflict):  # once is enough
        recheck.dispute_send_onsite(actor=housing, dispute_id=dispute.pk, reason="再看一次")
    declared = item_of(w, "housing")
    recheck.dispute_answer(actor=housing, dispute_id=dispute.pk, outcome="changed",
                           reason="现场核验原件，租赁期间属实", value=HOUSING_DECLARED_ROWS)
    decision = item_of(w, "housing").latest_decision
    assert (decision.action, decision.source) == (Action.CORRECT, Source.ONSITE)
    assert decision.supersedes_id == declared.latest_decision_id
    newest = FirstResult.objects.filter(application=w.app).order_by("-id").first()
    assert float(newest.total) == 138.75  # housing 10 → 13.75


def test_who_may_answer(w: World) -> None:
    ask(w, "housing")
    dispute = dispute_of(w, "housing")
    with pytest.raises(NotFound):  # another department: as if there were none
        recheck.dispute_answer(actor=reviewer(Department.TAX), dispute_id=dispute.pk,
                               outcome="upheld", reason="x")
    for actor in (w.applicant, w.agent, make_staff(Role.BUREAU_ADMIN)):
        with pytest.raises(NotPermitted):
            recheck.dispute_answer(actor=actor, dispute_id=dispute.pk, outcome="upheld",
                                   reason="x")
    with pytest.raises(NotFound):
        recheck.dispute_answer(actor=reviewer(Department.HOUSING), dispute_id=10**9,
                               outcome="upheld", reason="x")
    assert item_of(w, "housing").recheck == RecheckState.OPEN


def test_each_refused_answer_names_its_field(w: World) -> None:
    ask(w, "housing")
    dispute = dispute_of(w, "housing")
    officer = reviewer(Department.HOUSING)

    def refused(**kwargs: object) -> dict[str, str]:
        with pytest.raises(InvalidInput) as exc:
            recheck.dispute_answer(actor=officer, dispute_id=dispute.pk, **kwargs)
        return exc.value.errors[0].as_dict()

    assert refused(outcome="maybe", reason="x") == {
        "field": "outcome", "message": "请选择复查结论：维持原核验结果或变更核验结果"}
    assert refused(outcome="upheld", reason=" ") == {
        "field": "reason", "message": "请填写复查答复的理由"}
    assert refused(outcome="changed", reason="x") == {
        "field": "value", "message": "变更核验结果时请填写变更后的核验值"}
    assert refused(outcome="upheld", reason="x", value=[]) == {
        "field": "value", "message": "维持原核验结果时不填写核验值"}
    assert refused(outcome="changed", reason="x", value=[
        {"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通州区"}]) == {
        "field": "value",
        "message": "变更后的核验值与原核验值相同；如不变更，请选择维持原核验结果"}
    # A changed value is checked as a reviewer's correction is: by row and column.
    bad = [{"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通县"}]
    error = refused(outcome="changed", reason="x", value=bad)
    assert error["field"] == "value[0].district" and "通县" in error["message"]
    assert refused(outcome="changed", reason="x", value={"no": "list"}) == {
        "field": "value", "message": "核验值应为若干行记录"}
    assert Decision.objects.filter(item=dispute.item, source="recheck").count() == 0
    recheck.dispute_answer(actor=officer, dispute_id=dispute.pk, outcome="upheld", reason="x")
    with pytest.raises(Conflict) as exc:
        recheck.dispute_answer(actor=officer, dispute_id=dispute.pk, outcome="upheld",
                               reason="x")
    assert exc.value.message == "该复查事项已答复"


def test_answering_every_dispute_is_independent() -> None:
    w = world()
    ask(w, "housing", "tax")
    recheck.dispute_answer(actor=reviewer(Department.TAX), dispute_id=dispute_of(w, "tax").pk,
                           outcome="upheld", reason="纳税记录无误")
    assert item_of(w, "housing").recheck == RecheckState.OPEN
    assert item_of(w, "tax").recheck == RecheckState.ANSWERED
    assert score_completed([w.app.pk]) == []  # nothing new to score

