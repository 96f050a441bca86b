"""Training (培训服务): the yearly plan of sessions for city and district staff, each marked
held (date, attendees, trainer) or cancelled (reason), with its material (PDF, PPTX or DOCX).

Material is checked like the evidence uploads (extension and content agree, size limited by the
parameter ``training_material_max_mb``; a PDF passes the evidence checks, an Office file must be
a real OOXML package of its kind without macros) and stored encrypted (jifen.core.filecrypt)
under settings.TRAINING_ROOT, never given a URL: staff download it through a checked view.
"""

from __future__ import annotations

import logging
import os
import zipfile
from datetime import date
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jifen.applications.evidence_checks import check_evidence_file, size_label
from jifen.applications.evidence_storage import EncryptedFileStorage
from jifen.audit.services import record_event
from jifen.core import filecrypt
from jifen.core.errors import Conflict, InvalidInput, NotFound, ServiceError

from . import parameters
from .models import TrainingSession

log = logging.getLogger(__name__)

TRAINING_PLAN_ACTION = "ops.training_plan"
TRAINING_HELD_ACTION = "ops.training_held"
TRAINING_CANCEL_ACTION = "ops.training_cancel"
TRAINING_MATERIAL_ACTION = "ops.training_material"

PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {".pdf": PDF, ".pptx": PPTX, ".docx": DOCX}
# The part an OOXML package of each kind must hold.
_MAIN_PART = {".pptx": "ppt/presentation.xml", ".docx": "word/document.xml"}
# An Office package unpacking to more than this is refused (a zip bomb).
_MAX_UNPACKED = 500 * 1024 * 1024
CANCEL_PREFIX = "取消原因："


def storage() -> EncryptedFileStorage:
    return EncryptedFileStorage(location=settings.TRAINING_ROOT)


def max_bytes() -> int:
    return int(parameters.get("training_material_max_mb")) * 1024 * 1024


def limits_text() -> str:
    return f"可上传 PDF、PPTX、DOCX 文件，每个文件不超过 {size_label(max_bytes())}"


def _locked(session: TrainingSession | int) -> TrainingSession:
    pk = session if isinstance(session, int) else session.pk
    row = TrainingSession.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound("没有这场培训。")
    return row


def _required(value: Any, field: str, label: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{label}。", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label}不能超过 {max_length} 个字。", field=field)
    return text


@transaction.atomic
def training_plan(
    *,
    actor: Any,
    year: int,
    title: str,
    audience: str,
    planned_on: date | None,
    function: str = "",
    notes: str = "",
) -> TrainingSession:
    """Add a session to the yearly plan (``function``: the new function it introduces)."""
    title = _required(title, "title", "培训主题", 200)
    audience = _required(audience, "audience", "培训对象", 200)
    if planned_on is None:
        raise InvalidInput("请填写计划日期。", field="planned_on")
    if planned_on.year != year:
        raise InvalidInput(f"计划日期应在 {year} 年内。", field="planned_on")
    session = TrainingSession.objects.create(
        year=year,
        title=title,
        audience=audience,
        planned_on=planned_on,
        function=(function or "").strip()[:200],
        notes=(notes or "").strip(),
    )
    record_event(
        actor=actor,
        action=TRAINING_PLAN_ACTION,
        target=session,
        after={"year": year, "title": title, "planned_on": planned_on.isoformat()},
    )
    return session


@transaction.atomic
def training_mark_held(
    *,
    actor: Any,
    session: TrainingSession | int,
    held_on: date | None,
    attendees: int | str | None,
    trainer: str,
) -> TrainingSession:
    row = _locked(session)
    if row.status != TrainingSession.Status.PLANNED:
        raise Conflict(f"该培训{row.get_status_display()}，不能再登记举办。", field="held_on")
    if held_on is None:
        raise InvalidInput("请填写举办日期。", field="held_on")
    if held_on > timezone.localdate():
        raise InvalidInput("举办日期不能晚于今天。", field="held_on")
    try:
        count = int(str(attendees).strip())
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise InvalidInput("参训人数应为正整数。", field="attendees")
    trainer = _required(trainer, "trainer", "讲师", 50)
    row.status = TrainingSession.Status.HELD
    row.held_on, row.attendees, row.trainer = held_on, count, trainer
    row.save(update_fields=["status", "held_on", "attendees", "trainer"])
    record_event(
        actor=actor,
        action=TRAINING_HELD_ACTION,
        target=row,
        before={"status": TrainingSession.Status.PLANNED},
        after={"status": row.status, "held_on": held_on.isoformat(), "attendees": count},
    )
    return row


@transaction.atomic
def training_cancel(*, actor: Any, session: TrainingSession | int, reason: str) -> TrainingSession:
    row = _locked(session)
    if row.status != TrainingSession.Status.PLANNED:
        raise Conflict(f"该培训{row.get_status_display()}，不能取消。", field="reason")
    reason = _required(reason, "reason", "取消原因", 500)
    row.status = TrainingSession.Status.CANCELLED
    row.notes = f"{row.notes}\n{CANCEL_PREFIX}{reason}".strip()
    row.save(update_fields=["status", "notes"])
    record_event(
        actor=actor,
        action=TRAINING_CANCEL_ACTION,
        target=row,
        before={"status": TrainingSession.Status.PLANNED},
        after={"status": row.status},
        detail=reason,
    )
    return row


def cancel_reason(session: TrainingSession) -> str:
    for line in reversed(session.notes.splitlines()):
        if line.startswith(CANCEL_PREFIX):
            return line[len(CANCEL_PREFIX) :]
    return ""


# --- material --------------------------------------------------------------------------------


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="material")


def check_material(upload: Any) -> tuple[str, str]:
    """The safe original name and content type of ``upload`` once it passed every check."""
    name = os.path.basename(getattr(upload, "name", "") or "")[:200]
    ext = os.path.splitext(name)[1].lower()
    size = int(getattr(upload, "size", 0) or 0)
    if ext not in CONTENT_TYPES:
        raise _refuse("培训材料只能是 PDF、PPTX 或 DOCX 文件。")
    if size <= 0:
        raise _refuse("培训材料文件为空。")
    if size > max_bytes():
        raise _refuse(f"培训材料文件不能超过 {size_label(max_bytes())}。")
    if ext == ".pdf":
        try:
            check_evidence_file(upload, ext)
        except ServiceError as exc:
            raise _refuse(f"培训材料未通过检查：{exc.message}。") from None
    else:
        _check_ooxml(upload, ext)
    upload.seek(0)
    return name, CONTENT_TYPES[ext]


def _check_ooxml(upload: Any, ext: str) -> None:
    upload.seek(0)
    kind = "PPTX 演示文稿" if ext == ".pptx" else "DOCX 文档"
    if upload.read(4) != b"PK\x03\x04":
        raise _refuse(f"文件内容与扩展名不符，不是 {kind}。")
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(f"文件已损坏，无法识别为 {kind}。") from None
    if "[Content_Types].xml" not in names or _MAIN_PART[ext] not in names:
        raise _refuse(f"文件内容与扩展名不符，不是 {kind}。")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _refuse("文件中含有宏代码，不能上传。")
    if unpacked > _MAX_UNPACKED:
        raise _refuse("文件解压后过大，不能上传。")


@transaction.atomic
def training_upload_material(
    *, actor: Any, session: TrainingSession | int, upload: Any
) -> TrainingSession:
    """Store ``upload`` as the session's material (replacing an earlier one)."""
    row = _locked(session)
    if row.status == TrainingSession.Status.CANCELLED:
        raise Conflict("该培训已取消，不能上传培训材料。", field="material")
    name, _ = check_material(upload)
    ext = os.path.splitext(name)[1].lower()
    store = storage()
    # A random stored name: the uploaded file's name never reaches the file system.
    stored = store.save(f"{row.year}/{os.urandom(16).hex()}{ext}", upload)
    old_name, old_path = row.material_name, row.material_path
    row.material_name, row.material_path = name, stored
    row.save(update_fields=["material_name", "material_path"])
    record_event(
        actor=actor,
        action=TRAINING_MATERIAL_ACTION,
        target=row,
        before={"material": old_name} if old_name else None,
        after={"material": name, "bytes": int(upload.size)},
    )
    if old_path:
        transaction.on_commit(lambda: store.delete(old_path))
    return row


def open_material(session: TrainingSession) -> tuple[BinaryIO, str, str]:
    """(plaintext stream, file name, content type) of the session's material, checked whole
    first; NotFound when there is none, ServiceError (500) when the stored file is damaged."""
    if not session.material_path:
        raise NotFound("该培训尚未上传培训材料。")
    store = storage()
    try:
        with store.open_raw(session.material_path) as raw:
            filecrypt.verify(raw)
    except FileNotFoundError:
        raise NotFound("培训材料文件不存在。") from None
    except filecrypt.TamperedFile as exc:
        log.error(
            "training %s: stored material %s refused: %s", session.pk, session.material_path, exc
        )
        error = ServiceError("培训材料文件校验未通过（已损坏或被篡改），不能下载。")
        error.status = 500
        raise error from None
    ext = os.path.splitext(session.material_path)[1].lower()
    stream = filecrypt.DecryptingReader(store.open_raw(session.material_path))
    return stream, session.material_name, CONTENT_TYPES.get(ext, "application/octet-stream")


# --- figures ---------------------------------------------------------------------------------


def training_stats(year: int) -> dict[str, Any]:
    """The training figures of ``year``'s plan, for the reports.

    Keys: ``year``; ``planned`` (sessions in the plan, whatever became of them); ``held``;
    ``cancelled``; ``pending`` (still planned); ``target`` (parameter
    ``training_sessions_per_year``); ``held_rate`` (held / planned, 0–1, None without a plan);
    ``attendees`` (total of held sessions); ``with_material`` (held sessions with material);
    ``held_without_material``; ``functions`` (the functions introduced by held sessions, each
    with whether it has material: ``[{"function", "title", "material"}]``).
    """
    rows = TrainingSession.objects.filter(year=year)
    held = Q(status=TrainingSession.Status.HELD)
    figures = rows.aggregate(
        planned=Count("id"),
        held=Count("id", filter=held),
        cancelled=Count("id", filter=Q(status=TrainingSession.Status.CANCELLED)),
        pending=Count("id", filter=Q(status=TrainingSession.Status.PLANNED)),
        attendees=Sum("attendees", filter=held),
        with_material=Count("id", filter=held & ~Q(material_path="")),
    )
    functions = [
        {"function": s.function, "title": s.title, "material": bool(s.material_path)}
        for s in rows.filter(held).exclude(function="").order_by("held_on", "id")
    ]
    planned = figures["planned"]
    return {
        "year": year,
        "planned": planned,
        "held": figures["held"],
        "cancelled": figures["cancelled"],
        "pending": figures["pending"],
        "target": parameters.get("training_sessions_per_year"),
        "held_rate": round(figures["held"] / planned, 4) if planned else None,
        "attendees": figures["attendees"] or 0,
        "with_material": figures["with_material"],
        "held_without_material": figures["held"] - figures["with_material"],
        "functions": functions,
    }
