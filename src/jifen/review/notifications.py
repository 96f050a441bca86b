"""What the applicant is told in the message centre (站内消息, ``jifen.inbox``) about their
verification: the first result, a changed result, a re-check's answer.

Called inside the transaction of the change they report: a message is written with it or not
at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from jifen.accounts.models import User
from jifen.applications.models import Application
from jifen.inbox.models import Category
from jifen.inbox.services import notify, notify_many

from .kinds import KIND_NAMES
from .models import Dispute, FirstResult

SUBJECT_OUT = "您的积分初核结果已发布"
SUBJECT_UPDATED = "您的积分初核结果已更新"
SUBJECT_ANSWERED = "您的复查申请已答复"


def result_link(year: int) -> str:
    """The applicant's result page of the round ``year`` (the same for every applicant)."""
    return reverse("review:my_result", args=[year])


def _points(value: Any) -> str:
    return f"{float(value):.2f}"


def result_out(results: Sequence[FirstResult]) -> int:
    """Tell each applicant whose result is among ``results`` that it is out (or, when they
    had one before, that it changed). Results made by a re-check's answer are left to
    ``recheck_answered``, which tells the answer with the score. One message per applicant,
    sent in a few bulk writes (a comparison can complete thousands of applications at once).
    Returns how many were sent."""
    fresh = [r for r in results if not r.after_recheck]
    if not fresh:
        return 0
    ids = [r.application_id for r in fresh]
    made = {r.pk for r in fresh}
    earlier = set(
        FirstResult.objects.filter(application_id__in=ids)
        .exclude(pk__in=made)
        .values_list("application_id", flat=True)
    )
    owners = Application.objects.filter(pk__in=ids).values_list(
        "pk", "round__year", "applicant__user_id"
    )
    users = User.objects.in_bulk([user_id for _, _, user_id in owners])
    groups: dict[tuple[int, bool], list[User]] = {}
    for app_id, year, user_id in owners:
        groups.setdefault((year, app_id in earlier), []).append(users[user_id])
    sent = 0
    for (year, updated), recipients in sorted(groups.items()):
        if updated:
            subject = SUBJECT_UPDATED
            body = (f"部门对您{year}年度积分落户申报的核验有了新的决定，初核结果已更新。"
                    "请查看各项指标的核验情况和依据。")
        else:
            subject = SUBJECT_OUT
            body = (f"您{year}年度积分落户申报的各项信息已完成部门核验，初核结果已发布。"
                    "请查看各项指标的申报值、核验值和依据；如有异议，可在复查申请期内申请复查。")
        sent += notify_many(
            recipients=recipients, subject=subject, body=body, link=result_link(year),
            category=Category.RESULT,
        )
    return sent


def recheck_answered(dispute: Dispute, result: FirstResult | None = None,
                     previous: FirstResult | None = None) -> None:
    """Tell the applicant the department's answer to one disputed item, with the score after
    it (``result``: the result the answer made, ``previous``: the one before)."""
    app = dispute.item.application
    kind = KIND_NAMES[dispute.item.kind]
    lines = [
        f"您对“{kind}”核验结果的复查申请已答复：{dispute.get_outcome_display()}。",
        f"答复理由：{dispute.answer}",
    ]
    if result is not None and previous is not None and result.total != previous.total:
        lines.append(
            f"复查后您的初核总分为 {_points(result.total)} 分（原 {_points(previous.total)} 分）。"
        )
    elif result is not None:
        lines.append(f"复查后您的初核总分为 {_points(result.total)} 分。")
    notify(
        recipient=app.applicant.user, subject=SUBJECT_ANSWERED, body="\n".join(lines),
        link=result_link(app.round.year), category=Category.RECHECK,
    )
