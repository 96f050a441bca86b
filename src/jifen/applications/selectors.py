"""Application reads, with the same permission rules as the writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.core.errors import FieldError, NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from jifen.rules import Breakdown, score, to_result, validate_profile
from jifen.rules.evidence import EvidenceRules, Requirement, load_evidence_rules
from jifen.rules.ruleset import RuleSet, load_rule_set
from jifen.rules.schema import ProfileError

from . import declaration as decl
from .models import ACTIVE_LINK_STATUSES, Application, EmploymentLink, Evidence, LinkStatus, Status

# Which declaration sections each department verifies (and so may see).
DEPARTMENT_SECTIONS: dict[str, tuple[str, ...]] = {
    Department.SOCIAL_INSURANCE: ("social_insurance", "employment"),
    Department.HOUSING: ("housing",),
    Department.EDUCATION: ("education",),
    Department.TAX: ("tax", "violations"),
    Department.POLICE: ("conditions", "violations"),
    Department.SCIENCE: ("innovation",),
    Department.HONOURS: ("honours",),
    Department.SERVICE_WINDOW: decl.SECTION_KEYS,
}


# How many of the newest employer-submitted applications the bureau's overview lists.
RECENT_SUBMITTED_LIMIT = 20


def _require_role(user: User, role: str, message: str) -> None:
    if not user.is_authenticated or user.role != role:
        raise NotPermitted(message)


def rule_set_of(app: Application) -> RuleSet:
    return load_rule_set(app.round.rule_set)


def visible_sections(user: User, app: Application) -> tuple[str, ...]:
    """The sections ``user`` may read of ``app`` (raises NotFound when none)."""
    if not user.is_authenticated:
        raise NotFound("没有找到该申报")
    if user.role == Role.APPLICANT:
        if getattr(user, "applicant", None) is not None and app.applicant_id == user.applicant.pk:
            return decl.SECTION_KEYS
    elif user.role == Role.EMPLOYER_AGENT:
        if app.employer_id == user.employer_id and app.status != Status.DRAFT:
            return decl.SECTION_KEYS
    elif user.role == Role.BUREAU_ADMIN:
        # A draft is the applicant's own until they submit it; the bureau sees the rest.
        if app.status != Status.DRAFT:
            return decl.SECTION_KEYS
    elif user.role == Role.REVIEWER and app.status == Status.EMPLOYER_SUBMITTED:
        return DEPARTMENT_SECTIONS.get(user.department, ())
    raise NotFound("没有找到该申报")


def application_for(user: User, application_id: int) -> Application:
    """The application if ``user`` may see it; NotFound otherwise (no existence leak)."""
    app = (
        Application.objects.select_related("round", "applicant", "employer")
        .filter(pk=application_id)
        .first()
    )
    if app is None:
        raise NotFound("没有找到该申报")
    visible_sections(user, app)
    return app


def application_data_for(user: User, app: Application) -> dict[str, Any]:
    """The declaration, cut down to the sections ``user`` may see."""
    allowed = visible_sections(user, app)
    return {k: v for k, v in app.data.items() if k in allowed}


def applicant_of(user: User) -> ApplicantProfile:
    if not user.is_authenticated or user.role != Role.APPLICANT:
        raise NotPermitted("只有申请人可以查看")
    return user.applicant


def applications_of_applicant(user: User) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant=applicant_of(user))
        .select_related("round", "employer")
        .order_by("-round__year")
    )


def applications_for_employer(user: User, status: str | None = None) -> QuerySet[Application]:
    """The employer's employees' applications that reached it (drafts stay private)."""
    if not user.is_authenticated or user.role != Role.EMPLOYER_AGENT:
        raise NotPermitted("只有用人单位经办人可以查看")
    qs = (
        Application.objects.filter(employer_id=user.employer_id)
        .exclude(status=Status.DRAFT)
        .select_related("round", "applicant")
        .order_by("status", "-submitted_at", "id")
    )
    return qs.filter(status=status) if status else qs


def status_counts(queryset: QuerySet[Application]) -> dict[str, int]:
    """How many applications of ``queryset`` are in each status: every status is a key (in
    the order of ``Status``), 0 when there is none. ``queryset`` is already cut down to what
    the caller may see; this only counts it."""
    counts = {
        row["status"]: row["n"]
        for row in queryset.order_by().values("status").annotate(n=Count("id"))
    }
    return {s.value: counts.get(s.value, 0) for s in Status}


def employer_status_counts(user: User) -> dict[str, int]:
    """The employer agent's own employer's applications per status (drafts stay with the
    applicant, so they count 0); NotPermitted for anyone else."""
    return status_counts(applications_for_employer(user))


def round_overview(user: User, rnd: Round | None) -> dict[str, Any]:
    """The bureau's overview of ``rnd`` (the current round, or None when there is none).

    Keys: ``status_counts`` (every status of the round's applications, drafts included as a
    number only; empty when ``rnd`` is None), ``application_total``, ``pending_links`` and
    ``confirmed_links`` (employment links of all rounds), ``employer_count``,
    ``applicant_count``, ``recent_submitted`` (the round's newest employer-submitted
    applications, at most RECENT_SUBMITTED_LIMIT, employer loaded) and ``rounds`` (every round,
    newest first). Only for the bureau's administrators: NotPermitted otherwise.
    """
    _require_role(user, Role.BUREAU_ADMIN, "只有市人社局管理员可以查看")
    counts: dict[str, int] = {}
    recent: list[Application] = []
    if rnd is not None:
        in_round = Application.objects.filter(round=rnd)
        counts = status_counts(in_round)
        recent = list(
            in_round.filter(status=Status.EMPLOYER_SUBMITTED)
            .select_related("employer")
            .order_by("-employer_submitted_at", "-id")[:RECENT_SUBMITTED_LIMIT]
        )
    return {
        "status_counts": counts,
        "application_total": sum(counts.values()),
        "pending_links": EmploymentLink.objects.filter(status=LinkStatus.PENDING).count(),
        "confirmed_links": EmploymentLink.objects.filter(status=LinkStatus.CONFIRMED).count(),
        "employer_count": Employer.objects.count(),
        "applicant_count": ApplicantProfile.objects.count(),
        "recent_submitted": recent,
        "rounds": Round.objects.order_by("-year"),
    }


def reviewer_queue(user: User, rnd: Round | None) -> QuerySet[Application]:
    """The applications of ``rnd`` waiting for the reviewer's department: those the employers
    passed on, oldest first (employer loaded). Empty when there is no round or the department
    verifies no section; NotPermitted for anyone but a reviewer. What each reviewer may read
    of one application is ``visible_sections``' decision."""
    _require_role(user, Role.REVIEWER, "只有部门审核员可以查看")
    if rnd is None or not DEPARTMENT_SECTIONS.get(user.department):
        return Application.objects.none()
    return (
        Application.objects.filter(round=rnd, status=Status.EMPLOYER_SUBMITTED)
        .select_related("employer")
        .order_by("employer_submitted_at", "id")
    )


def links_for_employer(user: User, status: str | None = None) -> QuerySet[EmploymentLink]:
    if not user.is_authenticated or user.role != Role.EMPLOYER_AGENT:
        raise NotPermitted("只有用人单位经办人可以查看")
    qs = EmploymentLink.objects.filter(employer_id=user.employer_id).select_related("applicant")
    return (qs.filter(status=status) if status else qs).order_by("-requested_at", "-id")


def links_of_applicant(user: User) -> QuerySet[EmploymentLink]:
    return (
        EmploymentLink.objects.filter(applicant=applicant_of(user))
        .select_related("employer")
        .order_by("-requested_at", "-id")
    )


def active_link_of_applicant(user: User) -> EmploymentLink | None:
    return (
        links_of_applicant(user)
        .filter(status__in=ACTIVE_LINK_STATUSES)
        .first()
    )


def evidence_for(user: User, app: Application) -> QuerySet[Evidence]:
    allowed = visible_sections(user, app)
    return Evidence.objects.filter(application=app, section__in=allowed)


def evidence_item_for(user: User, evidence_id: int) -> Evidence:
    ev = (
        Evidence.objects.select_related("application", "application__round")
        .filter(pk=evidence_id)
        .first()
    )
    if ev is None:
        raise NotFound("没有找到该材料")
    if ev.section not in visible_sections(user, ev.application):
        raise NotFound("没有找到该材料")
    return ev


def declaration_problems(app: Application) -> list[FieldError]:
    return decl.clean_declaration(app.data, year=app.round.year, rule_set=rule_set_of(app))


def evidence_rules_of(app: Application) -> EvidenceRules:
    """What evidence each item of ``app`` needs (the data beside its round's rule set)."""
    return load_evidence_rules(app.round.rule_set)


def _attached(app: Application) -> set[tuple[str, str]]:
    return set(Evidence.objects.filter(application=app).values_list("section", "item_id"))


def evidence_requirements(app: Application) -> list[tuple[Requirement, bool]]:
    """Every item of ``app`` that needs evidence, and whether a file is attached to it."""
    attached = _attached(app)
    return [
        (r, (r.section, r.item_id) in attached)
        for r in evidence_rules_of(app).requirements(app.data)
    ]


def missing_evidence_message(documents: tuple[str, ...]) -> str:
    return f"请上传 {'、'.join(documents)}"


def missing_evidence(app: Application) -> list[FieldError]:
    """One problem per item still without its evidence, named by the item's path
    ("housing[0]": 合法稳定住所 第 1 条) with the documents to upload."""
    missing = evidence_rules_of(app).missing(app.data, _attached(app))
    return [FieldError(r.path, missing_evidence_message(r.documents)) for r in missing]


def section_problems(app: Application) -> dict[str, list[FieldError]]:
    out: dict[str, list[FieldError]] = {k: [] for k in decl.SECTION_KEYS}
    for err in declaration_problems(app):
        key = err.field.split(".")[0].split("[")[0]
        out.setdefault(key, []).append(err)
    return out


def section_warnings(app: Application) -> dict[str, list[FieldError]]:
    """What may be wrong in each section (declaration.warn_section): shown, never blocking."""
    birth = app.applicant.birth_date
    rule_set = rule_set_of(app)
    return {
        k: decl.warn_section(k, app.data.get(k), rule_set=rule_set, birth_date=birth)
        for k in decl.SECTION_KEYS
    }


@dataclass
class Assessment:
    """The self-assessment: the rules engine's result for the declared (unverified) data.

    ``result`` is the ``jifen.result/1`` object; ``breakdown`` the engine's Breakdown it was
    made from, whose facts the pages explain in Chinese (``display.explanation_of``).
    """

    result: dict[str, Any] | None
    errors: list[FieldError] = field(default_factory=list)
    breakdown: Breakdown | None = None

    @property
    def total(self) -> float | None:
        return None if self.result is None else self.result["total"]


def profile_of(app: Application) -> dict[str, Any]:
    person = app.applicant
    return decl.to_profile(
        app.data,
        year=app.round.year,
        rule_set=app.round.rule_set,
        application_no=app.number,
        id_number=person.id_number,
        name=person.name,
        sex=person.sex,
        birth_date=person.birth_date.isoformat(),
    )


def assess(app: Application) -> Assessment:
    # The conditions (residence permit, criminal record) are not form errors here: the
    # engine reports them as eligibility reasons, which is what the applicant needs to see.
    problems = [p for p in declaration_problems(app) if not p.field.startswith("conditions.")]
    if problems:
        return Assessment(None, problems)
    try:
        breakdown = score(validate_profile(profile_of(app), rule_set=app.round.rule_set))
    except ProfileError as exc:
        # The page names the field (by its path); the message says what is wrong, in Chinese.
        return Assessment(
            None,
            [FieldError(p.path, f"积分规则校验未通过：{p.message_zh}") for p in exc.problems],
        )
    return Assessment(to_result(breakdown), breakdown=breakdown)
