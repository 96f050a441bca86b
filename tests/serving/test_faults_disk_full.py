"""Fault: the disk of the evidence folder fills while evidence is uploaded. The node's evidence
folder is a small tmpfs of this test's own, filled to the last byte; an upload through the API
and one through the page are refused with a clear Chinese message (503 storage_full), leaving
no file fragment and no row; once space is freed the same uploads succeed."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.files import PDF
from tests.serving.harness import (
    ServedSystem,
    api_token,
    clone_database,
    drop_database,
    node_python,
    node_query,
    page_login,
)

DATABASE = "jifen_faults_disk"
PASSWORD = "Jifen-test-Passw0rd!"
FULL = "服务器存储空间不足，文件未保存，请稍后再试；已填写的申报内容不受影响。"

SETUP = """
import json
from tests.factories import make_round, linked_pair, fill_declaration
from jifen.applications import services as s
make_round(2026)
applicant, agent = linked_pair()
app = fill_declaration(applicant, s.application_start(actor=applicant), evidence=False)
owned = next(h["id"] for h in app.data["housing"] if h["kind"] == "owned")
print("JSON" + json.dumps({"user": applicant.username, "app": app.pk, "item": owned}))
"""


@pytest.fixture
def evidence_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the evidence folder needs root")
    folder = tmp_path / "evidence"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(folder)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def node(
    pg_url: str, serve_template: str, serve_var: Path, evidence_disk: Path
) -> Iterator[ServedSystem]:
    url = clone_database(pg_url, serve_template, DATABASE)
    system = ServedSystem(database_url=url, var_dir=serve_var,
                          redis_url="redis://127.0.0.1:6379/5",
                          extra_env={"JIFEN_EVIDENCE_ROOT": str(evidence_disk)})
    try:
        yield system
    finally:
        system.kill()
        drop_database(pg_url, DATABASE)


def _fill(folder: Path) -> Path:
    """A file taking every last byte of ``folder``'s disk."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (65536, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


def _rows(node: ServedSystem) -> int:
    return node_query(node, "SELECT count(*) FROM applications_evidence")[0][0]


def test_uploads_refused_cleanly_when_the_disk_is_full(
    node: ServedSystem, evidence_disk: Path
) -> None:
    made = json.loads(next(line[4:] for line in node_python(node, SETUP).splitlines()
                           if line.startswith("JSON")))
    node.start()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {api_token(node.url, made['user'], PASSWORD)}"
    page = page_login(node.url, made["user"], PASSWORD)
    section_url = f"{node.url}/my/applications/{made['app']}/sections/housing/"
    fields = {"section": "housing", "item_id": made["item"]}

    def upload_api() -> requests.Response:
        return api.post(f"{node.url}/api/applications/{made['app']}/evidence", data=fields,
                        files={"file": ("房产证.pdf", PDF, "application/pdf")}, timeout=30)

    def upload_page() -> requests.Response:
        form = page.get(section_url, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return page.post(
            f"{node.url}/my/applications/{made['app']}/evidence/",
            data={**fields, "csrfmiddlewaretoken": token},
            files={"file": ("房产证.pdf", PDF, "application/pdf")},
            headers={"Referer": section_url}, allow_redirects=False, timeout=30,
        )

    filler = _fill(evidence_disk)
    refused = upload_api()
    assert refused.status_code == 503, refused.text[:1000]
    assert refused.json() == {
        "code": "storage_full", "message": FULL, "errors": [{"field": "file", "message": FULL}],
    }
    refused_page = upload_page()
    assert refused_page.status_code == 503, refused_page.text[:1000]
    assert f"上传失败。证明材料文件：{FULL}" in refused_page.text
    assert "Traceback" not in refused_page.text
    # Nothing half-written: no fragment on the disk, no row.
    assert _files(evidence_disk) == ["filler"]
    assert _rows(node) == 0

    filler.unlink()
    stored = upload_api()
    assert stored.status_code == 201, stored.text[:1000]
    accepted_page = upload_page()
    assert accepted_page.status_code == 302, accepted_page.text[:1000]
    assert _rows(node) == 2
    assert len(_files(evidence_disk)) == 2
    download = api.get(f"{node.url}/api/evidence/{stored.json()['id']}", timeout=30)
    assert download.status_code == 200 and download.content == PDF
