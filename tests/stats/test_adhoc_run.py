"""Ad-hoc statistics answered on the database: content with small groups hidden, read-only
enforcement and the time limit (both databases), audit rows and the XLSX export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from jifen.audit.models import AuditEvent
from jifen.core.errors import NotPermitted
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.stats import adhoc_fields
from jifen.stats.adhoc import answer_question, compile_question, run_question
from jifen.stats.adhoc_fields import Field
from jifen.stats.adhoc_readonly import READ_ONLY_MESSAGE, QueryRefused, QueryTimeout, read_only
from jifen.stats.adhoc_xlsx import answer_xlsx, safe_text
from tests.factories import make_round, make_staff
from tests.stats.adhoc_world import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build(24)


@pytest.fixture
def boss():
    return make_staff(Role.BUREAU_ADMIN)


def ask(data: dict, minimum: int = 10) -> list[list[str]]:
    return answer_question(compile_question(data), minimum=minimum).table()


def test_counts_and_averages_by_district(world):
    # 12 applications per district; totals from the first results.
    rows = ask({"group_by": ["employer_district"], "measures": ["avg:total", "min:total"]})
    totals = {no: r.total for no, r in world.results.items()}
    tongzhou = [t for i, t in enumerate(totals.values()) if i % 2 == 0]
    assert rows[0][:2] == ["海淀区", "12"]
    assert rows[1] == ["通州区", "12", f"{sum(tongzhou) / 12:.2f}", f"{min(tongzhou):.2f}"]
    assert rows[2][:2] == ["合计", "24"]


def test_small_groups_are_hidden_with_their_complement(world):
    # Admitted (quota 10: 11 admitted with a tie) by sex: 是/男 has fewer than 3 people.
    rows = ask({"group_by": ["admitted", "sex"], "measures": ["avg:total"]}, minimum=3)
    shown = {tuple(r[:2]): r[2:] for r in rows}
    assert shown[("是", "男")] == ["<3", "—"]
    # Its only sibling under the shown subtotal is hidden too: it could be subtracted.
    assert shown[("是", "女")] == ["—", "—"]
    assert shown[("是", "小计")][0] == "11"
    assert shown[("否", "女")][0] == "3"
    assert shown[("否", "男")][0] == "10"
    assert shown[("合计", "")][0] == "24"


def test_every_cell_of_a_small_filter_is_hidden(world):
    rows = ask({"group_by": ["sex"], "filters": [{"field": "total", "op": "range", "min": "140"}]})
    # One applicant has 140 or more: the cell and the total both hide the count.
    assert rows == [["女", "<10"], ["合计", "<10"]]


def test_fields_from_the_scoring_run_and_bands(world):
    rows = ask(
        {"group_by": ["education_tier"], "filters": [{"field": "year", "value": 2026}]}, minimum=1
    )
    assert rows == [["本科学历学士学位（15分）", "16"], ["硕士研究生（26分）", "8"], ["合计", "24"]]
    rows = ask({"group_by": ["age_band"]}, minimum=1)
    assert [r[0] for r in rows] == ["31至35岁", "36至40岁", "41至45岁", "合计"]


def test_nothing_matches():
    make_round(2026)
    assert ask({"group_by": ["sex"]}) == [["合计", "0"]]


def test_the_runner_refuses_writes():
    make_round(2030)
    with pytest.raises(QueryRefused) as caught, read_only(5):
        Round.objects.filter(year=2030).update(quota=1)
    assert caught.value.message == READ_ONLY_MESSAGE
    assert Round.objects.get(year=2030).quota == 6000
    # Afterwards the connection writes again (the settings did not leak out).
    Round.objects.filter(year=2030).update(quota=2)
    assert Round.objects.get(year=2030).quota == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="nextval: PostgreSQL")
def test_a_writing_field_is_refused_on_postgresql(world, monkeypatch):
    write = RawSQL("(SELECT nextval('rounds_round_id_seq'))", [], output_field=IntegerField())
    monkeypatch.setitem(
        adhoc_fields.FIELDS, "writer", Field("writer", "写入", "int", lambda: write)
    )
    with pytest.raises(QueryRefused) as caught:
        ask({"group_by": ["writer"]})
    assert caught.value.message == READ_ONLY_MESSAGE


def _slow_expression():
    if connection.vendor == "postgresql":
        return RawSQL("(SELECT 1 FROM pg_sleep(5))", [], output_field=IntegerField())
    return RawSQL(
        "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000)"
        " SELECT count(*) FROM c)",
        [],
        output_field=IntegerField(),
    )


def test_the_time_limit_stops_a_slow_question(world, boss, monkeypatch, settings):
    settings.STATS_ADHOC_TIMEOUT_SECONDS = 0.5
    monkeypatch.setitem(
        adhoc_fields.FIELDS, "slow", Field("slow", "慢字段", "int", _slow_expression)
    )
    import time

    started = time.monotonic()
    with pytest.raises(QueryTimeout) as caught:
        run_question(actor=boss, data={"group_by": ["slow"]})
    assert time.monotonic() - started < 4
    assert caught.value.message == (
        "统计查询超过了0.5秒的时间限制，已中止；请缩小筛选范围或减少分组后重试"
    )
    event = AuditEvent.objects.get(action="stats.adhoc_refused")
    assert event.after["error"] == "query_timeout"
    # The connection is usable and writable afterwards.
    Round.objects.filter(pk=world.round.pk).update(quota=11)


def test_runs_are_audited(world, boss):
    run_question(
        actor=boss, data={"group_by": ["sex"], "filters": [{"field": "year", "value": "2026"}]}
    )
    event = AuditEvent.objects.get(action="stats.adhoc_run")
    assert event.actor == boss
    assert event.after == {
        "question": {
            "group_by": ["sex"],
            "measures": ["count"],
            "filters": [{"field": "year", "op": "eq", "values": [2026]}],
        },
        "rows": 2,
        "hidden": 0,
        "minimum": 10,
    }
    assert event.detail == "按性别分组；条件：申报年度等于2026"


def test_only_the_bureau_asks(world):
    reviewer = make_staff(Role.REVIEWER, "tax")
    with pytest.raises(NotPermitted):
        run_question(actor=reviewer, data={"group_by": ["sex"]})
    assert not AuditEvent.objects.filter(action__startswith="stats.").exists()


def test_xlsx_leaves_hidden_numbers_out(world):
    answer = answer_question(
        compile_question({"group_by": ["admitted", "sex"], "measures": ["avg:total"]}), minimum=3
    )
    book = openpyxl.load_workbook(io.BytesIO(answer_xlsx(answer)))
    sheet = book["应急统计"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=5)]
    assert rows[0] == ["取得落户资格（当前积分评定）", "性别", "人数", "总积分（平均）"]
    body = {tuple(r[:2]): r[2:] for r in rows[1:]}
    assert body[("是", "男")] == ["<3", "—"]
    assert body[("是", "女")] == ["—", "—"]
    assert body[("否", "男")][0] == 10
    assert isinstance(body[("否", "男")][1], float)
    assert body[("合计", "")][0] == 24
    assert sheet["B2"].value is None and sheet["A2"].value.startswith("按取得落户资格")


def test_formula_text_is_escaped():
    assert safe_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_text("+1+2") == "'+1+2"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("-12.50") == "-12.50"
    assert safe_text("通州区") == "通州区"
