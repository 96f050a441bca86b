"""The demo's past round: a whole year run through every phase at a small scale.

The year is :data:`YEAR` (2022: no list of that year is shipped in ``shared/data``, so the
published lists of the other years stay history untouched). A few hundred synthetic
applications are passed on to the departments and compared, scored, ranked against a quota
scaled to the demo's size (6,000 places for about 120,000 applicants, so 1 in 20), published,
objected to (one objection answered, one that corrects a department's record and leads to a
re-run and a re-publication, one still being checked), and partly settled (places taken, one
given up, which is not re-allocated).

Every step goes through the real services. The phases' windows are opened while each step runs
(the round is being loaded now, not in 2022) and are finally left as the demo shows them: the
publication (公示) still on show for a few days, settlement begun (so that both are visible).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from django.conf import settings
from django.utils import timezone

from jifen.accounts.codes import credit_code_check_char
from jifen.accounts.models import Employer, User
from jifen.applications.services.imports import import_applications
from jifen.demo.verification import _altered, _department_file, _profiles
from jifen.publication import services as publication
from jifen.publication.models import SettlementState
from jifen.review import records
from jifen.review.comparisons import run_comparison, start_run
from jifen.review.corrections import value_rows
from jifen.review.kinds import KIND_DEPARTMENT, KINDS
from jifen.review.models import FirstResult
from jifen.review.sources import FileSource
from jifen.rounds import phases
from jifen.rounds import services as round_services
from jifen.rounds.models import RankedResult, Round
from jifen.rounds.scoring import create_run, execute_run
from jifen.synth import write_profiles

YEAR = 2022
DEFAULT_SIZE = 600  # applications; the test settings make it smaller (DEMO_PAST_ROUND_SIZE)
PLACES_PER_APPLICANT = 6000 / 120000  # the real round's proportion
_SEED = 20221130

# The employers of the past round's applicants (synthetic), each with its share of them.
PAST_EMPLOYERS = (
    ("北京京华信息技术有限公司", "91110108MA02A1B3C", "海淀区"),
    ("北京长安汽车销售服务有限公司", "91110106MA02D4E5F", "丰台区"),
    ("北京博远医药科技股份有限公司", "91110114MA02G6H7J", "昌平区"),
    ("北京通达物流有限公司", "91110112MA02K8L9M", "通州区"),
    ("北京国融证券投资咨询有限公司", "91110102MA02N1P2Q", "西城区"),
    ("北京新程教育科技有限公司", "91110105MA02R3T4U", "朝阳区"),
)

Say = Callable[[str], None]


def _employers() -> list[Employer]:
    out = []
    for n, (name, code17, district) in enumerate(PAST_EMPLOYERS, start=1):
        credit_code = code17 + credit_code_check_char(code17)
        employer, _ = Employer.objects.get_or_create(
            credit_code=credit_code,
            defaults={"name": name, "code": f"DWPAST{n:04d}", "district": district},
        )
        out.append(employer)
    return out


def _import_by_employer(profiles: list[dict[str, Any]], actor: User) -> None:
    employers = _employers()
    share = -(-len(profiles) // len(employers))
    for n, employer in enumerate(employers):
        chunk = profiles[n * share : (n + 1) * share]
        if not chunk:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "applications.jsonl"
            with path.open("wb") as out:
                write_profiles(chunk, out)
            import_applications(actor=actor, year=YEAR, path=path, employer_code=employer.code)


def _open_now(rnd: Round, *names: phases.Phase) -> Round:
    """Open ``names`` now (the demo is loaded today, not in the round's year)."""
    now = timezone.now()
    values: dict[str, datetime] = {}
    for phase in names:
        o, c = phases.field_names(phase)
        values[o], values[c] = now - timedelta(days=1), now + timedelta(days=1)
    Round.objects.filter(pk=rnd.pk).update(**values)
    rnd.refresh_from_db()
    return rnd


def _final_windows(rnd: Round) -> None:
    """The windows the demo shows: a year gone by, its list on show, settlement begun."""
    now = timezone.now().replace(second=0, microsecond=0)
    day = timedelta(days=1)
    windows = {
        phases.Phase.REGISTRATION: (now - 120 * day, now - 90 * day),
        phases.Phase.DECLARATION: (now - 120 * day, now - 90 * day),
        phases.Phase.EMPLOYER_REVIEW: (now - 120 * day, now - 85 * day),
        phases.Phase.VERIFICATION: (now - 120 * day, now - 40 * day),
        phases.Phase.RECHECK: (now - 40 * day, now - 25 * day),
        phases.Phase.SCORING: (now - 25 * day, now - 4 * day),
        phases.Phase.PUBLICATION: (now - 3 * day, now + 4 * day),
        phases.Phase.SETTLEMENT: (now - 1 * day, now + 180 * day),
    }
    values: dict[str, datetime] = {}
    for phase, (opens, closes) in windows.items():
        o, c = phases.field_names(phase)
        values[o], values[c] = opens, closes
    Round.objects.filter(pk=rnd.pk).update(**values)


def _score(rnd: Round, bureau: User) -> Any:
    run = create_run(actor=bureau, round=rnd)
    return execute_run(run, workers=1)


def load_past_round(*, bureau: User, say: Say, demo_year: int) -> Round | None:
    """Load the past round (once: nothing when a round of :data:`YEAR` exists, or when the
    demo's own round is not later than it)."""
    if demo_year <= YEAR or Round.objects.filter(year=YEAR).exists():
        return None
    size = getattr(settings, "DEMO_PAST_ROUND_SIZE", DEFAULT_SIZE)
    quota = max(1, round(size * PLACES_PER_APPLICANT))
    now = timezone.now().replace(second=0, microsecond=0)
    rnd = round_services.round_create(
        actor=bureau,
        year=YEAR,
        opens=now - timedelta(days=1),
        closes=now + timedelta(days=1),
        quota=quota,
    )
    rnd = _open_now(rnd, *phases.ORDER)
    profiles = _profiles(YEAR, size, 0)
    _import_by_employer(profiles, bureau)
    rng = Random(_SEED)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            reviewer = User.objects.get(username=f"demo-reviewer-{KIND_DEPARTMENT[kind]}")
            path = _department_file(kind, profiles, rng, Path(tmp))
            run = start_run(
                round_=rnd, kind=kind, actor=reviewer, file_name=path.name, size=path.stat().st_size
            )
            run_comparison(run, FileSource(path, kind, file_name=path.name))
    say(f"  past round {YEAR}: {size} applications compared by the departments, quota {quota}")

    run = _score(rnd, bureau)
    publication.publish(actor=bureau, round=rnd)
    say(f"  past round {YEAR}: scored (line {run.line}, {run.admitted} admitted) and published")

    admitted = list(
        RankedResult.objects.filter(run=run, admitted=True)
        .order_by("position")
        .values_list("rank", "application_id")
    )
    _objections(rnd, bureau, admitted, rng)
    rnd.refresh_from_db()
    run = rnd.current_run
    say(
        f"  past round {YEAR}: three objections (异议) — answered, corrected and re-run "
        f"(line {run.line}, {run.admitted} admitted), still being checked"
    )
    _settlements(rnd, bureau)
    _final_windows(rnd)
    say(
        f"  past round {YEAR}: settlement (落户) begun — places taken, one given up "
        "(not re-allocated)"
    )
    return rnd


def _objections(rnd: Round, bureau: User, admitted: list[tuple[int, int]], rng: Random) -> None:
    people = [("王建国", "13901234567"), ("李秀英", "13812345678"), ("张伟", "13798765432")]
    ranks = [admitted[0][0], admitted[len(admitted) // 2][0], admitted[-1][0]]
    reasons = [
        "据我了解，此人名下的住房是租赁的，不是自有住房，积分是否有误？",
        "此人近三年并未在申报单位连续缴纳社会保险，请核实。",
        "此人学历信息与我所知情况不符，请核实。",
    ]
    filed = [
        publication.objection_file(
            year=rnd.year, rank=rank, name=name, phone=phone, reason=reason, ip="192.0.2.10"
        )
        for rank, (name, phone), reason in zip(ranks, people, reasons, strict=True)
    ]
    # 1: checked and answered without a change.
    publication.objection_start_check(
        actor=bureau, objection_id=filed[0].pk, note="已调取住建部门产权登记信息核对"
    )
    publication.objection_answer(
        actor=bureau,
        objection_id=filed[0].pk,
        answer="经核查，该申请人申报的自有住房有不动产权证书，登记信息与申报一致，积分无误。",
    )
    # 2: the department's record was wrong: the employment months are corrected, the round is
    # scored again and the list re-published.
    second = filed[1]
    value = _shortened(second.application_id)
    publication.objection_start_check(
        actor=bureau, objection_id=second.pk, note="已请人社部门复核社会保险缴费记录"
    )
    publication.objection_correct(
        actor=bureau,
        objection_id=second.pk,
        kind="social_insurance",
        value=value,
        reason="人社部门复核：最近一段缴费记录有误，最后6个月未实际缴纳",
    )
    _score(rnd, bureau)
    publication.publish(actor=bureau, round=rnd)
    publication.objection_answer(
        actor=bureau,
        objection_id=second.pk,
        answer="经人社部门复核，该申请人部分社会保险为补缴，已更正核验结果并重新评定、重新公示。",
    )
    # 3: still being checked.
    publication.objection_start_check(
        actor=bureau, objection_id=filed[2].pk, note="已请教育部门核验学历学位证书"
    )


def _shortened(application_id: int) -> Any:
    """The verified insurance records with the last period ending six months earlier."""
    newest = FirstResult.objects.filter(application_id=application_id).order_by("-id").first()
    assert newest is not None
    value = _altered("social_insurance", records.declared("social_insurance", newest.profile))
    return value_rows("social_insurance", value)


def _settlements(rnd: Round, bureau: User) -> None:
    rows = list(
        RankedResult.objects.filter(run=rnd.current_run, admitted=True)
        .order_by("position")
        .values_list("application_id", flat=True)
    )
    today = timezone.localdate()
    given_up = 3 if len(rows) > 4 else len(rows) - 1  # one place given up (kept even when small)
    for i, application_id in enumerate(rows):
        if i == given_up and i > 0:
            publication.settlement_record(
                actor=bureau,
                year=rnd.year,
                application_id=application_id,
                state=SettlementState.GIVEN_UP,
                reason="本人书面申请放弃本年度落户资格",
            )
        elif i % 3 != 2:  # two in three have settled; the others are still to come
            publication.settlement_record(
                actor=bureau,
                year=rnd.year,
                application_id=application_id,
                state=SettlementState.SETTLED,
                settled_on=today - timedelta(days=i % 5),
            )
