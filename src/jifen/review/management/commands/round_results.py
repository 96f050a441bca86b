"""manage.py round_results --year Y: the round's first results, one JSON object a line.

A public interface: per application with a first result (its newest), ordered by application
number, ``{"application_no", "eligible", "reasons", "total", "indicators", "rank", "admitted"}``
— ``reasons`` the result's English reasons (jifen.result/1), numbers with at most 2 decimals;
``rank`` (equal totals share one) and ``admitted`` (true/false) from the round's current
scoring run (``manage.py score_round`` or the bureau's run), null when the round has no
current run or the application is not ranked in it (ineligible, or incomplete at the time of
the run). Exit 1 when there is no round of that year.

``--summary`` prints one JSON object instead:
``{"applications", "scored", "eligible", "line", "admitted"}`` — with a current run, that
run's figures (applications that reached the departments, those with a complete verification,
those ranked, the line as a number with 2 decimals or null, the number admitted); without
one, ``applications`` the round's employer-submitted applications, ``scored`` and
``eligible`` counted from the first results, ``line`` and ``admitted`` null.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max, OuterRef, Subquery

from jifen.applications.models import Application, Status
from jifen.review.models import FirstResult
from jifen.rounds.models import RankedResult, Round

CHUNK = 2000


def _number(value: Any) -> int | float:
    """At most 2 decimals, as a JSON number (12 → 12.0 stays a float as the engine wrote it)."""
    return round(float(value), 2)


def line_of(
    application_no: str,
    result: dict[str, Any],
    rank: int | None = None,
    admitted: bool | None = None,
) -> dict[str, Any]:
    return {
        "application_no": application_no,
        "eligible": bool(result["eligible"]),
        "reasons": list(result.get("reasons") or []),
        "total": _number(result["total"]),
        "indicators": {k: _number(v) for k, v in result["indicators"].items()},
        "rank": rank,
        "admitted": admitted,
    }


def newest_results(
    rnd: Round,
) -> Iterator[tuple[str, dict[str, Any], int | None, bool | None]]:
    """(application number, result, rank, admitted) of each application of ``rnd`` with a
    first result, its newest, in application-number order; rank and admitted from the round's
    current run (None when unranked); streamed (a round may have a million)."""
    newest = (
        FirstResult.objects.filter(application__round=rnd)
        .values("application_id")
        .annotate(newest=Max("id"))
        .values("newest")
    )
    rows = FirstResult.objects.filter(id__in=newest).order_by(
        "application__number", "application_id"
    )
    if rnd.current_run_id is None:
        for number, result in rows.values_list("application__number", "result").iterator(
            chunk_size=CHUNK
        ):
            yield number, result, None, None
        return
    ranked = RankedResult.objects.filter(
        run_id=rnd.current_run_id, application_id=OuterRef("application_id"), status="ranked"
    )
    rows = rows.annotate(
        rank=Subquery(ranked.values("rank")[:1]),
        admitted=Subquery(ranked.values("admitted")[:1]),
    )
    for number, result, rank, admitted in rows.values_list(
        "application__number", "result", "rank", "admitted"
    ).iterator(chunk_size=CHUNK):
        yield number, result, rank, None if admitted is None else bool(admitted)


def summary(rnd: Round) -> dict[str, Any]:
    """The ``--summary`` object (see the module's docstring)."""
    run = rnd.current_run
    if run is not None:
        return {
            "applications": run.applications,
            "scored": run.scored,
            "eligible": run.eligible,
            "line": None if run.line is None else float(run.line),
            "admitted": run.admitted,
        }
    newest = (
        FirstResult.objects.filter(application__round=rnd)
        .values("application_id")
        .annotate(newest=Max("id"))
        .values("newest")
    )
    results = FirstResult.objects.filter(id__in=newest)
    return {
        "applications": Application.objects.filter(
            round=rnd, status=Status.EMPLOYER_SUBMITTED
        ).count(),
        "scored": results.count(),
        "eligible": results.filter(eligible=True).count(),
        "line": None,
        "admitted": None,
    }


class Command(BaseCommand):
    help = "Print the round's first results, one JSON object a line, by application number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the round's year")
        parser.add_argument(
            "--summary",
            action="store_true",
            help="print one JSON object with the round's figures instead of the lines",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        rnd = Round.objects.filter(year=year).first()
        if rnd is None:
            raise CommandError(f"没有 {year} 年度的积分落户年度", returncode=1)
        out = self.stdout
        if options["summary"]:
            out.write(orjson.dumps(summary(rnd)).decode())
            return
        for number, result, rank, admitted in newest_results(rnd):
            out.write(orjson.dumps(line_of(number, result, rank, admitted)).decode())
