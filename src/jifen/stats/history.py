"""History: a past round's published list (公示名单) imported as a round of its own.

``manage.py import_published --year Y FILE.csv`` reads a list in the format of
``../shared/data/`` (``rank,birth_month,total`` or, like 2020, with the ten indicator columns
before the total), and stores it as a round with ``source = "published"`` and one finished
``ScoringRun(kind="published")`` whose ``RankedResult`` rows are the list's rows. Rank,
admitted and the line are computed by the round's ranking rule (the rule set's ``[ranking]``
with the round's quota), not copied from the file: that the published lines come out again is
the check. What Beijing published each year (line, admitted, applicants) is data in
``history_published.toml``.

Importing a year again replaces its list in one transaction (the command is idempotent); a
year that has a live round (run in this system) is refused. A bad file names the line and
the column and imports nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.errors import Conflict, FieldError, InvalidInput
from jifen.rounds.models import RankedResult, Round, RunState, ScoringRun
from jifen.rules import INDICATORS
from jifen.rules.ranking import Candidate, rank
from jifen.rules.ruleset import RuleSetError, load_rule_set, rule_set_name_for_year

TOTALS_COLUMNS = ("rank", "birth_month", "total")
FULL_COLUMNS = ("rank", "birth_month", *INDICATORS, "total")
_MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")
_POINTS = re.compile(r"^-?\d{1,3}(\.\d{1,2})?$")
_BEIJING = ZoneInfo("Asia/Shanghai")
# Rows written per INSERT (a year is about 6,000 rows).
_BATCH = 2000


@dataclass(frozen=True, slots=True)
class PublishedFigures:
    """What was published for a year (history_published.toml)."""

    year: int
    line: Decimal | None
    admitted: int | None
    applicants: int | None
    reference: str


@cache
def published_figures() -> dict[int, PublishedFigures]:
    """Every year's published line, admitted count and applicants, by year."""
    text = resources.files(__package__).joinpath("history_published.toml").read_text("utf-8")
    data = tomllib.loads(text)
    out = {}
    for key, row in data["years"].items():
        year = int(key)
        out[year] = PublishedFigures(
            year=year,
            line=Decimal(row["line"]) if "line" in row else None,
            admitted=row.get("admitted"),
            applicants=row.get("applicants"),
            reference=str(row.get("reference", "")),
        )
    return out


@dataclass(frozen=True, slots=True)
class PublishedRow:
    rank: int  # the list's own rank (the application number is made from it)
    birth_month: str
    total_cents: int
    indicators: dict[str, float]  # empty for a totals-only list


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    year: int
    rows: int
    line: Decimal | None
    admitted: int
    warnings: tuple[str, ...]  # Chinese, for the command's output
    round: Round
    run: ScoringRun

    def as_json(self) -> dict[str, Any]:
        """The command's last line: ``{"year", "rows", "line", "admitted"}``."""
        return {
            "year": self.year,
            "rows": self.rows,
            "line": None if self.line is None else float(self.line),
            "admitted": self.admitted,
        }


def _cell_error(line: int, column: int, name: str, message: str) -> InvalidInput:
    text = f"第 {line} 行第 {column} 列（{name}）：{message}"
    return InvalidInput(f"文件有误，未导入：{text}", errors=[FieldError(f"{line}:{name}", text)])


def _cents(text: str, line: int, column: int, name: str) -> int:
    value = text.strip()
    if not _POINTS.match(value):
        raise _cell_error(line, column, name, f"应为最多两位小数的分数，填写的是“{text}”")
    try:
        return int(Decimal(value) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise _cell_error(line, column, name, f"不是数字：“{text}”") from None


def parse_published(text: str) -> list[PublishedRow]:
    """The rows of a published list; ``InvalidInput`` naming the line and column otherwise.

    Line numbers count the header as line 1, as a spreadsheet does.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise InvalidInput("文件为空，未导入", field="file")
    header = [h.strip() for h in header]
    if tuple(header) not in (TOTALS_COLUMNS, FULL_COLUMNS):
        raise InvalidInput(
            "第 1 行（表头）应为 "
            + ",".join(TOTALS_COLUMNS)
            + " 或 "
            + ",".join(FULL_COLUMNS)
            + f"，实际为 {','.join(header)}，未导入",
            field="1:header",
        )
    full = len(header) == len(FULL_COLUMNS)
    rows: list[PublishedRow] = []
    seen: dict[int, int] = {}
    for line, record in enumerate(reader, start=2):
        if not record or all(not cell.strip() for cell in record):
            continue  # a blank line (e.g. at the end)
        if len(record) != len(header):
            raise InvalidInput(
                f"文件有误，未导入：第 {line} 行应有 {len(header)} 列，实际为 {len(record)} 列",
                field=f"{line}:columns",
            )
        rank_text = record[0].strip()
        if not rank_text.isdigit() or int(rank_text) < 1:
            raise _cell_error(line, 1, "rank", f"应为正整数，填写的是“{record[0]}”")
        row_rank = int(rank_text)
        if row_rank in seen:
            raise _cell_error(line, 1, "rank", f"名次 {row_rank} 与第 {seen[row_rank]} 行重复")
        seen[row_rank] = line
        month = record[1].strip()
        if not _MONTH.match(month):
            raise _cell_error(line, 2, "birth_month", f"应为 YYYY-MM，填写的是“{record[1]}”")
        indicators: dict[str, float] = {}
        if full:
            parts = 0
            for offset, code in enumerate(INDICATORS):
                cents = _cents(record[2 + offset], line, 3 + offset, code)
                parts += cents
                indicators[code] = cents / 100
        total_col = len(header)
        total = _cents(record[-1], line, total_col, "total")
        if full and parts != total:
            raise _cell_error(
                line,
                total_col,
                "total",
                f"总分 {total / 100:.2f} 不等于各项之和 {parts / 100:.2f}",
            )
        rows.append(PublishedRow(row_rank, month, total, indicators))
    if not rows:
        raise InvalidInput("文件中没有数据行，未导入", field="file")
    return rows


def _past_windows(year: int) -> dict[str, datetime]:
    """The declaration window of a past round (January of its year); the other phases follow
    from the default schedule and all end within that year."""
    return {
        "declaration_opens": datetime(year, 1, 1, tzinfo=_BEIJING),
        "declaration_closes": datetime(year, 1, 31, 23, 59, tzinfo=_BEIJING),
    }


def _warnings(year: int, rows: int, line: Decimal | None, admitted: int) -> list[str]:
    figures = published_figures().get(year)
    if figures is None:
        return [f"注意：没有 {year} 年度公布的分数线和落户人数，无法核对。"]
    out = []
    if figures.admitted is not None and rows < figures.admitted:
        out.append(
            f"注意：{year} 年度公布的落户人数为 {figures.admitted:,} 人，文件只有 {rows:,} 行"
            f"（缺 {figures.admitted - rows:,} 行），以下分数线和人数按文件计算。"
        )
    elif figures.admitted is not None and admitted != figures.admitted:
        out.append(
            f"注意：按文件计算的落户人数 {admitted:,} 与公布的 {figures.admitted:,} 不一致。"
        )
    if figures.line is not None and line is not None and line != figures.line:
        out.append(f"注意：按文件计算的分数线 {line} 与公布的 {figures.line} 不一致。")
    return out


@transaction.atomic
def import_published(*, actor: Any, year: int, text: str, source_name: str = "") -> ImportOutcome:
    """Import (or re-import, replacing) ``year``'s published list from the CSV ``text``."""
    this_year = timezone.localdate().year
    if year < 2000 or year > this_year:
        raise InvalidInput(f"年度应在 2000 至 {this_year} 之间，填写的是 {year}", field="year")
    try:
        rule_set_name = rule_set_name_for_year(year)
    except RuleSetError as exc:
        raise InvalidInput(f"{year} 年度没有适用的积分规则", field="year") from exc
    rows = parse_published(text)
    rs = load_rule_set(rule_set_name)
    figures = published_figures().get(year)

    rnd = Round.objects.select_for_update().filter(year=year).first()
    if rnd is not None and rnd.source != "published":
        raise Conflict(f"{year} 年度是本系统办理的年度，不能用公布名单覆盖", field="year")
    replaced = rnd is not None
    if rnd is None:
        rnd = Round(year=year, source="published", **_past_windows(year))
    rnd.rule_set = rule_set_name
    rnd.quota = rs.ranking.quota or rs.quota or 0
    rnd.applicants_reported = figures.applicants if figures else None
    rnd.current_run = None
    rnd.save()
    old_runs = list(rnd.runs.values_list("pk", flat=True))
    rnd.runs.all().delete()  # the previous import's rows go with it (same transaction)

    rule = rs.ranking.with_quota(rnd.quota)
    width = max(6, len(str(max(r.rank for r in rows))))
    by_no = {str(r.rank).zfill(width): r for r in rows}
    outcome = rank(
        (
            Candidate(no, r.total_cents, rule.tie_values({"indicators": r.indicators}))
            for no, r in by_no.items()
        ),
        rule,
    )
    line = None if outcome.line_cents is None else Decimal(outcome.line_cents) / 100
    now = timezone.now()
    run = ScoringRun.objects.create(
        round=rnd,
        kind="published",
        state=RunState.DONE,
        started_by=actor,
        rule_set=rs.id,
        rule_set_version=rs.version,
        quota=rnd.quota,
        stage="done",
        total=len(rows),
        done=len(rows),
        applications=len(rows),
        scored=len(rows),
        eligible=len(rows),
        line=line,
        admitted=outcome.admitted,
        summary={
            "applications": len(rows),
            "scored": len(rows),
            "eligible": len(rows),
            "line": None if line is None else float(line),
            "admitted": outcome.admitted,
        },
        started_at=now,
        finished_at=now,
    )
    RankedResult.objects.bulk_create(
        (
            RankedResult(
                run=run,
                application=None,
                application_no=entry.application_no,
                position=position,
                status="ranked",
                eligible=True,
                total=Decimal(entry.total_cents) / 100,
                indicators=by_no[entry.application_no].indicators,
                rank=entry.rank,
                admitted=entry.admitted,
                birth_month=by_no[entry.application_no].birth_month,
            )
            for position, entry in enumerate(outcome.entries, start=1)
        ),
        batch_size=_BATCH,
    )
    rnd.current_run = run
    rnd.save(update_fields=["current_run"])
    record_event(
        actor=actor,
        action="round.import_published",
        target=rnd,
        after={
            "year": year,
            "rows": len(rows),
            "line": None if line is None else str(line),
            "admitted": outcome.admitted,
            "file": Path(source_name).name if source_name else "",
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "replaced_runs": old_runs,
        },
        detail="replaced" if replaced else "",
    )
    return ImportOutcome(
        year=year,
        rows=len(rows),
        line=line,
        admitted=outcome.admitted,
        warnings=tuple(_warnings(year, len(rows), line, outcome.admitted)),
        round=rnd,
        run=run,
    )


def shipped_lists() -> list[tuple[int, Path]]:
    """The published lists found in the shared data folder, by year (for the demo)."""
    from jifen.published.rebuild import data_dir

    folder = data_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("beijing-settled-*.csv")):
        m = re.match(r"beijing-settled-(\d{4})(-totals)?\.csv$", path.name)
        if m:
            found.append((int(m.group(1)), path))
    return found


def import_shipped_lists(*, actor: Any = None) -> list[ImportOutcome]:
    """Import each shipped list whose year has no round yet (quick when all are there)."""
    done = set(Round.objects.values_list("year", flat=True))
    out = []
    for year, path in shipped_lists():
        if year not in done:
            out.append(
                import_published(
                    actor=actor,
                    year=year,
                    text=path.read_text(encoding="utf-8"),
                    source_name=str(path),
                )
            )
    return out
