"""Models as response bodies. Identity numbers only ever leave here masked."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.applications import declaration as decl
from jifen.applications import selectors
from jifen.applications.explain import explain_zh, reasons_of
from jifen.applications.models import Application, EmploymentLink, Evidence
from jifen.core.errors import FieldError
from jifen.rounds import phases
from jifen.rounds.models import Round
from jifen.rules import Breakdown


def errors(items: list[FieldError]) -> list[dict[str, str]]:
    return [e.as_dict() for e in items]


def employer(e: Employer) -> dict[str, Any]:
    return {"id": e.pk, "name": e.name, "code": e.code, "district": e.district}


def employer_brief(e: Employer) -> dict[str, Any]:
    return {"id": e.pk, "name": e.name, "district": e.district}


def applicant(p: ApplicantProfile) -> dict[str, Any]:
    return {
        "name": p.name,
        "id_number_masked": p.id_number_masked,
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat(),
    }


def me(user: User) -> dict[str, Any]:
    profile = ApplicantProfile.objects.filter(user=user).first()
    return {
        "id": user.pk,
        "username": user.username,
        "role": user.role,
        "role_display": user.get_role_display(),
        "display_name": user.display_name,
        "is_staff_role": user.is_staff_role,
        "department": user.department,
        "employer": employer(user.employer) if user.employer_id else None,
        "applicant": applicant(profile) if profile else None,
    }


def round_(r: Round) -> dict[str, Any]:
    return {
        "id": r.pk,
        "year": r.year,
        "rule_set": r.rule_set,
        "quota": r.quota,
        "declaration_opens": r.declaration_opens,
        "declaration_closes": r.declaration_closes,
        "declaration_open": r.declaration_open(),
        "verification_days": r.verification_days or {},
        **round_phases(r),
    }


def round_phases(r: Round) -> dict[str, Any]:
    """Each phase with its window and state, and the phases open now."""
    now = timezone.now()
    return {
        "phases": [
            {
                "phase": s.phase.value,
                "label": s.label,
                "opens": s.opens,
                "closes": s.closes,
                "state": s.state,
                "state_label": s.state_label,
            }
            for s in phases.states(r, now)
        ],
        "open_phases": [p.value for p in phases.open_phases(r, now)],
    }


def link(k: EmploymentLink) -> dict[str, Any]:
    return {
        "id": k.pk,
        "status": k.status,
        "status_display": k.get_status_display(),
        "reason": k.reason,
        "requested_at": k.requested_at,
        "decided_at": k.decided_at,
        "employer": employer_brief(k.employer),
        "applicant": applicant(k.applicant),
    }


def application_summary(app: Application) -> dict[str, Any]:
    return {
        "id": app.pk,
        "number": app.number,
        "status": app.status,
        "status_display": app.get_status_display(),
        "version": app.version,
        "editable": app.editable,
        "round": {"id": app.round.pk, "year": app.round.year, "rule_set": app.round.rule_set},
        "employer": employer_brief(app.employer),
        "applicant": applicant(app.applicant),
        "return_reason": app.return_reason,
        "submitted_at": app.submitted_at,
        "employer_submitted_at": app.employer_submitted_at,
        "updated_at": app.updated_at,
    }


def application_detail(user: User, app: Application) -> dict[str, Any]:
    visible = selectors.visible_sections(user, app)
    problems = selectors.section_problems(app)
    out = application_summary(app)
    out["sections"] = [
        {"key": s.key, "title": s.title, "indicator": s.indicator, "help": s.help,
         "is_list": s.is_list}
        for s in decl.SECTIONS
        if s.key in visible
    ]
    out["data"] = selectors.application_data_for(user, app)
    out["problems"] = {key: errors(problems.get(key, [])) for key in visible}
    warnings = selectors.section_warnings(app)
    out["warnings"] = {key: errors(warnings.get(key, [])) for key in visible}
    out["evidence_required"] = [
        {"section": r.section, "item_id": r.item_id, "field": r.path,
         "documents": list(r.documents), "uploaded": uploaded}
        for r, uploaded in selectors.evidence_requirements(app)
        if r.section in visible
    ]
    return out


def evidence(ev: Evidence) -> dict[str, Any]:
    return {
        "id": ev.pk,
        "application_id": ev.application_id,
        "section": ev.section,
        "item_id": ev.item_id,
        "original_name": ev.original_name,
        "content_type": ev.content_type,
        "size": ev.size,
        "sha256": ev.sha256,
        "uploaded_at": ev.uploaded_at,
    }


def explanation(breakdown: Breakdown | None) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """The Chinese explanation and eligibility reasons of a score (None, [] without one)."""
    if breakdown is None:
        return None, []
    return explain_zh(breakdown), reasons_of(breakdown)
