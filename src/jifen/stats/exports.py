"""The statistics' downloads (XLSX), each watermarked with who exported it and when and logged
in the audit chain (``personal_data.export``): the statistics page's tables, the ad-hoc
statistics' answers and the what-if's per-applicant differences."""

from __future__ import annotations

from typing import Any

from jifen.audit.exports import watermarked_export
from jifen.core.errors import NotFound

from . import statistics_selectors as selectors
from .adhoc import Answer
from .adhoc_xlsx import answer_xlsx
from .statistics_xlsx import table_xlsx
from .whatif import WhatIf
from .whatif_xlsx import whatif_xlsx


def statistics_table_file(*, actor: Any, key: str, year: int | None) -> tuple[bytes, str]:
    """One table of the statistics page as XLSX, and its file name; NotFound for an unknown
    table."""
    table = selectors.statistics_table(actor, key, year=year)
    if table is None:
        raise NotFound("没有这张统计表")
    rnd = selectors.pick_round(year)
    subtitle = f"{rnd.year} 年度 · {selectors.round_rows(rnd).basis}" if rnd else ""
    if key == "years":
        subtitle = "历年"
    content = watermarked_export(
        actor=actor,
        what=f"stats.statistics.{key}",
        fmt="xlsx",
        rows=len(table.rows),
        build=lambda mark: table_xlsx(table, subtitle=subtitle, watermark=mark),
        target_type="rounds.round" if rnd and key != "years" else "stats.statistics",
        target_id=str(rnd.pk) if rnd and key != "years" else key,
    )
    name = f"statistics-{rnd.year if rnd and key != 'years' else 'years'}-{key}.xlsx"
    return content, name


def adhoc_file(*, actor: Any, answer: Answer) -> bytes:
    """An ad-hoc statistics answer as XLSX (hidden groups stay hidden)."""
    return watermarked_export(
        actor=actor,
        what="stats.adhoc",
        fmt="xlsx",
        rows=len(answer.rows),
        build=lambda mark: answer_xlsx(answer, watermark=mark),
        target_type="stats.adhoc",
    )


def whatif_file(*, actor: Any, outcome: WhatIf) -> bytes:
    """A what-if's outcome with the change per applicant, as XLSX."""
    return watermarked_export(
        actor=actor,
        what="stats.whatif",
        fmt="xlsx",
        rows=len(outcome.differences),
        build=lambda mark: whatif_xlsx(outcome, watermark=mark),
        target=outcome.round,
    )
