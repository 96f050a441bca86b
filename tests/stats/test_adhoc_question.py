"""Ad-hoc questions: checking (every problem names its field, in Chinese) and the small-group
suppression rule (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.core.errors import InvalidInput
from jifen.stats.adhoc import Filter, Question, compile_question
from jifen.stats.adhoc_suppress import suppress


def refused(data: dict) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        compile_question(data)
    return {e.field: e.message for e in caught.value.errors}


def test_a_question_compiles_with_typed_values():
    q = compile_question(
        {
            "group_by": ["employer_district", "sex"],
            "measures": ["avg:total", "max:indicator:employment"],
            "filters": [
                {"field": "year", "op": "eq", "value": "2026"},
                {"field": "status", "op": "in", "values": ["单位已提交", "submitted"]},
                {"field": "total", "op": "range", "min": "100", "max": "140.5"},
                {"field": "eligible", "op": "eq", "value": "是"},
                {"field": "employer_district", "op": "in", "value": "海淀区，通州区"},
            ],
        }
    )
    assert q.group_by == ("employer_district", "sex")
    assert q.measures == ("count", "avg:total", "max:indicator:employment")
    assert q.filters == (
        Filter("year", "eq", (2026,)),
        Filter("status", "in", ("employer_submitted", "submitted")),
        Filter("total", "range", (Decimal("100"), Decimal("140.5"))),
        Filter("eligible", "eq", (True,)),
        Filter("employer_district", "in", ("海淀区", "通州区")),
    )
    assert q.describe() == (
        "按单位所在区、性别分组；条件：申报年度等于2026；申报状态属于单位已提交、已提交，待单位审核；"
        "总积分不低于100且不高于140.5；符合申报条件等于是；单位所在区属于海淀区、通州区"
    )


def test_an_unknown_field_is_named():
    errors = refused({"group_by": ["salary"], "filters": [{"field": "income", "value": "1"}]})
    assert errors == {
        "group_by[0]": "没有名为“salary”的统计字段",
        "filters[0].field": "没有名为“income”的统计字段",
    }


def test_bad_values_name_their_field():
    errors = refused(
        {
            "group_by": ["sex"],
            "filters": [
                {"field": "year", "op": "eq", "value": "二〇二六"},
                {"field": "employer_district", "op": "eq", "value": "浦东新区"},
                {"field": "total", "op": "range", "min": "120", "max": "100"},
                {"field": "eligible", "value": "也许"},
                {"field": "sex", "op": "range", "min": "1"},
                {"field": "total", "op": "range"},
            ],
        }
    )
    assert errors == {
        "filters[0].value": "「申报年度」的取值须为整数，“二〇二六”不是",
        "filters[1].value": "「单位所在区」没有“浦东新区”这一取值",
        "filters[2].max": "「总积分」范围的上限低于下限",
        "filters[3].value": "「符合申报条件」的取值只能是“是”或“否”",
        "filters[4].op": "「性别」的筛选方式只能是等于、属于",
        "filters[5].min": "请填写「总积分」范围的下限或上限",
    }


def test_grouping_and_measures_are_checked():
    assert refused({"group_by": []}) == {"group_by": "请选择至少一个分组字段"}
    assert refused({"group_by": ["total"]}) == {
        "group_by[0]": "「总积分」不能用于分组，请改用对应的分段字段"
    }
    assert refused({"group_by": ["sex", "sex"]}) == {"group_by[1]": "「性别」重复选择"}
    assert refused({"group_by": ["sex", "year", "status"]}) == {"group_by": "最多按两个字段分组"}
    assert refused({"group_by": ["sex"], "measures": ["sum:total", "avg:sex"]}) == {
        "measures[0]": "没有名为“sum:total”的统计指标",
        "measures[1]": "没有名为“avg:sex”的统计指标",
    }


def test_no_sql_gets_through():
    errors = refused(
        {
            "group_by": ["sex; DROP TABLE applications_application"],
            "filters": [{"field": "sex", "value": "M' OR 1=1 --"}],
        }
    )
    assert errors["group_by[0]"].startswith("没有名为")
    assert errors["filters[0].value"] == "「性别」没有“M' OR 1=1 --”这一取值"


def test_question_round_trips_as_json():
    q = Question(("sex",), ("count",), (Filter("total", "range", (Decimal("1.5"), None)),))
    assert q.as_dict() == {
        "group_by": ["sex"],
        "measures": ["count"],
        "filters": [{"field": "total", "op": "range", "values": ["1.5", None]}],
    }


# ---------------------------------------------------------------- suppression


def test_small_cells_are_hidden():
    counts = {"a": 30, "b": 4, "c": 25, "T": 59}
    assert suppress(counts, [("T", ["a", "b", "c"])], 10) == {"b", "c"}


def test_no_complement_needed_when_two_are_small():
    counts = {"a": 30, "b": 4, "c": 3, "T": 37}
    assert suppress(counts, [("T", ["a", "b", "c"])], 10) == {"b", "c"}


def test_a_lone_small_part_hides_its_total():
    counts = {"b": 4, "T": 4}
    assert suppress(counts, [("T", ["b"])], 10) == {"b", "T"}


def test_suppression_cascades_through_subtotals():
    # Two groups: x has one small cell (so its smallest other cell goes too); y is fine.
    counts = {"x1": 3, "x2": 12, "x3": 20, "X": 35, "y1": 15, "y2": 11, "Y": 26, "T": 61}
    hidden = suppress(
        counts, [("X", ["x1", "x2", "x3"]), ("Y", ["y1", "y2"]), ("T", ["X", "Y"])], 10
    )
    assert hidden == {"x1", "x2"}
