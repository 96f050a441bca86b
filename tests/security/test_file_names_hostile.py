"""Hostile file names on the evidence upload, through the API and the page: never a server
error, the file lands in the evidence folder whatever its name says, and the name kept for
display has no path, no NUL and nothing a page would run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from jifen.applications import services
from jifen.applications.models import Evidence
from tests.api.conftest import token_for
from tests.factories import fill_declaration, linked_pair, make_round
from tests.files import PDF
from tests.security.hostile import HOSTILE_FILE_NAMES

pytestmark = pytest.mark.django_db


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def _check_kept_name() -> list[str]:
    problems = []
    for name in Evidence.objects.values_list("original_name", flat=True):
        if any(bad in name for bad in ("/", "\\", "\x00", "<script>")):
            problems.append(f"kept as {name[:60]!r}")
    return problems


@pytest.mark.parametrize("channel", ["api", "page"])
def test_hostile_file_names(channel: str, tmp_path: Path) -> None:
    evidence_root = tmp_path / "evidence"
    make_round(2026)
    applicant, _agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant),
                           evidence=False)
    client = Client()
    headers: dict[str, str] = {}
    if channel == "api":
        headers = {"Authorization": f"Bearer {token_for(applicant)}"}
        url = f"/api/applications/{app.pk}/evidence"
    else:
        client.force_login(applicant)
        url = f"/my/applications/{app.pk}/evidence/"
    problems: list[str] = []
    with override_settings(EVIDENCE_ROOT=evidence_root):
        for label, name in HOSTILE_FILE_NAMES.items():
            upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
            response: Any = client.post(url, {"section": "tax", "item_id": "", "file": upload},
                                        headers=headers)
            if response.status_code >= 500:
                problems.append(f"{label}: {response.status_code}")
            if "<script>alert(1)</script>" in response.content.decode(errors="replace"):
                problems.append(f"{label}: the name is in the answer unescaped")
        problems += _check_kept_name()
    # Everything written is inside the evidence folder, nothing beside or above it.
    assert _files_under(tmp_path) == _files_under(evidence_root)
    assert Evidence.objects.filter(application=app).count() >= 1
    assert problems == []
