"""Evidence files (证明材料) on the pages: upload to an item, delete, download.

A download is served only to whoever may see its section; anyone but the applicant viewing it
is on the record as an access to personal data.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, InvalidInput
from jifen.core.roles import Role

from .. import selectors, services
from ..evidence_storage import open_verified
from .access import applicant_page
from .declaration import SECTION_URL, render_section, section_or_404


@require_POST
@applicant_page
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_for(request.user, pk)
    key = request.POST.get("section", "")
    section = section_or_404(key)
    item_id = request.POST.get("item_id", "").strip()
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput("请选择要上传的文件", field="file")
        ev = services.evidence_add(actor=request.user, application_id=app.pk, section=key,
                                   item_id=item_id, upload=upload)
    except SHOWN_ON_PAGE as exc:
        where = "证明材料文件" if any(e.field == "file" for e in exc.errors) else "证明材料"
        message = f"{where}：{exc.message}"
        current = selectors.application_for(request.user, pk)
        return render_section(request, current, section, alert=f"上传失败。{message}",
                               upload_errors={(key, item_id): message}, status=exc.status)
    messages.success(request, f"已上传“{ev.original_name}”。")
    anchor = f"#item-{item_id}" if item_id else "#section-evidence"
    return redirect(reverse(SECTION_URL, args=[app.pk, key]) + anchor)


@require_POST
@applicant_page
def evidence_delete(request: HttpRequest, evidence_id: int) -> HttpResponse:
    ev = selectors.evidence_item_for(request.user, evidence_id)
    app_id, key, name = ev.application_id, ev.section, ev.original_name
    try:
        services.evidence_delete(actor=request.user, evidence_id=evidence_id)
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除“{name}”。")
    return redirect(SECTION_URL, app_id, key)


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._ ()-]{1,200}$")


def attachment_disposition(name: str, fallback_stem: str) -> str:
    """Content-Disposition for a download: a plain ASCII ``filename`` (the name itself when it
    is plain, else ``fallback_stem`` + its extension) and the exact name as RFC 5987
    ``filename*``."""
    ext = os.path.splitext(name)[1].lower()
    if not _PLAIN_NAME.match(ext):
        ext = ""
    plain = name if _PLAIN_NAME.match(name) else f"{fallback_stem}{ext}"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


@require_safe
@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """One evidence file, for anyone who may see its section (applicant, employer, staff).

    Someone else than its owner viewing it is logged as an access to personal data."""
    ev = selectors.evidence_item_for(request.user, evidence_id)
    applicant = ev.application.applicant
    owner = request.user.role == Role.APPLICANT and applicant.user_id == request.user.pk
    if not owner:
        services.record_personal_data_view(actor=request.user, applicant=applicant,
                                           field=f"evidence:{ev.pk}")
    try:
        # Checked whole before a byte is sent; a damaged file is EvidenceDamaged (a
        # ServiceError: the middleware shows its message), logged, never served.
        handle = open_verified(ev)
    except FileNotFoundError as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(handle, content_type=ev.content_type)
    response["Content-Disposition"] = attachment_disposition(ev.original_name, f"evidence-{ev.pk}")
    response["Content-Length"] = str(ev.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
