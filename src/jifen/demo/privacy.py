"""The demo's personal-data side (PIPL): correction requests — one accepted, one refused, one
waiting in the bureau's queue — and a run of the retention job in the operations records.

Made through the real services (jifen.privacy), so the messages, the audit events and the
scheduled run are those the system itself writes."""

from __future__ import annotations

from collections.abc import Callable

from jifen.accounts.models import User
from jifen.ops import runner
from jifen.privacy import corrections

RETENTION_JOB = "expire_personal_data"


def load(*, bureau: User, say: Callable[[str], None]) -> None:
    people = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    accepted = corrections.correction_request(
        actor=people["demo-done"],
        field="email",
        wrong="注册时未填写电子邮箱，希望接收邮件通知",
        correct="demo-done@example.com",
    )
    corrections.correction_answer(
        actor=bureau, request_id=accepted.pk, accept=True, answer="已核实本人申请，予以更正。"
    )
    refused = corrections.correction_request(
        actor=people["demo-submitted"],
        field="birth_date",
        wrong="出生日期比身份证上晚了一天",
        correct="身份证所载出生日期",
    )
    corrections.correction_answer(
        actor=bureau,
        request_id=refused.pk,
        accept=False,
        answer="出生日期取自公民身份号码，与公安户籍记录一致；如户籍信息有误，请先到户籍所在地派出所更正。",
    )
    corrections.correction_request(
        actor=people["demo-applicant"],
        field="phone",
        wrong="注册时的手机号码已停用",
        correct="13911112222",
    )
    # The nightly retention job, run once now as the scheduler would (nothing has expired yet:
    # the past round is still in its settlement phase).
    run = runner.execute(runner.plan(RETENTION_JOB).pk)
    say(
        "  personal data: 3 correction requests (one accepted, one refused, one waiting); "
        f"retention job run ({'ok' if run.ok else 'failed'})"
    )
