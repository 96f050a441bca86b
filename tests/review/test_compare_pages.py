"""The departments' data comparison pages (/review/compare/): upload, progress, result,
refusal, who may do what; the background run and its failures."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, NotPermitted
from jifen.core.roles import Department, Role
from jifen.review import comparison_uploads
from jifen.review.comparisons import start_run
from jifen.review.models import ComparisonRun, Decision, ItemState, RunState, VerificationItem
from jifen.rounds.models import Round
from tests.factories import make_applicant, make_staff, staff_client
from tests.review.compare_helpers import (
    csv_bytes,
    housing_rows,
    two_submitted,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploads(settings, tmp_path: Path) -> Path:
    """The comparison runs in the request (once it commits), its files under tmp_path."""
    settings.COMPARISON_RUN_INLINE = True
    settings.COMPARISON_UPLOAD_ROOT = tmp_path / "uploads"
    (tmp_path / "uploads").mkdir()
    return tmp_path / "uploads"


@pytest.fixture
def apps():
    return two_submitted()


def _reviewer(department: str = Department.HOUSING):
    user = make_staff(Role.REVIEWER, department)
    return user, staff_client(user)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _upload(client, capture, *args, **kwargs):
    with capture(execute=True):
        return upload(client, *args, **kwargs)


def test_a_csv_upload_runs_and_the_run_page_shows_counts_and_differences(
    uploads, apps, django_capture_on_commit_callbacks
):
    a, b = apps
    reviewer, client = _reviewer()
    header, rows = housing_rows(a, b)
    content = csv_bytes(header, rows, bom=True)
    response = _upload(client, django_capture_on_commit_callbacks, "housing", "住房.csv", content)

    run = ComparisonRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/review/compare/{run.pk}/"
    assert (run.state, run.stage, run.kind, run.department) == (
        RunState.DONE, "done", "housing", Department.HOUSING
    )
    assert run.started_by == reviewer and run.file_name == "住房.csv"
    assert run.size == len(content)
    assert run.sha256 == __import__("hashlib").sha256(content).hexdigest()
    assert list(uploads.iterdir()) == []  # the copy is gone, the hash is kept

    page = _text(client.get(f"/review/compare/{run.pk}/"))
    assert "已完成" in page
    for name, value in [("比对申报数", 2), ("比对一致", 1), ("比对不一致", 1),
                        ("文件记录行数", 4), ("文件涉及人数", 2), ("不在本年度申报中的人数", 0)]:
        assert f"<dt>{name}</dt><dd>{value}</dd>" in page
    table = page.split('id="differences"')[1].split("</table>")[0]
    assert b.number in table and a.number not in table
    item_b = VerificationItem.objects.get(application=b, kind="housing")
    assert f'href="/review/items/{item_b.pk}/"' in table
    assert "王**" in table and "王素芳" not in page
    # b has no owned home on record: the declared one is the difference.
    assert "2016-01～2025-12 自有产权住房 通州区" in table
    assert 'id="progress"' not in page  # finished: no progress bar, no polling

    started = AuditEvent.objects.get(action="review.compare_start")
    assert started.after == {"kind": "housing", "year": 2026, "file_name": "住房.csv",
                             "sha256": run.sha256, "size": len(content)}
    assert AuditEvent.objects.filter(action="review.compare").count() == 1


def test_the_upload_page_offers_the_departments_kinds_and_lists_its_runs(
    uploads, apps, django_capture_on_commit_callbacks
):
    a, _ = apps
    _, client = _reviewer(Department.POLICE)
    page = _text(client.get("/review/compare/"))
    kinds = re.findall(r'<option value="([a-z_]+)"', page)
    assert kinds == ["permits", "criminal_records", "detentions"]
    assert 'enctype="multipart/form-data"' in page and "200 MB" in page
    _upload(client, django_capture_on_commit_callbacks, "permits", "p.csv",
            csv_bytes(["id_number"], [[a.applicant.id_number]]))
    page = _text(client.get("/review/compare/"))
    run = ComparisonRun.objects.get()
    assert f'href="/review/compare/{run.pk}/"' in page
    assert "居住证" in page and "一致 1，不一致 1" in page


def test_a_refused_file_lists_every_bad_line_and_applies_nothing(
    uploads, apps, django_capture_on_commit_callbacks
):
    a, _ = apps
    _, client = _reviewer(Department.SOCIAL_INSURANCE)
    ida = a.applicant.id_number
    content = csv_bytes(
        ["id_number", "from", "to", "back_paid"],
        [
            [ida, "2008-07", "2021-13", ""],
            [ida, "2008-07", "2025-12", "2030-01"],
            ["110105197601152340", "2008-07", "2025-12", ""],
            [ida, "2008-07", "2025-12", ""],
        ],
    )
    _upload(client, django_capture_on_commit_callbacks, "social_insurance", "si.csv", content)
    run = ComparisonRun.objects.get()
    assert run.state == RunState.REFUSED and run.error_count == 3
    assert Decision.objects.count() == 0
    assert set(VerificationItem.objects.values_list("state", flat=True)) == {ItemState.WAITING}
    assert list(uploads.iterdir()) == []

    page = _text(client.get(f"/review/compare/{run.pk}/"))
    assert "共 3 处错误" in page and "没有写入任何比对结果" in page
    errors = re.findall(r"<li>(第 \d+ 行[^<]*)</li>", page.split('id="errors"')[1])
    assert len(errors) == 3
    assert errors[0].startswith("第 2 行，to 列：") and "2021-13" in errors[0]
    assert errors[1].startswith("第 3 行，back_paid 列：")
    assert errors[2].startswith("第 4 行，id_number 列：")
    assert 'id="counts"' not in page
    assert AuditEvent.objects.get(action="review.compare_refused").after["errors"] == 3


def test_an_xlsx_with_date_cells_and_columns_in_any_order(
    uploads, apps, django_capture_on_commit_callbacks
):
    a, b = apps
    _, client = _reviewer(Department.SOCIAL_INSURANCE)
    content = xlsx_bytes(
        ["back_paid", "to", "id_number", "from"],
        [
            # a: 2008-07..2025-12 as two rows, the months as date cells
            ["2010-03;2010-04", date(2012, 12, 31), a.applicant.id_number, date(2008, 7, 1)],
            ["", datetime(2025, 12, 1), a.applicant.id_number, datetime(2013, 1, 15)],
            # b: the back-paid months are not on record
            ["", date(2025, 12, 1), b.applicant.id_number, date(2008, 7, 1)],
        ],
    )
    _upload(client, django_capture_on_commit_callbacks, "social_insurance", "社保.xlsx", content)
    run = ComparisonRun.objects.get()
    assert run.state == RunState.DONE, run.errors
    assert run.summary["matched"] == 1 and run.summary["different"] == 1
    page = _text(client.get(f"/review/compare/{run.pk}/"))
    table = page.split('id="differences"')[1]
    assert b.number in table and "补缴 2010-03～2010-04" in table


def test_a_reviewer_of_another_department_is_refused(
    uploads, apps, django_capture_on_commit_callbacks
):
    a, b = apps
    _, housing = _reviewer()
    header, rows = housing_rows(a, b)
    _upload(housing, django_capture_on_commit_callbacks, "housing", "h.csv",
            csv_bytes(header, rows))
    run = ComparisonRun.objects.get()

    tax_user, tax = _reviewer(Department.TAX)
    page = _text(tax.get("/review/compare/"))
    assert 'value="housing"' not in page and f"/review/compare/{run.pk}/" not in page
    response = _upload(tax, django_capture_on_commit_callbacks, "housing", "h.csv",
                       csv_bytes(header, rows))
    assert response.status_code == 200 and "选择一个有效的选项" in _text(response)
    assert ComparisonRun.objects.count() == 1
    assert tax.get(f"/review/compare/{run.pk}/").status_code == 404
    assert tax.get(f"/review/compare/{run.pk}/status/").status_code == 404
    # The service itself refuses, whatever the form offers.
    with pytest.raises(NotPermitted, match="只能上传本部门负责的记录类别"):
        comparison_uploads.accept_upload(
            actor=tax_user, kind="housing", upload=None, round_=Round.objects.get()
        )

    window = staff_client(make_staff(Role.REVIEWER, Department.SERVICE_WINDOW))
    assert window.get("/review/compare/").status_code == 403
    applicant = make_applicant()
    from django.test import Client

    client = Client()
    client.force_login(applicant)
    assert client.get("/review/compare/").status_code == 403


def test_the_bureau_sees_every_run_read_only(uploads, apps, django_capture_on_commit_callbacks):
    a, b = apps
    _, housing = _reviewer()
    header, rows = housing_rows(a, b)
    _upload(housing, django_capture_on_commit_callbacks, "housing", "h.csv",
            csv_bytes(header, rows))
    _, police = _reviewer(Department.POLICE)
    _upload(police, django_capture_on_commit_callbacks, "permits", "p.csv",
            csv_bytes(["id_number"], []))
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    page = _text(bureau.get("/review/compare/"))
    assert 'id="upload-form"' not in page
    assert "住房城乡建设" in page and "公安" in page
    for run in ComparisonRun.objects.all():
        assert f"/review/compare/{run.pk}/" in page
        assert bureau.get(f"/review/compare/{run.pk}/").status_code == 200
    response = _upload(bureau, django_capture_on_commit_callbacks, "housing", "h.csv",
                       csv_bytes(header, rows))
    assert response.status_code == 403
    assert ComparisonRun.objects.count() == 2


def test_the_status_endpoint_while_running_and_when_done(
    uploads, apps, django_capture_on_commit_callbacks
):
    user, client = _reviewer()
    rnd = Round.objects.get()
    run = start_run(round_=rnd, kind="housing", actor=user, file_name="h.csv")
    ComparisonRun.objects.filter(pk=run.pk).update(stage="comparing", done=500, total=2000)
    response = client.get(f"/review/compare/{run.pk}/status/")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    status = response.json()
    assert status["state"] == "running" and status["finished"] is False
    assert (status["stage"], status["stage_name"]) == ("comparing", "比对中")
    assert (status["done"], status["total"], status["percent"]) == (500, 2000, 25)
    assert status["summary"] is None and "errors" not in status
    page = _text(client.get(f"/review/compare/{run.pk}/"))
    assert f'data-status-url="/review/compare/{run.pk}/status/"' in page
    assert 'max="2000" value="500"' in page and "25%" in page
    assert "review/compare.js" in page

    ComparisonRun.objects.filter(pk=run.pk).update(state=RunState.FAILED)
    a, b = apps
    header, rows = housing_rows(a, b)
    _upload(client, django_capture_on_commit_callbacks, "housing", "h.csv",
            csv_bytes(header, rows))
    done = ComparisonRun.objects.latest("id")
    status = client.get(f"/review/compare/{done.pk}/status/").json()
    assert status["finished"] is True and status["percent"] == 100
    assert (status["stage"], status["stage_name"]) == ("done", "完成")
    assert status["summary"] == {"rows": 4, "persons": 2, "applications": 2, "matched": 1,
                                 "different": 1, "not_in_round": 0}


def test_a_second_upload_while_one_runs_is_refused(
    uploads, apps, django_capture_on_commit_callbacks
):
    a, b = apps
    user, client = _reviewer()
    rnd = Round.objects.get()
    running = start_run(round_=rnd, kind="housing", actor=user)
    header, rows = housing_rows(a, b)
    response = _upload(client, django_capture_on_commit_callbacks, "housing", "h.csv",
                       csv_bytes(header, rows))
    assert response.status_code == 200
    assert f"2026 年度的住所数据比对正在进行中（第 {running.pk} 号）" in _text(response)
    assert ComparisonRun.objects.count() == 1 and list(uploads.iterdir()) == []
    with pytest.raises(Conflict):
        start_run(round_=rnd, kind="housing")
    # Another kind of the department is not held up.
    assert start_run(round_=rnd, kind="permits").state == RunState.RUNNING


def test_a_run_cut_off_long_ago_no_longer_blocks(uploads, apps, django_capture_on_commit_callbacks):
    a, b = apps
    user, client = _reviewer()
    old = start_run(round_=Round.objects.get(), kind="housing", actor=user)
    ComparisonRun.objects.filter(pk=old.pk).update(
        progress_at=timezone.now() - timedelta(minutes=16)
    )
    header, rows = housing_rows(a, b)
    response = _upload(client, django_capture_on_commit_callbacks, "housing", "h.csv",
                       csv_bytes(header, rows))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == RunState.FAILED and "比对中断" in old.failure
    assert ComparisonRun.objects.latest("id").state == RunState.DONE


def test_a_failure_in_the_background_marks_the_run_failed(
    uploads, apps, monkeypatch, django_capture_on_commit_callbacks
):
    a, b = apps
    _, client = _reviewer()

    def broken(run, source):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(comparison_uploads, "run_comparison", broken)
    header, rows = housing_rows(a, b)
    response = _upload(client, django_capture_on_commit_callbacks, "housing", "h.csv",
                       csv_bytes(header, rows))
    assert response.status_code == 302
    run = ComparisonRun.objects.get()
    assert run.state == RunState.FAILED and run.finished_at is not None
    assert run.failure == "比对过程中出错，比对结果未写入；请重新上传，仍出错请联系运维人员"
    assert list(uploads.iterdir()) == []
    assert Decision.objects.count() == 0
    page = _text(client.get(f"/review/compare/{run.pk}/"))
    assert "比对结果未写入" in page and "出错" in page
    assert AuditEvent.objects.get(action="review.compare_failed").after == {
        "kind": "housing", "stage": "", "written": False
    }
    # Failed runs do not block the next one.
    monkeypatch.undo()
    response = _upload(client, django_capture_on_commit_callbacks, "housing", "h.csv",
                       csv_bytes(header, rows))
    assert ComparisonRun.objects.latest("id").state == RunState.DONE


def test_a_failure_after_the_writing_says_the_decisions_are_in(
    uploads, apps, monkeypatch, django_capture_on_commit_callbacks
):
    a, b = apps
    _, client = _reviewer()

    def broken(application_ids, **kwargs):
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr("jifen.review.results.score_completed", broken)
    header, rows = housing_rows(a, b)
    _upload(client, django_capture_on_commit_callbacks, "housing", "h.csv",
            csv_bytes(header, rows))
    run = ComparisonRun.objects.get()
    assert run.state == RunState.FAILED
    assert run.failure == "比对结果已写入，但计算初核结果时出错，请联系运维人员"
    assert Decision.objects.filter(comparison=run).count() == 2
    page = _text(client.get(f"/review/compare/{run.pk}/"))
    assert "<dt>比对不一致</dt><dd>1</dd>" in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("h.txt", b"id_number\n", "只能上传 CSV（UTF-8）或 XLSX 文件"),
        ("h.csv", b"", "所提交的是空文件"),  # Django's own check comes first
        ("h.csv", b"x" * 2048, "文件不能超过 1 KB"),
    ],
)
def test_files_the_page_refuses_before_any_run(
    uploads, apps, settings, name, content, message, django_capture_on_commit_callbacks
):
    settings.COMPARISON_MAX_BYTES = 1024
    _, client = _reviewer()
    response = _upload(client, django_capture_on_commit_callbacks, "housing", name, content)
    assert response.status_code == 200
    assert message in _text(response)
    assert ComparisonRun.objects.count() == 0


def test_the_comparison_is_a_background_task(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    """The request answers with the run queued as a django-tasks task (the worker, here the
    database backend's queue, carries it out); the task compares and deletes the file."""
    from jifen.review.tasks import compare_upload_task

    settings.COMPARISON_RUN_INLINE = False
    settings.COMPARISON_UPLOAD_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    a, b = two_submitted()
    _, client = _reviewer()
    header, rows = housing_rows(a, b)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "housing", "h.csv", csv_bytes(header, rows))
    assert response.status_code == 302
    run = ComparisonRun.objects.get()
    assert run.state == RunState.RUNNING  # queued, not compared in the request
    from django_tasks_db.models import DBTaskResult

    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "jifen.review.tasks.compare_upload_task"
    assert queued.args_kwargs["args"][0] == run.pk
    # What the worker does with it:
    compare_upload_task.call(*queued.args_kwargs["args"])
    run.refresh_from_db()
    assert run.state == RunState.DONE and run.summary["matched"] == 1
    assert list(tmp_path.iterdir()) == []


def test_the_workbench_links_to_the_comparisons():
    for user in (make_staff(Role.REVIEWER, Department.HOUSING), make_staff(Role.BUREAU_ADMIN)):
        assert 'href="/review/compare/"' in staff_client(user).get("/staff/").content.decode()
    window = make_staff(Role.REVIEWER, Department.SERVICE_WINDOW)
    assert 'href="/review/compare/"' not in staff_client(window).get("/staff/").content.decode()
