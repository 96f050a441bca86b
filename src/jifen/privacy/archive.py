"""Everything the system holds about an applicant, in one ZIP (PIPL art. 45).

``personal-data.json`` (format ``jifen.personal-data/1``): the account and identity, the
employment links, each application with its declaration, self-assessment, evidence list,
verification items and the departments' decisions, first results, re-checks, ranking,
publication, objections about it (without the filer's identity: a third person's data),
settlement; the messages sent to them, their correction requests, and who viewed their data
(the access events of the audit log). The evidence files, decrypted, under ``evidence/``.

Only the signed-in applicant's own data: the archive is built from their account, never from
an id in the request. The download is logged (``personal_data.export``) and the archive
carries the watermark (a ZIP comment and a field of the JSON).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, User
from jifen.applications.evidence_storage import EvidenceDamaged, open_verified
from jifen.applications.explain import explain_zh
from jifen.applications.models import Application, EmploymentLink, Evidence
from jifen.applications.selectors import assess
from jifen.audit.exports import record_export
from jifen.audit.models import AuditEvent
from jifen.core import watermark
from jifen.core.errors import NotPermitted
from jifen.core.roles import Role
from jifen.inbox.models import Message
from jifen.publication.models import ListedEntry, Objection, Settlement
from jifen.review.models import Decision, Dispute, FirstResult, VerificationItem
from jifen.rounds.models import RankedResult
from jifen.rules.ruleset import RuleSetError

from .models import CorrectionRequest

FORMAT = "jifen.personal-data/1"
JSON_NAME = "personal-data.json"
REFUSED = "只有申请人本人可以下载本人的个人信息"
WHAT = "privacy.personal_data_archive"


@dataclass(frozen=True)
class Archive:
    content: bytes
    filename: str
    files: int  # evidence files in it
    data: dict[str, Any]


def _applicant(actor: Any) -> ApplicantProfile:
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.APPLICANT:
        raise NotPermitted(REFUSED)
    profile = ApplicantProfile.objects.filter(user=actor).first()
    if profile is None:
        raise NotPermitted(REFUSED)
    return profile


def _account(user: User, profile: ApplicantProfile) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "phone": user.phone,
        "email": user.email,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "identity": {
            "name": profile.name,
            "id_number": profile.id_number,
            "sex": profile.get_sex_display(),
            "birth_date": profile.birth_date,
            "registered_at": profile.created_at,
        },
    }


def _links(profile: ApplicantProfile) -> list[dict[str, Any]]:
    return [
        {
            "employer": link.employer.name,
            "employer_code": link.employer.code,
            "status": link.get_status_display(),
            "reason": link.reason,
            "requested_at": link.requested_at,
            "decided_at": link.decided_at,
        }
        for link in EmploymentLink.objects.filter(applicant=profile)
        .select_related("employer")
        .order_by("requested_at", "id")
    ]


def _self_assessment(app: Application) -> dict[str, Any]:
    try:
        assessment = assess(app)
    except (RuleSetError, KeyError, ValueError, TypeError):
        # An old declaration the current code can no longer score (a retired rule set, an
        # anonymised declaration): the archive is still given, with this note.
        return {"result": None, "problems": [], "note": "自评无法按现行规则重新计算"}
    return {
        "result": assessment.result,
        "problems": [e.as_dict() for e in assessment.errors],
        "explanation_zh": explain_zh(assessment.breakdown),
    }


def _evidence_name(ev: Evidence) -> str:
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", ev.original_name) or "file"
    return f"evidence/{ev.pk}-{safe}"


def _application(app: Application) -> dict[str, Any]:
    items = VerificationItem.objects.filter(application=app).order_by("kind")
    decisions = Decision.objects.filter(application=app).order_by("created_at", "id")
    ranked = RankedResult.objects.filter(
        application=app, run_id=app.round.current_run_id
    ).first()
    return {
        "round": app.round.year,
        "number": app.number,
        "employer": app.employer.name,
        "status": app.get_status_display(),
        "declaration": app.data,
        "saved_sections": app.saved_sections,
        "return_reason": app.return_reason,
        "created_at": app.created_at,
        "submitted_at": app.submitted_at,
        "employer_submitted_at": app.employer_submitted_at,
        "self_assessment": _self_assessment(app),
        "evidence": [
            {
                "id": ev.pk,
                "section": ev.section,
                "item": ev.item_id,
                "name": ev.original_name,
                "content_type": ev.content_type,
                "size": ev.size,
                "sha256": ev.sha256,
                "uploaded_at": ev.uploaded_at,
                "file": _evidence_name(ev),
            }
            for ev in app.evidence.all()
        ],
        "verification": [
            {
                "kind": item.get_kind_display(),
                "department": item.get_department_display(),
                "state": item.get_state_display(),
                "matched": item.matched,
                "decided_at": item.decided_at,
            }
            for item in items
        ],
        "decisions": [
            {
                "kind": d.get_kind_display(),
                "action": d.get_action_display(),
                "source": d.get_source_display(),
                "value": d.value,
                "reason": d.reason,
                "at": d.created_at,
            }
            for d in decisions
        ],
        "first_results": [
            {
                "after_recheck": fr.after_recheck,
                "eligible": fr.eligible,
                "total": fr.total,
                "result": fr.result,
                "explanation_zh": fr.explanation_zh,
                "reasons_zh": fr.reasons_zh,
                "at": fr.created_at,
            }
            for fr in FirstResult.objects.filter(application=app).order_by("id")
        ],
        "recheck": [
            {
                "item": d.item.get_kind_display(),
                "statement": d.statement,
                "onsite_consistent": d.onsite_consistent,
                "outcome": d.get_outcome_display() if d.outcome else "",
                "answer": d.answer,
                "answered_at": d.answered_at,
            }
            for d in Dispute.objects.filter(request__application=app).select_related("item")
        ],
        "ranking": None
        if ranked is None
        else {
            "rank": ranked.rank,
            "admitted": ranked.admitted,
            "total": ranked.total,
            "indicators": ranked.indicators,
        },
        "published": [
            {"rank": e.rank, "name": e.name, "id_masked": e.id_masked, "total": e.total}
            for e in ListedEntry.objects.filter(application=app)
        ],
        "objections": [
            {
                "receipt_no": o.receipt_no,
                "state": o.get_state_display(),
                "filed_at": o.created_at,
                "answer": o.answer,
                "answered_at": o.answered_at,
            }
            for o in Objection.objects.filter(application=app).order_by("created_at")
        ],
        "settlement": [
            {"state": s.get_state_display(), "settled_on": s.settled_on, "reason": s.reason}
            for s in Settlement.objects.filter(application=app)
        ],
    }


def _views_of(profile: ApplicantProfile, app_ids: list[int]) -> list[dict[str, Any]]:
    """Who viewed their data: the access events on their identity and their applications."""
    targets = Q(target_type="accounts.applicantprofile", target_id=str(profile.pk))
    if app_ids:
        targets |= Q(
            target_type="applications.application", target_id__in=[str(i) for i in app_ids]
        )
    events = AuditEvent.objects.filter(targets, kind=AuditEvent.Kind.ACCESS).order_by("seq")
    names = dict(
        User.objects.filter(pk__in={e.actor_ref for e in events if e.actor_ref.isdigit()})
        .values_list("pk", "full_name")
    )
    labels = dict(Role.choices)
    return [
        {
            "at": e.at,
            "role": labels.get(e.actor_role, e.actor_role),
            # Staff are named as the system shows them, never by their login name.
            "who": names.get(int(e.actor_ref), "") if e.actor_ref.isdigit() else "",
            "what": e.field,
            "channel": e.get_channel_display(),
        }
        for e in events
    ]


def build_archive(*, actor: Any) -> Archive:
    """The signed-in applicant's archive; NotPermitted for anyone else. Logged."""
    profile = _applicant(actor)
    user: User = actor
    mark = watermark.for_actor(user, notice="本人个人信息副本，请妥善保管")
    apps = list(
        Application.objects.filter(applicant=profile)
        .select_related("round", "employer")
        .prefetch_related("evidence")
        .order_by("round__year")
    )
    data = {
        "format": FORMAT,
        "watermark": mark.text,
        "generated_at": mark.at,
        "account": _account(user, profile),
        "links": _links(profile),
        "applications": [_application(app) for app in apps],
        "messages": [
            {
                "subject": m.subject,
                "body": m.body,
                "category": m.get_category_display(),
                "sent_at": m.created_at,
                "read_at": m.read_at,
            }
            for m in Message.objects.filter(recipient=user).order_by("created_at", "id")
        ],
        "corrections": [
            {
                "field": c.get_field_display(),
                "wrong": c.wrong,
                "correct": c.correct,
                "state": c.get_state_display(),
                "answer": c.answer,
                "requested_at": c.created_at,
                "answered_at": c.answered_at,
            }
            for c in CorrectionRequest.objects.filter(applicant=profile).order_by("created_at")
        ],
        "viewed_by": _views_of(profile, [a.pk for a in apps]),
    }
    buffer = io.BytesIO()
    files = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = mark.text.encode("utf-8")
        missing = []
        for app in apps:
            for ev in app.evidence.all():
                try:
                    with open_verified(ev) as handle:
                        archive.writestr(_evidence_name(ev), handle.read())
                    files += 1
                except (FileNotFoundError, EvidenceDamaged):
                    missing.append(ev.pk)
        data["evidence_missing"] = missing
        archive.writestr(
            JSON_NAME, json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
    record_export(
        actor=user,
        what=WHAT,
        fmt="zip",
        rows=len(apps),
        watermark=mark,
        target=profile,
        detail=f"本人个人信息下载：{len(apps)} 份申请，{files} 份证明材料",
    )
    stamp = timezone.localtime(mark.at).strftime("%Y%m%d-%H%M%S")
    return Archive(buffer.getvalue(), f"personal-data-{stamp}.zip", files, data)
