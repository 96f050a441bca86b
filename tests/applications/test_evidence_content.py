"""What an evidence file really is: images decoded, PDFs parsed, active content, encryption
and polyglots refused with a message that says what was found; stored files encrypted and
checked whole before they are served."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from jifen.applications import services
from jifen.applications.evidence_storage import DAMAGED_MESSAGE
from jifen.applications.models import Application, Evidence
from jifen.audit.models import AuditEvent
from jifen.core.errors import InvalidInput
from tests.factories import fill_declaration, verify_second_factor
from tests.files import JPEG, PDF, PNG, jpeg, pdf, png, png_chunk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "evidence"
    with override_settings(EVIDENCE_ROOT=root):
        yield root


@pytest.fixture
def app(applicant) -> Application:
    return fill_declaration(applicant, services.application_start(actor=applicant),
                            evidence=False)


def add(applicant, app: Application, name: str, content: bytes) -> Evidence:
    item = Application.objects.get(pk=app.pk).data["housing"][0]["id"]
    return services.evidence_add(actor=applicant, application_id=app.pk, section="housing",
                                 item_id=item, upload=SimpleUploadedFile(name, content))


def refusal(applicant, app: Application, name: str, content: bytes) -> str:
    """The message of the refusal (field ``file``); nothing stored, nothing recorded."""
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        add(applicant, app, name, content)
    assert [e.field for e in info.value.errors] == ["file"]
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.count() == events
    return info.value.message


# --- crafted PDFs ---------------------------------------------------------------------------


def _open_action_js(doc: pikepdf.Pdf) -> None:
    doc.Root.OpenAction = doc.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript,
        JS=pikepdf.String("app.alert('x')")))


def _launch(doc: pikepdf.Pdf) -> None:
    doc.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))


def _embedded_file(doc: pikepdf.Pdf) -> None:
    spec = pikepdf.AttachedFileSpec(doc, b"MZ\x90\x00 payload", filename="payload.exe")
    doc.attachments["payload.exe"] = spec


def _annotation_js(doc: pikepdf.Pdf) -> None:
    """JavaScript in a link annotation's additional actions, written (with object streams)
    into a compressed object stream: invisible in the raw bytes."""
    action = doc.make_indirect(pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.exportDataObject()")))
    annot = doc.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
        Rect=pikepdf.Array([0, 0, 100, 100]), AA=pikepdf.Dictionary(E=action)))
    doc.pages[0].Annots = pikepdf.Array([annot])


def _names_tree_js(doc: pikepdf.Pdf) -> None:
    action = doc.make_indirect(pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("1")))
    doc.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), action])))


def _everything(doc: pikepdf.Pdf) -> None:
    _launch(doc)
    _embedded_file(doc)
    _names_tree_js(doc)


def refused_for(*found: str) -> str:
    return (f"PDF 文件含有以下内容，不能上传：{'、'.join(found)}。"
            "请上传不含脚本和附件的 PDF（如扫描件）")


JS = refused_for("JavaScript 脚本")


@pytest.mark.parametrize("content,message", [
    (pdf(_open_action_js), JS),
    (pdf(_launch), refused_for("启动外部程序的动作（Launch）")),
    (pdf(_embedded_file), refused_for("嵌入的文件或附件")),
    (pdf(_annotation_js, object_streams=True), JS),
    (pdf(_names_tree_js, object_streams=True), JS),
    (pdf(_everything), refused_for("JavaScript 脚本", "启动外部程序的动作（Launch）",
                                   "嵌入的文件或附件")),
], ids=["open-action-js", "launch", "embedded-file", "js-in-object-stream", "names-tree-js",
        "all-three"])
def test_pdfs_with_active_content_are_refused(applicant, app, content: bytes,
                                              message: str) -> None:
    assert refusal(applicant, app, "scan.pdf", content) == message


def test_javascript_in_an_object_stream_is_not_in_the_raw_bytes() -> None:
    """The case above is real: only a parser that opens object streams finds it."""
    content = pdf(_annotation_js, object_streams=True)
    assert b"JavaScript" not in content and b"/JS" not in content


@pytest.mark.parametrize("encryption,message", [
    (pikepdf.Encryption(owner="owner-secret", user="user-secret"),
     "PDF 文件已加密（设有打开密码），请上传未加密的文件"),
    (pikepdf.Encryption(owner="owner-secret", user=""),
     "PDF 文件已加密（设有权限密码），请上传未加密的文件"),
], ids=["open-password", "permissions-only"])
def test_encrypted_pdfs_are_refused(applicant, app, encryption, message: str) -> None:
    assert refusal(applicant, app, "scan.pdf", pdf(encrypt=encryption)) == message


@pytest.mark.parametrize("content,message", [
    (b"%PDF-1.4\nthis is not a PDF at all\n%%EOF\n", "PDF 文件已损坏或格式不正确，无法识别"),
    (PDF[: len(PDF) // 2], "PDF 文件不完整（缺少文件结束标记），无法识别"),
    (PDF + b"PK\x03\x04 a zip archive read from the end", "PDF 文件末尾附带了其他数据，不能上传"),
], ids=["garbage", "truncated", "trailing-data"])
def test_broken_pdfs_are_refused(applicant, app, content: bytes, message: str) -> None:
    assert refusal(applicant, app, "scan.pdf", content) == message


def test_a_pdf_that_opens_at_a_page_is_accepted(applicant, app) -> None:
    """An OpenAction that only shows a page is not active content."""
    def open_at_page(doc: pikepdf.Pdf) -> None:
        doc.Root.OpenAction = pikepdf.Array([doc.pages[0].obj, pikepdf.Name.Fit])

    content = pdf(open_at_page, object_streams=True)
    assert add(applicant, app, "scan.pdf", content).size == len(content)


# --- images ---------------------------------------------------------------------------------


def _garbage_png() -> bytes:
    good = png((16, 16))
    header = good[:8 + 25]  # signature and IHDR, both right
    # Fixed bytes, not random ones: random data is now and then a readable zlib stream (the
    # test failed once in CI that way). A first byte 0 is no zlib compression method.
    garbage = bytes((i * 37) % 256 for i in range(200))
    return header + png_chunk(b"IDAT", garbage) + png_chunk(b"IEND", b"")


def _png_with_pdf_inside() -> bytes:
    good = png()
    return good[:33] + png_chunk(b"tEXt", b"Comment\x00" + PDF) + good[33:]


@pytest.mark.parametrize("name,content,message", [
    ("scan.png", _garbage_png(), "PNG 图片文件已损坏或不完整，无法识别"),
    ("scan.jpg", JPEG[: len(JPEG) - 120], "JPG 图片文件不完整或已损坏，无法识别"),
    ("scan.png", PNG + PDF, "PNG 图片文件末尾附带了其他数据，不能上传"),
    ("scan.jpg", jpeg((300, 300)) + b"<html><script>alert(1)</script></html>",
     "JPG 图片文件末尾附带了其他数据，不能上传"),
    ("scan.png", _png_with_pdf_inside(), "PNG 图片文件中夹带了 PDF 内容，不能上传"),
    ("scan.pdf", PDF.replace(b"\n", b"\n<html><script>alert(1)</script>\n", 1),
     "文件开头夹带了网页代码，不能上传"),
], ids=["png-garbage-data", "truncated-jpeg", "png-then-pdf", "jpeg-then-html",
        "pdf-inside-png", "html-in-pdf-head"])
def test_broken_images_and_polyglots_are_refused(applicant, app, name: str, content: bytes,
                                                 message: str) -> None:
    assert refusal(applicant, app, name, content) == message


def test_a_decompression_bomb_is_refused_before_decoding(applicant, app) -> None:
    content = png((400, 300))
    with override_settings(EVIDENCE_MAX_PIXELS=100_000):
        assert refusal(applicant, app, "scan.png", content) == (
            "图片尺寸过大（400×300 像素），请缩小后上传（不超过 10 万像素）"
        )
    with override_settings(EVIDENCE_MAX_PIXELS=120_000):
        assert add(applicant, app, "scan.png", content).size == len(content)


def test_images_with_padding_after_their_end_are_accepted(applicant, app) -> None:
    content = jpeg((32, 32)) + b"\x00" * 64
    assert add(applicant, app, "photo.jpg", content).size == len(content)


# --- stored encrypted, whatever the umask -----------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_modes_do_not_depend_on_the_umask(evidence_root, applicant, app, umask: int) -> None:
    previous = os.umask(umask)
    try:
        ev = add(applicant, app, "a.pdf", PDF)
    finally:
        os.umask(previous)
    path = Path(ev.file.path)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    for folder in (path.parent, path.parent.parent, evidence_root):
        assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert not [p for p in evidence_root.rglob("*") if p.name.endswith(".part")]


# --- a damaged file is never served -----------------------------------------------------------


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.is_staff_role:
        verify_second_factor(client, user)
    return client


def _damage(ev: Evidence, how: str, other: Evidence | None = None) -> None:
    path = Path(ev.file.path)
    if how == "flip":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 1
        path.write_bytes(bytes(data))
    elif how == "plain":
        path.write_bytes(PDF)
    else:  # another valid file of the system put in its place
        assert other is not None
        shutil.copyfile(other.file.path, path)


@pytest.mark.parametrize("how", ["flip", "plain", "swapped"])
def test_a_damaged_file_is_refused_on_the_page_and_logged(
    applicant, app, caplog, how: str
) -> None:
    ev = add(applicant, app, "租赁合同.pdf", PDF)
    other = add(applicant, app, "photo.png", PNG)
    _damage(ev, how, other)
    client = _signed_in(applicant)
    with caplog.at_level(logging.ERROR, logger="jifen.applications.evidence_storage"):
        response = client.get(reverse("applications:evidence_download", args=[ev.pk]))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert DAMAGED_MESSAGE in html
    assert PDF[:40].decode("latin-1") not in html
    logged = [r.getMessage() for r in caplog.records]
    assert any(f"evidence {ev.pk}: stored file {ev.file.name}" in m for m in logged), logged
    assert not any("租赁合同" in m for m in logged)  # no personal data in the log
    # The intact file next to it is still served, decrypted.
    ok = client.get(reverse("applications:evidence_download", args=[other.pk]))
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == PNG


def test_a_damaged_file_is_refused_by_the_api(applicant, app) -> None:
    from jifen.api.models import ApiToken

    ev = add(applicant, app, "a.pdf", PDF)
    _damage(ev, "flip")
    token = ApiToken.issue(applicant)[1]
    response = Client().get(f"/api/evidence/{ev.pk}",
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    assert response.json() == {"code": "evidence_damaged", "message": DAMAGED_MESSAGE,
                               "errors": []}


def test_a_download_streams_the_plaintext(applicant, app) -> None:
    content = pdf(lambda doc: [doc.add_blank_page() for _ in range(3)])
    ev = add(applicant, app, "scan.pdf", content)
    response = _signed_in(applicant).get(reverse("applications:evidence_download",
                                                 args=[ev.pk]))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(content))
    assert b"".join(response.streaming_content) == content


def test_a_pdf_export_does_not_loosen_the_image_checks(applicant, app) -> None:
    """WeasyPrint's import sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process; after
    the public list's PDF was made, a broken PNG must still be refused."""
    from PIL import ImageFile

    from jifen.core.pdf import weasyprint_html

    weasyprint_html()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as if another library had set it
    try:
        assert refusal(applicant, app, "scan.png", _garbage_png()) == (
            "PNG 图片文件已损坏或不完整，无法识别"
        )
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
