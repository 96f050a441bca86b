"""The demo round (manage.py demo_round): what it loads, through the services, exactly once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.accounts.codes import credit_code_problem
from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.applications import selectors
from jifen.applications.models import Application, EmploymentLink, LinkStatus, Status
from jifen.audit.models import AuditEvent
from jifen.audit.services import verify_chain
from jifen.core.roles import STAFF_ROLES, Department, Role
from jifen.demo.loader import (
    ATTACKER_ADDRESS,
    DEMO_PASSWORD,
    FORMER_REASON,
    FORMER_STAFF,
    RETURN_REASON,
    USERNAMES,
    DemoError,
    load_demo,
)
from jifen.demo.otp import demo_key
from jifen.rounds.models import Round
from jifen.rules.identity import identity_problem
from jifen.rules.ruleset import rule_set_name_for_year
from tests.factories import make_applicant

pytestmark = pytest.mark.django_db

APPLICANTS = ("demo-applicant", "demo-linked", "demo-pending", "demo-pending2",
              "demo-submitted", "demo-returned", "demo-done", "demo-new")
EXPECTED_ROLES = {
    "demo-bureau": (Role.BUREAU_ADMIN, ""),
    "demo-operator": (Role.OPERATOR, ""),
    "demo-auditor": (Role.AUDITOR, ""),
    "demo-security": (Role.SECURITY_ADMIN, ""),
    "demo-employer": (Role.EMPLOYER_AGENT, ""),
    "demo-employer2": (Role.EMPLOYER_AGENT, ""),
    **{f"demo-reviewer-{d.value}": (Role.REVIEWER, d.value) for d in Department},
    **{u: (Role.APPLICANT, "") for u in APPLICANTS},
}


def _app_of(username: str) -> Application | None:
    return Application.objects.filter(applicant__user__username=username).first()


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Employer, ApplicantProfile, Round, EmploymentLink, Application,
                      AuditEvent, TOTPDevice)
    }


def test_the_round_is_open_now_for_this_year():
    before = timezone.now()
    summary = load_demo()
    year = timezone.localdate().year
    rnd = Round.objects.get(year=timezone.localdate().year)
    assert (rnd.year, rnd.quota, rnd.rule_set) == (year, 6000, rule_set_name_for_year(year))
    assert rnd.declaration_open()
    # Relative to the load day: opened 14 days ago, closes in 60 days (to the minute).
    assert abs(rnd.declaration_opens - (before - timedelta(days=14))) < timedelta(minutes=2)
    assert abs(rnd.declaration_closes - (before + timedelta(days=60))) < timedelta(minutes=2)
    assert summary.created and summary.open_now and summary.round_year == year


def demo_apps():  # the demo applicants' applications (not the imported ones)
    return Application.objects.filter(applicant__user__username__in=USERNAMES)


def test_an_explicit_year_picks_its_rule_set():
    load_demo(year=2019)
    assert Round.objects.get().rule_set == "beijing-2016"  # no past round before 2022
    assert Application.objects.filter(applicant__user__username__in=USERNAMES).count() == 4


def test_the_verification_scene_has_queues_results_and_differences():
    from jifen.review.models import ComparisonRun, FirstResult, ItemState, VerificationItem

    load_demo()
    compared, late = 12, 4  # the test settings' DEMO_VERIFICATION_SIZE
    rnd = Round.objects.get(year=timezone.localdate().year)
    done = Application.objects.filter(applicant__user__username="demo-done").get()
    assert ComparisonRun.objects.filter(state="done", round=rnd).count() == 11
    # Every compared application (the demo's own employer-submitted one too) has its result,
    # and so has the late one the reviewers decided by hand.
    assert FirstResult.objects.filter(application__round=rnd).order_by().values(
        "application"
    ).distinct().count() == (compared + 2)
    assert FirstResult.objects.filter(application=done).exists()
    # The department's tax records of demo-done differ from its declaration.
    assert VerificationItem.objects.get(application=done, kind="tax").state == ItemState.DIFFERENT
    # The late applications wait for reviewers, but the first of them was decided by hand.
    waiting = VerificationItem.objects.filter(state=ItemState.WAITING, round=rnd)
    assert waiting.count() == (late - 1) * 11
    assert VerificationItem.objects.filter(state=ItemState.REJECTED, kind="housing").exists()
    assert Round.objects.get(pk=rnd.pk).recheck_open()
    from jifen.review.models import Dispute

    outcomes = sorted(Dispute.objects.values_list("outcome", flat=True))
    assert outcomes == ["", "", "changed", "upheld"]
    assert Dispute.objects.filter(onsite_at__isnull=False, outcome="").count() == 1


def test_every_account_exists_with_its_role_and_the_demo_password():
    summary = load_demo()
    users = {u.username: u for u in User.objects.select_related("employer")
             if not u.username.startswith("imp")}  # imported applicants: the verification scene
    # The demo logins, and the disabled former reviewer the security administrator sees.
    assert set(users) == set(EXPECTED_ROLES) | {FORMER_STAFF}
    assert set(EXPECTED_ROLES) == set(USERNAMES)
    for username, (role, department) in EXPECTED_ROLES.items():
        user = users[username]
        assert (user.role, user.department) == (role, department), username
        assert user.check_password(DEMO_PASSWORD), username
    assert {a.username for a in summary.accounts} == set(USERNAMES)
    assert summary.password == DEMO_PASSWORD
    employer = users["demo-employer"].employer
    assert employer.name == "北京星河智能科技有限公司"
    assert credit_code_problem(employer.credit_code) is None
    assert credit_code_problem(users["demo-employer2"].employer.credit_code) is None
    for profile in ApplicantProfile.objects.all():
        assert identity_problem(profile.id_number) is None
        assert profile.sex == ("M" if int(profile.id_number[16]) % 2 else "F")
        assert len(profile.name) >= 2


def test_every_staff_account_has_the_published_demo_authenticator():
    load_demo()
    devices = {d.user.username: d for d in TOTPDevice.objects.select_related("user")}
    staff = set(User.objects.filter(role__in=STAFF_ROLES, is_active=True)
                .values_list("username", flat=True))
    assert set(devices) == staff and len(staff) == 12
    # The disabled former reviewer never bound one (it was created with a temporary password).
    assert FORMER_STAFF not in devices
    for username, device in devices.items():
        assert device.confirmed and device.key == demo_key(username)


def test_a_demo_from_before_the_second_factor_gets_its_devices_once():
    load_demo()
    TOTPDevice.objects.filter(user__username="demo-auditor").delete()
    out = StringIO()
    load_demo(stdout=out)
    assert "added the demo authenticator of 1" in out.getvalue()
    device = TOTPDevice.objects.get(user__username="demo-auditor")
    assert device.key == demo_key("demo-auditor")
    counts = _counts()
    load_demo()
    assert _counts() == counts


def test_the_applicants_are_in_every_state():
    load_demo()
    employer = Employer.objects.get(name="北京星河智能科技有限公司")
    employer2 = User.objects.get(username="demo-employer2").employer
    assert sorted(demo_apps().values_list("status", flat=True)) == sorted(
        [Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.EMPLOYER_SUBMITTED]
    )
    assert _app_of("demo-applicant").status == Status.DRAFT
    assert _app_of("demo-submitted").status == Status.SUBMITTED
    returned = _app_of("demo-returned")
    assert (returned.status, returned.return_reason) == (Status.RETURNED, RETURN_REASON)
    assert _app_of("demo-done").status == Status.EMPLOYER_SUBMITTED
    assert Application.objects.filter(employer=employer).count() == 4
    for username in ("demo-linked", "demo-pending", "demo-pending2", "demo-new"):
        assert _app_of(username) is None

    def link_of(username):
        return EmploymentLink.objects.filter(applicant__user__username=username).first()

    for username in ("demo-applicant", "demo-linked", "demo-submitted", "demo-returned",
                     "demo-done"):
        link = link_of(username)
        assert (link.status, link.employer) == (LinkStatus.CONFIRMED, employer)
    assert (link_of("demo-pending").status, link_of("demo-pending").employer) == (
        LinkStatus.PENDING, employer)
    assert (link_of("demo-pending2").status, link_of("demo-pending2").employer) == (
        LinkStatus.PENDING, employer2)
    assert link_of("demo-new") is None


def test_the_declarations_are_valid_and_score_differently():
    load_demo()
    draft = _app_of("demo-applicant")
    filled = [k for k in ("social_insurance", "housing", "education", "tax") if any(
        draft.data[k].values() if isinstance(draft.data[k], dict) else draft.data[k])]
    assert filled == ["social_insurance", "housing"]  # a couple of sections, the rest to try
    totals = {}
    for app in demo_apps().select_related("round", "applicant"):
        assert selectors.declaration_problems(app) == []
        assessment = selectors.assess(app)
        assert assessment.errors == [], app.applicant.user.username
        assert assessment.result is not None
        if app.status != Status.DRAFT:
            assert assessment.result["eligible"] is True
            totals[app.applicant.user.username] = assessment.total
    assert len(set(totals.values())) == 3  # submitted, returned, done all differ


def _days_of_previous_month() -> int:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).day


def test_every_write_left_its_audit_event_on_the_cli_channel():
    load_demo()
    # The failed logins are made as the login page would: from the web, from their address.
    failed = AuditEvent.objects.filter(action__in=["account.login_failed", "account.locked_out"])
    assert {(e.channel, e.ip) for e in failed} == {("web", ATTACKER_ADDRESS)}
    events = AuditEvent.objects.exclude(pk__in=failed.values("pk"))
    assert {e.channel for e in events} == {"cli"}
    actions: dict[str, int] = {}
    for e in events:
        actions[e.action] = actions.get(e.action, 0) + 1
    assert actions == {
        "account.create_staff": 12 + 1,
        "account.second_factor_enrolled": 12,
        "round.create": 1 + 1,  # this year's round and the past round (2022)
        "account.register_employer": 2,
        "account.register_applicant": 8,
        "link.request": 7,
        "link.confirm": 5,
        "application.start": 4,
        # The verification scene: two imports (compared, then later) and eleven comparisons;
        # the past round: one import per employer (six).
        "applications.import": 2 + 6,
        "review.compare": 11 + 11,
        "signal.detect": 11 + 11,  # after each comparison
        # The past round: scored, published, three objections (one corrected: scored and
        # published again), two settlement records (a place taken, one given up).
        "rounds.scoring_start": 2,
        "rounds.scoring_finish": 2,
        "publication.publish": 1,
        "publication.republish": 1,
        "objection.file": 3,
        "objection.state": 3,
        "objection.correct": 1,
        "objection.answer": 2,
        "settlement.record": 2,
        # Reviewers at work: the matched tax items in bulk, one late application by hand (ten
        # kinds confirmed, its housing rejected), and four re-checks at every step.
        "review.bulk_confirm": 1,
        "review.confirm": 10,
        "review.reject": 1,
        "recheck.request": 4,
        "recheck.answer": 2,
        "recheck.send_onsite": 1,
        "recheck.onsite_record": 1,
        "application.save": 3 + 3 * 9,
        "application.submit": 3,
        "application.return": 1,
        "application.employer_submit": 1,
        # The evidence each submitted declaration needs: 4 + 4 + 6 items.
        "evidence.add": 14,
        # The security administrator's account list: one former reviewer disabled.
        "account.disable": 1,
        # Operations: four incidents (one from an alert; one major, its impact recorded twice;
        # three closed) and ten complaints (nine answered, one escalated to both levels).
        # Alerts and incidents: one from the incidents' month, three from the inspections'
        # (those three handled and closed too: the "+ 3" of each step).
        "ops.alert": 1 + 3,
        "ops.incident_open": 4 + 3,
        "ops.incident_respond": 4 + 3,
        "ops.incident_analysis": 4 + 3,
        "ops.incident_actions": 4 + 3,
        "ops.incident_impact": 2,
        "ops.incident_escalate": 1,
        "ops.incident_resolve": 3 + 3,
        "ops.incident_close": 3 + 3,
        "ops.complaint_take": 10,
        "ops.complaint_answer": 9,
        "ops.complaint_escalate": 2,
        # Operations records (demo/ops_records.py): ten visits (nine signed off), the year's
        # eight training sessions (five held with material, one cancelled), the CMDB (the
        # system's own entries found once, four kept by hand, three edits), three parameters.
        "ops.visit_record": 10,
        "ops.visit_sign_off": 9,
        "ops.training_plan": 8,
        "ops.training_material": 5,
        "ops.training_held": 5,
        "ops.training_cancel": 1,
        "ops.cmdb_discover": 1,
        "ops.cmdb_add": 4,
        "ops.cmdb_edit": 3,
        "ops.parameter_change": 3,
        # Inspections: every day of the previous month, four weekly checks, the monthly
        # summary; two warnings and one 异常 day raised an alert each, opening an incident.
        "ops.inspection": _days_of_previous_month() + 4 + 1,
        # Reports: the demo month's and the quarter holding it.
        "ops.report_generate": 2,
        # Personal data (demo/privacy.py): the published list's three files at each
        # publication, three correction requests (two answered), one run of the retention job.
        "personal_data.export": 3 + 3,
        "privacy.correction_request": 3,
        "privacy.correction_answer": 2,
        "privacy.expire_personal_data": 1,
    }
    bureau = User.objects.get(username="demo-bureau")
    assert {e.actor for e in AuditEvent.objects.filter(action="round.create")} == {bureau}
    assert verify_chain().ok


def test_a_second_load_changes_nothing():
    first = load_demo()
    counts = _counts()
    versions = dict(Application.objects.values_list("pk", "version"))
    second = load_demo()
    assert second.created is False
    assert _counts() == counts
    assert dict(Application.objects.values_list("pk", "version")) == versions
    assert second.accounts == first.accounts


def test_the_summary_follows_what_happened_since():
    load_demo()
    app = _app_of("demo-submitted")
    from jifen.applications import services

    services.application_withdraw(
        actor=User.objects.get(username="demo-submitted"), application_id=app.pk,
        version=app.version,
    )
    state = {a.username: a.state for a in load_demo().accounts}["demo-submitted"]
    assert "填报中" in state


def test_a_partial_demo_is_refused_and_nothing_is_added():
    make_applicant("demo-new")
    counts = _counts()
    with pytest.raises(DemoError, match="demo-applicant"):
        load_demo()
    assert _counts() == counts


def test_the_command_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_round", stdout=StringIO())
    assert User.objects.count() == 0 and Round.objects.count() == 0


def test_the_command_prints_the_url_and_every_login(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_round", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert DEMO_PASSWORD in text
    for username in USERNAMES:
        assert f"  {username} " in text
    assert "市人社局管理员" in text and RETURN_REASON in text
    assert ".venv/bin/python manage.py demo_otp_code <用户名>" in text
    again = StringIO()
    call_command("demo_round", "--url", "http://localhost:9000/", stdout=again)
    assert "already loaded" in again.getvalue() and "http://localhost:9000/" in again.getvalue()
    # The shipped published lists are past rounds, imported once.
    assert "Imported the published list of 2020: 6032 rows, line 97.13, 6032 admitted." in text
    assert "Imported the published list" not in again.getvalue()
    assert Round.objects.filter(source="published").count() == 6


def test_no_history_skips_the_published_lists(settings):
    settings.DEBUG = True
    call_command("demo_round", "--no-history", stdout=StringIO())
    assert not Round.objects.filter(source="published").exists()


def test_force_loads_with_debug_off(settings):
    settings.DEBUG = False
    call_command("demo_round", "--force", "--no-history", stdout=StringIO())
    assert User.objects.filter(username__in=USERNAMES).count() == len(USERNAMES)


def test_submitted_declarations_carry_their_required_evidence_as_valid_files():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jifen.applications.evidence_checks import check_evidence_file

    load_demo()
    for app in demo_apps().exclude(status="draft").select_related("round"):
        needs = selectors.evidence_requirements(app)
        assert needs and all(attached for _, attached in needs), app.applicant.user.username
        assert selectors.missing_evidence(app) == []
        for ev in app.evidence.all():
            with ev.file.open("rb") as handle:
                content = handle.read()
            ext = ev.original_name[ev.original_name.rindex("."):]
            upload = SimpleUploadedFile(f"file{ext}", content)
            assert check_evidence_file(upload, ext) == ev.content_type
    draft = Application.objects.get(status="draft")
    assert not draft.evidence.exists()  # the visitor's draft is left to fill


def test_the_security_administrator_has_a_disabled_and_a_locked_account_to_see():
    load_demo()
    security = User.objects.get(username="demo-security")
    former = User.objects.get(username=FORMER_STAFF)
    assert (former.role, former.department, former.is_active) == (
        Role.REVIEWER, Department.TAX, False)
    disable = AuditEvent.objects.get(action="account.disable", target_id=str(former.pk))
    assert (disable.actor, disable.detail) == (security, FORMER_REASON)
    # demo-pending is locked for the attacker's address only: the owner signs in from theirs.
    locked = AuditEvent.objects.get(action="account.locked_out")
    assert locked.target_id == str(User.objects.get(username="demo-pending").pk)
    assert locked.after["failures"] == 5
    from django.test import Client

    def sign_in(address: str) -> int:
        return Client(REMOTE_ADDR=address).post(
            "/accounts/login/", {"username": "demo-pending", "password": DEMO_PASSWORD}
        ).status_code

    assert sign_in(ATTACKER_ADDRESS) == 429
    assert sign_in("192.0.2.10") == 302


def test_the_month_of_incidents_and_complaints():
    from jifen.ops import complaints, incidents
    from jifen.ops.models import Complaint, Incident

    load_demo()
    # The inspections' month opens incidents of its own (from their alerts): not these.
    own = Incident.objects.exclude(title__startswith="日常巡检发现")
    tickets = {i.title: i for i in own}
    assert len(tickets) == 4
    assert [i.status for i in tickets.values()].count(Incident.Status.CLOSED) == 3
    major = Incident.objects.get(severity=Incident.Severity.MAJOR)
    assert major.status == Incident.Status.CLOSED and major.emergency_plan_started_at
    assert major.outage_minutes == 75 and "受影响用户 2300 人" in major.escalation_reason
    assert own.filter(alerts__isnull=False).distinct().count() == 1
    response = incidents.sla(major)[0]
    assert (response.value, response.met) == (8.0, True)
    assert Complaint.objects.count() == 10
    overdue = Complaint.objects.get(status=Complaint.Status.OPEN)
    assert overdue.escalation == Complaint.Escalation.MANAGEMENT
    answered = Complaint.objects.filter(status=Complaint.Status.ANSWERED)
    assert all(c.answered_at <= c.due_at for c in answered)
    now = timezone.now()
    stats = complaints.complaint_stats(now - timedelta(days=60), now + timedelta(days=1))
    assert (stats["received"], stats["answered_on_time"], stats["overdue"]) == (10, 9, 1)


def test_the_operations_records_of_a_month() -> None:
    from datetime import date

    from jifen.ops import cmdb, training, visits
    from jifen.ops.models import ConfigChange, ParameterChange, TrainingSession

    load_demo()
    today = timezone.localdate()
    month = visits.visit_stats(today - timedelta(days=30), today)
    assert (month["total"], month["completed"]) == (10, 9)
    assert 3 <= month["average_satisfaction"] <= 5
    plan = training.training_stats(today.year)
    assert (plan["planned"], plan["held"], plan["with_material"]) == (8, 5, 5)
    assert plan["cancelled"] == 1
    status = cmdb.cmdb_status()
    assert status["by_kind"]["服务器"] == 2 and status["discovered"] >= 10
    assert ConfigChange.objects.filter(field="version", changed_by__isnull=False).count() == 2
    assert ParameterChange.objects.count() == 3
    assert all(s.planned_on.year == today.year for s in TrainingSession.objects.all())
    assert date(today.year, 1, 1) <= min(
        s.held_on for s in TrainingSession.objects.filter(status="held")
    )
