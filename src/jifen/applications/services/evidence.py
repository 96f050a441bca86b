"""Evidence files (证明材料): upload to a declaration item, delete, and their removal when the
item goes. Files are checked (size, count, and what they are: evidence_checks) and stored
encrypted under random names (evidence_storage)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction

from jifen.accounts.models import User
from jifen.audit import redact
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, InvalidInput, NotFound

from .. import declaration as decl
from ..evidence_checks import EXTENSIONS, check_evidence_file, size_label
from ..models import EDITABLE_STATUSES, Application, Evidence
from ._access import applicant_of, check_window, lock_application, own_application


@transaction.atomic
def evidence_add(
    *, actor: User, application_id: int, section: str, item_id: str, upload: Any
) -> Evidence:
    """Attach a PDF/JPG/PNG to a section item. ``upload`` is a Django UploadedFile (or any
    file object with ``name`` and ``size``)."""
    app = own_application(actor, application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能上传材料")
    check_window(app.round)
    if section not in decl.SECTION_KEYS:
        raise InvalidInput("请选择填报项", field="section")
    item_id = (item_id or "").strip()
    if item_id and item_id not in decl.item_ids(app.data, section):
        raise InvalidInput("请选择已保存的填报条目", field="item_id")
    return store_evidence(actor=actor, app=app, section=section, item_id=item_id, upload=upload,
                          action="evidence.add", target=app)


def store_evidence(
    *, actor: User, app: Application, section: str, item_id: str, upload: Any, action: str,
    target: Any, after: dict[str, Any] | None = None,
) -> Evidence:
    """Check ``upload`` (type, size, count, content), store it encrypted as evidence of
    ``app`` under (``section``, ``item_id``) and record ``action`` on ``target``. The caller
    has checked who may add it, and holds ``app`` locked. Also used by the re-check
    (jifen.review), whose files are evidence like any other."""
    name = os.path.basename(getattr(upload, "name", "") or "")[:200]
    ext = os.path.splitext(name)[1].lower()
    size = int(getattr(upload, "size", 0) or 0)
    if ext not in EXTENSIONS:
        raise InvalidInput("只能上传 PDF、JPG 或 PNG 文件", field="file")
    if size <= 0:
        raise InvalidInput("文件为空", field="file")
    if size > settings.EVIDENCE_MAX_BYTES:
        raise InvalidInput(f"文件不能超过 {size_label(settings.EVIDENCE_MAX_BYTES)}",
                           field="file")
    if Evidence.objects.filter(application=app).count() >= settings.EVIDENCE_MAX_FILES:
        raise Conflict("证明材料数量已达上限", field="file")
    sniffed = check_evidence_file(upload, ext)
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    ev = Evidence(
        application=app,
        section=section,
        item_id=item_id,
        original_name=name or f"file{ext}",
        content_type=sniffed,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    # A random stored name: the applicant's file name never reaches the file system.
    ev.file.save(f"{os.urandom(12).hex()}{ext}", File(upload), save=False)
    try:
        ev.save()
        record_event(
            actor=actor,
            action=action,
            target=target,
            after={
                "evidence": ev.pk,
                "section": section,
                "item": item_id,
                **_file_facts(ev),
                "size": size,
                **(after or {}),
            },
        )
    except Exception:
        # No row, no event: the file must not stay behind either.
        ev.file.delete(save=False)
        raise
    return ev


def _file_facts(ev: Evidence, pk: int | None = None) -> dict[str, Any]:
    """What the audit log keeps of a file: fingerprints of its name (often a person's name)
    and of its content's SHA-256, never either in the clear."""
    scope = f"applications.evidence:{pk or ev.pk}"
    return {
        "file_name": redact.text_fact(ev.original_name, scope=f"{scope}:name"),
        "content": redact.fingerprint(ev.sha256, scope=f"{scope}:sha256"),
    }


def remove_evidence(actor: User, ev: Evidence) -> None:
    stored = ev.file.name
    pk = ev.pk
    ev.delete()
    # The file goes only once the deletion is committed.
    transaction.on_commit(lambda: ev.file.storage.delete(stored))
    record_event(
        actor=actor,
        action="evidence.delete",
        target=ev.application,
        before={
            "evidence": pk,
            "section": ev.section,
            "item": ev.item_id,
            **_file_facts(ev, pk),
        },
    )


@transaction.atomic
def evidence_delete(*, actor: User, evidence_id: int) -> None:
    applicant = applicant_of(actor)
    ev = Evidence.objects.select_related("application").filter(pk=evidence_id).first()
    if ev is None or ev.application.applicant_id != applicant.pk:
        raise NotFound("没有找到该材料")
    app = lock_application(ev.application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能删除材料")
    check_window(app.round)
    remove_evidence(actor, ev)
