"""Fixtures shared by the whole suite. Django settings: jifen.settings.test (pyproject.toml)."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (where manage.py and pyproject.toml are)."""
    return REPO_ROOT
