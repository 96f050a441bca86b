"""The import graph the design guide asks for, checked on the source: who may import whom.

A cycle or a layer reaching upwards is easy to add and hard to see in review; these tests name
the module and the import that broke the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "jifen"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (relative imports resolved), at any depth of the file."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module


def _sources(package: str) -> list[Path]:
    return sorted(
        p for p in (SRC / package).rglob("*.py") if "migrations" not in p.relative_to(SRC).parts
    )


def _offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{_module_name(path)} imports {name}"
        for path in _sources(package)
        for name in _imports(path)
        if name == forbidden or name.startswith(forbidden)
    ]


def test_the_rules_engine_imports_no_django_and_nothing_else_of_ours() -> None:
    others = tuple(
        f"jifen.{p.name}" for p in SRC.iterdir() if p.is_dir() and p.name not in ("rules",)
    )
    assert _offending("rules", ("django", *others)) == []


def test_the_audit_log_does_not_import_the_apps_that_write_to_it() -> None:
    # accounts, applications ... import jifen.audit to record events; the other way round would
    # be the import circle the review found (audit.selectors imported accounts.roles).
    apps = ("jifen.accounts", "jifen.applications", "jifen.rounds", "jifen.api", "jifen.web",
            "jifen.demo")
    assert _offending("audit", apps) == []


def test_core_imports_none_of_the_apps() -> None:
    apps = ("jifen.accounts", "jifen.applications", "jifen.audit", "jifen.rounds", "jifen.api",
            "jifen.web", "jifen.demo")
    assert _offending("core", apps) == []


def test_forms_do_not_import_views() -> None:
    found = [
        f"{_module_name(path)} imports {name}"
        for path in SRC.rglob("forms*.py")
        for name in _imports(path)
        if ".views" in name or name.endswith("views")
    ]
    assert found == []


def test_nothing_but_the_demo_imports_the_demo() -> None:
    # Production settings leave the demo app out; code that needs it would fail there.
    found = [
        f"{_module_name(path)} imports {name}"
        for path in SRC.rglob("*.py")
        if "demo" not in path.relative_to(SRC).parts[:1]
        for name in _imports(path)
        if name.startswith("jifen.demo")
    ]
    assert found == []


@pytest.mark.parametrize("exception", ["NotFound", "NotPermitted", "NotAuthenticated"])
def test_page_views_leave_refusals_to_the_one_mapping(exception: str) -> None:
    """Views catch only what they show on the page; NotFound/NotPermitted reach
    ServiceErrorMiddleware (the applicant's start button is the one deliberate exception: no
    round to start is a message on the status page, not a 404)."""
    allowed = {("jifen.applications.views.applicant", "NotFound")}
    found = []
    for path in [*SRC.rglob("views/*.py"), *SRC.rglob("views.py"), *SRC.rglob("*_views.py")]:
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                names |= {n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)}
                if exception in names and (module, exception) not in allowed:
                    found.append(f"{module}:{node.lineno} catches {exception}")
    assert found == []


def test_applications_do_not_import_verification() -> None:
    # Verification builds on applications; applications announce through jifen.applications.events.
    assert _offending("applications", ("jifen.review",)) == []


def test_verification_record_logic_is_pure_python() -> None:
    pure = ("kinds", "records", "record_files", "sources")
    offending = [
        f"{_module_name(path)} imports {name}"
        for path in _sources("review")
        if path.stem in pure
        for name in _imports(path)
        if name.startswith("django") or (name.startswith("jifen.") and not name.startswith(
            ("jifen.rules", "jifen.core.roles", "jifen.review.kinds", "jifen.review.records",
             "jifen.review.record_files")))
    ]
    assert offending == []
