"""The declaration section form: reading what was posted, and the widgets to render.

A section page posts plain fields: list sections ``rows-<i>-<field>`` with ``rows-<i>-id``
(the saved item id) and ``rows-<i>-remove``; ``conditions`` its three checkboxes by name;
``tax`` ``tax-<year>``. ``<i>`` is the row's place in the form, which need not be dense
(the browser may have added or removed rows). ``parse_section`` turns that into the value the
service stores, remembering which form row became which stored row, so that the service's
field paths ("housing[1].district") find their way back to the inputs that were typed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms

from jifen.core.errors import FieldError
from jifen.core.text import halfwidth
from jifen.rules.ruleset import RuleSet

from . import declaration as decl
from .display import code_choices, field_label, parse_path


class LinkForm(forms.Form):
    """The applicant's request to be linked to an employer."""

    employer_code = forms.CharField(
        label="单位注册码", max_length=20,
        help_text="向用人单位经办人索取，单位注册后由系统生成。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )


ROW_RE = re.compile(r"^rows-(\d{1,3})-([a-z_]+)$")
MONTH_FIELDS = {"from", "to"}

FIELD_HELP: dict[str, str] = {
    "from": "按“年-月”填写，如 2015-07",
    "to": "按“年-月”填写，如 2021-12",
    "back_paid": "没有补缴可不填；多个月份用逗号分隔，如 2010-03, 2010-04",
    "date": "按“年-月-日”填写，如 2021-03-05",
}


@dataclass
class ParsedSection:
    """What a section form posted: the value to store and where each stored row came from."""

    value: Any
    # Stored row position -> the form index it was typed at (list sections only).
    positions: list[int] = field(default_factory=list)
    # Every row as typed (removed ones left out, empty ones kept): for re-rendering on conflict.
    typed_rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    too_many: bool = False

    def ids_by_form_index(self) -> dict[str, str]:
        if not isinstance(self.value, list):
            return {}
        return {str(i): row["id"] for i, row in zip(self.positions, self.value, strict=True)}


# re.ASCII: only 0-9 are digits here (other scripts' digits stay as typed, for the checks to
# refuse by name, instead of being read by int()).
_LOOSE_MONTH = re.compile(r"(\d{4})\s*[-./年]?\s*(\d{1,2})\s*月?", re.ASCII)
_LOOSE_DATE = re.compile(r"(\d{4})\s*[-./年]?\s*(\d{1,2})\s*[-./月]?\s*(\d{1,2})\s*日?",
                         re.ASCII)


def _get(data: Mapping[str, Any], name: str) -> str:
    """A posted value, full-width forms (a Chinese input method's ``２０１５年７月``) folded to
    ASCII first so that the tidying below reads them."""
    value = data.get(name, "")
    return halfwidth(value) if isinstance(value, str) else ""


def tidy_month(text: str) -> str:
    """"201507", "2015.7", "2015年7月" -> "2015-07" (phone keypads often lack "-"); anything
    else is kept as typed for the checks to name."""
    t = text.strip()
    m = _LOOSE_MONTH.fullmatch(t)
    if m is None or (t.isdigit() and len(t) != 6) or not 1 <= int(m.group(2)) <= 12:
        return text
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def tidy_date(text: str) -> str:
    """"20210305", "2021.3.5", "2021年3月5日" -> "2021-03-05"; anything else as typed."""
    t = text.strip()
    m = _LOOSE_DATE.fullmatch(t)
    if m is None or (t.isdigit() and len(t) != 8):
        return text
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def parse_section(
    key: str, data: Mapping[str, Any], *, year: int, sex: str, rule_set: RuleSet | None = None
) -> ParsedSection:
    if key == "conditions":
        value = {f: bool(_get(data, f)) for f in decl.CONDITION_FIELDS}
        if sex != "F":
            value["female_cadre"] = False
        return ParsedSection(value)
    if key == "tax":
        return ParsedSection({y: _get(data, f"tax-{y}") for y in decl.tax_years(year, rule_set)})
    indices = sorted({int(m.group(1)) for name in data if (m := ROW_RE.match(name))})
    parsed = ParsedSection([])
    for i in indices:
        if _get(data, f"rows-{i}-remove"):
            continue
        row: dict[str, Any] = {"id": _get(data, f"rows-{i}-id")}
        for name in decl.ROW_FIELDS[key]:
            if name in decl.BOOL_ROW_FIELDS:
                row[name] = bool(_get(data, f"rows-{i}-{name}"))
            elif name in MONTH_FIELDS:
                row[name] = tidy_month(_get(data, f"rows-{i}-{name}"))
            elif name == "date":
                row[name] = tidy_date(_get(data, f"rows-{i}-{name}"))
            else:
                row[name] = _get(data, f"rows-{i}-{name}")
        parsed.typed_rows.append((i, row))
        # Row by row, so each stored row (empty ones are dropped) knows its form index;
        # a new row gets its id here, which the service keeps.
        clean = decl.normalise_section(key, [row], year)
        if clean:
            parsed.value.append(clean[0])
            parsed.positions.append(i)
    if len(parsed.value) > decl.MAX_ROWS:
        parsed.too_many = True
        parsed.value = parsed.value[: decl.MAX_ROWS]
        parsed.positions = parsed.positions[: decl.MAX_ROWS]
    return parsed


def input_name(key: str, path: str, positions: list[int] | None = None) -> str:
    """The form input a service field path refers to ("" when it names none).

    ``positions`` maps stored row positions to form indices (as posted); without it the
    stored position is the form index (a page rendered from the stored value)."""
    parts = parse_path(path)
    if parts is None or parts.section != key:
        return ""
    if key == "conditions":
        return parts.field
    if key == "tax":
        return f"tax-{parts.field}" if parts.field else ""
    if parts.index is None or not parts.field:
        return ""
    index = parts.index
    if positions is not None:
        if index >= len(positions):
            return ""
        index = positions[index]
    return f"rows-{index}-{parts.field}"


# --- widgets ---------------------------------------------------------------------------------


@dataclass
class Widget:
    name: str
    label: str
    kind: str  # text | month | date | months | amount | select | checkbox
    value: Any = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # possible mistakes: shown, not blocking

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def checked(self) -> bool:
        return bool(self.value)

    @property
    def unknown_choice(self) -> bool:
        """A stored code that is not among the choices (shown so it is not silently lost)."""
        return bool(self.value) and self.value not in {c for c, _ in self.choices}


@dataclass
class RowForm:
    index: str  # the form index ("__i__" in the template row)
    number: str
    id: str
    widgets: list[Widget]
    errors: list[str] = field(default_factory=list)
    saved: bool = False  # the row is stored (its id is an evidence item): files may be attached
    files: list[Any] = field(default_factory=list)
    upload_error: str = ""
    documents: tuple[str, ...] = ()  # the evidence this row needs (none: nothing to upload)
    warnings: list[str] = field(default_factory=list)


def _kind(key: str, name: str, choices: dict[str, str] | None) -> str:
    if name in decl.BOOL_ROW_FIELDS:
        return "checkbox"
    if choices is not None:
        return "select"
    if name in MONTH_FIELDS:
        return "month"
    if name == "back_paid":
        return "months"
    if name == "date":
        return "date"
    return "text"


def row_form(key: str, index: int | str, row: Mapping[str, Any], rule_set: RuleSet,
             number: int | str | None = None) -> RowForm:
    widgets = []
    for name in decl.ROW_FIELDS[key]:
        choices = code_choices(key, name, rule_set)
        value = row.get(name, False if name in decl.BOOL_ROW_FIELDS else "")
        widgets.append(
            Widget(
                name=f"rows-{index}-{name}",
                label=field_label(key, name),
                kind=_kind(key, name, choices),
                value=value if name in decl.BOOL_ROW_FIELDS else ("" if value is None
                                                                  else str(value)),
                choices=list((choices or {}).items()),
                help=FIELD_HELP.get(name, ""),
            )
        )
    if number is None:
        number = int(index) + 1 if str(index).isdigit() else index
    return RowForm(index=str(index), number=str(number), id=str(row.get("id", "") or ""),
                   widgets=widgets)


def single_widgets(
    key: str, value: Mapping[str, Any], *, year: int, sex: str, rule_set: RuleSet | None = None
) -> list[Widget]:
    """The inputs of the two sections that are not lists (``rule_set``: the round's; by
    default the one in force for ``year``)."""
    rule_set = rule_set or decl.rule_set_in_force(year)
    if key == "conditions":
        return [
            Widget(name=name, label=label, kind="checkbox", value=bool(value.get(name)))
            for name, label in decl.condition_labels(rule_set).items()
            if name != "female_cadre" or sex == "F"
        ]
    return [
        Widget(name=f"tax-{y}", label=f"{y} 年度个人所得税（元）", kind="amount",
               value=str(value.get(y, "") or ""), help="没有可不填；最多两位小数")
        for y in decl.tax_years(year, rule_set)
    ]


def place_errors(
    key: str,
    errors: list[FieldError],
    *,
    rows: list[RowForm] | None = None,
    widgets: list[Widget] | None = None,
    as_warnings: bool = False,
) -> list[str]:
    """Put each error (or, ``as_warnings``, each warning) under its input (rows rendered from
    the stored value); the rest are returned for the top of the form."""
    by_name: dict[str, Widget] = {}
    row_by_index: dict[str, RowForm] = {}
    for w in widgets or []:
        by_name[w.name] = w
    for r in rows or []:
        row_by_index[r.index] = r
        for w in r.widgets:
            by_name[w.name] = w
    unplaced = []
    for err in errors:
        name = input_name(key, err.field)
        if name in by_name:
            widget = by_name[name]
            (widget.warnings if as_warnings else widget.errors).append(err.message)
            continue
        parts = parse_path(err.field)
        if parts is not None and parts.index is not None and str(parts.index) in row_by_index:
            row = row_by_index[str(parts.index)]
            (row.warnings if as_warnings else row.errors).append(err.message)
            continue
        unplaced.append(err.message)
    return unplaced
