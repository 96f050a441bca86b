"""The statistics page's numbers on small synthetic rounds (aggregates in SQL)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.review.models import FirstResult, VerificationItem
from jifen.rounds.models import RankedResult, RunState, ScoringRun
from jifen.rules import INDICATORS
from jifen.stats import statistics_selectors as sel
from jifen.stats.history import import_published
from tests.factories import employer_submitted, make_applicant, make_staff

pytestmark = pytest.mark.django_db

HEADER = "rank,birth_month," + ",".join(INDICATORS) + ",total\n"


def row(rank: int, birth: str, employment: str, education: str, age: str) -> str:
    parts = {code: "0.00" for code in INDICATORS}
    parts |= {"employment": employment, "education": education, "age": age}
    total = sum(Decimal(v) for v in parts.values())
    return f"{rank},{birth}," + ",".join(parts[c] for c in INDICATORS) + f",{total:.2f}\n"


# Year 2020: ages on 2019-01-01 (born in 1983 → 35; 1978 → 40; 1973 → 45; 1968 → 50).
LIST_2020 = HEADER + "".join(
    [
        row(1, "1983-05", "60.00", "37.00", "20.00"),  # 117.00, 35
        row(2, "1984-01", "50.00", "26.00", "20.00"),  # 96.00, 34
        row(3, "1978-12", "55.00", "15.00", "20.00"),  # 90.00, 40
        row(4, "1977-12", "50.00", "10.50", "20.00"),  # 80.50, 41
        row(5, "1968-02", "60.00", "0.00", "0.00"),  # 60.00, 50
        row(6, "1967-12", "40.00", "15.00", "0.00"),  # 55.00, 51
    ]
)


@pytest.fixture
def bureau():
    return make_staff(Role.BUREAU_ADMIN)


@pytest.fixture
def past_round():
    # Quota 6,000 > 6 rows: everyone admitted, the line is the last total.
    return import_published(actor=None, year=2020, text=LIST_2020).round


def table(stats: sel.Statistics, key: str) -> sel.Table:
    return next(t for t in stats.tables if t.key == key)


def test_only_the_bureau_and_auditors_see_statistics(past_round) -> None:
    sel.statistics(make_staff(Role.AUDITOR), year=2020)
    for user in (make_staff(Role.REVIEWER, "tax"), make_staff(Role.OPERATOR), make_applicant()):
        with pytest.raises(NotPermitted, match="统计分析仅供市人社局管理员和审计员查看"):
            sel.statistics(user)
        with pytest.raises(NotPermitted):
            sel.statistics_table(user, "years")


def test_an_unknown_year_is_not_found(bureau, past_round) -> None:
    with pytest.raises(NotFound, match="没有 1999 年度的积分落户数据"):
        sel.statistics(bureau, year=1999)


def test_distribution_in_bands_of_five_with_the_line(bureau, past_round) -> None:
    stats = sel.statistics(bureau, year=2020)
    assert stats.round == past_round and stats.basis == "公布名单"
    t = table(stats, "distribution")
    assert t.columns == ["分数段", "人数", "其中落户"]
    assert t.rows == [
        ["55–60", 1, 1],
        ["60–65", 1, 1],
        ["80–85", 1, 1],
        ["90–95", 1, 1],
        ["95–100", 1, 1],
        ["115–120", 1, 1],
    ]
    assert t.note == "分数线 55.00 分（在 55–60 分数段）"
    assert t.chart["markLine"] == {"category": "55–60", "label": "分数线 55.00"}
    assert t.chart["series"][0]["data"] == [1, 1, 1, 1, 1, 1]


def test_indicator_averages_and_shares(bureau, past_round) -> None:
    t = table(sel.statistics(bureau, year=2020), "indicators")
    by_name = {r[0]: r[1:] for r in t.rows}
    # employment: (60+50+55+50+60+40)/6 = 52.5; of the sum of totals 498.5: 315/498.5
    assert by_name["合法稳定就业"] == [52.5, 63.2]
    assert by_name["教育背景"] == [17.25, 20.8]  # 103.5 / 6
    assert by_name["年龄"] == [13.33, 16.0]  # 80 / 6
    assert by_name["纳税"] == [0.0, 0.0]
    assert len(t.rows) == 10 and t.note == "6 人有各项指标得分"


def test_age_bands_from_the_birth_month(bureau, past_round) -> None:
    t = table(sel.statistics(bureau, year=2020), "age")
    assert t.rows == [
        ["35 岁及以下", 2, 2],
        ["36–40 岁", 1, 1],
        ["41–45 岁", 1, 1],
        ["46–50 岁", 1, 1],
        ["51 岁及以上", 1, 1],
    ]
    assert t.note == "年龄按 2019 年 1 月 1 日的周岁计（由出生年月推算）"


def test_education_tiers_by_points(bureau, past_round) -> None:
    t = table(sel.statistics(bureau, year=2020), "education")
    assert t.rows == [
        ["0 分（无学历加分）", 1, 1],
        ["10.5 分（大专）", 1, 1],
        ["15 分（本科）", 2, 2],
        ["26 分（研究生（硕士））", 1, 1],
        ["37 分（研究生（博士））", 1, 1],
    ]


def test_a_totals_only_list_has_no_components(bureau) -> None:
    import_published(
        actor=None, year=2021, text="rank,birth_month,total\n1,1980-01,100.00\n2,1990-01,99.00\n"
    )
    stats = sel.statistics(bureau, year=2021)
    assert table(stats, "indicators").rows == []
    assert table(stats, "indicators").note == "该年度名单只有总分，没有各项指标得分"
    assert table(stats, "education").rows == []
    assert table(stats, "distribution").rows == [["95–100", 1, 1], ["100–105", 1, 1]]


def test_years_join_imported_lists_live_rounds_and_published_figures(bureau, past_round) -> None:
    employer_submitted(2026)
    t = table(sel.statistics(bureau), "years")
    rows = {r[0]: r for r in t.rows}
    assert sorted(rows) == [2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]
    # Imported: the line and count computed from the list; the published figures beside them.
    assert rows[2020] == [2020, 55.0, 6, 122852, 97.13, 6032, "公布名单导入"]
    # Not imported: the published figures.
    assert rows[2019] == [2019, 93.58, 6007, 106403, 93.58, 6007, "公布数据"]
    assert rows[2022][1:3] == [105.42, 6006]
    # The live round: its applications, no line yet.
    assert rows[2026] == [2026, None, None, 1, None, None, "本系统办理（尚未积分评定）"]
    assert t.chart["categories"][0] == "2018"
    assert t.chart["series"][0]["data"][2] == 55.0


def _live_run(rnd, app) -> ScoringRun:
    run = ScoringRun.objects.create(
        round=rnd, kind="score", state=RunState.DONE, line=Decimal("80.00"), admitted=1
    )
    rows = [
        (
            "000001",
            "ranked",
            Decimal("90.00"),
            True,
            "1980-05",
            {"employment": 70, "education": 20},
        ),
        (
            "000002",
            "ranked",
            Decimal("70.00"),
            False,
            "1995-05",
            {"employment": 50, "education": 20},
        ),
        ("000003", "ineligible", Decimal("99.00"), None, "1980-05", {"employment": 99}),
        ("000004", "incomplete", None, None, "", {}),
    ]
    RankedResult.objects.bulk_create(
        RankedResult(
            run=run,
            application=app if i == 0 else None,
            application_no=no,
            position=i + 1,
            status=status,
            eligible=status != "ineligible",
            total=total,
            admitted=admitted,
            birth_month=birth,
            indicators=ind,
        )
        for i, (no, status, total, admitted, birth, ind) in enumerate(rows)
    )
    rnd.current_run = run
    rnd.save(update_fields=["current_run"])
    return run


def test_a_scored_live_round_counts_only_the_ranked(bureau) -> None:
    _, _, app = employer_submitted(2026)
    _live_run(app.round, app)
    stats = sel.statistics(bureau)
    assert stats.round == app.round and stats.basis.startswith("积分评定结果")
    assert table(stats, "distribution").rows == [["70–75", 1, 0], ["90–95", 1, 1]]
    assert table(stats, "distribution").note == "分数线 80.00 分（在 80–85 分数段）"
    ages = {r[0]: r[1:] for r in table(stats, "age").rows}  # on 2025-01-01
    assert ages["35 岁及以下"] == [1, 0] and ages["41–45 岁"] == [1, 1]
    by_name = {r[0]: r[1] for r in table(stats, "indicators").rows}
    assert by_name["合法稳定就业"] == 60.0
    apps = {r[0]: r[1] for r in table(stats, "applications").rows}
    assert apps["单位已提交"] == 1 and apps["填报中"] == 0
    assert apps["积分评定：参与排名"] == 2
    assert apps["积分评定：不符合申报条件"] == 1
    assert apps["积分评定：核验未完成"] == 1
    assert apps["积分评定：拟落户"] == 1
    assert table(stats, "applications").note.startswith("当前阶段：")
    assert [r[0] for r in table(stats, "phases").rows][:2] == ["注册与单位关联", "个人申报"]


def test_a_live_round_before_scoring_uses_the_newest_first_results(bureau) -> None:
    _, _, app = employer_submitted(2026)

    def first(total: str, employment: float, birth: str, eligible: bool = True) -> None:
        FirstResult.objects.create(
            application=app,
            rule_set="beijing-2020",
            rule_set_version="2020.1",
            eligible=eligible,
            total=Decimal(total),
            result={"indicators": {"employment": employment, "education": 15.0}},
            profile={"person": {"birth_date": birth}},
        )

    first("60.00", 45.0, "1990-01-02")
    first("72.50", 57.5, "1990-01-02")  # after a re-check: the newest counts
    stats = sel.statistics(bureau)
    assert stats.basis == "初核结果（尚未积分评定）"
    assert table(stats, "distribution").rows == [["70–75", 1, 0]]
    assert table(stats, "distribution").note == "尚无分数线"
    assert {r[0]: r[1] for r in table(stats, "indicators").rows}["合法稳定就业"] == 57.5
    assert {r[0]: r[1] for r in table(stats, "age").rows}["35 岁及以下"] == 1  # 34 on 2025-01-01
    assert table(stats, "education").rows == [["15 分（本科）", 1, 0]]
    apps = {r[0]: r[1] for r in table(stats, "applications").rows}
    assert apps["已出初核结果"] == 1


def test_backlogs_per_department(bureau) -> None:
    _, _, app = employer_submitted(2026)
    t = table(sel.statistics(bureau), "backlogs")
    assert t.columns == ["核验部门", "核验事项", "待核验", "已超期", "复查中"]
    expected = {}
    for item in VerificationItem.objects.filter(application=app):
        expected.setdefault(item.department, 0)
        expected[item.department] += 1
    by_label = {r[0]: r[1:] for r in t.rows}
    for dept, n in expected.items():
        assert by_label[Department(dept).label][:2] == [n, n]  # all waiting
    assert t.chart["series"][1]["name"] == "已超期"


def test_a_past_round_has_no_live_tables(bureau, past_round) -> None:
    keys = [t.key for t in sel.statistics(bureau, year=2020).tables]
    assert keys == ["distribution", "indicators", "age", "education", "years"]
    assert sel.statistics_table(bureau, "backlogs", year=2020) is None
    assert sel.statistics_table(bureau, "age", year=2020).rows[0] == ["35 岁及以下", 2, 2]
