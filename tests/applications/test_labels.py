"""The declaration's choices and labels are the rule set's: one table, no copy in the web.

A rule set that names or numbers things differently (a new policy year's file) changes the
pages with no code change; each test below builds such a rule set and checks the page helper
follows it.
"""

from __future__ import annotations

from typing import Any

from jifen.applications import declaration as decl
from jifen.applications.display import code_choices, ordered_districts
from jifen.applications.forms_applicant import parse_section, single_widgets
from jifen.rules.ruleset import RuleSet, _read, compile_rule_set, load_rule_set

RULES = load_rule_set("beijing-2020")


def changed(**tables: dict[str, Any]) -> RuleSet:
    """beijing-2020 with the given keys of dotted tables replaced."""
    data = _read("beijing-2020")
    for dotted, values in tables.items():
        table = data
        for part in dotted.split("__"):
            table = table[part]
        table.update(values)
    return compile_rule_set(data)


def test_every_select_offers_the_rule_sets_names() -> None:
    assert code_choices("housing", "kind", RULES) == {
        "owned": "自有产权住房", "rented": "租赁住房", "dormitory": "单位宿舍",
    }  # fmt: skip
    assert code_choices("education", "level", RULES) == RULES.level_names
    assert code_choices("education", "degree", RULES) == RULES.degree_names
    assert code_choices("innovation", "code", RULES) == RULES.innovation_names
    assert code_choices("honours", "code", RULES) == RULES.honour_codes
    assert list(code_choices("housing", "district", RULES)) == list(RULES.districts)
    assert ordered_districts(RULES)[:3] == ["东城区", "西城区", "朝阳区"]
    assert code_choices("violations", "kind", RULES) == decl.VIOLATION_KINDS
    assert code_choices("housing", "from", RULES) is None


def test_renamed_codes_in_the_rule_set_rename_the_choices() -> None:
    kinds = {"owned": "产权房", "rented": "租房", "dormitory": "宿舍"}
    other = changed(
        indicators__housing={"kind_names": kinds},
        innovation_items={"contest.district.third": {"points": 1, "name": "区赛三等奖"}},
        districts={"all": ["延庆区", "东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区"]},
    )  # fmt: skip
    assert code_choices("housing", "kind", other)["owned"] == "产权房"
    assert code_choices("innovation", "code", other)["contest.district.third"] == "区赛三等奖"
    assert ordered_districts(other)[0] == "延庆区"


def test_the_conditions_name_the_rule_sets_retirement_age() -> None:
    def labels(rule_set: RuleSet) -> dict[str, str]:
        widgets = single_widgets("conditions", {}, year=2026, sex="F", rule_set=rule_set)
        return {w.name: w.label for w in widgets}

    assert labels(RULES)["female_cadre"] == "女性干部身份（法定退休年龄55周岁）"
    later = changed(eligibility={"retirement_age": {"M": 63, "F": 55, "F_cadre": 58}})
    assert labels(later)["female_cadre"] == "女性干部身份（法定退休年龄58周岁）"
    men = single_widgets("conditions", {}, year=2026, sex="M", rule_set=later)
    assert [w.name for w in men] == ["residence_permit", "criminal_record"]


def test_the_tax_years_are_the_rule_sets() -> None:
    def years(rule_set: RuleSet | None) -> list[str]:
        return [w.name for w in single_widgets("tax", {}, year=2026, sex="F", rule_set=rule_set)]

    assert years(None) == ["tax-2023", "tax-2024", "tax-2025"]
    four = changed(indicators__tax={"year_offsets": [-4, -3, -2, -1]})
    assert years(four) == ["tax-2022", "tax-2023", "tax-2024", "tax-2025"]
    posted = {"tax-2022": "1", "tax-2025": "2", "tax-2021": "3"}
    assert parse_section("tax", posted, year=2026, sex="F", rule_set=four).value == {
        "2022": "1", "2023": "", "2024": "", "2025": "2",
    }  # fmt: skip
