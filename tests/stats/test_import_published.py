"""manage.py import_published: every shipped list gives the published line and count, the
2018 list says it is short, re-importing replaces, a bad file names the line and column and
imports nothing."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jifen.audit.models import AuditEvent
from jifen.published.rebuild import data_dir
from jifen.rounds.models import RankedResult, Round, ScoringRun
from jifen.stats.history import import_shipped_lists, published_figures, shipped_lists
from tests.factories import make_round

pytestmark = pytest.mark.django_db

# year: (file, line, admitted) — what the command must print for the shipped lists.
EXPECTED = {
    2018: ("beijing-settled-2018-totals.csv", 90.75, 6000),
    2020: ("beijing-settled-2020.csv", 97.13, 6032),
    2021: ("beijing-settled-2021-totals.csv", 100.88, 6045),
    2023: ("beijing-settled-2023-totals.csv", 109.92, 6003),
    2024: ("beijing-settled-2024-totals.csv", 114.46, 6002),
    2025: ("beijing-settled-2025-totals.csv", 117.33, 6004),
}
ROWS = {2018: 6000, 2020: 6032, 2021: 6045, 2023: 6003, 2024: 6002, 2025: 6004}


def run(year: int, path: Path | str, *extra: str) -> tuple[dict, list[str]]:
    out = io.StringIO()
    call_command("import_published", "--year", str(year), str(path), *extra, stdout=out)
    lines = out.getvalue().splitlines()
    return json.loads(lines[-1]), lines


def refused(year: int, path: Path) -> str:
    counts = (Round.objects.count(), RankedResult.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError) as info:
        call_command("import_published", "--year", str(year), str(path), stdout=io.StringIO())
    assert info.value.returncode == 1
    assert (
        Round.objects.count(),
        RankedResult.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    return str(info.value)


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_each_shipped_list_gives_the_published_line_and_count(year: int) -> None:
    name, line, admitted = EXPECTED[year]
    result, lines = run(year, data_dir() / name)
    assert result == {"year": year, "rows": ROWS[year], "line": line, "admitted": admitted}
    assert list(result) == ["year", "rows", "line", "admitted"]
    rnd = Round.objects.get(year=year)
    assert rnd.source == "published"
    assert rnd.rule_set == ("beijing-2016" if year < 2020 else "beijing-2020")
    assert rnd.quota == 6000
    run_ = rnd.current_run
    assert run_ is not None and run_.kind == "published" and run_.state == "done"
    assert run_.line == Decimal(str(line)) and run_.admitted == admitted
    assert run_.results.count() == ROWS[year]
    assert run_.results.filter(admitted=True).count() == admitted
    assert not run_.results.filter(application__isnull=False).exists()
    # Every phase of a past round is over.
    assert rnd.settlement_closes is not None and rnd.settlement_closes.year == year
    assert lines[0].startswith(f"已导入 {year} 年度公布名单")


def test_2018_says_the_file_is_short_of_the_published_count() -> None:
    result, lines = run(2018, data_dir() / EXPECTED[2018][0])
    assert result["admitted"] == 6000  # what the file gives
    assert lines[-2] == (
        "注意：2018 年度公布的落户人数为 6,019 人，文件只有 6,000 行（缺 19 行），"
        "以下分数线和人数按文件计算。"
    )
    assert Round.objects.get(year=2018).applicants_reported == 124657


def test_rows_keep_the_components_birth_month_and_the_computed_rank() -> None:
    run(2020, data_dir() / EXPECTED[2020][0])
    rnd = Round.objects.get(year=2020)
    assert rnd.applicants_reported == 122852
    first = rnd.current_run.results.get(position=1)
    assert first.application_no == "000001"
    assert first.birth_month == "1974-09"
    assert first.total == Decimal("124.17")
    assert first.indicators["employment"] == 60.5
    second = rnd.current_run.results.get(position=2)
    assert second.indicators["study_deduction"] == -10.21
    assert first.rank == 1 and first.admitted is True
    # Equal totals share the rank of the first of them and are listed by number.
    tied = list(rnd.current_run.results.filter(total=Decimal("97.13")).order_by("position"))
    assert len(tied) > 1
    assert {r.rank for r in tied} == {tied[0].rank}
    assert [r.application_no for r in tied] == sorted(r.application_no for r in tied)


def test_totals_only_rows_have_no_indicators() -> None:
    run(2021, data_dir() / EXPECTED[2021][0])
    row = Round.objects.get(year=2021).current_run.results.get(position=1)
    assert row.indicators == {} and row.total == Decimal("129.38")


def test_rank_is_computed_not_copied(tmp_path: Path) -> None:
    # The file's ranks are only names: a list out of order is ranked by its totals.
    path = tmp_path / "list.csv"
    path.write_text("rank,birth_month,total\n1,1980-01,90.00\n2,1981-02,95.50\n3,1982-03,95.50\n")
    result, _ = run(2021, path)
    assert result == {"year": 2021, "rows": 3, "line": 90.0, "admitted": 3}
    rows = Round.objects.get(year=2021).current_run.results.order_by("position")
    assert [(r.application_no, r.rank) for r in rows] == [
        ("000002", 1),
        ("000003", 1),
        ("000001", 3),
    ]


def test_reimporting_replaces_the_list_atomically(tmp_path: Path) -> None:
    path = data_dir() / EXPECTED[2023][0]
    first, _ = run(2023, path)
    rnd = Round.objects.get(year=2023)
    again, _ = run(2023, path)
    assert again == first
    assert Round.objects.filter(year=2023).count() == 1
    assert Round.objects.get(year=2023).pk == rnd.pk
    assert ScoringRun.objects.filter(round=rnd).count() == 1
    assert RankedResult.objects.filter(run__round=rnd).count() == ROWS[2023]
    # A smaller list replaces the whole list.
    small = tmp_path / "small.csv"
    small.write_text("rank,birth_month,total\n1,1980-01,120.00\n")
    result, _ = run(2023, small)
    assert result == {"year": 2023, "rows": 1, "line": 120.0, "admitted": 1}
    assert RankedResult.objects.filter(run__round=rnd).count() == 1
    events = AuditEvent.objects.filter(action="round.import_published")
    assert events.count() == 3


def test_a_bad_file_after_a_good_one_leaves_the_good_one(tmp_path: Path) -> None:
    run(2024, data_dir() / EXPECTED[2024][0])
    bad = tmp_path / "bad.csv"
    bad.write_text("rank,birth_month,total\n1,1980-01,120.00\n2,1980-13,100\n")
    message = refused(2024, bad)
    assert "第 3 行第 2 列（birth_month）" in message
    rnd = Round.objects.get(year=2024)
    assert rnd.current_run.results.count() == ROWS[2024]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "文件为空，未导入"),
        ("rank,total\n1,100\n", "第 1 行（表头）应为 rank,birth_month,total"),
        ("rank,birth_month,total\n", "文件中没有数据行，未导入"),
        (
            "rank,birth_month,total\n1,1980-01,100.00\nx,1980-01,99\n",
            "文件有误，未导入：第 3 行第 1 列（rank）：应为正整数，填写的是“x”",
        ),
        (
            "rank,birth_month,total\n1,1980-01,100.00\n1,1980-02,99\n",
            "第 3 行第 1 列（rank）：名次 1 与第 2 行重复",
        ),
        (
            "rank,birth_month,total\n1,1980/01,100.00\n",
            "第 2 行第 2 列（birth_month）：应为 YYYY-MM，填写的是“1980/01”",
        ),
        (
            "rank,birth_month,total\n1,1980-01,100.123\n",
            "第 2 行第 3 列（total）：应为最多两位小数的分数，填写的是“100.123”",
        ),
        (
            "rank,birth_month,total\n1,1980-01\n",
            "第 2 行应有 3 列，实际为 2 列",
        ),
        (
            "rank,birth_month,employment,housing,education,study_deduction,area,innovation,"
            "tax,age,honours,law,total\n"
            "1,1974-09,60.50,11.67,26.00,0.00,0.00,0.00,6.00,20.00,0.00,0.00,124.17\n"
            "2,1974-06,62.25,abc,26.00,-10.21,4.00,0.00,4.00,20.00,0.00,0.00,122.70\n",
            "第 3 行第 4 列（housing）：应为最多两位小数的分数，填写的是“abc”",
        ),
        (
            "rank,birth_month,employment,housing,education,study_deduction,area,innovation,"
            "tax,age,honours,law,total\n"
            "1,1974-09,60.50,11.67,26.00,0.00,0.00,0.00,6.00,20.00,0.00,0.00,124.18\n",
            "第 2 行第 13 列（total）：总分 124.18 不等于各项之和 124.17",
        ),
    ],
)
def test_a_bad_file_names_the_line_and_column(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert message in refused(2021, path)


def test_a_live_round_is_not_overwritten(tmp_path: Path) -> None:
    make_round(year=2021)
    path = tmp_path / "list.csv"
    path.write_text("rank,birth_month,total\n1,1980-01,100.00\n")
    assert "2021 年度是本系统办理的年度，不能用公布名单覆盖" in refused(2021, path)


def test_years_without_rules_or_in_the_future_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("rank,birth_month,total\n1,1980-01,100.00\n")
    assert "2017 年度没有适用的积分规则" in refused(2017, path)
    assert "年度应在 2000 至" in refused(2999, path)
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_published", "--year", "2021", str(tmp_path / "none.csv"))


def test_published_figures_are_data_for_every_year() -> None:
    figures = published_figures()
    assert sorted(figures) == list(range(2018, 2026))
    assert figures[2022].line == Decimal("105.42") and figures[2022].admitted == 6006
    assert figures[2019].applicants == 106403


def test_the_demo_loads_the_shipped_lists_once() -> None:
    years = [year for year, _ in shipped_lists()]
    assert years == sorted(EXPECTED)
    assert [o.year for o in import_shipped_lists()] == years
    assert import_shipped_lists() == []  # idempotent: nothing to do the second time
    assert Round.objects.filter(source="published").count() == len(years)
