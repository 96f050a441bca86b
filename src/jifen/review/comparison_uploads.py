"""A department's record file uploaded for a data comparison (数据比对), run in the background.

The upload is checked (who, which kind, CSV or XLSX, size), copied to a private folder outside
the web root (``settings.COMPARISON_UPLOAD_ROOT``) while its SHA-256 is taken, and its run is
started; the comparison itself (``comparisons.run_comparison``) runs after the request has
answered, and the run's row carries its progress for the page. The copy is deleted once the
run ends, whatever the outcome (the run keeps its name, size and SHA-256).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jifen.applications.evidence_checks import size_label
from jifen.audit.services import record_event
from jifen.core.errors import InvalidInput, NotPermitted
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase, require_open

from .comparisons import run_comparison, running_conflict, running_run, start_run
from .kinds import KIND_DEPARTMENT, KIND_NAMES, KINDS, VERIFYING_DEPARTMENTS, kinds_of
from .models import ComparisonRun, RunState
from .record_files import RecordFileError
from .sources import FileSource

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def upload_kinds(user: Any) -> tuple[str, ...]:
    """The kinds ``user`` may upload: their department's, for a reviewer of a verifying
    department; none for anyone else."""
    if getattr(user, "role", None) != Role.REVIEWER:
        return ()
    if user.department not in VERIFYING_DEPARTMENTS:
        return ()
    return kinds_of(user.department)


def _clean_name(name: str) -> str:
    return _CONTROL.sub("", os.path.basename((name or "").replace("\\", "/")))[:200]


def _root() -> Path:
    root = Path(settings.COMPARISON_UPLOAD_ROOT)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _store(upload: Any, root: Path) -> tuple[Path, str, int]:
    """Copy ``upload`` into ``root`` (readable by this process only): path, SHA-256, size."""
    path = root / f"incoming-{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            chunks = upload.chunks() if hasattr(upload, "chunks") else iter(
                lambda: upload.read(1 << 20), b""
            )
            for chunk in chunks:
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def accept_upload(
    *, actor: Any, kind: str, upload: Any, round_: Round | None
) -> ComparisonRun:
    """Check and keep a department's file of ``kind`` for ``round_`` and start its comparison
    in the background (once this transaction commits). ``upload`` is a Django UploadedFile
    (or any binary file with ``name`` and ``size``).

    NotPermitted unless ``actor`` is a reviewer of the department that owns ``kind``;
    InvalidInput for a bad kind, round or file; Conflict while a comparison of ``kind`` runs
    in the round.
    """
    if getattr(actor, "role", None) != Role.REVIEWER:
        raise NotPermitted("只有部门审核员可以上传部门记录进行数据比对")
    if kind not in KINDS:
        raise InvalidInput("请选择记录类别", field="kind")
    if kind not in upload_kinds(actor):
        raise NotPermitted(
            f"{KIND_NAMES[kind]}记录由{KIND_DEPARTMENT[kind].label}负责，"
            "只能上传本部门负责的记录类别"
        )
    if round_ is None:
        raise InvalidInput("请选择积分落户年度", field="year")
    require_open(round_, Phase.VERIFICATION)  # before copying a big file (start_run again)
    name = _clean_name(getattr(upload, "name", "") or "")
    suffix = Path(name).suffix.lower()
    declared_size = int(getattr(upload, "size", 0) or 0)
    if suffix not in SUFFIXES:
        raise InvalidInput("只能上传 CSV（UTF-8）或 XLSX 文件", field="file")
    if declared_size <= 0:
        raise InvalidInput("文件为空", field="file")
    limit = settings.COMPARISON_MAX_BYTES
    if declared_size > limit:
        raise InvalidInput(f"文件不能超过 {size_label(limit)}", field="file")
    # Before copying a big file: the same refusal as below, without the wait.
    running = running_run(round_, kind)
    if running is not None:
        raise running_conflict(running)

    root = _root()
    incoming, sha256, size = _store(upload, root)
    path: Path | None = None
    try:
        with transaction.atomic():
            run = start_run(
                round_=round_, kind=kind, actor=actor, file_name=name, sha256=sha256, size=size
            )
            path = root / f"run-{run.pk}{suffix}"
            os.replace(incoming, path)
            record_event(
                actor=actor, action="review.compare_start", target=run,
                after={"kind": kind, "year": round_.year, "file_name": name,
                       "sha256": sha256, "size": size},
            )
            run_id, stored = run.pk, str(path)
            # Looked up when the transaction commits, so that it can be swapped (tests).
            transaction.on_commit(lambda: start_in_background(run_id, stored))
    except BaseException:
        incoming.unlink(missing_ok=True)
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return run


def start_in_background(run_id: int, path: str) -> None:
    """Queue the comparison of run ``run_id`` on the file at ``path`` and return at once.

    A django-tasks task (``review.tasks.compare_upload_task``) that the task worker
    (``manage.py task_worker``, started by ``make run``) carries out; the file is on this
    machine's disk, where the worker reads it. A run whose worker never picks it up (none
    running) stays ``running`` without progress and is marked failed after
    ``comparisons.STALE_AFTER``. ``settings.COMPARISON_RUN_INLINE`` runs it here instead.
    """
    if getattr(settings, "COMPARISON_RUN_INLINE", False):
        run_uploaded(run_id, path)
        return
    from .tasks import compare_upload_task

    compare_upload_task.enqueue(run_id, path)


def run_uploaded(run_id: int, path: str) -> None:
    """Carry out run ``run_id`` on its stored file and delete the file. Never raises: a
    refused file is on the run (refused, with its errors), any other failure marks it failed
    with a Chinese message."""
    try:
        run = ComparisonRun.objects.select_related("round", "started_by").get(pk=run_id)
        run_comparison(run, FileSource(path, run.kind, file_name=run.file_name))
    except RecordFileError:
        pass  # run_comparison marked it refused, with every error
    except Exception:
        log.exception("comparison run %s failed", run_id)
        mark_failed(run_id)
    finally:
        Path(path).unlink(missing_ok=True)


def mark_failed(run_id: int) -> None:
    """Mark a running run failed: what was written stays (the writing is one transaction, so
    either every decision or none)."""
    try:
        run = ComparisonRun.objects.filter(pk=run_id).select_related("started_by").first()
        if run is None or run.state != RunState.RUNNING:
            return
        if run.summary:
            failure = "比对结果已写入，但计算初核结果时出错，请联系运维人员"
        else:
            failure = "比对过程中出错，比对结果未写入；请重新上传，仍出错请联系运维人员"
        with transaction.atomic():
            ComparisonRun.objects.filter(pk=run_id, state=RunState.RUNNING).update(
                state=RunState.FAILED, failure=failure, finished_at=timezone.now()
            )
            record_event(
                actor=run.started_by, action="review.compare_failed", target=run,
                after={"kind": run.kind, "stage": run.stage, "written": bool(run.summary)},
            )
    except Exception:
        log.exception("comparison run %s: could not mark it failed", run_id)
