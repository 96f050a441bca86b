"""What-if (模拟测算) on a small round: another quota, another rule set, a changed parameter;
the per-applicant difference and its reasons; the live round untouched; refusals; XLSX."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Role
from jifen.review.models import FirstResult
from jifen.rounds.models import RankedResult, Round, ScoringRun
from jifen.stats.whatif import Scenario, compute_whatif
from jifen.stats.whatif_xlsx import whatif_xlsx
from tests.factories import make_staff
from tests.stats.adhoc_world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss():
    return make_staff(Role.BUREAU_ADMIN)


def line_of(totals: dict[str, Decimal], quota: int) -> tuple[Decimal, set[str]]:
    """Beijing's line, worked out here: the quota-th highest total; all at or above it."""
    ordered = sorted(totals.values(), reverse=True)
    line = ordered[min(quota, len(ordered)) - 1]
    return line, {no for no, t in totals.items() if t >= line}


def snapshot(rnd: Round) -> tuple:
    rnd.refresh_from_db()
    rows = list(
        RankedResult.objects.order_by("id").values_list("id", "run_id", "rank", "admitted", "total")
    )
    return (
        rnd.current_run_id,
        rnd.quota,
        rnd.rule_set,
        ScoringRun.objects.count(),
        FirstResult.objects.count(),
        rows,
    )


def test_another_quota_moves_the_line(boss):
    w = build(24)
    totals = {no: r.total for no, r in w.results.items()}
    before = snapshot(w.round)
    outcome = compute_whatif(actor=boss, year=2026, scenario=Scenario(quota=5))
    assert snapshot(w.round) == before  # the live round is untouched
    line10, admitted10 = line_of(totals, 10)
    line5, admitted5 = line_of(totals, 5)
    assert outcome.before.label == f"当前积分评定（第{w.run.pk}号）"
    assert (outcome.before.line, outcome.before.admitted) == (f"{line10}", len(admitted10))
    assert (outcome.after.line, outcome.after.admitted) == (f"{line5}", len(admitted5))
    assert outcome.description == "落户指标数由10调整为5"
    dropped = {d.application_no for d in outcome.differences if d.change == "out"}
    assert dropped == admitted10 - admitted5
    assert outcome.count("in") == 0
    d = next(d for d in outcome.differences if d.change == "out")
    assert d.change_label == "不再取得落户资格"
    assert d.why == [f"落户指标数调整为5，分数线由{line10}变为{line5}"]
    assert d.before.rank == d.after.rank  # the order does not change, only the line


def test_beijing_2016_changes_the_scores(boss):
    w = build(24)
    totals = {no: r.total for no, r in w.results.items()}
    outcome = compute_whatif(actor=boss, year=2026, scenario=Scenario(rule_set="beijing-2016"))
    assert outcome.description == "按北京市积分落户管理办法（试行）（beijing-2016）计分"
    assert outcome.after.rule_set == "beijing-2016"
    # The trial rules give the full 6 tax points for an average of 116,666.83 yuan a year
    # (2023–2025) where beijing-2020 counts the two years of 100,000 or more: 2 × 2 = 4.
    line10, _ = line_of(totals, 10)
    assert outcome.after.line == f"{line10 + 2}"
    assert outcome.count("in") == outcome.count("out") == 0
    for d in outcome.differences:
        old = totals[d.application_no]
        assert d.why == ["纳税：4.00 → 6.00", f"总积分：{old} → {old + 2}"]
        assert d.after.total_cents == int(old * 100) + 200


def test_a_changed_parameter(boss):
    w = build(24)
    totals = {no: r.total for no, r in w.results.items()}
    honoured = {no for no, r in w.results.items() if r.result["indicators"]["honours"] == 20}
    assert len(honoured) == 12
    new_totals = {no: t - 15 if no in honoured else t for no, t in totals.items()}
    before = snapshot(w.round)
    outcome = compute_whatif(
        actor=boss, year=2026, scenario=Scenario(parameter="honours.points", value="5")
    )
    assert snapshot(w.round) == before
    assert outcome.description == "荣誉表彰：积分由20调整为5（以beijing-2020为基础）"
    assert (outcome.after.rule_set, outcome.after.rule_set_version) == (
        "beijing-2020*",
        "2020.1-variant",
    )
    _, admitted_before = line_of(totals, 10)
    line_after, admitted_after = line_of(new_totals, 10)
    assert outcome.after.line == f"{line_after}"
    gets_in = {d.application_no for d in outcome.differences if d.change == "in"}
    drops_out = {d.application_no for d in outcome.differences if d.change == "out"}
    assert gets_in == admitted_after - admitted_before and gets_in
    assert drops_out == admitted_before - admitted_after and drops_out
    for d in outcome.differences:
        no = d.application_no
        if no in honoured:
            assert d.why == ["荣誉表彰：20.00 → 5.00", f"总积分：{totals[no]} → {new_totals[no]}"]
        elif d.change == "in" or d.before.rank != d.after.rank:
            assert d.why == ["其他申请人的积分变化使排名变动"]
    summary = AuditEvent.objects.get(action="stats.whatif").after
    assert summary["gets_in"] == len(gets_in) and summary["drops_out"] == len(drops_out)
    assert summary["scenario"] == {
        "quota": None,
        "rule_set": None,
        "parameter": "honours.points",
        "value": "5",
    }


def test_a_changed_rate_with_another_quota(boss):
    w = build(12)
    outcome = compute_whatif(
        actor=boss, year=2026, scenario=Scenario(quota=3, parameter="employment.rate", value="1/5")
    )
    assert outcome.description == (
        "合法稳定就业：每月积分由1/4调整为1/5（以beijing-2020为基础）；落户指标数由10调整为3"
    )
    first = w.results["2026000001"].result["indicators"]["employment"]
    d = next(d for d in outcome.differences if d.application_no == "2026000001")
    assert d.why[0] == f"合法稳定就业：{first:.2f} → {first * 4 / 5:.2f}"


def test_baseline_without_a_run_and_applications_left_out(boss):
    w = build(12, run=False, without_result=2)
    totals = {no: r.total for no, r in w.results.items()}
    outcome = compute_whatif(actor=boss, year=2026, scenario=Scenario(quota=4))
    line10, admitted10 = line_of(totals, 10)
    assert outcome.before.label == "初核结果按本年度规则排名"
    assert (outcome.before.line, outcome.before.admitted) == (f"{line10}", len(admitted10))
    assert outcome.left_out == 2
    assert outcome.notes == ["2份申报尚无初核结果（核验未完成），不参加测算。"]
    assert len(outcome.differences) == 12
    assert not ScoringRun.objects.exists()


def test_refusals(boss, settings):
    w = build(3)
    with pytest.raises(NotPermitted):
        compute_whatif(actor=make_staff(Role.REVIEWER, "tax"), year=2026, scenario=Scenario())
    with pytest.raises(NotFound) as caught:
        compute_whatif(actor=boss, year=2031, scenario=Scenario())
    assert caught.value.message == "没有2031年度的积分落户"
    with pytest.raises(InvalidInput) as caught:
        compute_whatif(actor=boss, year=2026, scenario=Scenario(rule_set="shanghai"))
    assert caught.value.errors[0].as_dict() == {
        "field": "rule_set",
        "message": "没有名为“shanghai”的积分规则",
    }
    with pytest.raises(InvalidInput) as caught:
        compute_whatif(
            actor=boss, year=2026, scenario=Scenario(parameter="honours.points", value="5.555")
        )
    assert caught.value.errors[0].as_dict() == {
        "field": "value",
        "message": "「荣誉表彰：积分」最多保留两位小数",
    }
    with pytest.raises(InvalidInput) as caught:
        compute_whatif(
            actor=boss, year=2026, scenario=Scenario(parameter="employment.rate", value="四分之一")
        )
    assert caught.value.errors[0].message == (
        "「合法稳定就业：每月积分」须为0到10之间的数或分数（如 1/4），“四分之一”不是"
    )
    settings.STATS_WHATIF_MAX = 2
    with pytest.raises(Conflict) as caught:
        compute_whatif(actor=boss, year=2026, scenario=Scenario())
    assert caught.value.message == (
        "本年度共3份申报，超过模拟测算在线计算的上限2份，请在页面上测算（后台计算）"
    )
    Round.objects.filter(pk=w.round.pk).update(source="published")
    with pytest.raises(Conflict):
        compute_whatif(actor=boss, year=2026, scenario=Scenario())
    assert not AuditEvent.objects.filter(action__startswith="stats.").exists()


def test_xlsx_lists_every_difference(boss):
    build(12)
    outcome = compute_whatif(actor=boss, year=2026, scenario=Scenario(quota=4))
    book = openpyxl.load_workbook(io.BytesIO(whatif_xlsx(outcome)))
    sheet = book["模拟测算"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == "2026年度模拟测算"
    assert rows[1][0] == "落户指标数由10调整为4"
    assert rows[8] == [
        "申请编号",
        "变化",
        "原排名",
        "模拟排名",
        "原总积分",
        "模拟总积分",
        "原是否取得资格",
        "模拟是否取得资格",
        "原因",
    ]
    body = rows[9:]
    assert len(body) == 12
    out = [r for r in body if r[1] == "不再取得落户资格"]
    assert len(out) == outcome.count("out") > 0
    assert out[0][6:8] == ["是", "否"]
    assert out[0][8].startswith("落户指标数调整为4，分数线由")
