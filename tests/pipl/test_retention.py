"""The retention job: what expired is deleted or anonymised, statistics unchanged, audited."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from jifen.accounts.models import ApplicantProfile, User
from jifen.applications.models import Application, Evidence
from jifen.audit.models import AuditEvent
from jifen.audit.services import verify_chain
from jifen.core.roles import Role
from jifen.ops import parameters
from jifen.ops.schedule import job
from jifen.privacy.models import AnonymisedApplication, AnonymisedPerson
from jifen.privacy.retention import ACTION, expire_personal_data
from jifen.publication.models import ListedEntry, Objection, PublicationFile
from jifen.review.models import FirstResult
from jifen.stats import statistics_selectors as sel
from tests.factories import make_staff

from .world import past_round, shift_round

pytestmark = pytest.mark.django_db(transaction=False)


def _tables(user: User, year: int) -> dict[str, object]:
    stats = sel.statistics(user, year=year)
    return {t.key: (t.columns, t.rows, t.chart) for t in stats.tables}


def _evidence_paths(apps: list[Application]) -> list[Path]:
    return [
        Path(settings.EVIDENCE_ROOT) / ev.file.name
        for ev in Evidence.objects.filter(application__in=apps)
    ]


@pytest.mark.parametrize("scored", [True, False], ids=["scoring-run", "first-results"])
def test_expired_unsettled_applications_are_anonymised_settled_kept(
    django_capture_on_commit_callbacks, scored: bool
) -> None:
    world = past_round()
    if not scored:  # the statistics then come from the first results' profiles
        world.round.current_run = None
        world.round.save(update_fields=["current_run"])
    bureau = make_staff(Role.BUREAU_ADMIN)
    before = _tables(bureau, world.round.year)
    assert before["age"][1] != [] and before["distribution"][1] != []
    settled_paths = _evidence_paths([world.settled])
    other_paths = _evidence_paths(world.apps[1:])
    assert all(p.exists() for p in settled_paths + other_paths)

    with django_capture_on_commit_callbacks(execute=True):
        summary = expire_personal_data()

    assert summary.applications_anonymised == 4
    assert summary.persons_anonymised == 4
    assert summary.evidence_deleted == 4
    assert summary.settled_kept == 1
    assert summary.published_files_deleted == 3
    # Statistics of the round: every table the same.
    assert _tables(bureau, world.round.year) == before

    # Evidence of the unsettled: rows and files gone; the settled applicant's kept.
    assert not Evidence.objects.filter(application__in=world.apps[1:]).exists()
    assert not any(p.exists() for p in other_paths)
    assert all(p.exists() for p in settled_paths)
    assert Evidence.objects.filter(application=world.settled).count() == 1

    # The unsettled person: no name, identity number, phone, login.
    gave_up = ApplicantProfile.objects.select_related("user").get(pk=world.given_up.applicant_id)
    assert gave_up.name == "已匿名" and gave_up.id_number == ""
    assert gave_up.user.phone == "" and gave_up.user.phone_index == ""
    assert gave_up.user.username == f"anonymised-{gave_up.user.pk}"
    assert not gave_up.user.is_active and not gave_up.user.has_usable_password()
    assert gave_up.birth_date.month == 1 and gave_up.birth_date.day == 1
    fr = FirstResult.objects.get(application=world.given_up)
    assert "name" not in fr.profile["person"]
    assert fr.profile["person"]["birth_date"] == "1979-11-02"  # kept for the age bands
    assert Application.objects.get(pk=world.given_up.pk).data == {}
    entry = ListedEntry.objects.get(application=world.given_up)
    assert entry.name == "已匿名" and entry.id_masked == ""
    objection = Objection.objects.get(application=world.given_up)
    assert objection.filer_name == "" and objection.filer_phone == "" and objection.reason == ""

    # The settled person untouched.
    settled = ApplicantProfile.objects.select_related("user").get(pk=world.settled.applicant_id)
    assert settled.name == "王素芳" and len(settled.id_number) == 18
    assert settled.user.is_active and settled.user.phone.startswith("139")
    assert FirstResult.objects.get(application=world.settled).profile["person"]["name"] == "王素芳"
    assert Application.objects.get(pk=world.settled.pk).data != {}
    assert not PublicationFile.objects.exists()

    # Audited with the counts; the chain still verifies.
    event = AuditEvent.objects.filter(action=ACTION).get()
    assert event.actor is None
    assert event.after["applications_anonymised"] == 4
    assert event.after["evidence_deleted"] == 4
    assert event.after["parameters"]["retention_unsettled_years"] == 3
    assert "王素芳" not in json.dumps(event.after, ensure_ascii=False)
    assert verify_chain().ok


def test_second_run_changes_nothing() -> None:
    past_round()
    expire_personal_data()
    again = expire_personal_data()
    assert (again.applications_anonymised, again.persons_anonymised, again.evidence_deleted) == (
        0,
        0,
        0,
    )
    assert AnonymisedApplication.objects.count() == 4
    assert AnonymisedPerson.objects.count() == 4
    assert AuditEvent.objects.filter(action=ACTION).count() == 2


def test_a_round_in_progress_or_not_yet_expired_is_not_touched() -> None:
    world = past_round(ended_days_ago=2 * 366)  # evidence expired (1 year), not the rest
    summary = expire_personal_data()
    assert summary.evidence_deleted == 4
    assert summary.applications_anonymised == 0
    assert ApplicantProfile.objects.get(pk=world.given_up.applicant_id).name == "李建国"

    shift_round(world.round, ended_days_ago=-30)  # the round has not ended yet
    Evidence.objects.all().delete()
    summary = expire_personal_data()
    assert summary.rounds == [] and summary.applications_anonymised == 0


def test_the_periods_are_parameters() -> None:
    world = past_round(ended_days_ago=2 * 366)
    admin = make_staff(Role.OPERATOR)
    parameters.set_parameter(
        actor=admin, key="retention_unsettled_years", value=1, reason="测试缩短保存期限"
    )
    summary = expire_personal_data()
    assert summary.applications_anonymised == 4
    assert ApplicantProfile.objects.get(pk=world.given_up.applicant_id).name == "已匿名"


def test_someone_still_using_their_account_keeps_it() -> None:
    from django.utils import timezone

    world = past_round()
    user = world.applicants[2]
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    summary = expire_personal_data()
    assert summary.applications_anonymised == 4
    assert summary.persons_anonymised == 3
    assert ApplicantProfile.objects.get(user=user).name != "已匿名"


def test_dry_run_counts_without_changing_and_command_prints_json() -> None:
    world = past_round()
    out = StringIO()
    call_command("expire_personal_data", "--dry-run", stdout=out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["dry_run"] is True
    assert last["applications_anonymised"] == 4 and last["persons_anonymised"] == 4
    assert last["evidence_deleted"] == 4 and last["published_files_deleted"] == 3
    assert Evidence.objects.count() == 5
    assert ApplicantProfile.objects.get(pk=world.given_up.applicant_id).name == "李建国"
    assert "试运行" in out.getvalue()

    out = StringIO()
    call_command("expire_personal_data", stdout=out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last["dry_run"] is False and last["applications_anonymised"] == 4
    events = list(AuditEvent.objects.filter(action=ACTION).order_by("seq"))
    assert [e.after["dry_run"] for e in events] == [True, False]
    assert events[-1].channel == "cli"


def test_the_job_is_scheduled() -> None:
    item = job("expire_personal_data")
    assert item.func == "jifen.privacy.retention:retention_job"
    past_round()
    out = StringIO()
    call_command("run_scheduler", "--run", "expire_personal_data", stdout=out)
    assert ApplicantProfile.objects.filter(name="已匿名").count() == 4
