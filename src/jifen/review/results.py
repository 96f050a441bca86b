"""The first result (初核结果): the rules engine's score of an application's verified profile.

An application is scored when every one of its items is decided; the score, the rule set's id
and version, the English result, the Chinese explanation and the verified profile are stored
(``FirstResult``). A later decision (a reviewer overturning a comparison, a re-check) makes a
new result when it changes what the profile takes; the newest result is the application's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from jifen.applications import declaration as decl
from jifen.applications.models import Application
from jifen.rules import load_rule_set, score, to_result, validate_profile
from jifen.rules.identity import check_digit
from jifen.rules.render_zh import explanation_zh, reasons_zh

from . import notifications, records
from .kinds import KINDS
from .models import Decision, FirstResult, ItemState, VerificationItem

CHUNK = 500


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _stand_in_number(birth_date: date, sex: str) -> str:
    """A well-formed identity number with the applicant's birth date and sex.

    The engine reads the identity number only to check it against the birth date and sex;
    scoring with a stand-in spares decrypting every applicant's number (a round completes
    100,000s at once) and keeps the real one out of the stored profile.
    """
    first17 = f"110101{birth_date:%Y%m%d}00{'1' if sex == 'M' else '2'}"
    return first17 + check_digit(first17)


def _verified(
    data: dict[str, Any], *, year: int, rule_set: str, number: str, name: str, sex: str,
    birth_date: date, values: dict[str, Any],
) -> dict[str, Any]:
    declared = decl.to_profile(
        data,
        year=year,
        rule_set=rule_set,
        application_no=number,
        id_number=_stand_in_number(birth_date, sex),
        name=name,
        sex=sex,
        birth_date=birth_date.isoformat(),
    )
    return records.verified_profile(declared, values)


def score_verified(rule_set: str, profile: dict[str, Any]) -> dict[str, Any]:
    """The fields of a FirstResult for ``profile`` scored under ``rule_set``."""
    rs = load_rule_set(rule_set)
    breakdown = score(validate_profile(profile, rule_set=rs.id))
    result = to_result(breakdown)
    # Stored without the identity number: it is encrypted where it is kept (the applicant).
    stored = {**profile, "person": {k: v for k, v in profile["person"].items()
                                    if k != "id_number"}}
    return {
        "rule_set": rs.id,
        "rule_set_version": rs.version,
        "eligible": result["eligible"],
        "total": Decimal(str(result["total"])).quantize(Decimal("0.01")),
        "result": result,
        "explanation_zh": explanation_zh(breakdown),
        "reasons_zh": reasons_zh(breakdown),
        "profile": stored,
    }


def score_completed(
    application_ids: Iterable[int], *, after_recheck: bool = False
) -> list[FirstResult]:
    """Score each of ``application_ids`` whose items are all decided, unless its newest
    result already took exactly the same decisions. Returns the new results."""
    ids = sorted(set(application_ids))
    made: list[FirstResult] = []
    for chunk in _chunks(ids):
        with transaction.atomic():
            new = _score_chunk(chunk, after_recheck=after_recheck)
            # The applicants hear of it with the result (a re-check's answer tells its own).
            notifications.result_out(new)
            made.extend(new)
    return made


def _score_chunk(ids: Sequence[int], *, after_recheck: bool) -> list[FirstResult]:
    # Counted by the database: a comparison's chunk is mostly applications still waiting for
    # other kinds, whose items need not be read at all.
    complete = list(
        VerificationItem.objects.filter(application_id__in=ids)
        .values("application_id")
        .annotate(
            decided=Count(
                "id",
                filter=Q(latest_decision__isnull=False) & ~Q(state=ItemState.WAITING),
            )
        )
        .filter(decided=len(KINDS))  # one item per kind: all eleven decided
        .values_list("application_id", flat=True)
    )
    if not complete:
        return []
    items: dict[int, dict[str, int]] = {}
    for app_id, kind, decision_id in VerificationItem.objects.filter(
        application_id__in=complete
    ).values_list("application_id", "kind", "latest_decision_id"):
        items.setdefault(app_id, {})[kind] = decision_id
    newest: dict[int, dict[str, int]] = {}
    for app_id, decisions in (
        FirstResult.objects.filter(application_id__in=complete)
        .order_by("application_id", "-id")
        .values_list("application_id", "decisions")
    ):
        newest.setdefault(app_id, decisions)
    todo = []
    for app_id in complete:
        taken = items[app_id]
        if newest.get(app_id) != taken:
            todo.append((app_id, taken))
    if not todo:
        return []
    decision_ids = [d for _, taken in todo for d in taken.values()]
    values = dict(Decision.objects.filter(id__in=decision_ids).values_list("id", "value"))
    # Rows, not model instances: a round's last comparison scores 100,000s of applications.
    apps = {
        row["id"]: row
        for row in Application.objects.filter(id__in=[app_id for app_id, _ in todo]).values(
            "id", "number", "data", "round__year", "round__rule_set", "applicant__name",
            "applicant__sex", "applicant__birth_date",
        )
    }
    out = []
    for app_id, taken in todo:
        app = apps[app_id]
        profile = _verified(
            app["data"], year=app["round__year"], rule_set=app["round__rule_set"],
            number=app["number"], name=app["applicant__name"], sex=app["applicant__sex"],
            birth_date=app["applicant__birth_date"],
            values={k: values[d] for k, d in taken.items()},
        )
        out.append(
            FirstResult(
                application_id=app_id,
                after_recheck=after_recheck,
                decisions=taken,
                **score_verified(app["round__rule_set"], profile),
            )
        )
    return FirstResult.objects.bulk_create(out)


def newest_result(app: Application) -> FirstResult | None:
    return FirstResult.objects.filter(application=app).order_by("-id").first()
