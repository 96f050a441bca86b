"""Where a department's records come from: one interface, a file as its first adapter.

The comparison asks a :class:`RecordSource` for one kind's complete records and gets
:class:`~jifen.review.record_files.ParsedRecords`; it never knows whether they came from an
uploaded file or elsewhere. A live connection to a department's service would be one more
adapter beside :class:`FileSource`, e.g. ``HttpSource(kind, base_url, client)`` whose ``fetch``
pages through the service's records for the round, checks each one with the same per-cell checks
(turning a bad record into a :class:`~jifen.review.record_files.RowError` that names the record
instead of a line) and returns the same ``ParsedRecords``: nothing after the seam changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from jifen.rules.ruleset import RuleSet

from .record_files import KIND_COLUMNS, ParsedRecords, parse_record_file


@runtime_checkable
class RecordSource(Protocol):
    """One department's complete records of one kind for a round."""

    kind: str

    def fetch(
        self, *, rule_set: RuleSet, progress: Callable[[int, int], None] | None = None
    ) -> ParsedRecords:
        """All records of ``kind``; raises ``RecordFileError`` (every problem) when refused."""
        ...


@dataclass
class FileSource:
    """A department's file (CSV or XLSX), by path or as an open binary file."""

    path_or_file: str | Path | BinaryIO
    kind: str
    file_name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KIND_COLUMNS:
            raise ValueError(f"unknown kind of record {self.kind!r}")

    def fetch(
        self, *, rule_set: RuleSet, progress: Callable[[int, int], None] | None = None
    ) -> ParsedRecords:
        return parse_record_file(
            self.path_or_file,
            self.kind,
            rule_set=rule_set,
            file_name=self.file_name,
            progress=progress,
        )
