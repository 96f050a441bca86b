"""How a declaration reads on the pages (applicant, employer, staff).

Read-only rendering of a declaration (labels for codes, one display structure per section),
evidence grouped by item, the Chinese self-assessment explanation, and the mapping of a
service's field paths ("housing[1].district") to sections and form inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jifen.rules.ruleset import RuleSet, load_rule_set

from . import declaration as decl
from . import explain
from .models import Application, Evidence
from .selectors import Assessment

# Labels of the fields of list rows (a section may override one, see FIELD_LABELS_BY_SECTION).
FIELD_LABELS: dict[str, str] = {
    "from": "起始年月",
    "to": "截止年月",
    "back_paid": "补缴月份",
    "kind": "住所类型",
    "district": "所在区",
    "level": "学历",
    "degree": "学位",
    "full_time": "全日制",
    "code": "项目",
    "date": "日期",
}
FIELD_LABELS_BY_SECTION: dict[str, dict[str, str]] = {
    "employment": {"district": "就业所在区"},
    "education": {"from": "入学年月", "to": "毕业年月"},
    "innovation": {"code": "创新创业项目"},
    "honours": {"code": "荣誉类别"},
    "violations": {"kind": "记录类型", "date": "日期（年-月-日）"},
}
# The name of one row of each list section ("第 2 条社会保险缴费期间").
ROW_NOUNS: dict[str, str] = {
    "social_insurance": "缴费期间",
    "housing": "居住期间",
    "education": "学历（学位）",
    "employment": "就业期间",
    "innovation": "创新创业项目",
    "honours": "荣誉",
    "violations": "记录",
}

_PATH_RE = re.compile(r"^(?P<section>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<field>[\w-]+))?$")


def field_label(section: str, name: str) -> str:
    return FIELD_LABELS_BY_SECTION.get(section, {}).get(name) or FIELD_LABELS.get(name, name)


def ordered_districts(rule_set: RuleSet) -> list[str]:
    """The rule set's districts, in the official order its data file keeps."""
    return list(rule_set.districts)


def code_choices(section: str, name: str, rule_set: RuleSet) -> dict[str, str] | None:
    """The (code -> Chinese label) choices of a select field, or None for a free-text one.
    Every label but the violation kinds' is the rule set's (of the application's round)."""
    if name == "district" and section in ("housing", "employment"):
        return {d: d for d in rule_set.districts}
    if section == "housing" and name == "kind":
        return dict(rule_set.housing_kind_names)
    if section == "education" and name == "level":
        return dict(rule_set.level_names)
    if section == "education" and name == "degree":
        return dict(rule_set.degree_names)
    if section == "innovation" and name == "code":
        return dict(rule_set.innovation_names)
    if section == "honours" and name == "code":
        return dict(rule_set.honour_codes)
    if section == "violations" and name == "kind":
        return dict(decl.VIOLATION_KINDS)
    return None


def display_value(section: str, name: str, value: Any, rule_set: RuleSet) -> str:
    if name in decl.BOOL_ROW_FIELDS:
        return "是" if value else "否"
    text = "" if value is None else str(value)
    choices = code_choices(section, name, rule_set)
    if choices is not None and text:
        return choices.get(text, text)
    return text


@dataclass
class DisplayRow:
    """One saved row of a list section, for reading: its item id and (label, value) pairs."""

    id: str
    number: int
    fields: list[tuple[str, str]]


@dataclass
class SectionDisplay:
    section: decl.Section
    is_list: bool
    rows: list[DisplayRow] = field(default_factory=list)  # list sections
    pairs: list[tuple[str, str]] = field(default_factory=list)  # conditions, tax

    @property
    def empty(self) -> bool:
        return not self.rows if self.is_list else not self.pairs


def rule_set_for(app: Application) -> RuleSet:
    return load_rule_set(app.round.rule_set)


def section_display(
    section: decl.Section, app: Application, data: dict[str, Any]
) -> SectionDisplay:
    """What a reader sees of one section of ``data`` (a declaration of ``app``)."""
    rule_set = rule_set_for(app)
    value = data.get(section.key)
    out = SectionDisplay(section=section, is_list=section.is_list)
    if section.key == "conditions":
        value = value if isinstance(value, dict) else {}
        for name, label in decl.condition_labels(rule_set).items():
            if name == "female_cadre" and app.applicant.sex != "F":
                continue
            out.pairs.append((label, "是" if value.get(name) else "否"))
        return out
    if section.key == "tax":
        value = value if isinstance(value, dict) else {}
        for year in decl.tax_years(app.round.year, rule_set):
            amount = value.get(year, "")
            out.pairs.append((f"{year} 年度个人所得税（元）", amount or "未填写"))
        return out
    for i, row in enumerate(value if isinstance(value, list) else []):
        if not isinstance(row, dict):
            continue
        fields = [
            (field_label(section.key, name), display_value(section.key, name, row.get(name),
                                                           rule_set))
            for name in decl.ROW_FIELDS[section.key]
        ]
        out.rows.append(DisplayRow(id=str(row.get("id", "")), number=i + 1, fields=fields))
    return out


def group_evidence(evidence: Iterable[Evidence]) -> dict[tuple[str, str], list[Evidence]]:
    """Evidence files keyed by ``(section, item_id)`` (item_id "" = the whole section)."""
    grouped: dict[tuple[str, str], list[Evidence]] = {}
    for ev in evidence:
        grouped.setdefault((ev.section, ev.item_id), []).append(ev)
    return grouped


def explanation_of(assessment: Assessment) -> list[dict[str, Any]]:
    """The per-indicator explanation in Chinese (empty when there is no result)."""
    return explain.explain_zh(assessment.breakdown)


def reasons_of(assessment: Assessment) -> list[str]:
    return explain.reasons_of(assessment.breakdown)


def indicator_name(code: str, rule_set: RuleSet | None = None) -> str:
    return explain.indicator_name(code, rule_set)


@dataclass(frozen=True)
class PathParts:
    section: str
    index: int | None
    field: str


def parse_path(path: str) -> PathParts | None:
    """``housing[1].district`` -> (housing, 1, district); ``tax.2024`` -> (tax, None, 2024)."""
    m = _PATH_RE.match(path or "")
    if not m:
        return None
    index = m.group("index")
    return PathParts(m.group("section"), int(index) if index is not None else None,
                     m.group("field") or "")


def section_of_path(path: str) -> str | None:
    """The declaration section a field path belongs to (None if it names none)."""
    parts = parse_path(path)
    if parts is None:
        head = (path or "").split(".")[0].split("[")[0]
        return head if head in decl.SECTION_KEYS else None
    return parts.section if parts.section in decl.SECTION_KEYS else None


def describe_path(path: str) -> str:
    """A reader's name for a field path: "合法稳定住所 第 2 条 所在区"."""
    parts = parse_path(path)
    if parts is None or parts.section not in decl.SECTIONS_BY_KEY:
        return ""
    section = decl.SECTIONS_BY_KEY[parts.section]
    text = section.title
    if parts.index is not None:
        text += f" 第 {parts.index + 1} 条"
    if parts.field:
        if parts.section == "conditions":
            text += " " + decl.CONDITION_FIELDS.get(parts.field, parts.field)
        elif parts.section == "tax":
            text += f" {parts.field} 年度"
        else:
            text += " " + field_label(parts.section, parts.field)
    return text
