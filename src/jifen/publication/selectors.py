"""Reads of publication, objections and settlement.

The public page reads the snapshot rows only, through the cache: the key holds the year, the
publication's version (raised by every re-publication, so a new list is never served from an
old entry), the query and the page.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache as memoize
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q

from jifen.audit.services import record_access
from jifen.core.errors import NotFound
from jifen.rounds import phases
from jifen.rounds.models import RankedResult, Round

from .models import (
    ListedEntry,
    Objection,
    ObjectionState,
    Publication,
    PublicationFile,
    Settlement,
    SettlementState,
)
from .services import require_bureau

PAGE_SIZE = 50
CACHE_SECONDS = 600
QUERY_MAX = 40
ENTRY_FIELDS = (
    "rank",
    "name",
    "id_masked",
    "birth_month",
    "employer",
    "scores",
    "total",
    "application_id",
)


@dataclass(frozen=True)
class PublicState:
    """What the public page of a year shows: ``open`` (the list), ``closed`` (公示期已结束),
    ``unpublished`` (尚未公示, before the window or nothing published yet)."""

    year: int
    state: str
    round: Round | None
    publication: Publication | None

    @property
    def open(self) -> bool:
        return self.state == "open"


def public_state(year: int) -> PublicState:
    rnd = Round.objects.filter(year=year).first()
    if rnd is None:
        return PublicState(year, "unpublished", None, None)
    pub = (
        Publication.objects.filter(round=rnd)
        .only("id", "version", "rows", "line", "published_at", "round_id")
        .first()
    )
    window = phases.state_of(rnd, phases.Phase.PUBLICATION).state
    if window == "closed" and pub is not None:
        return PublicState(year, "closed", rnd, pub)
    if window != "open" or pub is None:
        return PublicState(year, "unpublished", rnd, pub)
    return PublicState(year, "open", rnd, pub)


def on_show() -> list[PublicState]:
    """The lists on show now (for the home page's link)."""
    years = Publication.objects.values_list("round__year", flat=True).order_by("-round__year")
    return [s for s in (public_state(y) for y in years) if s.open]


def _cache_key(year: int, version: int, query: str, rank: int | None, page: int) -> str:
    digest = hashlib.sha256(f"{query}\x00{rank}".encode()).hexdigest()[:24]
    return f"publication:list:{year}:v{version}:{digest}:{page}"


def public_list(
    pub: Publication, *, year: int, query: str = "", rank: int | None = None, page: int = 1
) -> dict[str, Any]:
    """One page of the published list, by name or employer fragment and/or rank (cached)."""
    # What the databases can store only (no NUL, no lone surrogate): anything else is dropped.
    query = "".join(
        ch for ch in (query or "") if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF
    ).strip()[:QUERY_MAX]
    key = _cache_key(year, pub.version, query, rank, page)
    hit = cache.get(key)
    if hit is not None:
        return hit
    rows = ListedEntry.objects.filter(publication=pub)
    if query:
        rows = rows.filter(Q(name__contains=query) | Q(employer__contains=query))
    if rank is not None:
        rows = rows.filter(rank=rank)
    paginator = Paginator(rows.order_by("position").values(*ENTRY_FIELDS), PAGE_SIZE)
    current = paginator.get_page(page)
    data = {
        "rows": [{**r, "scores": [Decimal(s) for s in r["scores"]]} for r in current.object_list],
        "count": paginator.count,
        "page": current.number,
        "num_pages": paginator.num_pages,
    }
    cache.set(key, data, CACHE_SECONDS)
    return data


def download(year: int, kind: str) -> tuple[bytes, str]:
    """A stored download of the open list (NotFound outside the window)."""
    state = public_state(year)
    if not state.open:
        raise NotFound("该年度公示名单不在公示期内")
    row = PublicationFile.objects.filter(publication=state.publication, kind=kind).first()
    if row is None:
        raise NotFound("没有该格式的下载文件")
    return bytes(row.content), f"{year}-gongshi.{kind}"


# --- the bureau's side ---------------------------------------------------------------------------


def round_of(year: int) -> Round:
    rnd = Round.objects.filter(year=year).select_related("current_run").first()
    if rnd is None:
        raise NotFound("没有该年度")
    return rnd


def objections(*, actor: Any, year: int, state: str = "") -> Any:
    require_bureau(actor)
    rows = Objection.objects.filter(round=round_of(year))
    if state in ObjectionState.values:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")


def objection_counts(rnd: Round) -> dict[str, int]:
    counts = dict(Objection.objects.filter(round=rnd).values_list("state").annotate(n=Count("id")))
    return {s: counts.get(s, 0) for s in ObjectionState.values}


def objection_detail(*, actor: Any, objection_id: int) -> Objection:
    """One objection with the filer's name and phone: the view is logged (personal data)."""
    require_bureau(actor)
    objection = (
        Objection.objects.select_related("round", "decision").filter(pk=objection_id).first()
    )
    if objection is None:
        raise NotFound("没有找到该异议")
    record_access(actor=actor, target=objection, field="filer_name,filer_phone")
    return objection


@dataclass(frozen=True)
class SettlementCounts:
    admitted: int
    settled: int
    given_up: int
    pending: int


def settlement_counts(rnd: Round) -> SettlementCounts:
    """Admitted (the published list), settled, given up and pending. A place given up stays
    counted among the admitted: it is not re-allocated."""
    pub = Publication.objects.filter(round=rnd).first()
    admitted = pub.rows if pub else 0
    listed = ListedEntry.objects.filter(publication=pub).values("application_id")
    by_state = dict(
        Settlement.objects.filter(round=rnd, application_id__in=listed)
        .values_list("state")
        .annotate(n=Count("id"))
    )
    settled = by_state.get(SettlementState.SETTLED, 0)
    given_up = by_state.get(SettlementState.GIVEN_UP, 0)
    return SettlementCounts(admitted, settled, given_up, admitted - settled - given_up)


def settlement_rows(*, actor: Any, year: int, rank: int | None = None, state: str = "") -> Any:
    """The admitted entries of the published list with their settlement (if recorded)."""
    require_bureau(actor)
    rnd = round_of(year)
    rows = ListedEntry.objects.filter(publication__round=rnd).order_by("position")
    if rank is not None:
        rows = rows.filter(rank=rank)
    if state == "pending":
        rows = rows.exclude(application__settlement__isnull=False)
    elif state in SettlementState.values:
        rows = rows.filter(application__settlement__state=state)
    return rows.select_related("application__settlement")


# --- the applicant's side ---------------------------------------------------------------------


@memoize
def next_steps() -> dict[str, Any]:
    """The settlement procedure's next steps (data/next_steps.toml): intro, steps, note."""
    return tomllib.loads((Path(__file__).parent / "data" / "next_steps.toml").read_text("utf-8"))


@dataclass(frozen=True)
class FinalResult:
    year: int
    application_id: int
    application_no: str
    rank: int | None
    total: Decimal | None
    admitted: bool
    listed: bool
    publication_state: str  # as PublicState.state
    settlement: Settlement | None
    settlement_window: str  # phases.describe()
    settlement_open: bool


def final_results(user: Any) -> list[FinalResult]:
    """The applicant's results of every round whose list is published (newest first)."""
    profile = getattr(user, "applicant", None) if user.is_authenticated else None
    if profile is None:
        return []
    out = []
    for pub in (
        Publication.objects.filter(round__applications__applicant=profile)
        .select_related("round")
        .order_by("-round__year")
    ):
        rnd = pub.round
        app = rnd.applications.filter(applicant=profile).first()
        if app is None:  # pragma: no cover - filtered above
            continue
        result = RankedResult.objects.filter(run_id=pub.run_id, application=app).first()
        listed = ListedEntry.objects.filter(publication=pub, application=app).exists()
        out.append(
            FinalResult(
                year=rnd.year,
                application_id=app.pk,
                application_no=app.number,
                rank=result.rank if result else None,
                total=result.total if result else None,
                admitted=bool(result and result.admitted),
                listed=listed,
                publication_state=public_state(rnd.year).state,
                settlement=Settlement.objects.filter(application=app).first(),
                settlement_window=phases.describe(rnd, phases.Phase.SETTLEMENT),
                settlement_open=phases.is_open(rnd, phases.Phase.SETTLEMENT),
            )
        )
    return out


def final_result_of(*, actor: Any, application_id: int) -> FinalResult:
    """The actor's own application's final result (NotFound for anyone else's)."""
    for r in final_results(actor):
        if r.application_id == application_id:
            return r
    raise NotFound("没有找到该申报的公示结果")
