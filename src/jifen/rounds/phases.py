"""The phases of a round (年度工作阶段) and the one gate every action goes through.

Each phase has a window ``[opens, closes)`` stored on the round (``<phase>_opens`` and
``<phase>_closes``). Windows may overlap (in Beijing applicants register, link and declare at
the same time, and employers review while declarations come in). Services call
:func:`require_open` before they act, so pages, the API and commands obey the same dates.

A round created with only its declaration window gets the other windows from
:data:`DEFAULT_SCHEDULE` (days relative to the declaration window); the bureau edits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from jifen.core.errors import OutsideWindow

if TYPE_CHECKING:
    from .models import Round


class Phase(models.TextChoices):
    REGISTRATION = "registration", "注册与单位关联"
    DECLARATION = "declaration", "个人申报"
    EMPLOYER_REVIEW = "employer_review", "单位审核"
    VERIFICATION = "verification", "部门核验"
    RECHECK = "recheck", "初核结果与复查"
    SCORING = "scoring", "积分评定"
    PUBLICATION = "publication", "公示与异议"
    SETTLEMENT = "settlement", "落户办理"


# In the order of the year's process.
ORDER: tuple[Phase, ...] = tuple(Phase)

# Default windows, in days from the declaration window: (anchor, days) for opens and closes,
# the anchor being "opens" or "closes" of the declaration window.
DEFAULT_SCHEDULE: dict[Phase, tuple[tuple[str, int], tuple[str, int]]] = {
    Phase.REGISTRATION: (("opens", 0), ("closes", 0)),
    Phase.EMPLOYER_REVIEW: (("opens", 0), ("closes", 5)),
    Phase.VERIFICATION: (("opens", 0), ("closes", 60)),
    Phase.RECHECK: (("closes", 60), ("closes", 75)),
    Phase.SCORING: (("closes", 75), ("closes", 90)),
    Phase.PUBLICATION: (("closes", 90), ("closes", 97)),
    Phase.SETTLEMENT: (("closes", 97), ("closes", 280)),
}


def field_names(phase: Phase | str) -> tuple[str, str]:
    return f"{phase}_opens", f"{phase}_closes"


def default_window(phase: Phase, opens: datetime, closes: datetime) -> tuple[datetime, datetime]:
    anchors = {"opens": opens, "closes": closes}
    (a1, d1), (a2, d2) = DEFAULT_SCHEDULE[phase]
    return anchors[a1] + timedelta(days=d1), anchors[a2] + timedelta(days=d2)


@dataclass(frozen=True)
class PhaseState:
    phase: Phase
    opens: datetime | None
    closes: datetime | None
    state: str  # "open" | "upcoming" | "closed" | "unscheduled"

    @property
    def label(self) -> str:
        return self.phase.label

    @property
    def state_label(self) -> str:
        return {"open": "进行中", "upcoming": "未开始", "closed": "已结束"}.get(
            self.state, "未安排"
        )


def window(rnd: Round, phase: Phase | str) -> tuple[datetime | None, datetime | None]:
    o, c = field_names(phase)
    return getattr(rnd, o), getattr(rnd, c)


def is_open(rnd: Round, phase: Phase | str, now: datetime | None = None) -> bool:
    opens, closes = window(rnd, phase)
    if opens is None or closes is None:
        return False
    now = now or timezone.now()
    return opens <= now < closes


def state_of(rnd: Round, phase: Phase | str, now: datetime | None = None) -> PhaseState:
    opens, closes = window(rnd, phase)
    now = now or timezone.now()
    if opens is None or closes is None:
        state = "unscheduled"
    elif now < opens:
        state = "upcoming"
    elif now < closes:
        state = "open"
    else:
        state = "closed"
    return PhaseState(Phase(phase), opens, closes, state)


def states(rnd: Round, now: datetime | None = None) -> list[PhaseState]:
    """Every phase with its window and whether it is open now, in the year's order."""
    now = now or timezone.now()
    return [state_of(rnd, p, now) for p in ORDER]


def open_phases(rnd: Round, now: datetime | None = None) -> list[Phase]:
    return [s.phase for s in states(rnd, now) if s.state == "open"]


def _stamp(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def describe(rnd: Round, phase: Phase | str) -> str:
    """ "2026年度个人申报阶段为 2026-05-01 09:00 至 2026-05-31 17:00" (or 未安排)."""
    p = Phase(phase)
    opens, closes = window(rnd, p)
    if opens is None or closes is None:
        return f"{rnd.year}年度{p.label}阶段尚未安排"
    return f"{rnd.year}年度{p.label}阶段为 {_stamp(opens)} 至 {_stamp(closes)}"


def require_open(rnd: Round, phase: Phase | str, now: datetime | None = None) -> None:
    """Raise :class:`OutsideWindow` (HTTP 409, code ``outside_window``) unless ``phase`` is open."""
    if is_open(rnd, phase, now):
        return
    s = state_of(rnd, phase, now)
    when = {"upcoming": "尚未开始", "closed": "已经结束", "unscheduled": "尚未安排"}[s.state]
    raise OutsideWindow(f"{Phase(phase).label}阶段{when}：{describe(rnd, phase)}")
