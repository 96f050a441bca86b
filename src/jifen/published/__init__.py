"""The published lists of settled applicants, and profiles rebuilt from them.

Pure Python (no Django): the lists are read from ``../shared/data`` and turned into
synthetic ``jifen.profile/1`` inputs whose scores reproduce the published components.
"""

from .rebuild import (
    INDICATORS,
    RebuildError,
    Row,
    TotalRow,
    data_dir,
    read_published_2020,
    read_totals,
    rebuild_all,
    rebuild_profile,
)

__all__ = [
    "INDICATORS",
    "RebuildError",
    "Row",
    "TotalRow",
    "data_dir",
    "read_published_2020",
    "read_totals",
    "rebuild_all",
    "rebuild_profile",
]
