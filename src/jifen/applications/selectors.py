"""Application reads, with the same permission rules as the writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from jifen.accounts.models import ApplicantProfile, User
from jifen.accounts.roles import Department, Role
from jifen.core.errors import FieldError, NotFound, NotPermitted
from jifen.rules import score_profile
from jifen.rules.ruleset import RuleSet, load_rule_set
from jifen.rules.schema import ProfileError

from . import declaration as decl
from .models import Application, EmploymentLink, Evidence, LinkStatus, Status

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
        .filter(status__in=[LinkStatus.PENDING, LinkStatus.CONFIRMED])
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


def section_problems(app: Application) -> dict[str, list[FieldError]]:
    out: dict[str, list[FieldError]] = {k: [] for k in decl.SECTION_KEYS}
    for err in declaration_problems(app):
        key = err.field.split(".")[0].split("[")[0]
        out.setdefault(key, []).append(err)
    return out


@dataclass
class Assessment:
    """The self-assessment: the rules engine's result for the declared (unverified) data."""

    result: dict[str, Any] | None
    errors: list[FieldError] = field(default_factory=list)

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
        return Assessment(score_profile(profile_of(app), rule_set=app.round.rule_set))
    except ProfileError as exc:
        errors = []
        for message in exc.errors:
            path, _, text = message.partition(": ")
            errors.append(FieldError(path, f"积分规则校验未通过：{text}"))
        return Assessment(None, errors)
