"""docs/security.md stays true: every control heading is there, and every pytest node id it
names exists (a renamed or removed test fails here until the page follows)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

CONTROLS = (
    "身份鉴别", "访问控制", "安全审计", "入侵防范", "数据完整性", "数据保密性",
    "数据备份恢复", "剩余信息保护", "个人信息保护",
)
# The GB/T 22239-2019 §8.1.4 items each control lists (level 3).
ITEMS = {
    "身份鉴别": "abcd", "访问控制": "abcdefg", "安全审计": "abcd", "入侵防范": "abcdef",
    "数据完整性": "ab", "数据保密性": "ab", "数据备份恢复": "abc", "剩余信息保护": "ab",
    "个人信息保护": "ab",
}
NODE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


def _test_names(path: Path) -> set[str]:
    """The test functions a module defines, at its top level or in its classes."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and node.name.startswith("test"):
            names.add(node.name)
    return names


def test_every_control_has_its_section_and_items() -> None:
    sections = _sections()
    for control in CONTROLS:
        heading = next((h for h in sections if h.startswith(control)), None)
        assert heading is not None, control
        rows = re.findall(r"^\| ([a-g])\) \|", sections[heading], flags=re.MULTILINE)
        assert "".join(rows) == ITEMS[control], control
        # each item names at least one test
        for row in re.findall(r"^\| [a-g]\) \|.*$", sections[heading], flags=re.MULTILINE):
            assert NODE.search(row), row


def test_the_deployment_section_is_there() -> None:
    assert "What the deployment provides" in _sections()


def test_every_named_test_exists() -> None:
    root = DOC.parents[1]
    named = NODE.findall(DOC.read_text(encoding="utf-8"))
    assert len(named) > 100
    missing = []
    for module, function in sorted(set(named)):
        path = root / module
        if not path.is_file() or function not in _test_names(path):
            missing.append(f"{module}::{function}")
    assert missing == []


@pytest.mark.parametrize("text", ["tests/nothing.py::test_x", "tests/security/hostile.py::nope"])
def test_a_wrong_node_id_would_be_found(text: str) -> None:
    module, function = NODE.search(text).groups()  # type: ignore[union-attr]
    path = DOC.parents[1] / module
    assert not path.is_file() or function not in _test_names(path)
