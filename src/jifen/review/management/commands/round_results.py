"""manage.py round_results --year Y: the round's first results, one JSON object a line.

A public interface (the round issue ranks from it): per application with a first result (its
newest), ordered by application number,
``{"application_no", "eligible", "reasons", "total", "indicators", "rank", "admitted"}`` —
``reasons`` the result's English reasons (jifen.result/1), numbers with at most 2 decimals,
``rank`` and ``admitted`` null until the round issue fills them. Exit 1 when there is no
round of that year.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from jifen.review.models import FirstResult
from jifen.rounds.models import Round

CHUNK = 2000


def _number(value: Any) -> int | float:
    """At most 2 decimals, as a JSON number (12 → 12.0 stays a float as the engine wrote it)."""
    return round(float(value), 2)


def line_of(application_no: str, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "application_no": application_no,
        "eligible": bool(result["eligible"]),
        "reasons": list(result.get("reasons") or []),
        "total": _number(result["total"]),
        "indicators": {k: _number(v) for k, v in result["indicators"].items()},
        "rank": None,
        "admitted": None,
    }


def newest_results(rnd: Round) -> Iterator[tuple[str, dict[str, Any]]]:
    """(application number, result) of each application of ``rnd`` with a first result, its
    newest, in application-number order; streamed (a round may have a million)."""
    newest = (
        FirstResult.objects.filter(application__round=rnd)
        .values("application_id")
        .annotate(newest=Max("id"))
        .values("newest")
    )
    rows = (
        FirstResult.objects.filter(id__in=newest)
        .order_by("application__number", "application_id")
        .values_list("application__number", "result")
    )
    yield from rows.iterator(chunk_size=CHUNK)


class Command(BaseCommand):
    help = "Print the round's first results, one JSON object a line, by application number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the round's year")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        rnd = Round.objects.filter(year=year).first()
        if rnd is None:
            raise CommandError(f"没有 {year} 年度的积分落户年度", returncode=1)
        out = self.stdout
        for number, result in newest_results(rnd):
            out.write(orjson.dumps(line_of(number, result)).decode())
