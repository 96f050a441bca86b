"""Scoring a chunk of verified profiles for a scoring run: pure Python, no database.

A scoring run reads rows ``(application id, application number, first result id, verified
profile as JSON text)`` and hands chunks of them to :func:`score_chunk`, in worker processes
when the round is large. The verified profile is stored without the identity number (it is
encrypted where it is kept); the engine reads that number only to check it against the birth
date and sex, so a well-formed stand-in with the same birth date and sex is put in its place
(as ``review.results`` does when it makes the first result).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import orjson

from jifen.rules import load_rule_set, score, to_result, validate_profile
from jifen.rules.identity import check_digit
from jifen.rules.profile_fast import read_profile_json
from jifen.rules.render_zh import reasons_zh
from jifen.rules.schema import ProfileError

# Row read from the database: (application id, number, first result id or None, profile JSON
# text or None, whether an item of the application is still open).
Row = tuple[int, str, int | None, str | bytes | None, bool]


class Scored(NamedTuple):
    """One application's outcome, small enough to keep a million in memory."""

    application_id: int
    application_no: str
    first_result_id: int | None
    status: str  # "scored" (eligible or not) or "incomplete"
    eligible: bool
    total_cents: int | None
    ties: tuple[int, ...]
    indicators: str  # JSON text, written as is
    reasons: str  # JSON text (English)
    reasons_zh: str  # JSON text
    birth_month: str


EMPTY_LIST = "[]"
EMPTY_OBJECT = "{}"
NOT_VERIFIED_ZH = "部门核验尚未完成，不参加排名"
NOT_VERIFIED = "verification not complete"


def _stand_in_number(birth_date: str, sex: str) -> str:
    first17 = f"110101{birth_date.replace('-', '')}00{'1' if sex == 'M' else '2'}"
    return first17 + check_digit(first17)


def _incomplete(row: Row, reason: str, reason_zh: str, birth_month: str = "") -> Scored:
    app_id, number, fr_id, _, _ = row
    return Scored(
        app_id,
        number,
        fr_id,
        "incomplete",
        False,
        None,
        (),
        EMPTY_OBJECT,
        orjson.dumps([reason]).decode(),
        orjson.dumps([reason_zh]).decode(),
        birth_month,
    )


def score_chunk(rows: Sequence[Row], rule_set: str, tie_keys: Sequence[str]) -> list[Scored]:
    """Score each complete row's verified profile under ``rule_set``; the others incomplete.

    ``tie_keys`` are the rule set's tie-break keys (dotted paths into the result); their values
    are taken here, so that ranking needs nothing but these tuples.
    """
    from jifen.rules.ranking import TieBreak

    rs = load_rule_set(rule_set)
    ties = tuple(TieBreak(k) for k in tie_keys)
    dumps = orjson.dumps
    out: list[Scored] = []
    for row in rows:
        app_id, number, fr_id, text, open_items = row
        if fr_id is None or text is None or open_items:
            out.append(_incomplete(row, NOT_VERIFIED, NOT_VERIFIED_ZH))
            continue
        data = orjson.loads(text)
        person = data.get("person") or {}
        birth = str(person.get("birth_date") or "")
        birth_month = birth[:7]
        try:
            if "id_number" not in person:
                person["id_number"] = _stand_in_number(birth, str(person.get("sex") or ""))
            data["application_no"] = number
            profile = read_profile_json(dumps(data), rs.id)
            if profile is None:  # not plainly valid: the full validator says why (or accepts)
                profile = validate_profile(data, rs.id)
        except (ProfileError, ValueError) as exc:
            # A verified profile the rule set cannot score (e.g. scored under another rule
            # set's codes): listed apart with the engine's words, never ranked.
            errors = getattr(exc, "errors", None) or [str(exc)]
            out.append(
                _incomplete(
                    row,
                    "verified profile cannot be scored: " + "; ".join(errors),
                    "核验后的档案无法按本年度积分规则计分：" + "；".join(errors),
                    birth_month,
                )
            )
            continue
        breakdown = score(profile)
        result = to_result(breakdown)
        eligible = bool(result["eligible"])
        out.append(
            Scored(
                app_id,
                number,
                fr_id,
                "scored",
                eligible,
                breakdown.total_cents,
                tuple(t.value(result) for t in ties),
                dumps(result["indicators"]).decode(),
                dumps(result["reasons"]).decode() if result["reasons"] else EMPTY_LIST,
                dumps(reasons_zh(breakdown)).decode() if not eligible else EMPTY_LIST,
                birth_month,
            )
        )
    return out


def _call(args: tuple[Sequence[Row], str, Sequence[str]]) -> list[Scored]:
    return score_chunk(*args)


def score_chunks(
    chunks: Iterable[Sequence[Row]],
    rule_set: str,
    tie_keys: Sequence[str],
    workers: int | None = None,
) -> Iterator[list[Scored]]:
    """:func:`score_chunk` over ``chunks``, in order; in worker processes when ``workers`` > 1
    (at most two chunks per worker in flight, so memory stays flat). The caller reads the
    database; the workers only score (they never touch a connection)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    iterator = iter(chunks)
    if workers <= 1:
        for chunk in iterator:
            yield score_chunk(chunk, rule_set, tie_keys)
        return
    # Do the first chunk here: a small round never pays for starting processes.
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    yield score_chunk(first, rule_set, tie_keys)
    if second is None:
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(workers) as pool:
        pending: deque[Any] = deque([pool.apply_async(_call, ((second, rule_set, tie_keys),))])
        for chunk in iterator:
            pending.append(pool.apply_async(_call, ((chunk, rule_set, tie_keys),)))
            if len(pending) > workers * 2:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
