"""The data comparison over the API: upload, status, list, differences, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jifen.core.roles import Department, Role
from jifen.review.comparisons import start_run
from jifen.review.models import ComparisonRun, RunState, VerificationItem
from jifen.rounds.models import Round
from tests.api.conftest import token_for
from tests.factories import make_applicant, make_staff, staff_client
from tests.review.compare_helpers import csv_bytes, housing_rows, two_submitted

pytestmark = pytest.mark.django_db

URL = "/api/review/comparisons"


@pytest.fixture
def uploads(settings, tmp_path: Path) -> Path:
    settings.COMPARISON_RUN_INLINE = True
    settings.COMPARISON_UPLOAD_ROOT = tmp_path
    return tmp_path


def _post(client: Client, capture, data: dict, **extra):
    with capture(execute=True):
        return client.post(URL, data, **extra)


def test_upload_then_status_list_and_differences(uploads, django_capture_on_commit_callbacks):
    a, b = two_submitted()
    client = staff_client(make_staff(Role.REVIEWER, Department.HOUSING))
    header, rows = housing_rows(a, b)
    response = _post(client, django_capture_on_commit_callbacks, {
        "kind": "housing", "year": "2026",
        "file": SimpleUploadedFile("住房.csv", csv_bytes(header, rows)),
    })
    assert response.status_code == 202, response.content
    body = response.json()
    run = ComparisonRun.objects.get()
    assert body["id"] == run.pk and body["kind_name"] == "住所" and body["year"] == 2026
    assert body["file_name"] == "住房.csv" and len(body["sha256"]) == 64

    status = client.get(f"{URL}/{run.pk}").json()
    assert status["state"] == "done" and status["finished"] is True
    assert status["summary"] == {"rows": 4, "persons": 2, "applications": 2, "matched": 1,
                                 "different": 1, "not_in_round": 0}
    assert status["errors"] == []

    listed = client.get(URL).json()
    assert [r["id"] for r in listed] == [run.pk]
    assert client.get(URL, {"kind": "permits"}).json() == []

    diff = client.get(f"{URL}/{run.pk}/differences").json()
    assert diff["count"] == 1
    (item,) = diff["items"]
    assert item["application_no"] == b.number and item["name"] == "王**"
    assert item["item_id"] == VerificationItem.objects.get(application=b, kind="housing").pk
    assert item["only_declared"] == ["2016-01～2025-12 自有产权住房 通州区"]
    assert item["only_recorded"] == []


def test_a_refused_file_over_the_api_lists_every_error(uploads, django_capture_on_commit_callbacks):
    a, _ = two_submitted()
    client = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    content = csv_bytes(["id_number", "year", "amount"], [
        [a.applicant.id_number, "2024", "-5"],
        [a.applicant.id_number, "二〇二四", "10"],
    ])
    response = _post(client, django_capture_on_commit_callbacks, {
        "kind": "tax", "file": SimpleUploadedFile("tax.csv", content),  # year: the current one
    })
    assert response.status_code == 202
    status = client.get(f"{URL}/{response.json()['id']}").json()
    assert status["state"] == "refused" and status["error_count"] == 2
    assert status["summary"] is None
    assert [(e["line"], e["column"]) for e in status["errors"]] == [(2, "amount"), (3, "year")]
    assert all(e["message"] for e in status["errors"])


def test_refusals_over_the_api(uploads, django_capture_on_commit_callbacks):
    a, b = two_submitted()
    header, rows = housing_rows(a, b)

    def form(kind: str = "housing", name: str = "h.csv") -> dict:
        return {"kind": kind, "file": SimpleUploadedFile(name, csv_bytes(header, rows))}

    tax = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    response = _post(tax, django_capture_on_commit_callbacks, form())
    assert response.status_code == 403
    assert "只能上传本部门负责的记录类别" in response.json()["message"]

    housing_user = make_staff(Role.REVIEWER, Department.HOUSING)
    housing = staff_client(housing_user)
    response = _post(housing, django_capture_on_commit_callbacks, form("nothing"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "kind"
    response = _post(housing, django_capture_on_commit_callbacks, form(name="h.pdf"))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file",
                                          "message": "只能上传 CSV（UTF-8）或 XLSX 文件"}]
    response = _post(housing, django_capture_on_commit_callbacks,
                     {**form(), "year": "2030"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "year"

    running = start_run(round_=Round.objects.get(), kind="housing", actor=housing_user)
    response = _post(housing, django_capture_on_commit_callbacks, form())
    assert response.status_code == 409
    assert response.json()["code"] == "comparison_running"
    assert f"第 {running.pk} 号" in response.json()["message"]
    assert ComparisonRun.objects.count() == 1

    # Another department's run is not found; applicants and employers are refused.
    assert tax.get(f"{URL}/{running.pk}").status_code == 404
    assert tax.get(f"{URL}/{running.pk}/differences").status_code == 404
    assert tax.get(URL).json() == []
    applicant = make_applicant()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token_for(applicant)}"}
    assert Client().get(URL, **bearer).status_code == 403
    response = _post(Client(), django_capture_on_commit_callbacks, form(), **bearer)
    assert response.status_code == 403
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert [r["id"] for r in bureau.get(URL).json()] == [running.pk]
    assert bureau.get(f"{URL}/{running.pk}").json()["state"] == RunState.RUNNING
    response = _post(bureau, django_capture_on_commit_callbacks, form())
    assert response.status_code == 403
