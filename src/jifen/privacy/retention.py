"""Retention (个人信息保存期限): what has expired is deleted or anonymised, the numbers kept.

Periods are system parameters (group 个人信息保存期限), counted in years from the end of the
round's last phase (:func:`round_ended_at`):

- ``retention_evidence_years``: the evidence files of applications that did not settle are
  deleted, file and row;
- ``retention_unsettled_years``: the applications that did not settle are anonymised — the
  declaration as typed, the name in the verified profile, re-check statements, objections
  about them, their line in the published list — while their scores, indicators, birth month
  and sex stay, so every statistic of the round is unchanged; once every application of a
  person is anonymised (and they have not signed in since), the account is anonymised too;
- ``retention_published_files_years``: the published list's CSV/XLSX/PDF are deleted.

The access and login logs have their own periods (``log_keep_days``, ``log_login_keep_days``),
applied by the ``rotate_logs`` job. A settled applicant's records and a round that has not
ended are never touched. A run is idempotent (anonymised applications are marked) and audited
with its counts; ``dry_run`` counts without changing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, PasswordReset, User
from jifen.applications.models import Application, EmploymentLink, Evidence
from jifen.audit.services import record_event
from jifen.inbox.models import Message
from jifen.ops import parameters
from jifen.publication.models import (
    ListedEntry,
    Objection,
    PublicationFile,
    Settlement,
    SettlementState,
)
from jifen.review.models import Dispute, FirstResult
from jifen.rounds import phases
from jifen.rounds.models import Round

from .models import AnonymisedApplication, AnonymisedPerson, CorrectionRequest

ACTION = "privacy.expire_personal_data"
ANONYMISED_NAME = "已匿名"
_BATCH = 500


def round_ended_at(rnd: Round) -> datetime | None:
    """When the round's last phase closes (None when no phase has a window)."""
    closes = [phases.window(rnd, p)[1] for p in phases.ORDER]
    known = [c for c in closes if c is not None]
    return max(known) if known else None


def _years_after(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


@dataclass
class Summary:
    dry_run: bool
    at: datetime
    rounds: list[int] = field(default_factory=list)
    evidence_deleted: int = 0
    evidence_bytes: int = 0
    applications_anonymised: int = 0
    persons_anonymised: int = 0
    published_files_deleted: int = 0
    settled_kept: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "at": timezone.localtime(self.at).isoformat(timespec="seconds"),
            "rounds": self.rounds,
            "evidence_deleted": self.evidence_deleted,
            "evidence_bytes": self.evidence_bytes,
            "applications_anonymised": self.applications_anonymised,
            "persons_anonymised": self.persons_anonymised,
            "published_files_deleted": self.published_files_deleted,
            "settled_kept": self.settled_kept,
        }

    def describe(self) -> str:
        head = "试运行（未作任何更改）：" if self.dry_run else ""
        return (
            f"{head}删除证明材料 {self.evidence_deleted} 份，匿名化未落户申请 "
            f"{self.applications_anonymised} 份、申请人 {self.persons_anonymised} 名，删除公示名单"
            f"导出文件 {self.published_files_deleted} 个；已落户申请 {self.settled_kept} 份不受影响"
        )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), _BATCH):
        yield ids[i : i + _BATCH]


def _delete_evidence(app_ids: list[int], summary: Summary, *, dry_run: bool) -> None:
    for chunk in _chunks(app_ids):
        rows = list(
            Evidence.objects.filter(application_id__in=chunk).values_list("pk", "file", "size")
        )
        summary.evidence_deleted += len(rows)
        summary.evidence_bytes += sum(size for _, _, size in rows)
        if dry_run or not rows:
            continue
        Evidence.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        names = [name for _, name, _ in rows]

        def remove(names: list[str] = names) -> None:
            from jifen.applications.models import evidence_storage

            for name in names:
                evidence_storage.delete(name)

        # The files go once the rows' deletion is committed.
        transaction.on_commit(remove)


def _anonymise_applications(app_ids: list[int], now: datetime) -> None:
    for chunk in _chunks(app_ids):
        Application.objects.filter(pk__in=chunk).update(
            data={}, saved_sections=[], return_reason=""
        )
        results = list(FirstResult.objects.filter(application_id__in=chunk).only("pk", "profile"))
        for fr in results:
            person = dict((fr.profile or {}).get("person") or {})
            # Birth date and sex stay: the age bands and the what-if scoring read them.
            person.pop("name", None)
            person.pop("id_number", None)
            fr.profile = {**(fr.profile or {}), "person": person}
        FirstResult.objects.bulk_update(results, ["profile"], batch_size=_BATCH)
        Dispute.objects.filter(request__application_id__in=chunk).update(statement="")
        ListedEntry.objects.filter(application_id__in=chunk).update(
            name=ANONYMISED_NAME, id_masked=""
        )
        Objection.objects.filter(application_id__in=chunk).update(
            listed_name=ANONYMISED_NAME,
            filer_name="",
            filer_phone="",
            phone_index="",
            address_index="",
            reason="",
        )
        AnonymisedApplication.objects.bulk_create(
            [AnonymisedApplication(application_id=pk, at=now) for pk in chunk]
        )


def anonymise_person(profile: ApplicantProfile) -> None:
    """Remove the identity of ``profile``'s account (in the caller's transaction)."""
    user: User = profile.user
    profile.name = ANONYMISED_NAME
    profile.id_number = ""
    profile.id_index = f"anonymised:{profile.pk}"  # still unique, matches no real number
    profile.birth_date = date(profile.birth_date.year, 1, 1)
    profile.save(update_fields=["name", "id_number", "id_index", "birth_date"])
    user.username = f"anonymised-{user.pk}"
    user.full_name = user.first_name = user.last_name = user.email = ""
    user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    EmploymentLink.objects.filter(applicant=profile).update(reason="")
    Message.objects.filter(recipient=user).delete()
    PasswordReset.objects.filter(user=user).delete()
    CorrectionRequest.objects.filter(applicant=profile).update(wrong="", correct="", answer="")
    AnonymisedPerson.objects.create(applicant=profile, at=timezone.now())


def _persons_to_anonymise(candidates: Iterable[int], ends: dict[int, datetime]) -> list[int]:
    """The applicants among ``candidates`` every application of whom is anonymised and who
    have not signed in since their last round ended (someone still using the account keeps it)."""
    out = []
    not_anonymised = Application.objects.filter(applicant=OuterRef("pk")).exclude(
        Exists(AnonymisedApplication.objects.filter(application=OuterRef("pk")))
    )
    profiles = (
        ApplicantProfile.objects.filter(pk__in=list(candidates))
        .exclude(Exists(AnonymisedPerson.objects.filter(applicant=OuterRef("pk"))))
        .exclude(Exists(not_anonymised))
        .select_related("user")
    )
    for profile in profiles:
        last_login = profile.user.last_login
        if last_login is not None and last_login > ends.get(profile.pk, last_login):
            continue
        out.append(profile.pk)
    return out


def expire_personal_data(*, now: datetime | None = None, dry_run: bool = False) -> Summary:
    """Apply the retention periods once (see the module's docstring); audited, atomic."""
    now = now or timezone.now()
    summary = Summary(dry_run=dry_run, at=now)
    evidence_years = int(parameters.get("retention_evidence_years"))
    unsettled_years = int(parameters.get("retention_unsettled_years"))
    files_years = int(parameters.get("retention_published_files_years"))
    with transaction.atomic():
        person_ends: dict[int, datetime] = {}
        new_app_ids: list[int] = []
        for rnd in Round.objects.order_by("year"):
            ended = round_ended_at(rnd)
            if ended is None or ended > now:
                continue  # a round in progress is never touched
            settled = Settlement.objects.filter(
                application__round=rnd, state=SettlementState.SETTLED
            ).values("application_id")
            apps = Application.objects.filter(round=rnd)
            summary.settled_kept += apps.filter(pk__in=settled).count()
            unsettled = apps.exclude(pk__in=settled)
            touched = False
            anonymise = _years_after(ended, unsettled_years) <= now
            if anonymise or _years_after(ended, evidence_years) <= now:
                before = summary.evidence_deleted
                ids = list(unsettled.values_list("pk", flat=True))
                _delete_evidence(ids, summary, dry_run=dry_run)
                touched |= summary.evidence_deleted > before
            if anonymise:
                fresh = unsettled.exclude(
                    Exists(AnonymisedApplication.objects.filter(application=OuterRef("pk")))
                )
                rows = list(fresh.values_list("pk", "applicant_id"))
                summary.applications_anonymised += len(rows)
                for pk, applicant_id in rows:
                    new_app_ids.append(pk)
                    prev = person_ends.get(applicant_id)
                    person_ends[applicant_id] = ended if prev is None else max(prev, ended)
                touched |= bool(rows)
            if _years_after(ended, files_years) <= now:
                files = PublicationFile.objects.filter(publication__round=rnd)
                n = files.count()
                summary.published_files_deleted += n
                if n and not dry_run:
                    files.delete()
                touched |= bool(n)
            if touched:
                summary.rounds.append(rnd.year)
        if dry_run:
            summary.persons_anonymised = _count_persons_dry(new_app_ids, person_ends)
        else:
            _anonymise_applications(new_app_ids, now)
            for pk in _persons_to_anonymise(person_ends, person_ends):
                anonymise_person(ApplicantProfile.objects.select_related("user").get(pk=pk))
                summary.persons_anonymised += 1
        record_event(
            actor=None,
            action=ACTION,
            target_type="privacy.retention",
            target_id=now.date().isoformat(),
            after={
                **summary.as_dict(),
                "parameters": {
                    "retention_evidence_years": evidence_years,
                    "retention_unsettled_years": unsettled_years,
                    "retention_published_files_years": files_years,
                },
            },
            detail=summary.describe(),
        )
    return summary


def _count_persons_dry(new_app_ids: list[int], ends: dict[int, datetime]) -> int:
    """How many persons a real run would anonymise: those all of whose applications are
    anonymised already or would be now (computed without writing)."""
    would = set(new_app_ids)
    count = 0
    for profile in ApplicantProfile.objects.filter(pk__in=list(ends)).select_related("user"):
        if AnonymisedPerson.objects.filter(applicant=profile).exists():
            continue
        remaining = (
            Application.objects.filter(applicant=profile)
            .exclude(pk__in=would)
            .exclude(Exists(AnonymisedApplication.objects.filter(application=OuterRef("pk"))))
        )
        if remaining.exists():
            continue
        last_login = profile.user.last_login
        if last_login is not None and last_login > ends[profile.pk]:
            continue
        count += 1
    return count


def retention_job() -> str:
    """The scheduled job (``expire_personal_data``): one real run, its summary in Chinese."""
    return expire_personal_data().describe()


__all__ = ["ACTION", "Summary", "expire_personal_data", "retention_job", "round_ended_at"]
