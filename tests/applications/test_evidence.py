"""Evidence files: real small PDF/PNG/JPEG files, type and size checks, private storage under
EVIDENCE_ROOT with random names, removal with the row they belong to."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from jifen.applications import selectors, services
from jifen.applications.models import Application, Evidence
from jifen.audit.context import audit_context
from jifen.audit.models import AuditEvent
from jifen.core import filecrypt
from jifen.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    OutsideWindow,
    ServiceError,
)
from jifen.rounds.models import Round
from tests.factories import attach_required_evidence, fill_declaration, make_applicant
from tests.files import JPEG, PDF, PNG

pytestmark = pytest.mark.django_db


GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "evidence"
    with override_settings(EVIDENCE_ROOT=root):
        yield root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def app(applicant) -> Application:
    return fill_declaration(applicant, services.application_start(actor=applicant),
                            evidence=False)


def submit(applicant, app: Application) -> Application:
    """Submit ``app`` once every item that needs evidence has a file."""
    app = attach_required_evidence(applicant, app)
    return services.application_submit(actor=applicant, application_id=app.pk,
                                       version=app.version)


def housing_ids(app: Application) -> list[str]:
    return [r["id"] for r in Application.objects.get(pk=app.pk).data["housing"]]


def add(actor, app: Application, name: str, content: bytes, *, section: str = "housing",
        item_id: str | None = None) -> Evidence:
    if item_id is None:
        item_id = housing_ids(app)[0] if section == "housing" else ""
    return services.evidence_add(actor=actor, application_id=app.pk, section=section,
                                 item_id=item_id, upload=upload(name, content))


@contextmanager
def refused(error: type[ServiceError], root: Path, field: str | None = None
            ) -> Iterator[pytest.ExceptionInfo[ServiceError]]:
    """Refused with ``error`` naming ``field``: no row, no file, no audit event."""
    rows, events, files = Evidence.objects.count(), AuditEvent.objects.count(), stored_files(root)
    with pytest.raises(error) as info:
        yield info
    assert type(info.value) is error
    if field is not None:
        assert [e.field for e in info.value.errors] == [field]
    assert Evidence.objects.count() == rows
    assert AuditEvent.objects.count() == events
    assert stored_files(root) == files


# --- accepted files -------------------------------------------------------------------------


@pytest.mark.parametrize("name,content,content_type", [
    ("租赁合同.pdf", PDF, "application/pdf"),
    ("房产证.PNG", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
])
def test_add_evidence(evidence_root, applicant, app, name: str, content: bytes,
                      content_type: str) -> None:
    item = housing_ids(app)[1]
    with audit_context(ip="10.1.2.3"):
        ev = add(applicant, app, name, content, item_id=item)
    ev.refresh_from_db()
    assert (ev.application, ev.section, ev.item_id) == (app, "housing", item)
    assert ev.original_name == name
    assert ev.content_type == content_type
    assert ev.size == len(content)
    assert ev.sha256 == hashlib.sha256(content).hexdigest()
    assert ev.uploaded_by == applicant
    # Stored under EVIDENCE_ROOT, in the round's and the application's folder, under a
    # random name: the applicant's file name never reaches the file system.
    path = Path(ev.file.path)
    assert path.is_relative_to(evidence_root)
    assert path.parent == evidence_root / "2026" / str(app.pk)
    ext = Path(name).suffix.lower()
    assert re.fullmatch(r"[0-9a-f]{24}" + re.escape(ext), path.name)
    assert Path(name).stem not in path.name
    # Encrypted at rest, readable by the server's user only, whatever the umask.
    stored = path.read_bytes()
    assert stored.startswith(filecrypt.MAGIC) and content[:64] not in stored
    assert len(stored) == filecrypt.HEADER + len(content) + filecrypt.TAG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, evidence_root):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    with ev.file.open("rb") as handle:
        assert handle.read() == content
    assert stored_files(evidence_root) == [path]
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.ip) == ("evidence.add", applicant, "10.1.2.3")
    assert (event.target_type, event.target_id) == ("applications.application", str(app.pk))
    # The file name (often a person's name) and the content's hash only as keyed fingerprints.
    assert event.after == {
        "evidence": ev.pk, "section": "housing", "item": item, "size": len(content),
        "file_name": {"length": len(name), "fingerprint": event.after["file_name"]["fingerprint"]},
        "content": event.after["content"],
    }
    assert len(event.after["content"]) == len(event.after["file_name"]["fingerprint"]) == 32
    stored = json.dumps(event.after, ensure_ascii=False)
    assert Path(name).stem not in stored and ev.sha256 not in stored


def test_two_uploads_of_one_file_get_different_names(evidence_root, applicant, app) -> None:
    first = add(applicant, app, "a.pdf", PDF)
    second = add(applicant, app, "a.pdf", PDF)
    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256
    assert len(stored_files(evidence_root)) == 2


def test_evidence_for_a_whole_section(applicant, app) -> None:
    ev = add(applicant, app, "tax.pdf", PDF, section="tax", item_id="")
    assert (ev.section, ev.item_id) == ("tax", "")


def test_a_path_in_the_name_is_dropped(applicant, app) -> None:
    ev = add(applicant, app, "../../etc/passwd.pdf", PDF)
    assert ev.original_name == "passwd.pdf"


# --- refused files --------------------------------------------------------------------------


@pytest.mark.parametrize("name,content", [
    ("setup.exe", EXE),
    ("setup.exe", PDF),  # the extension alone is enough to refuse
    ("animation.gif", GIF),
    ("no_extension", PDF),
    ("scan.pdf", PNG),  # a PNG named .pdf
    ("scan.png", JPEG),
    ("scan.jpg", PDF),
    ("scan.pdf", EXE),
    ("scan.pdf", b"PDF-1.4 without the percent sign"),
    ("page.pdf", b"<html><script>alert(1)</script></html>"),
])
def test_wrong_types_are_refused(evidence_root, applicant, app, name: str, content: bytes
                                 ) -> None:
    with refused(InvalidInput, evidence_root, field="file"):
        add(applicant, app, name, content)


def test_an_empty_file_is_refused(evidence_root, applicant, app) -> None:
    with refused(InvalidInput, evidence_root, field="file") as info:
        add(applicant, app, "empty.pdf", b"")
    assert info.value.message == "文件为空"


def test_a_file_over_the_limit_is_refused(evidence_root, applicant, app) -> None:
    content = PDF + b"\n" * 1024  # padding after %%EOF is allowed
    with override_settings(EVIDENCE_MAX_BYTES=len(content) - 1):
        with refused(InvalidInput, evidence_root, field="file") as info:
            add(applicant, app, "big.pdf", content)
        assert "不能超过" in info.value.message
    with override_settings(EVIDENCE_MAX_BYTES=len(content)):
        assert add(applicant, app, "big.pdf", content).size == len(content)


def test_the_number_of_files_is_limited(evidence_root, applicant, app) -> None:
    with override_settings(EVIDENCE_MAX_FILES=2):
        add(applicant, app, "1.pdf", PDF)
        add(applicant, app, "2.png", PNG)
        with refused(Conflict, evidence_root, field="file"):
            add(applicant, app, "3.pdf", PDF)


@pytest.mark.parametrize("item_id", ["nosuchrow", "deadbeef"])
def test_an_unknown_item_is_refused(evidence_root, applicant, app, item_id: str) -> None:
    with refused(InvalidInput, evidence_root, field="item_id"):
        add(applicant, app, "a.pdf", PDF, item_id=item_id)


def test_an_item_of_another_section_is_refused(evidence_root, applicant, app) -> None:
    with refused(InvalidInput, evidence_root, field="item_id"):
        add(applicant, app, "a.pdf", PDF, section="education", item_id=housing_ids(app)[0])


def test_an_unknown_section_is_refused(evidence_root, applicant, app) -> None:
    with refused(InvalidInput, evidence_root, field="section"):
        add(applicant, app, "a.pdf", PDF, section="salary", item_id="")


def test_only_the_owner_adds_evidence(evidence_root, agent, app) -> None:
    other = make_applicant()
    with refused(NotFound, evidence_root):
        add(other, app, "a.pdf", PDF)
    with refused(NotPermitted, evidence_root):
        add(agent, app, "a.pdf", PDF)


def test_no_evidence_after_submission(evidence_root, applicant, app) -> None:
    submit(applicant, app)
    with refused(Conflict, evidence_root):
        add(applicant, app, "a.pdf", PDF)


def test_no_evidence_outside_the_window(evidence_root, applicant, app) -> None:
    Round.objects.filter(pk=app.round_id).update(
        declaration_closes=timezone.now() - timedelta(minutes=1)
    )
    with refused(OutsideWindow, evidence_root):
        add(applicant, app, "a.pdf", PDF)


# --- removal --------------------------------------------------------------------------------


def test_removing_a_row_removes_its_evidence_after_commit(
    evidence_root, applicant, app, django_capture_on_commit_callbacks
) -> None:
    keep_id, drop_id = housing_ids(app)
    kept = add(applicant, app, "keep.pdf", PDF, item_id=keep_id)
    dropped = add(applicant, app, "drop.png", PNG, item_id=drop_id)
    whole = add(applicant, app, "all.pdf", PDF, section="housing", item_id="")
    dropped_path = Path(dropped.file.path)
    app = Application.objects.get(pk=app.pk)
    remaining = [r for r in app.data["housing"] if r["id"] == keep_id]
    with django_capture_on_commit_callbacks() as callbacks:
        with audit_context(ip="10.1.2.3"):
            services.application_save_section(actor=applicant, application_id=app.pk,
                                              section="housing", value=remaining,
                                              version=app.version)
        # The row is gone at once; the file waits for the commit.
        assert not Evidence.objects.filter(pk=dropped.pk).exists()
        assert dropped_path.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert not dropped_path.exists()
    assert set(Evidence.objects.values_list("pk", flat=True)) == {kept.pk, whole.pk}
    assert Path(kept.file.path).exists() and Path(whole.file.path).exists()
    event = AuditEvent.objects.filter(action="evidence.delete").get()
    assert (event.actor, event.ip) == (applicant, "10.1.2.3")
    assert {k: event.before[k] for k in ("evidence", "section", "item")} == {
        "evidence": dropped.pk, "section": "housing", "item": drop_id,
    }
    assert event.before["file_name"]["length"] == len("drop.png")
    assert "drop" not in json.dumps(event.before)
    assert AuditEvent.objects.order_by("-seq").first().action == "application.save"


def test_emptying_a_section_removes_all_its_row_evidence(
    evidence_root, applicant, app, django_capture_on_commit_callbacks
) -> None:
    for item in housing_ids(app):
        add(applicant, app, "a.pdf", PDF, item_id=item)
    other = add(applicant, app, "edu.pdf", PDF, section="education",
                item_id=Application.objects.get(pk=app.pk).data["education"][0]["id"])
    app = Application.objects.get(pk=app.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_save_section(actor=applicant, application_id=app.pk,
                                          section="housing", value=[], version=app.version)
    assert list(Evidence.objects.values_list("pk", flat=True)) == [other.pk]
    assert stored_files(evidence_root) == [Path(other.file.path)]


def test_evidence_delete(evidence_root, applicant, app,
                         django_capture_on_commit_callbacks) -> None:
    ev = add(applicant, app, "a.pdf", PDF)
    path = Path(ev.file.path)
    with django_capture_on_commit_callbacks(execute=True), audit_context(ip="10.1.2.3"):
        services.evidence_delete(actor=applicant, evidence_id=ev.pk)
    assert not Evidence.objects.filter(pk=ev.pk).exists()
    assert not path.exists()
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.ip) == ("evidence.delete", applicant, "10.1.2.3")
    assert event.before["evidence"] == ev.pk


def test_a_failed_delete_keeps_the_file(evidence_root, applicant, app, monkeypatch,
                                        django_capture_on_commit_callbacks) -> None:
    ev = add(applicant, app, "a.pdf", PDF)

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr("jifen.applications.services.evidence.record_event", fail)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        services.evidence_delete(actor=applicant, evidence_id=ev.pk)
    assert callbacks == []
    assert Evidence.objects.filter(pk=ev.pk).exists()
    assert Path(ev.file.path).exists()


def test_only_the_owner_deletes_evidence(evidence_root, agent, applicant, app,
                                         django_capture_on_commit_callbacks) -> None:
    ev = add(applicant, app, "a.pdf", PDF)
    other = make_applicant()
    with django_capture_on_commit_callbacks(execute=True):
        with refused(NotFound, evidence_root):
            services.evidence_delete(actor=other, evidence_id=ev.pk)
        with refused(NotPermitted, evidence_root):
            services.evidence_delete(actor=agent, evidence_id=ev.pk)
        with refused(NotFound, evidence_root):
            services.evidence_delete(actor=applicant, evidence_id=ev.pk + 999)
    assert Path(ev.file.path).exists()


def test_no_deletion_after_submission(evidence_root, applicant, app) -> None:
    ev = add(applicant, app, "a.pdf", PDF)
    submit(applicant, app)
    with refused(Conflict, evidence_root):
        services.evidence_delete(actor=applicant, evidence_id=ev.pk)


def test_no_deletion_outside_the_window(evidence_root, applicant, app) -> None:
    ev = add(applicant, app, "a.pdf", PDF)
    Round.objects.filter(pk=app.round_id).update(
        declaration_closes=timezone.now() - timedelta(minutes=1)
    )
    with refused(OutsideWindow, evidence_root):
        services.evidence_delete(actor=applicant, evidence_id=ev.pk)


# --- who sees which file --------------------------------------------------------------------


def test_evidence_is_listed_for_those_who_may_see_its_section(agent, applicant, app) -> None:
    ev = add(applicant, app, "a.pdf", PDF)
    app = Application.objects.get(pk=app.pk)
    assert list(selectors.evidence_for(applicant, app)) == [ev]
    assert selectors.evidence_item_for(applicant, ev.pk) == ev
    with pytest.raises(NotFound):  # a draft stays with the applicant
        selectors.evidence_item_for(agent, ev.pk)
    submit(applicant, app)
    assert selectors.evidence_item_for(agent, ev.pk) == ev
    with pytest.raises(NotFound):
        selectors.evidence_item_for(make_applicant(), ev.pk)


def test_a_failed_upload_leaves_no_file(evidence_root, applicant, app, monkeypatch) -> None:
    def fail(**kwargs: Any) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr("jifen.applications.services.evidence.record_event", fail)
    with pytest.raises(RuntimeError):
        add(applicant, app, "a.pdf", PDF)
    assert not Evidence.objects.exists()
    assert stored_files(evidence_root) == []


def test_evidence_files_have_no_public_url() -> None:
    from jifen.applications.models import PrivateFileStorage

    with pytest.raises(ValueError, match="no public URL"):
        PrivateFileStorage(location="/nonexistent").url("2026/1/x.pdf")


def test_a_full_disk_refuses_the_upload_and_leaves_nothing(
    evidence_root, applicant, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from jifen.applications.evidence_storage import FULL_MESSAGE, StorageFull

    written = filecrypt.encrypt_stream

    def disk_full(chunks, out) -> None:  # part of the file written, then no space left
        out.write(b"partial ciphertext")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(filecrypt, "encrypt_stream", disk_full)
    with refused(StorageFull, evidence_root, field="file") as info:
        add(applicant, app, "房产证.pdf", PDF)
    assert (info.value.status, info.value.code, info.value.message) == (
        503, "storage_full", FULL_MESSAGE,
    )
    # A real disk is exercised in tests/serving/test_faults_disk_full.py (a full tmpfs).
    monkeypatch.setattr(filecrypt, "encrypt_stream", written)
    assert add(applicant, app, "房产证.pdf", PDF).size == len(PDF)
