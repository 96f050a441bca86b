"""Evidence files (证明材料): upload, list, download, delete."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from jifen.applications import selectors, services
from jifen.applications.evidence_checks import limits_text
from jifen.applications.evidence_storage import open_verified
from jifen.core.errors import NotFound

from . import present
from .schemas import ApplicationId, ErrorOut, EvidenceId, EvidenceOut, SectionKey, Text16

log = logging.getLogger(__name__)

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BINARY = {"schema": {"type": "string", "format": "binary"}}

router = Router(tags=["证明材料"])


@router.post(
    "/applications/{application_id}/evidence",
    response={201: EvidenceOut, **ERRORS},
    summary="上传证明材料（申请人）",
    description=(
        "multipart/form-data：section（填报项）、item_id（条目编号，空表示整个填报项）、"
        f"file（{limits_text()}；文件内容须与扩展名相符，图片须能完整解码，"
        "PDF 不得加密，不得含有脚本、启动动作或嵌入文件）。"
    ),
)
def evidence_upload(
    request: HttpRequest,
    application_id: ApplicationId,
    section: Annotated[SectionKey, Form(..., description="填报项，如 housing")],
    file: Annotated[UploadedFile, File(...)],
    item_id: Annotated[Text16, Form("", description="条目编号（申报内容中该条目的 id）")] = "",
) -> Status[Any]:
    # The name is kept for display only; control characters (NUL included) cannot be stored.
    file.name = _CONTROL.sub("", file.name or "")
    ev = services.evidence_add(
        actor=request.auth, application_id=application_id, section=section, item_id=item_id,
        upload=file,
    )
    return Status(201, present.evidence(ev))


@router.get(
    "/applications/{application_id}/evidence",
    response={200: list[EvidenceOut], **ERRORS},
    summary="证明材料列表",
)
def evidence_list(request: HttpRequest, application_id: ApplicationId) -> list[dict[str, Any]]:
    app = selectors.application_for(request.auth, application_id)
    return [present.evidence(ev) for ev in selectors.evidence_for(request.auth, app)]


@router.get(
    "/evidence/{evidence_id}",
    response={**ERRORS, 500: ErrorOut},
    summary="下载证明材料",
    description=(
        "申请人本人以外的人员下载时记录个人信息查阅日志。文件在服务器上加密存放，"
        "下载前整体校验；校验未通过（文件损坏或被篡改）时返回 500 evidence_damaged，不提供文件。"
    ),
    openapi_extra={
        "responses": {
            "200": {
                "description": "材料文件",
                "content": {"application/pdf": _BINARY, "image/png": _BINARY,
                            "image/jpeg": _BINARY},
            }
        }
    },
)
def evidence_download(request: HttpRequest, evidence_id: EvidenceId) -> FileResponse:
    user = request.auth
    return evidence_file_response(user, selectors.evidence_item_for(user, evidence_id))


def evidence_file_response(user: Any, ev: Any) -> FileResponse:
    """The file of ``ev`` (already permitted to ``user``) as a download; the view of personal
    data recorded. A damaged file is 500 evidence_damaged, never served; a missing one 404."""
    try:
        handle = open_verified(ev)
    except FileNotFoundError as exc:
        log.error("evidence %s: stored file %s is missing", ev.pk, ev.file.name)
        raise NotFound("没有找到该材料文件") from exc
    services.record_personal_data_view(
        actor=user, applicant=ev.application.applicant, field=f"evidence:{ev.pk}"
    )
    response = FileResponse(
        handle, as_attachment=True, filename=ev.original_name, content_type=ev.content_type
    )
    response["Content-Length"] = str(ev.size)
    response["Cache-Control"] = "private, no-store"
    return response


@router.delete(
    "/evidence/{evidence_id}",
    response={204: None, **ERRORS},
    summary="删除证明材料（申请人）",
)
def evidence_delete(request: HttpRequest, evidence_id: EvidenceId) -> Status[None]:
    services.evidence_delete(actor=request.auth, evidence_id=evidence_id)
    return Status(204, None)
