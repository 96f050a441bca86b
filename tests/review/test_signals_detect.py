"""The signal detectors on real rows: each raises its signal with the right members, and none
for the near misses just below its threshold; re-detection is idempotent, updates what is
open, leaves what was handled, and never touches an item, a decision or a score."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.applications.models import Status
from jifen.audit.models import AuditEvent
from jifen.review import signals
from jifen.review.models import Decision, Signal, SignalKind, SignalState, VerificationItem
from jifen.rules import load_rule_set
from tests.review.signals_data import (
    a_round,
    an_application,
    an_employer,
    an_evidence,
    decide,
)

pytestmark = pytest.mark.django_db


def _of(kind: str) -> list[Signal]:
    return list(Signal.objects.filter(kind=kind).order_by("id"))


def _members(signal: Signal) -> set[int]:
    return set(signal.applications.values_list("id", flat=True))


# ---- same evidence ------------------------------------------------------------------------


def test_the_same_file_under_different_applicants_is_one_signal() -> None:
    rnd = a_round()
    one, other = an_employer("北京甲公司"), an_employer("北京乙公司")
    a, b, c = (an_application(rnd, e) for e in (one, one, other))
    for app in (a, b, c):
        an_evidence(app, b"the same rental contract", section="housing")
    alone = an_application(rnd, one)
    an_evidence(alone, b"a contract of its own")
    # Near misses: one applicant uploading a file twice; a draft (not in verification).
    twice = an_application(rnd, one)
    an_evidence(twice, b"uploaded twice")
    an_evidence(twice, b"uploaded twice", section="education")
    draft = an_application(rnd, one, status=Status.DRAFT)
    an_evidence(draft, b"the same rental contract")

    counts = signals.detect_signals(rnd)

    [signal] = _of(SignalKind.SAME_EVIDENCE)
    assert _members(signal) == {a.pk, b.pk, c.pk}
    assert counts["same_evidence"] == {"new": 1, "updated": 0, "reopened": 0, "total": 1,
                                       "open": 1}
    e = signal.evidence
    assert e["applicants"] == 3 and e["files"] == 3 and e["sections"] == ["housing"]
    assert e["applications"] == sorted([a.number, b.number, c.number])
    assert len(e["sha256_prefix"]) == 12 and signal.key.startswith(e["sha256_prefix"])
    assert e["same_employer"] is False and signal.employer_id is None
    assert {x["name"] for x in e["employers"]} == {"北京甲公司", "北京乙公司"}
    assert "3 名申请人" in signal.summary and "2 家用人单位" in signal.summary
    assert signal.department_list == ["housing"]  # who verifies housing evidence


# ---- same phone ---------------------------------------------------------------------------


def test_a_phone_shared_by_applicants_is_a_signal_without_the_number_in_clear() -> None:
    rnd = a_round()
    employer = an_employer()
    a = an_application(rnd, employer, phone="13912345678")
    b = an_application(rnd, employer, phone="+86 139 1234 5678")  # the same number, typed so
    an_application(rnd, employer, phone="13912345679")  # near miss: one digit apart

    signals.detect_signals(rnd)

    [signal] = _of(SignalKind.SAME_PHONE)
    assert _members(signal) == {a.pk, b.pk}
    assert signal.evidence["phone_masked"] == "139****5678"
    assert signal.summary == "手机号码 139****5678 为 2 名申请人共用"
    text = str(signal.evidence) + signal.summary + signal.key
    assert "13912345678" not in text and "12345678" not in text
    assert signal.employer_id == employer.pk


# ---- tax clustering just above the step ---------------------------------------------------


def test_the_tax_band_comes_from_the_rule_set() -> None:
    rnd = a_round()
    threshold = Decimal(str(load_rule_set(rnd.rule_set).tax_threshold))
    assert signals.tax_band(rnd) == (threshold, threshold * Decimal("1.10"))
    assert threshold == 100000


def test_an_employer_whose_applicants_cluster_above_the_step() -> None:
    rnd = a_round()
    cluster = an_employer("北京聚集科技有限公司")
    inside = [
        an_application(rnd, cluster, tax={"2024": amount})
        for amount in ("100000", "105000.5", "109999.99")
    ]
    # Outside the band: just below, at its upper end, far above; and one without tax.
    for amount in ("99999.99", "110000", "250000", "60000", "70000", "80000", "90000"):
        an_application(rnd, cluster, tax={"2025": amount})
    an_application(rnd, cluster)
    # Near misses: 3 in the band but only 27 % of 11 with tax; 2 in the band of 2.
    diluted = an_employer("北京稀释有限公司")
    for amount in ("101000", "102000", "103000", *["50000"] * 8):
        an_application(rnd, diluted, tax={"2023": amount})
    few = an_employer("北京少数有限公司")
    for amount in ("101000", "102000"):
        an_application(rnd, few, tax={"2023": amount})

    signals.detect_signals(rnd)

    [signal] = _of(SignalKind.TAX_CLUSTER)
    assert signal.employer_id == cluster.pk and signal.key == f"employer:{cluster.pk}"
    assert _members(signal) == {a.pk for a in inside}
    e = signal.evidence
    assert (e["applicants_with_tax"], e["applicants_in_band"], e["share_percent"]) == (10, 3, 30)
    assert e["band"] == [100000, 110000] and e["years"] == {"2023": 0, "2024": 3, "2025": 0}
    assert signal.summary == (
        "北京聚集科技有限公司：申报纳税的 10 名申请人中有 3 名（30%）某年度纳税额在 "
        "100,000～110,000 元之间（刚过分档线）"
    )
    assert signal.department_list == ["tax"]


def test_any_tax_year_in_the_band_counts_and_a_bad_amount_is_skipped() -> None:
    rnd = a_round()
    employer = an_employer()
    apps = [
        an_application(rnd, employer, tax={"2023": "100500"}),
        an_application(rnd, employer, tax={"2024": "50000", "2025": "108000"}),
        an_application(rnd, employer, tax={"2023": "abc", "2025": "104000"}),
    ]
    signals.detect_signals(rnd)
    [signal] = _of(SignalKind.TAX_CLUSTER)
    assert _members(signal) == {a.pk for a in apps}
    assert signal.evidence["years"] == {"2023": 1, "2024": 0, "2025": 2}


# ---- insurance started in a burst ---------------------------------------------------------


def test_an_employer_whose_applicants_insurance_started_in_a_burst() -> None:
    rnd = a_round()
    burst = an_employer("北京突击参保有限公司")
    members = [
        an_application(rnd, burst, insurance=[(start, "2025-12")])
        for start in ("2019-01", "2019-01", "2019-02", "2019-03", "2019-03")
    ]
    an_application(rnd, burst, insurance=[("2015-06", "2025-12")])
    an_application(rnd, burst, insurance=[("2019-04", "2025-12")])  # just after the window
    an_application(rnd, burst)  # no insurance: not counted

    signals.detect_signals(rnd)

    [signal] = _of(SignalKind.INSURANCE_BURST)
    assert _members(signal) == {a.pk for a in members}
    e = signal.evidence
    assert e["window"] == ["2019-01", "2019-03"]
    assert (e["applicants_insured"], e["applicants_in_window"], e["share_percent"]) == (7, 5, 71)
    assert signal.summary == (
        "北京突击参保有限公司：有社会保险记录的 7 名申请人中有 5 名（71%）在 "
        "2019-01～2019-03 首次参保"
    )
    assert signal.department_list == ["social_insurance"]


def test_no_burst_below_the_count_the_share_or_outside_the_window() -> None:
    rnd = a_round()
    four = an_employer()  # 4 in the window
    for start in ("2019-01", "2019-02", "2019-03", "2019-03"):
        an_application(rnd, four, insurance=[(start, "2025-12")])
    spread = an_employer()  # 5, but over 4 months: at most 4 in any 3
    for start in ("2019-01", "2019-02", "2019-03", "2019-04", "2019-04"):
        an_application(rnd, spread, insurance=[(start, "2025-12")])
    diluted = an_employer()  # 5 in the window, 45 % of 11
    for start in ["2019-01"] * 5 + [f"201{i}-06" for i in range(6)]:
        an_application(rnd, diluted, insurance=[(start, "2025-12")])
    signals.detect_signals(rnd)
    assert _of(SignalKind.INSURANCE_BURST) == []


def test_the_burst_reads_the_verified_insurance_where_it_is_decided() -> None:
    rnd = a_round()
    employer = an_employer()
    apps = [
        an_application(rnd, employer, items=True, insurance=[("2019-02", "2025-12")])
        for _ in range(5)
    ]
    signals.detect_signals(rnd)
    [signal] = _of(SignalKind.INSURANCE_BURST)
    assert _members(signal) == {a.pk for a in apps}
    # The department's records say one of them was insured since 2012: 4 left, no burst.
    decide(apps[0], "social_insurance", [{"from": "2012-01", "to": "2025-12", "back_paid": []}])
    signals.detect_signals(rnd)
    signal.refresh_from_db()
    assert signal.active is False and _members(signal) == {a.pk for a in apps}


# ---- records of two departments contradicting each other ----------------------------------


def test_full_time_study_while_insured_more_than_the_months_allowed() -> None:
    rnd = a_round()
    employer = an_employer()
    six = an_application(rnd, employer, education=[("2015-09", "2019-06", True)],
                         insurance=[("2019-01", "2025-12")])
    an_application(rnd, employer, education=[("2015-09", "2019-06", True)],
                   insurance=[("2019-04", "2025-12")])  # near miss: 3 months
    an_application(rnd, employer, education=[("2015-09", "2019-06", False)],
                   insurance=[("2016-01", "2025-12")])  # part-time study: no conflict

    signals.detect_signals(rnd)

    [signal] = _of(SignalKind.RECORDS_CONFLICT)
    assert _members(signal) == {six.pk} and signal.employer_id == employer.pk
    assert signal.evidence["overlap_months"] == 6
    assert signal.evidence["months"] == ["2019-01～2019-06"]
    assert signal.summary == (
        f"申请 {six.number}：全日制学习期间有 6 个月同时缴纳社会保险（2019-01～2019-06）"
    )
    assert signal.department_list == ["social_insurance", "education"]


def test_the_conflict_reads_the_latest_decision_of_the_education_item() -> None:
    rnd = a_round()
    employer = an_employer()
    declared_part_time = an_application(
        rnd, employer, items=True, education=[("2015-09", "2019-06", False)],
        insurance=[("2018-01", "2025-12")],
    )
    declared_full_time = an_application(
        rnd, employer, items=True, education=[("2015-09", "2019-06", True)],
        insurance=[("2018-01", "2025-12")],
    )
    record = {"level": "bachelor", "degree": "bachelor", "from": "2015-09", "to": "2019-06"}
    decide(declared_part_time, "education", [{**record, "full_time": True}])
    decide(declared_full_time, "education", [{**record, "full_time": False}])

    signals.detect_signals(rnd)

    [signal] = _of(SignalKind.RECORDS_CONFLICT)
    assert _members(signal) == {declared_part_time.pk}
    assert signal.evidence["overlap_months"] == 18


# ---- re-detection -------------------------------------------------------------------------


def _phone_pair(rnd, employer, phone: str = "13800001111"):
    return [an_application(rnd, employer, phone=phone) for _ in range(2)]


def test_detecting_again_finds_the_same_signals_and_makes_none_new() -> None:
    rnd = a_round()
    employer = an_employer()
    _phone_pair(rnd, employer)
    for start in ["2019-01"] * 5:
        an_application(rnd, employer, insurance=[(start, "2025-12")])
    first = signals.detect_signals(rnd)
    before = {(s.kind, s.key): (s.pk, _members(s), s.evidence) for s in Signal.objects.all()}
    second = signals.detect_signals(rnd)
    after = {(s.kind, s.key): (s.pk, _members(s), s.evidence) for s in Signal.objects.all()}
    assert after == before and len(after) == 2
    assert first["same_phone"]["new"] == 1 and first["insurance_burst"]["new"] == 1
    assert all(c["new"] == 0 and c["updated"] == 0 for c in second.values())
    assert second["same_phone"]["total"] == 1 and second["insurance_burst"]["open"] == 1


def test_an_open_signal_gets_its_new_members_and_evidence() -> None:
    rnd = a_round()
    employer = an_employer()
    pair = _phone_pair(rnd, employer)
    signals.detect_signals(rnd)
    third = an_application(rnd, employer, phone="13800001111")
    counts = signals.detect_signals(rnd)
    [signal] = _of(SignalKind.SAME_PHONE)
    assert _members(signal) == {a.pk for a in [*pair, third]}
    assert signal.evidence["applicants"] == 3 and "3 名申请人" in signal.summary
    assert counts["same_phone"] == {"new": 0, "updated": 1, "reopened": 0, "total": 1,
                                    "open": 1}


def test_a_dismissed_signal_stays_dismissed_unless_its_members_change() -> None:
    rnd = a_round()
    employer = an_employer()
    _phone_pair(rnd, employer)
    signals.detect_signals(rnd)
    signal = _of(SignalKind.SAME_PHONE)[0]
    Signal.objects.filter(pk=signal.pk).update(state=SignalState.DISMISSED, note="夫妻共用")

    assert signals.detect_signals(rnd)["same_phone"]["reopened"] == 0
    signal.refresh_from_db()
    assert signal.state == SignalState.DISMISSED and signal.note == "夫妻共用"

    an_application(rnd, employer, phone="13800001111")
    assert signals.detect_signals(rnd)["same_phone"]["reopened"] == 1
    signal.refresh_from_db()
    assert signal.state == SignalState.OPEN and signal.note == ""
    assert signal.evidence["previously"]["state"] == "dismissed"
    assert signal.evidence["previously"]["note"] == "夫妻共用"
    assert len(_members(signal)) == 3
    event = AuditEvent.objects.filter(action="signal.reopen").get()
    assert event.target_id == str(signal.pk)
    assert event.before == {"signal_state": "dismissed"}
    assert event.after == {"signal_state": "open", "applications": 3}
    again = signals.detect_signals(rnd)["same_phone"]  # nothing new: the history stays
    assert (again["updated"], again["reopened"]) == (0, 0)
    signal.refresh_from_db()
    assert signal.evidence["previously"]["note"] == "夫妻共用"


def test_a_signal_no_longer_found_is_kept_inactive() -> None:
    rnd = a_round()
    employer = an_employer()
    _, b = _phone_pair(rnd, employer)
    signals.detect_signals(rnd)
    b.applicant.user.phone = "13800002222"
    b.applicant.user.save()
    counts = signals.detect_signals(rnd)
    [signal] = _of(SignalKind.SAME_PHONE)
    assert signal.active is False and counts["same_phone"]["total"] == 1


def test_detection_changes_no_item_decision_or_score_and_is_audited() -> None:
    rnd = a_round()
    employer = an_employer()
    for _ in range(5):
        an_application(rnd, employer, items=True, phone="13800003333",
                       insurance=[("2019-01", "2025-12")])
    items = list(VerificationItem.objects.values_list("id", "state", "latest_decision_id"))
    decisions = Decision.objects.count()
    counts = signals.detect_signals(rnd)
    assert counts["same_phone"]["new"] == 1 and counts["insurance_burst"]["new"] == 1
    assert list(VerificationItem.objects.values_list("id", "state", "latest_decision_id")) \
        == items
    assert Decision.objects.count() == decisions
    event = AuditEvent.objects.filter(action="signal.detect").get()
    assert event.target_id == str(rnd.pk)
    assert event.after == {"year": 2026, "new_signals": 2, "open_signals": 2}


def test_only_the_rounds_own_applications_are_compared() -> None:
    rnd, other = a_round(2026), a_round(2025)
    employer = an_employer()
    an_application(rnd, employer, phone="13800004444")
    an_application(other, employer, phone="13800004444")
    signals.detect_signals(rnd)
    assert _of(SignalKind.SAME_PHONE) == []
