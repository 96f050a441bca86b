"""Signals of duplicates and fraud (异常信号): detection.

Each detector reads one round's employer-submitted applications in a few set-based queries and
returns what it found (``Found``); ``detect_signals`` turns that into ``Signal`` rows, one per
(round, kind, key). Signals are for the reviewers: nothing here touches a decision, an item or
a score. docs/verification.md ("Signals") says what each detector looks for, its parameters
and what it cannot see.

Detection runs after every data comparison (the comparison calls ``detect_signals(round)``)
and nightly (``manage.py detect_signals --year Y`` from cron until the scheduler of a later
issue runs it).

Re-detection is idempotent: an open signal found again gets the newest evidence and members;
a handled one (dismissed or confirmed) is left as it was judged unless its members changed,
and then it is opened again (the earlier handling kept in its evidence and the audit log). A
signal no longer found stays, marked ``active=False``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    FilteredRelation,
    Func,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.functions import Cast
from django.utils import timezone

from jifen.accounts.models import Employer, User
from jifen.applications.declaration import tax_years
from jifen.applications.models import Application, Evidence, Status
from jifen.audit.services import record_event
from jifen.rounds.models import Round
from jifen.rules import load_rule_set
from jifen.rules.months import MONTH_INDEX, month_label

from .kinds import KIND_DEPARTMENT, KIND_SECTION, VERIFYING_DEPARTMENTS
from .models import Signal, SignalKind, SignalState

# ---- parameters (docs/verification.md explains each) ------------------------------------------

# same_evidence / same_phone: how many different applicants make a signal.
SAME_EVIDENCE_MIN_APPLICANTS = 2
SAME_PHONE_MIN_APPLICANTS = 2
# tax_cluster: "just above" the rule set's tax step is threshold <= amount < threshold × (1 +
# TAX_BAND_ABOVE); an employer "clusters" when at least TAX_MIN_APPLICANTS of its applicants
# have a year in that band and they are at least TAX_MIN_SHARE of its applicants with any tax.
TAX_BAND_ABOVE = Decimal("0.10")
TAX_MIN_APPLICANTS = 3
TAX_MIN_SHARE = Decimal("0.30")
# insurance_burst: at least BURST_MIN_APPLICANTS of an employer's applicants whose first insured
# month lies within BURST_WINDOW_MONTHS consecutive months, and at least BURST_MIN_SHARE of its
# applicants with any insured month.
BURST_WINDOW_MONTHS = 3
BURST_MIN_APPLICANTS = 5
BURST_MIN_SHARE = Decimal("0.50")
# records_conflict: full-time study and social insurance overlapping more than this many months.
CONFLICT_MIN_MONTHS = 3

HASH_PREFIX = 12  # hex characters of a content hash or phone fingerprint shown
LISTED = 50  # application numbers listed in a summary's evidence at most (all are members)
_BATCH = 900  # keys in one IN (...): below SQLite's bound-parameter limit


@dataclass
class Found:
    """One signal as a detector found it (before it is stored)."""

    kind: str
    key: str
    application_ids: frozenset[int]
    summary: str
    evidence: dict[str, Any]
    departments: tuple[str, ...]
    employer_id: int | None = None


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    reopened: int = 0
    total: int = 0
    open: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "updated": self.updated, "reopened": self.reopened,
                "total": self.total, "open": self.open}


# ---- shared reads ---------------------------------------------------------------------------


def _scope(rnd: Round) -> QuerySet[Application]:
    """The applications signals are about: those in verification (employer-submitted)."""
    return Application.objects.filter(round=rnd, status=Status.EMPLOYER_SUBMITTED)


def _departments(*departments: str) -> tuple[str, ...]:
    return tuple(d for d in VERIFYING_DEPARTMENTS if d in departments)


# The departments verifying each declaration section (evidence is uploaded per section).
SECTION_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    section: _departments(*(KIND_DEPARTMENT[k] for k, s in KIND_SECTION.items() if s == section))
    for section in set(KIND_SECTION.values())
}


def _chunked(keys: list[Any], query: Callable[[list[Any]], Iterable[Any]]) -> Iterator[Any]:
    """The rows of ``query(chunk)`` for ``keys`` in chunks (SQLite's bound-parameter limit)."""
    for start in range(0, len(keys), _BATCH):
        yield from query(keys[start : start + _BATCH])


def _employers(ids: Iterable[int]) -> dict[int, str]:
    return dict(Employer.objects.filter(id__in=set(ids)).values_list("id", "name"))


def _plain(amount: Decimal) -> int | str:
    """An amount for the evidence: whole yuan as an int, else its text (``"110000.50"``)."""
    return int(amount) if amount == amount.to_integral_value() else str(amount)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


# Masks count months from here (small ints: a mask of absolute month indexes is 3 KB).
_BASE = 1900 * 12


def _months_text(mask: int) -> list[str]:
    """A set of months (a ``_span`` mask) as ranges: ``2010-01～2010-12``."""
    out: list[str] = []
    m = 0
    while mask:
        if mask & 1:
            start = m
            while mask & 1:
                mask >>= 1
                m += 1
            first, last = month_label(_BASE + start), month_label(_BASE + m - 1)
            out.append(first if first == last else f"{first}～{last}")
        else:
            skip = (mask & -mask).bit_length() - 1
            mask >>= skip
            m += skip
    return out


def _rows(value: Any) -> list[Mapping[str, Any]]:
    """The records of a list-valued kind (anything else, e.g. a broken draft: none)."""
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _span(record: Mapping[str, Any]) -> int:
    """The months from..to of a record as a mask (bit m: month ``_BASE + m``); 0 when either
    end is not a month or is before 1900."""
    try:
        first, last = MONTH_INDEX[record["from"]] - _BASE, MONTH_INDEX[record["to"]] - _BASE
    except (KeyError, TypeError, ValueError):
        return 0
    if first < 0 or first > last:
        return 0
    return ((1 << (last - first + 1)) - 1) << first


class _Amount(Func):
    """A yuan amount stored as text at a path of object keys in a JSON column (``data``,
    "tax", "2023"); NULL when absent (PostgreSQL: also when not a plain number, which would
    stop the cast; SQLite's cast never fails and reads such a text as 0, i.e. no tax).

    Django's key transforms read a key such as "2023" as an array index on SQLite; this names
    every step as an object key on both databases.
    """

    output_field = DecimalField(max_digits=16, decimal_places=2)
    NUMBER = r"^[0-9]+(\.[0-9]+)?$"

    def __init__(self, expression: Any, *keys: str) -> None:
        super().__init__(expression)
        self.keys = keys

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = compiler.compile(self.source_expressions[0])
        text = f"({lhs} #>> %s)"
        path = list(self.keys)
        return (
            f"(CASE WHEN {text} ~ %s THEN ({text})::numeric END)",
            (*params, path, self.NUMBER, *params, path),
        )

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, params = compiler.compile(self.source_expressions[0])
        path = "$" + "".join("." + json.dumps(k) for k in self.keys)
        return f"CAST(JSON_EXTRACT({lhs}, %s) AS NUMERIC)", (*params, path)


def _verified_or_declared(
    rnd: Round, *kinds: str
) -> Iterator[tuple[int, int, str, tuple[Any, ...]]]:
    """(application id, employer id, number, (value of each of ``kinds``)) for each application
    in scope: a kind's value is its item's latest decision's (the verified value), or the
    declaration's section while the item is undecided.

    One streamed query: the applications left-joined to their items of ``kinds`` and those
    items' latest decisions. The JSON comes as text and is decoded here (orjson): Django's
    per-value decoding was most of the time over a round.
    """
    columns: list[str] = []
    relations: dict[str, Any] = {}
    for i, kind in enumerate(kinds):
        relations[f"item{i}"] = FilteredRelation(
            "verification_items", condition=Q(verification_items__kind=kind)
        )
        columns += [f"declared{i}", f"verified{i}"]
    texts = {}
    for i, kind in enumerate(kinds):
        texts[f"declared{i}"] = Cast(f"data__{KIND_SECTION[kind]}", TextField())
        texts[f"verified{i}"] = Cast(f"item{i}__latest_decision__value", TextField())
    rows = (
        _scope(rnd).annotate(**relations).annotate(**texts)
        .values_list("id", "employer_id", "number", *columns)
        .order_by()
    )
    for app_id, employer_id, number, *values in rows.iterator(chunk_size=5000):
        yield app_id, employer_id, number, tuple(
            _json(values[2 * i + 1]) if values[2 * i + 1] is not None
            else _json(values[2 * i]) or []
            for i in range(len(kinds))
        )


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


# ---- 1. the same evidence file under different applicants -----------------------------------


def detect_same_evidence(rnd: Round) -> list[Found]:
    files = Evidence.objects.filter(
        application__round=rnd, application__status=Status.EMPLOYER_SUBMITTED
    )
    # Two steps, the hashes first: a planner with stale statistics (just after a bulk import)
    # turns "IN (the grouped subquery)" into a nested loop of minutes.
    shared = list(
        files.values("sha256")
        .annotate(applicants=Count("application__applicant", distinct=True))
        .filter(applicants__gte=SAME_EVIDENCE_MIN_APPLICANTS)
        .values_list("sha256", flat=True)
        .order_by()
    )
    groups: dict[str, dict[str, Any]] = {}
    for sha, app_id, number, employer_id, section, size in _chunked(
        shared,
        lambda chunk: files.filter(sha256__in=chunk).values_list(
            "sha256", "application_id", "application__number", "application__employer_id",
            "section", "size",
        ).order_by("sha256", "application__number", "id"),
    ):
        g = groups.setdefault(sha, {"apps": {}, "employers": set(), "sections": set(),
                                    "files": 0, "size": size})
        g["apps"][app_id] = number
        g["employers"].add(employer_id)
        g["sections"].add(section)
        g["files"] += 1
    names = _employers(e for g in groups.values() for e in g["employers"])
    found = []
    for sha, g in groups.items():
        numbers = sorted(g["apps"].values())
        employers = sorted(g["employers"])
        departments = _departments(
            *(d for s in g["sections"] for d in SECTION_DEPARTMENTS.get(s, ()))
        ) or VERIFYING_DEPARTMENTS
        same_employer = len(employers) == 1
        found.append(Found(
            kind=SignalKind.SAME_EVIDENCE,
            key=sha,
            application_ids=frozenset(g["apps"]),
            summary=(
                f"同一份证明材料（内容指纹 {sha[:HASH_PREFIX]}）"
                f"出现在 {len(numbers)} 名申请人的申报中"
                + ("（同一用人单位）" if same_employer else f"（{len(employers)} 家用人单位）")
            ),
            evidence={
                "sha256_prefix": sha[:HASH_PREFIX],
                "size": g["size"],
                "files": g["files"],
                "sections": sorted(g["sections"]),
                "applicants": len(numbers),
                "applications": numbers[:LISTED],
                "employers": [{"id": e, "name": names.get(e, "")} for e in employers],
                "same_employer": same_employer,
            },
            departments=departments,
            employer_id=employers[0] if same_employer else None,
        ))
    return found


# ---- 2. the same phone number on several applicants ------------------------------------------


def _masked_phones(indexes: Iterable[str]) -> dict[str, str]:
    """One masked number per phone index (one user decrypted per group)."""
    out: dict[str, str] = {}
    for user in User.objects.filter(phone_index__in=set(indexes)).only("phone", "phone_index"):
        if user.phone_index not in out:
            out[user.phone_index] = user.phone_masked
    return out


def detect_same_phone(rnd: Round) -> list[Found]:
    apps = _scope(rnd).exclude(applicant__user__phone_index="")
    shared = list(
        apps.values("applicant__user__phone_index")
        .annotate(applicants=Count("applicant", distinct=True))
        .filter(applicants__gte=SAME_PHONE_MIN_APPLICANTS)
        .values_list("applicant__user__phone_index", flat=True)
        .order_by()
    )
    groups: dict[str, dict[int, tuple[str, int]]] = defaultdict(dict)
    for index, app_id, number, employer_id in _chunked(
        shared,
        lambda chunk: apps.filter(applicant__user__phone_index__in=chunk).values_list(
            "applicant__user__phone_index", "id", "number", "employer_id"
        ).order_by("applicant__user__phone_index", "number"),
    ):
        groups[index][app_id] = (number, employer_id)
    names = _employers(e for g in groups.values() for _, e in g.values())
    masked = _masked_phones(groups)
    found = []
    for index, members in groups.items():
        numbers = sorted(n for n, _ in members.values())
        employers = sorted({e for _, e in members.values()})
        phone = masked.get(index, "")
        found.append(Found(
            kind=SignalKind.SAME_PHONE,
            key=index,
            application_ids=frozenset(members),
            summary=f"手机号码 {phone} 为 {len(numbers)} 名申请人共用",
            evidence={
                "phone_masked": phone,
                "phone_fingerprint": index[:HASH_PREFIX],
                "applicants": len(numbers),
                "applications": numbers[:LISTED],
                "employers": [{"id": e, "name": names.get(e, "")} for e in employers],
            },
            # Who an applicant is concerns every department that verifies their records.
            departments=VERIFYING_DEPARTMENTS,
            employer_id=employers[0] if len(employers) == 1 else None,
        ))
    return found


# ---- 3. declared tax clustering just above the rule set's step -------------------------------


def tax_band(rnd: Round) -> tuple[Decimal, Decimal]:
    """[low, high): "just above" the round's rule set's tax step (its ``threshold_yuan``)."""
    low = Decimal(str(load_rule_set(rnd.rule_set).tax_threshold))
    return low, (low * (1 + TAX_BAND_ABOVE)).quantize(Decimal("0.01"))


def detect_tax_cluster(rnd: Round) -> list[Found]:
    low, high = tax_band(rnd)
    years = tax_years(rnd.year, load_rule_set(rnd.rule_set))
    amounts = {f"a{i}": _Amount("data", "tax", y) for i, y in enumerate(years)}
    has_tax = Q()
    in_band = Q()
    for name in amounts:
        has_tax |= Q(**{f"{name}__gt": 0})
        in_band |= Q(**{f"{name}__gte": low, f"{name}__lt": high})
    apps = _scope(rnd).annotate(**amounts)
    clusters = {
        employer_id: (with_tax, banded)
        for employer_id, with_tax, banded in (
            apps.values("employer_id")
            .annotate(with_tax=Count("id", filter=has_tax), banded=Count("id", filter=in_band))
            .filter(banded__gte=TAX_MIN_APPLICANTS)
            .values_list("employer_id", "with_tax", "banded")
            .order_by()
        )
        if banded * 100 >= with_tax * TAX_MIN_SHARE * 100
    }
    if not clusters:
        return []
    members: dict[int, dict[int, str]] = defaultdict(dict)
    per_year: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(years, 0))
    for app_id, employer_id, number, *values in (
        apps.filter(in_band, employer_id__in=list(clusters))
        .values_list("id", "employer_id", "number", *amounts)
        .order_by("number")
    ):
        members[employer_id][app_id] = number
        for year, value in zip(years, values, strict=True):
            if value is not None and low <= value < high:
                per_year[employer_id][year] += 1
    names = _employers(clusters)
    found = []
    for employer_id, (with_tax, banded) in clusters.items():
        numbers = sorted(members[employer_id].values())
        name = names.get(employer_id, "")
        found.append(Found(
            kind=SignalKind.TAX_CLUSTER,
            key=f"employer:{employer_id}",
            application_ids=frozenset(members[employer_id]),
            summary=(
                f"{name}：申报纳税的 {with_tax} 名申请人中有 {banded} 名"
                f"（{_percent(banded, with_tax)}%）某年度纳税额在 "
                f"{low:,.0f}～{high:,.0f} 元之间（刚过分档线）"
            ),
            evidence={
                "employer": {"id": employer_id, "name": name},
                "threshold": _plain(low),
                "band": [_plain(low), _plain(high)],
                "applicants_with_tax": with_tax,
                "applicants_in_band": banded,
                "share_percent": _percent(banded, with_tax),
                "years": per_year[employer_id],
                "applications": numbers[:LISTED],
                "min_applicants": TAX_MIN_APPLICANTS,
                "min_share_percent": int(TAX_MIN_SHARE * 100),
            },
            departments=(KIND_DEPARTMENT["tax"],),
            employer_id=employer_id,
        ))
    return found


# ---- 4. insurance started in a burst --------------------------------------------------------


def _best_window(starts: list[tuple[int, int]]) -> tuple[int, int, list[int]]:
    """The window of BURST_WINDOW_MONTHS months holding most first months (earliest on a tie):
    (first month, last month, application ids). ``starts``: (month, app id) sorted."""
    best: tuple[int, int, list[int]] = (0, 0, [])
    j = 0
    for i, (month, _) in enumerate(starts):
        while j < len(starts) and starts[j][0] < month + BURST_WINDOW_MONTHS:
            j += 1
        if j - i > len(best[2]):
            best = (month, month + BURST_WINDOW_MONTHS - 1, [a for _, a in starts[i:j]])
    return best


def detect_insurance_burst(rnd: Round) -> list[Found]:
    starts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    numbers: dict[int, str] = {}
    for app_id, employer_id, number, (records,) in _verified_or_declared(
        rnd, "social_insurance"
    ):
        first = None
        for r in _rows(records):
            if _span(r):
                month = MONTH_INDEX[r["from"]]
                first = month if first is None else min(first, month)
        if first is not None:
            starts[employer_id].append((first, app_id))
            numbers[app_id] = number
    candidates = []
    for employer_id, rows in starts.items():
        if len(rows) < BURST_MIN_APPLICANTS:
            continue
        rows.sort()
        first, last, ids = _best_window(rows)
        if len(ids) >= BURST_MIN_APPLICANTS and len(ids) * 100 >= len(rows) * BURST_MIN_SHARE * 100:
            candidates.append((employer_id, len(rows), first, last, ids))
    names = _employers(c[0] for c in candidates)
    found = []
    for employer_id, insured, first, last, ids in candidates:
        name = names.get(employer_id, "")
        window = f"{month_label(first)}～{month_label(last)}"
        listed = sorted(numbers[a] for a in ids)
        found.append(Found(
            kind=SignalKind.INSURANCE_BURST,
            key=f"employer:{employer_id}",
            application_ids=frozenset(ids),
            summary=(
                f"{name}：有社会保险记录的 {insured} 名申请人中有 {len(ids)} 名"
                f"（{_percent(len(ids), insured)}%）在 {window} 首次参保"
            ),
            evidence={
                "employer": {"id": employer_id, "name": name},
                "window": [month_label(first), month_label(last)],
                "applicants_insured": insured,
                "applicants_in_window": len(ids),
                "share_percent": _percent(len(ids), insured),
                "applications": listed[:LISTED],
                "window_months": BURST_WINDOW_MONTHS,
                "min_applicants": BURST_MIN_APPLICANTS,
                "min_share_percent": int(BURST_MIN_SHARE * 100),
            },
            departments=(KIND_DEPARTMENT["social_insurance"],),
            employer_id=employer_id,
        ))
    return found


# ---- 5. records of two departments contradicting each other ----------------------------------


def detect_records_conflict(rnd: Round) -> list[Found]:
    """Full-time study (education) overlapping insured months (social insurance)."""
    found = []
    for app_id, employer_id, number, (education, insurance) in _verified_or_declared(
        rnd, "education", "social_insurance"
    ):
        full_time = [r for r in _rows(education) if r.get("full_time") is True and _span(r)]
        if not full_time:
            continue
        study = insured = 0
        for r in full_time:
            study |= _span(r)
        for r in _rows(insurance):
            insured |= _span(r)
        overlap = study & insured
        months = overlap.bit_count()
        if months <= CONFLICT_MIN_MONTHS:
            continue
        ranges = _months_text(overlap)
        found.append(Found(
            kind=SignalKind.RECORDS_CONFLICT,
            key=f"application:{app_id}:study-insured",
            application_ids=frozenset([app_id]),
            summary=(
                f"申请 {number}：全日制学习期间有 {months} 个月同时缴纳社会保险"
                f"（{'、'.join(ranges[:3])}{'等' if len(ranges) > 3 else ''}）"
            ),
            evidence={
                "application": number,
                "overlap_months": months,
                "months": ranges,
                "education": [
                    {"level": r.get("level") or "", "from": r["from"], "to": r["to"]}
                    for r in full_time
                ],
                "min_months": CONFLICT_MIN_MONTHS + 1,
            },
            departments=_departments(KIND_DEPARTMENT["education"],
                                     KIND_DEPARTMENT["social_insurance"]),
            employer_id=employer_id,
        ))
    return found


DETECTORS = {
    SignalKind.SAME_EVIDENCE: detect_same_evidence,
    SignalKind.SAME_PHONE: detect_same_phone,
    SignalKind.TAX_CLUSTER: detect_tax_cluster,
    SignalKind.INSURANCE_BURST: detect_insurance_burst,
    SignalKind.RECORDS_CONFLICT: detect_records_conflict,
}
assert list(DETECTORS) == list(SignalKind.values)


# ---- storing what was found -----------------------------------------------------------------

def _encode(departments: Iterable[str]) -> str:
    return "|" + "|".join(departments) + "|"


def _members(signal_ids: list[int]) -> dict[int, set[int]]:
    through = Signal.applications.through
    out: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(signal_ids), _BATCH):
        for signal_id, app_id in through.objects.filter(
            signal_id__in=signal_ids[start : start + _BATCH]
        ).values_list("signal_id", "application_id"):
            out[signal_id].add(app_id)
    return out


def _set_members(changes: dict[int, tuple[set[int], frozenset[int]]]) -> None:
    """Replace the members of signals: {signal id: (old, new)}."""
    through = Signal.applications.through
    remove = [(s, a) for s, (old, new) in changes.items() for a in old - new]
    add = [through(signal_id=s, application_id=a)
           for s, (old, new) in changes.items() for a in sorted(new - old)]
    by_signal: dict[int, list[int]] = defaultdict(list)
    for s, a in remove:
        by_signal[s].append(a)
    for s, apps in by_signal.items():
        for start in range(0, len(apps), _BATCH):
            through.objects.filter(
                signal_id=s, application_id__in=apps[start : start + _BATCH]
            ).delete()
    through.objects.bulk_create(add, batch_size=_BATCH)


def _sync(
    rnd: Round, kind: str, found: list[Found], *, now: datetime, reopened: list[Any]
) -> Counts:
    """Store what a detector found; the signals opened again are added to ``reopened``
    (signal, before, after) for their audit events."""
    counts = Counts()
    existing = {s.key: s for s in Signal.objects.filter(round=rnd, kind=kind)}
    members = _members([s.pk for s in existing.values()])
    fresh = [f for f in found if f.key not in existing]
    made = Signal.objects.bulk_create(
        [
            Signal(round=rnd, kind=kind, key=f.key, employer_id=f.employer_id,
                   summary=f.summary[:300], evidence=f.evidence,
                   departments=_encode(f.departments), detected_at=now)
            for f in fresh
        ],
        batch_size=500,
    )
    if made and made[0].pk is None:  # a backend that does not return ids
        made = list(Signal.objects.filter(round=rnd, kind=kind, key__in=[f.key for f in fresh]))
    by_key = {s.key: s for s in made}
    changes: dict[int, tuple[set[int], frozenset[int]]] = {
        by_key[f.key].pk: (set(), f.application_ids) for f in fresh
    }
    counts.new = len(made)
    seen: list[int] = []  # found again: only its detection time changes
    updated: list[Signal] = []  # found again with something else changed (few)
    for f in found:
        signal = existing.get(f.key)
        if signal is None:
            continue
        seen.append(signal.pk)
        old = members.get(signal.pk, set())
        changed = old != f.application_ids
        evidence = f.evidence
        if signal.state == SignalState.OPEN and "previously" in signal.evidence:
            evidence = {**evidence, "previously": signal.evidence["previously"]}
        if signal.state != SignalState.OPEN and changed:
            # Someone new is in it: what was judged is no longer the whole signal.
            previous = {
                "state": signal.state, "note": signal.note,
                "handled_by": signal.handled_by.username if signal.handled_by_id else "",
                "handled_at": signal.handled_at.isoformat() if signal.handled_at else "",
            }
            reopened.append((signal, {"signal_state": signal.state},
                             {"signal_state": SignalState.OPEN,
                              "applications": len(f.application_ids)}))
            signal.state, signal.note = SignalState.OPEN, ""
            signal.handled_by, signal.handled_at = None, None
            evidence = {**f.evidence, "previously": previous}
            counts.reopened += 1
        if signal.state != SignalState.OPEN:
            continue  # handled, same members: left as it was judged
        summary, departments = f.summary[:300], _encode(f.departments)
        if (changed or signal.evidence != evidence or signal.summary != summary
                or signal.employer_id != f.employer_id or signal.departments != departments):
            counts.updated += 1
            signal.summary, signal.evidence = summary, evidence
            signal.employer_id, signal.departments = f.employer_id, departments
            updated.append(signal)
        if changed:
            changes[signal.pk] = (old, f.application_ids)
    Signal.objects.bulk_update(
        updated,
        ["state", "note", "handled_by", "handled_at", "summary", "evidence", "employer",
         "departments"],
        batch_size=500,
    )
    for start in range(0, len(seen), _BATCH):
        Signal.objects.filter(pk__in=seen[start : start + _BATCH]).update(
            active=True, detected_at=now
        )
    gone = [s.pk for key, s in existing.items() if key not in {f.key for f in found} and s.active]
    for start in range(0, len(gone), _BATCH):
        Signal.objects.filter(pk__in=gone[start : start + _BATCH]).update(active=False)
    _set_members(changes)
    totals = Signal.objects.filter(round=rnd, kind=kind).aggregate(
        total=Count("id"), open=Count("id", filter=Q(state=SignalState.OPEN))
    )
    counts.total, counts.open = totals["total"], totals["open"]
    return counts


@transaction.atomic
def detect_signals(
    rnd: Round, *, actor: Any = None, now: datetime | None = None
) -> dict[str, dict[str, int]]:
    """Run every detector on ``rnd`` and store what they found; returns per kind the counts
    ``{new, updated, reopened, total, open}``. One detection of a round at a time (the round's
    row is locked until it ends); never changes an item, a decision or a score."""
    now = now or timezone.now()
    Round.objects.select_for_update().filter(pk=rnd.pk).first()
    out: dict[str, dict[str, int]] = {}
    reopened: list[Any] = []
    for kind, detect in DETECTORS.items():
        out[kind.value] = _sync(rnd, kind, detect(rnd), now=now, reopened=reopened).as_dict()
    # The audit events last: recording one locks the log's chain until the transaction ends.
    for signal, before, after in reopened:
        record_event(actor=actor, action="signal.reopen", target=signal, before=before,
                     after=after)
    record_event(
        actor=actor, action="signal.detect", target=rnd,
        after={"year": rnd.year, "new_signals": sum(c["new"] for c in out.values()),
               "open_signals": sum(c["open"] for c in out.values())},
    )
    return out
