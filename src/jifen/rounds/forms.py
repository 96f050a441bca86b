"""The bureau's round form (年度设置): it only parses what was typed; the services decide
whether it is right (rounds.services.round_create / round_update) and name each bad field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from jifen.rules.ruleset import available_rule_sets, load_rule_set

from . import phases
from .models import Round
from .phases import ORDER
from .services import PARAMETER_LABELS, VERIFICATION_DAYS_MAX, WINDOW_FIELDS, verifying_departments

INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def _moment_field(name: str, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=PARAMETER_LABELS[name],
        required=required,
        input_formats=[INPUT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT),
        error_messages={"invalid": "请填写正确的日期时间（如 2026-05-01 09:00）"},
    )


def _minute(value: datetime | None) -> datetime | None:
    """The value as the form shows it (local time, to the minute)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(second=0, microsecond=0)


def rule_set_choices() -> list[tuple[str, str]]:
    out = []
    for name in available_rule_sets():
        rs = load_rule_set(name)
        out.append((name, f"{name}（{rs.first_year} 年度起，落户指标 {rs.quota} 个）"))
    return out


class RoundForm(forms.Form):
    """Create (``creating=True``: year, reason not asked) or edit a round."""

    year = forms.IntegerField(
        label="申报年度",
        min_value=2000,
        max_value=2100,
        error_messages={"required": "请填写申报年度", "invalid": "申报年度应为整数"},
    )
    rule_set = forms.ChoiceField(label="积分规则", choices=())
    quota = forms.IntegerField(
        label="落户指标数",
        required=False,
        help_text="留空：按积分规则的落户指标数",
        error_messages={"invalid": "落户指标数应为整数"},
    )
    reason = forms.CharField(
        label="变更理由",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="必填：每项变更连同理由记入变更记录",
    )

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.fields["rule_set"].choices = rule_set_choices()
        for f in WINDOW_FIELDS:
            self.fields[f] = _moment_field(f, required=creating and f.startswith("declaration_"))
        self.departments = verifying_departments()
        for dept, label in self.departments.items():
            self.fields[f"days_{dept}"] = forms.IntegerField(
                label=label,
                required=False,
                min_value=1,
                max_value=VERIFICATION_DAYS_MAX,
                error_messages={
                    "invalid": f"{label}的核验时限应为整数（工作日）",
                    "min_value": f"{label}的核验时限应为 1 至 {VERIFICATION_DAYS_MAX} 个工作日",
                    "max_value": f"{label}的核验时限应为 1 至 {VERIFICATION_DAYS_MAX} 个工作日",
                },
            )
        if creating:
            del self.fields["reason"]
        else:
            del self.fields["year"]

    # --- the page's layout ------------------------------------------------------------

    def phase_rows(self) -> list[dict[str, Any]]:
        rows = []
        for p in ORDER:
            o, c = phases.field_names(p)
            rows.append({"phase": p.value, "label": p.label, "opens": self[o], "closes": self[c]})
        return rows

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"days_{d}"] for d in self.departments]

    # --- what the services get ----------------------------------------------------------

    def verification_days(self) -> dict[str, int]:
        d = self.cleaned_data
        return {
            dept: d[f"days_{dept}"]
            for dept in self.departments
            if d.get(f"days_{dept}") is not None
        }

    def windows(self) -> dict[str, datetime | None]:
        return {f: self.cleaned_data.get(f) for f in WINDOW_FIELDS}

    def changes_for(self, rnd: Round) -> dict[str, Any]:
        """The parameters whose typed value differs from the round's (windows compared to the
        minute, as the form shows them)."""
        d = self.cleaned_data
        changes: dict[str, Any] = {}
        if d.get("rule_set") != rnd.rule_set:
            changes["rule_set"] = d.get("rule_set")
        if d.get("quota") is not None and d["quota"] != rnd.quota:
            changes["quota"] = d["quota"]
        for f in WINDOW_FIELDS:
            typed = d.get(f)
            if _minute(typed) != _minute(getattr(rnd, f)):
                changes[f] = typed
        days = self.verification_days()
        if days != (rnd.verification_days or {}):
            changes["verification_days"] = days
        return changes


def initial_for(rnd: Round) -> dict[str, Any]:
    """An edit form's values: the round's."""
    initial: dict[str, Any] = {"rule_set": rnd.rule_set, "quota": rnd.quota}
    for f in WINDOW_FIELDS:
        initial[f] = _minute(getattr(rnd, f))
    for dept, days in (rnd.verification_days or {}).items():
        initial[f"days_{dept}"] = days
    return initial


def initial_for_new(year: int) -> dict[str, Any]:
    """A new round's values: the year's rule set and its quota, the declaration from today
    for 30 days and every other phase by the default schedule."""
    from datetime import time, timedelta

    from jifen.rules.ruleset import RuleSetError, rule_set_name_for_year

    try:
        name = rule_set_name_for_year(year)
    except (RuleSetError, ValueError):  # no rule set for the year: the newest
        name = available_rule_sets()[-1]
    opens = timezone.make_aware(datetime.combine(timezone.localdate(), time(9)))
    draft = Round(
        year=year,
        rule_set=name,
        quota=load_rule_set(name).quota,
        declaration_opens=opens,
        declaration_closes=opens + timedelta(days=30),
    )
    draft.fill_default_windows()
    initial = initial_for(draft)
    initial["year"] = year
    return initial
