"""Every action the system records has a Chinese name for the auditor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps

import jifen
from jifen.audit.actions import ACTION_LABELS, action_label

SRC = Path(jifen.__file__).parent
# action="x.y" at a call, and module constants FOO_ACTION = "x.y".
_LITERAL = re.compile(r"""\baction\s*=\s*(f?)["']([^"']+)["']""")
_CONSTANT = re.compile(r"""^\s*[A-Z_]*ACTION\s*=\s*["']([^"']+)["']""", re.MULTILINE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def recorded_actions() -> dict[str, str]:
    """Every action string written in src/ (action -> the file it is in)."""
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for prefix, value in _LITERAL.findall(text):
            if prefix and path == SRC / "audit" / "services.py":
                continue  # record_access's "<app>.<model>.view", tested below
            assert not prefix, f"{path}: an action must be a literal, not an f-string: {value}"
            if "." in value:  # not argparse's action="store_true"
                found[value] = str(path.relative_to(SRC))
        for value in _CONSTANT.findall(text):
            found[value] = str(path.relative_to(SRC))
    return found


def test_the_scan_finds_the_actions_it_should() -> None:
    found = recorded_actions()
    for action in ("application.save", "account.second_factor_verified", "access.refused",
                   "access.refused_summary", "audit.checkpoint", "round.create"):
        assert action in found, action
    assert len(found) >= 25


def test_every_recorded_action_has_a_chinese_name() -> None:
    missing = {a: f for a, f in recorded_actions().items() if a not in ACTION_LABELS}
    assert missing == {}


@pytest.mark.parametrize("action", sorted(ACTION_LABELS))
def test_each_name_is_chinese(action: str) -> None:
    assert _CJK.search(action_label(action)), action


def test_a_view_of_any_model_is_named_after_it() -> None:
    # record_access names its action after the target's model: every model of ours reads well.
    for model in apps.get_models():
        if model._meta.app_label in {"accounts", "applications", "audit", "rounds", "api"}:
            label = action_label(f"{model._meta.label_lower}.view")
            assert label.startswith("查阅") and _CJK.search(label[2:]), model
    assert action_label("applications.application.view") == "查阅申报内容"
    assert action_label("data.view") == "查阅个人信息"  # record_access without a target type
    assert action_label("no.such.action") == "no.such.action"
