"""Fixtures shared by the whole suite. Django settings: jifen.settings.test (pyproject.toml)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (where manage.py and pyproject.toml are)."""
    return REPO_ROOT


@pytest.fixture(scope="session", autouse=True)
def _evidence_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Evidence files go to a temporary folder, never the working copy's var/ (a test that
    counts files sets its own folder)."""
    root = tmp_path_factory.mktemp("evidence")
    with override_settings(EVIDENCE_ROOT=root):
        yield root
