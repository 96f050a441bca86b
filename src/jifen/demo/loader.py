"""The demo round: one round open for declaration, two employers, applicants in every state and
one account per staff role, all sharing one printed password (``manage.py demo_round``).

Staff accounts need a second factor (jifen.accounts.second_factor): each demo staff account
gets a confirmed authenticator whose secret is derived from its username (published, demo
only); ``manage.py demo_otp_code USERNAME`` prints its current code.

Everything is written through the services, inside ``audit_context(channel="cli")``, so the
audit trail is the one a real load would leave. The load is one transaction and idempotent:
when the demo accounts exist it changes nothing and only reports their current state.

Dates are relative to the day of the load: the round's declaration window opened 14 days
before it and closes 60 days after it. A database loaded long ago keeps its old window (the
summary then says the round is closed); delete the database (``var/jifen.sqlite3``) to reload.

People are synthetic: names from Faker's zh_CN provider and identity numbers with valid
GB 11643 check digits (jifen.synth), with a fixed seed so every load makes the same people.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.accounts import administration
from jifen.accounts import services as account_services
from jifen.accounts.codes import credit_code_check_char
from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.applications import selectors
from jifen.applications import services as app_services
from jifen.applications.models import (
    ACTIVE_LINK_STATUSES,
    Application,
    EmploymentLink,
    LinkStatus,
    Status,
)
from jifen.audit.context import audit_context
from jifen.core import crypto
from jifen.core.roles import Department, Role
from jifen.demo import (
    ops_backups,
    ops_incidents,
    ops_inspections,
    ops_monitoring,
    ops_records,
    ops_reports,
)
from jifen.demo import otp as demo_otp
from jifen.demo import privacy as demo_privacy
from jifen.demo.files import demo_pdf, demo_png
from jifen.demo.past_round import YEAR as PAST_YEAR
from jifen.demo.past_round import load_past_round
from jifen.demo.verification import load_verification
from jifen.rounds import services as round_services
from jifen.rounds.models import Round
from jifen.synth.identity import IdentityFactory
from jifen.synth.names import NamePool

DEMO_PASSWORD = "Demo-jifen-2026!"
DEFAULT_URL = "http://127.0.0.1:8000/"
OPENED_DAYS_AGO = 14
CLOSES_IN_DAYS = 60
RETURN_REASON = "请补充租赁合同备案证明"
_SEED = 20260101

EMPLOYERS = (
    # username, employer name, first 17 characters of the credit code, district
    ("demo-employer", "北京星河智能科技有限公司", "91110108MA01K7XH2", "海淀区"),
    ("demo-employer2", "北京云帆数据服务有限公司", "91110105MA01R3PQ6", "朝阳区"),
)
# username -> (age in the round year, birthday "MM-DD", male); the state each one is left in
# is made by _load below.
APPLICANTS: dict[str, tuple[int, str, bool]] = {
    "demo-applicant": (36, "04-12", False),
    "demo-linked": (34, "08-03", True),
    "demo-pending": (38, "12-19", False),
    "demo-pending2": (35, "06-25", True),
    "demo-submitted": (43, "09-21", True),
    "demo-returned": (39, "02-05", False),
    "demo-done": (47, "11-30", True),
    "demo-new": (31, "03-17", False),
}
REVIEWERS = tuple((f"demo-reviewer-{d.value}", d.value) for d in Department)
STAFF: tuple[tuple[str, str, str], ...] = (
    ("demo-bureau", Role.BUREAU_ADMIN, ""),
    *((username, Role.REVIEWER, dept) for username, dept in REVIEWERS),
    ("demo-operator", Role.OPERATOR, ""),
    ("demo-auditor", Role.AUDITOR, ""),
    ("demo-security", Role.SECURITY_ADMIN, ""),
)
# In the order of the printed table: the public first.
USERNAMES: tuple[str, ...] = (
    *APPLICANTS,
    *(e[0] for e in EMPLOYERS),
    *(s[0] for s in STAFF),
)
# Shown by the security administrator's account list: an account disabled with its reason, and
# one locked for one address by failed logins (the lock ends by itself after 30 minutes).
FORMER_STAFF = "demo-reviewer-former"
FORMER_REASON = "已调离税务部门，停用其审核账户"
LOCKED_APPLICANT = "demo-pending"
ATTACKER_ADDRESS = "198.51.100.23"  # a documentation address (RFC 5737)


HINTS = {
    "demo-applicant": "试用申报流程请用此账户；个人信息下载与更正：/my/privacy/",
    "demo-employer": "可确认关联、退回或提交申报",
    "demo-pending": f"演示：从 {ATTACKER_ADDRESS} 登录失败5次，仅该地址被锁定30分钟，本人照常登录",
    "demo-security": "账户管理：含已停用账户和被锁定账户，可解锁、停用、重置",
    "demo-bureau": "个人信息更正申请：/staff/corrections/",
}


class DemoError(Exception):
    """The demo cannot be loaded into this database as it is."""


class _Writer(Protocol):
    def write(self, text: str) -> Any: ...


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # the role's Chinese label
    state: str


@dataclass(frozen=True)
class DemoSummary:
    created: bool  # False when the demo was already there
    password: str
    round_year: int
    rule_set: str
    quota: int
    opens: datetime
    closes: datetime
    open_now: bool
    accounts: tuple[DemoAccount, ...]


# --- the declarations ------------------------------------------------------------------------


def _declarations(year: int) -> dict[str, dict[str, Any]]:
    """Valid declarations for application year ``year``, different in education, housing,
    district, tax and extras so the self-assessments differ. Every period is placed relative
    to the cut-off (December of year - 1), so any past year gets the same careers."""
    last = year - 1
    end = f"{last}-12"

    def ym(years_before: int, month: int) -> str:
        return f"{last - years_before}-{month:02d}"

    t3, t2, t1 = (str(y) for y in (last - 2, last - 1, last))
    permit = {"residence_permit": True, "criminal_record": False, "female_cadre": False}
    return {
        # Twelve years insured, always renting; the rest is left for the visitor to fill.
        "demo-applicant": {
            "conditions": permit,
            "social_insurance": [{"from": ym(12, 7), "to": end, "back_paid": ""}],
            "housing": [
                {"kind": "rented", "from": ym(12, 7), "to": ym(6, 6), "district": "朝阳区"},
                {"kind": "rented", "from": ym(6, 7), "to": end, "district": "海淀区"},
            ],
        },
        # Master's degree, bought a flat in a central district, high tax every year.
        "demo-submitted": {
            "conditions": permit,
            "social_insurance": [{"from": ym(17, 7), "to": end, "back_paid": ""}],
            "housing": [
                {"kind": "rented", "from": ym(17, 7), "to": ym(11, 12), "district": "朝阳区"},
                {"kind": "owned", "from": ym(10, 1), "to": end, "district": "朝阳区"},
            ],
            "education": [
                {"level": "master", "degree": "master", "full_time": True,
                 "from": ym(20, 9), "to": ym(17, 6)},
            ],
            "employment": [{"from": ym(17, 7), "to": end, "district": "海淀区"}],
            "innovation": [],
            "tax": {t3: "150000", t2: "182000", t1: "215000.40"},
            "honours": [],
            "violations": [],
        },
        # Bachelor, always renting (hence the employer's return reason), a municipal contest
        # prize, tax under the threshold, two back-paid months.
        "demo-returned": {
            "conditions": permit,
            "social_insurance": [
                {"from": ym(16, 7), "to": end,
                 "back_paid": f"{ym(13, 3)}, {ym(13, 4)}"}
            ],
            "housing": [{"kind": "rented", "from": ym(16, 7), "to": end, "district": "海淀区"}],
            "education": [
                {"level": "bachelor", "degree": "bachelor", "full_time": True,
                 "from": ym(20, 9), "to": ym(16, 6)},
            ],
            "employment": [{"from": ym(16, 7), "to": end, "district": "海淀区"}],
            "innovation": [{"code": "contest.municipal.second"}],
            "tax": {t3: "62000", t2: "71500", t1: "86000"},
            "honours": [],
            "violations": [],
        },
        # Doctorate, dormitory then an owned home in Tongzhou where the job moved too (职住区域),
        # a municipal award and a model-worker title.
        "demo-done": {
            "conditions": permit,
            "social_insurance": [{"from": ym(18, 8), "to": end, "back_paid": ""}],
            "housing": [
                {"kind": "dormitory", "from": ym(18, 8), "to": ym(13, 12), "district": "海淀区"},
                {"kind": "owned", "from": ym(12, 1), "to": end, "district": "通州区"},
            ],
            "education": [
                {"level": "doctor", "degree": "doctor", "full_time": True,
                 "from": ym(22, 9), "to": ym(18, 7)},
            ],
            "employment": [
                {"from": ym(18, 8), "to": ym(8, 12), "district": "海淀区"},
                {"from": ym(7, 1), "to": end, "district": "通州区"},
            ],
            "innovation": [{"code": "award.municipal.second"}],
            "tax": {t3: "320000", t2: "356000", t1: "401500"},
            "honours": [{"code": "model_worker"}],
            "violations": [],
        },
    }


# --- loading ---------------------------------------------------------------------------------


def _say(stdout: _Writer | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


class _People:
    """Deterministic synthetic names, identity numbers and phone numbers."""

    def __init__(self) -> None:
        self.rng = Random(_SEED)
        self.names = NamePool(_SEED, size=64)
        self.ids = IdentityFactory()

    def name(self, male: bool) -> str:
        return self.names.draw(self.rng, male)

    def phone(self) -> str:
        return f"1{self.rng.choice('3589')}{self.rng.randrange(10**9):09d}"

    def id_number(self, birth_year: int, birthday: str, male: bool) -> str:
        month, day = (int(p) for p in birthday.split("-"))
        while True:  # a synthetic number may (very rarely) be registered already
            number = self.ids.make(self.rng, birth_year, month, day, male)
            if not ApplicantProfile.objects.filter(id_index=crypto.blind_index(number)).exists():
                return number


def _fill(applicant: User, app: Application, data: dict[str, Any]) -> Application:
    for section, value in data.items():
        result = app_services.application_save_section(
            actor=applicant, application_id=app.pk, section=section, value=value,
            version=app.version,
        )
        if result.errors:  # the demo's own data must be valid
            raise DemoError(f"demo declaration {section}: {result.errors}")
        app = result.application
    return app


def _upload_required_evidence(applicant: User, app: Application) -> Application:
    """A small synthetic file for every item that needs evidence (submission requires them):
    a PNG "scan" for the residence permit, PDFs for the rest."""
    for requirement, attached in selectors.evidence_requirements(app):
        if attached:
            continue
        label = f"{requirement.path}: {len(requirement.documents)} document(s)"
        name = requirement.documents[0].split("（")[0]
        if requirement.section == "conditions":
            upload = SimpleUploadedFile(f"{name}.png", demo_png(label), content_type="image/png")
        else:
            upload = SimpleUploadedFile(f"{name}.pdf", demo_pdf(label),
                                        content_type="application/pdf")
        app_services.evidence_add(actor=applicant, application_id=app.pk,
                                  section=requirement.section, item_id=requirement.item_id,
                                  upload=upload)
    return Application.objects.get(pk=app.pk)


def _round_for(year: int, bureau: User) -> Round:
    existing = Round.objects.filter(year=year).first()
    if existing is not None:
        if not existing.declaration_open():
            raise DemoError(
                f"a {year} round exists and is not open for declaration; the demo needs an open "
                "round (use another --year or a fresh database)"
            )
        return existing
    now = timezone.now().replace(second=0, microsecond=0)
    return round_services.round_create(
        actor=bureau, year=year, opens=now - timedelta(days=OPENED_DAYS_AGO),
        closes=now + timedelta(days=CLOSES_IN_DAYS),  # the quota: the rule set's
    )


def _load(year: int, stdout: _Writer | None) -> None:
    people = _People()
    pw = DEMO_PASSWORD

    # Staff: the bureau's administrator first (created by the system), then the others by them.
    bureau: User | None = None
    for username, role, dept in STAFF:
        user = account_services.create_staff_user(
            actor=bureau, username=username, password=pw, role=role, department=dept,
            full_name=people.name(people.rng.random() < 0.5), phone=people.phone(),
        )
        bureau = bureau or user
        demo_otp.install_demo_device(user)
    assert bureau is not None
    _say(stdout, f"  {len(STAFF)} staff accounts")

    rnd = _round_for(year, bureau)
    _say(stdout, f"  round {rnd.year} ({rnd.rule_set}), open until "
                 f"{timezone.localtime(rnd.declaration_closes):%Y-%m-%d %H:%M}")

    agents: dict[str, User] = {}
    for username, name, code17, district in EMPLOYERS:
        agents[username] = account_services.register_employer(
            employer_name=name, credit_code=code17 + credit_code_check_char(code17),
            district=district, username=username, password=pw,
            agent_name=people.name(people.rng.random() < 0.5), phone=people.phone(),
        )
    agent, agent2 = agents["demo-employer"], agents["demo-employer2"]

    applicants: dict[str, User] = {}
    for username, (age, birthday, male) in APPLICANTS.items():
        applicants[username] = account_services.register_applicant(
            username=username, password=pw,
            id_number=people.id_number(year - age, birthday, male),
            name=people.name(male), phone=people.phone(),
        )
    _say(stdout, f"  {len(EMPLOYERS)} employers, {len(APPLICANTS)} applicants")

    def link(username: str, to: User, confirm: bool) -> None:
        request = app_services.link_request(
            actor=applicants[username], employer_code=to.employer.code
        )
        if confirm:
            app_services.link_confirm(actor=to, link_id=request.pk)

    for username in ("demo-applicant", "demo-linked", "demo-submitted", "demo-returned",
                     "demo-done"):
        link(username, agent, confirm=True)
    link("demo-pending", agent, confirm=False)
    link("demo-pending2", agent2, confirm=False)

    declarations = _declarations(rnd.year)
    for username in ("demo-applicant", "demo-submitted", "demo-returned", "demo-done"):
        person = applicants[username]
        app = app_services.application_start(actor=person, round_id=rnd.pk)
        app = _fill(person, app, declarations[username])
        if username == "demo-applicant":
            continue  # stays a draft
        app = _upload_required_evidence(person, app)
        app = app_services.application_submit(
            actor=person, application_id=app.pk, version=app.version
        )
        if username == "demo-returned":
            app_services.application_return(
                actor=agent, application_id=app.pk, reason=RETURN_REASON, version=app.version
            )
        elif username == "demo-done":
            app_services.application_employer_submit(
                actor=agent, application_id=app.pk, version=app.version
            )
    _say(stdout, "  links and declarations")
    _account_administration(people)
    _say(stdout, "  account administration: a disabled account, a locked one")
    load_verification(rnd, bureau=bureau, say=lambda text: _say(stdout, text))
    load_past_round(bureau=bureau, say=lambda text: _say(stdout, text), demo_year=rnd.year)
    demo_privacy.load(bureau=bureau, say=lambda text: _say(stdout, text))
    _load_operations(stdout)


def _load_operations(stdout: _Writer | None) -> None:
    """A month of the operations side's records (运维), each part by its own module; the
    reports come last but one (they are made from the others), the backups last (their real
    backup holds everything)."""
    operator = User.objects.get(username="demo-operator")
    now = timezone.now()
    for part in (ops_incidents, ops_records, ops_inspections, ops_monitoring, ops_reports,
                 ops_backups):
        part.load(operator=operator, now=now, say=lambda text: _say(stdout, text))

def _account_administration(people: _People) -> None:
    security = User.objects.get(username="demo-security")
    former, _password = administration.create_staff_account(
        actor=security, username=FORMER_STAFF, role=Role.REVIEWER, department=Department.TAX,
        full_name=people.name(people.rng.random() < 0.5), phone=people.phone(),
    )
    administration.set_active(actor=security, user_id=former.pk, active=False,
                              reason=FORMER_REASON)
    # Wrong passwords from one address, through the real login checks (axes and the throttle),
    # as the login page would make them: the account is locked for that address only.
    factory = RequestFactory()
    axes_log = logging.getLogger("axes")
    level = axes_log.level
    axes_log.setLevel(logging.ERROR)  # its per-attempt warnings are not the demo's output
    try:
        with audit_context(ip=ATTACKER_ADDRESS, user_agent="demo", channel="web"):
            for _ in range(settings.AXES_FAILURE_LIMIT):
                request = factory.post(reverse("accounts:login"), REMOTE_ADDR=ATTACKER_ADDRESS,
                                       HTTP_USER_AGENT="demo")
                user = authenticate(request, username=LOCKED_APPLICANT, password="Wrong-guess-1")
                if user is not None:
                    raise DemoError("the demo's wrong password was accepted")
    finally:
        axes_log.setLevel(level)


def load_demo(*, year: int | None = None, stdout: _Writer | None = None) -> DemoSummary:
    """Load the demo (once) and describe it. ``year`` defaults to the current year."""
    this_year = timezone.localdate().year
    year = year or this_year
    if year > this_year:
        # The declared periods run to December of year - 1, which must not be in the future.
        raise DemoError(f"the demo year cannot be after {this_year}")
    present = set(User.objects.filter(username__in=USERNAMES).values_list("username", flat=True))
    created = False
    if not present:
        _say(stdout, f"Loading the demo round {year} ...")
        with audit_context(channel="cli"), transaction.atomic():
            _load(year, stdout)
        created = True
    elif len(present) < len(USERNAMES):
        missing = ", ".join(u for u in USERNAMES if u not in present)
        raise DemoError(
            f"some demo accounts exist but not these: {missing}; the demo cannot be completed "
            "in this database (use a fresh one)"
        )
    else:
        added = _add_missing_devices()
        if added:
            _say(stdout, f"The demo is already loaded; added the demo authenticator of {added} "
                         "staff account(s) loaded before staff needed a second factor.")
        else:
            _say(stdout, "The demo is already loaded; nothing changed.")
    return summarise(created=created)


def _add_missing_devices() -> int:
    """Demo staff accounts from before the second factor get their demo authenticator; an
    account with any device of its own (or reset on purpose and re-bound) keeps it."""
    staff = User.objects.filter(username__in=[s[0] for s in STAFF]).exclude(
        pk__in=TOTPDevice.objects.values("user_id")
    )
    users = list(staff.order_by("pk"))
    if users:
        with audit_context(channel="cli"), transaction.atomic():
            for user in users:
                demo_otp.install_demo_device(user)
    return len(users)


# --- the summary -----------------------------------------------------------------------------


def _applicant_state(user: User, rnd: Round | None) -> str:
    profile = user.applicant
    app = (
        Application.objects.filter(applicant=profile, round=rnd).first() if rnd else None
    )
    if app is not None:
        text = f"{app.round.year}年申报 {app.number}：{app.get_status_display()}"
        if app.status == Status.RETURNED:
            text += f"（退回理由：{app.return_reason}）"
        elif app.status == Status.DRAFT:
            filled = sum(1 for k, v in app.data.items() if k != "conditions" and v
                         and (not isinstance(v, dict) or any(v.values())))
            text += f"（已填 {filled} 项）"
        if app.status != Status.DRAFT:
            total = selectors.assess(app).total
            if total is not None:
                text += f"，自评积分 {total:.2f}"
        return text
    link = (
        EmploymentLink.objects.filter(
            applicant=profile, status__in=ACTIVE_LINK_STATUSES
        ).select_related("employer").first()
    )
    if link is None:
        return "已注册，未关联单位"
    text = f"{link.get_status_display()}：{link.employer.name}"
    if link.status == LinkStatus.CONFIRMED:
        text += "，尚未开始填报"
    return text


def _employer_state(user: User) -> str:
    employer: Employer = user.employer
    pending = EmploymentLink.objects.filter(employer=employer, status=LinkStatus.PENDING).count()
    waiting = Application.objects.filter(employer=employer, status=Status.SUBMITTED).count()
    return (f"{employer.name}（单位注册码 {employer.code}）：待确认关联 {pending}，"
            f"待审核申报 {waiting}")


def summarise(*, created: bool = False) -> DemoSummary:
    """The demo accounts and the state each one is in now."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=USERNAMES).select_related("employer", "applicant")
    }
    # The round the demo's declarations are in (the newest round if there are none).
    demo_app = (
        Application.objects.filter(applicant__user__username__in=USERNAMES)
        .select_related("round").order_by("-round__year").first()
    )
    rnd = demo_app.round if demo_app else Round.objects.order_by("-year").first()
    if rnd is None:
        raise DemoError("the demo round is missing")
    accounts = []
    for username in USERNAMES:
        user = users.get(username)
        if user is None:
            continue
        if user.role == Role.APPLICANT:
            state = _applicant_state(user, rnd)
        elif user.role == Role.EMPLOYER_AGENT:
            state = _employer_state(user)
        elif user.role == Role.REVIEWER:
            state = f"部门：{user.get_department_display()}"
        else:
            state = ""
        if username in HINTS:
            state += f"；{HINTS[username]}" if state else HINTS[username]
        state = state or "—"
        accounts.append(DemoAccount(username, user.get_role_display(), state))
    return DemoSummary(
        created=created, password=DEMO_PASSWORD, round_year=rnd.year, rule_set=rnd.rule_set,
        quota=rnd.quota, opens=rnd.declaration_opens, closes=rnd.declaration_closes,
        open_now=rnd.declaration_open(), accounts=tuple(accounts),
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_summary(summary: DemoSummary, *, url: str = DEFAULT_URL) -> str:
    """The table printed by ``manage.py demo_round``."""
    opens = timezone.localtime(summary.opens).strftime("%Y-%m-%d %H:%M")
    closes = timezone.localtime(summary.closes).strftime("%Y-%m-%d %H:%M")
    status = "申报中" if summary.open_now else "不在申报期（删除数据库后重新加载可重置日期）"
    user_w = max(_width(a.username) for a in summary.accounts) + 2
    role_w = max(_width(a.role) for a in summary.accounts) + 2
    lines = [
        "",
        "  ==== 演示数据（仅供本机演示，切勿用于生产环境）====",
        f"  网址：{url}",
        f"  演示年度：{summary.round_year}年"
        f"（积分规则 {summary.rule_set}，落户指标 {summary.quota}）",
        f"  申报期：{opens} 至 {closes}（按加载当天计算）；当前：{status}",
        f"  所有演示账户的密码：{summary.password}",
        "  工作人员账户登录后还须输入动态验证码，取得方法：",
        "    .venv/bin/python manage.py demo_otp_code <用户名>",
        "",
        "  " + _pad("用户名", user_w) + _pad("角色", role_w) + "状态",
        "  " + "-" * (user_w + role_w + 40),
    ]
    for a in summary.accounts:
        lines.append("  " + _pad(a.username, user_w) + _pad(a.role, role_w) + a.state)
    base = url.rstrip("/")
    past = Round.objects.filter(year=PAST_YEAR, source="live").first()
    if past is not None:
        lines += [
            "",
            f"  往年演示：{PAST_YEAR}年度已完成积分评定并公示，有异议和落户办理记录：",
            f"    公示名单（无需登录）{base}/gongshi/{PAST_YEAR}/",
            f"    积分评定（demo-bureau）{base}/rounds/{PAST_YEAR}/scoring/",
            f"    公示、异议与落户（demo-bureau）{base}/gongshi/manage/{PAST_YEAR}/",
        ]
    lines += [
        f"  统计分析、应急统计、模拟测算（demo-bureau）：{base}/stats/",
        f"  年度设置与工作阶段（demo-bureau）：{base}/staff/rounds/",
        "",
    ]
    return "\n".join(lines)
