"""The applicant's download of everything the system holds about them (PIPL art. 45)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.test import Client

from jifen.accounts.models import User
from jifen.applications.services import record_personal_data_view
from jifen.audit.exports import EXPORT_ACTION
from jifen.audit.models import AuditEvent
from jifen.core.roles import Role
from jifen.inbox.services import notify
from jifen.privacy import archive
from tests.factories import make_staff, staff_client

from .world import past_round

pytestmark = pytest.mark.django_db


def _open(content: bytes) -> tuple[zipfile.ZipFile, dict]:
    book = zipfile.ZipFile(io.BytesIO(content))
    return book, json.loads(book.read(archive.JSON_NAME))


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_applicant_downloads_their_data_with_evidence_and_who_viewed_it() -> None:
    world = past_round(ended_days_ago=10)
    me = world.applicants[1]
    bureau = make_staff(Role.BUREAU_ADMIN)
    record_personal_data_view(actor=bureau, applicant=me.applicant, field="id_number")
    notify(recipient=me, subject="初核结果已出", body="请查看初核结果")

    response = _client(me).get("/my/privacy/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    book, data = _open(response.content)

    assert data["format"] == "jifen.personal-data/1"
    assert data["account"]["identity"]["name"] == "李建国"
    assert data["account"]["identity"]["id_number"] == me.applicant.id_number  # in full
    assert data["account"]["phone"] == me.phone
    [app] = data["applications"]
    assert app["number"] == world.given_up.number and app["round"] == world.round.year
    assert app["declaration"] == {"housing": [{"kind": "owned", "district": "朝阳区"}]}
    assert app["first_results"][0]["total"] is not None
    assert app["ranking"]["rank"] == 2 and app["ranking"]["admitted"] is True
    assert app["settlement"] == [{"state": "放弃落户", "settled_on": None, "reason": "个人原因"}]
    # The objection about them, without the filer's identity (a third person's data).
    assert app["objections"][0]["state"]
    assert "赵举报" not in json.dumps(data, ensure_ascii=False)
    # The evidence file, decrypted, as uploaded.
    [ev] = app["evidence"]
    content = book.read(ev["file"])
    assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == ev["sha256"]
    assert data["messages"][0]["subject"] == "初核结果已出"
    # Who viewed their data: the bureau's view, by role, without the staff's login name.
    [view] = data["viewed_by"]
    assert view["role"] == "市人社局管理员" and view["what"] == "id_number"
    assert bureau.username not in json.dumps(data, ensure_ascii=False)
    # Watermarked (ZIP comment, JSON) and logged.
    assert book.comment.decode("utf-8").startswith(f"导出人：李建国（{me.username}）")
    assert data["watermark"] == book.comment.decode("utf-8")
    event = AuditEvent.objects.get(action=EXPORT_ACTION)
    assert event.actor_id == me.pk
    assert event.target_type == "accounts.applicantprofile"
    assert event.target_id == str(me.applicant.pk)
    assert (event.after["what"], event.after["format"], event.after["rows"]) == (
        archive.WHAT,
        "zip",
        1,
    )


def test_a_only_ever_gets_their_own_data() -> None:
    world = past_round(ended_days_ago=10)
    a, b = world.applicants[1], world.applicants[2]
    content = _client(a).get("/my/privacy/download/").content
    book, data = _open(content)
    text = json.dumps(data, ensure_ascii=False)
    assert b.applicant.id_number not in text and b.applicant.name not in text
    assert [x["number"] for x in data["applications"]] == [world.given_up.number]
    names = book.namelist()
    assert all(n == archive.JSON_NAME or n.startswith("evidence/") for n in names)
    assert len([n for n in names if n.startswith("evidence/")]) == 1
    # No way to name someone else: the URL takes no id, and a query is ignored.
    again = _client(a).get(f"/my/privacy/download/?applicant={b.applicant.pk}").content
    assert _open(again)[1]["account"]["username"] == a.username


def test_others_are_refused_with_the_reason() -> None:
    bureau = make_staff(Role.BUREAU_ADMIN)
    page = staff_client(bureau).get("/my/privacy/download/")
    assert page.status_code == 403
    assert "只有申请人本人可以下载本人的个人信息" in page.content.decode()
    api = staff_client(bureau).get("/api/me/personal-data")
    assert api.status_code == 403
    assert api.json()["message"] == "只有申请人本人可以下载本人的个人信息"
    assert Client().get("/api/me/personal-data").status_code == 401
    assert not AuditEvent.objects.filter(action=EXPORT_ACTION).exists()


def test_the_api_gives_the_same_archive() -> None:
    world = past_round(ended_days_ago=10)
    me = world.applicants[3]
    response = _client(me).get("/api/me/personal-data")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    _, data = _open(response.content)
    assert data["account"]["username"] == me.username
    assert AuditEvent.objects.get(action=EXPORT_ACTION).channel == "api"


def test_the_page_links_to_the_download() -> None:
    world = past_round(ended_days_ago=10)
    page = _client(world.applicants[0]).get("/my/privacy/").content.decode()
    assert 'href="/my/privacy/download/"' in page and "下载个人信息（ZIP）" in page
    home = _client(world.applicants[0]).get("/my/").content.decode()
    assert 'href="/my/privacy/"' in home
