"""The backup page (/ops/backups/), the retention rule, the scheduled backup jobs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.roles import Role
from jifen.ops import parameters, runner
from jifen.ops.backups import services
from jifen.ops.models import Alert, Backup, RecoveryDrill
from jifen.ops.schedule import job
from jifen.ops.schedule import trigger as schedule_trigger
from tests.factories import make_staff, staff_client

pytestmark = pytest.mark.django_db

ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
sqlite_only = pytest.mark.skipif(
    not ON_SQLITE, reason="takes a real SQLite backup of the test database in this process"
)
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def backup_dir(tmp_path: Path):
    with override_settings(BACKUP_DIR=tmp_path / "backups", EVIDENCE_ROOT=tmp_path / "evidence"):
        yield tmp_path / "backups"


def _record(backup_dir: Path, backup_id: str, kind: str, created: dt.datetime, parent=None):
    path = backup_dir / f"{backup_id}.jbk"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    path.with_suffix(".json").write_text("{}")
    return Backup.objects.create(
        backup_id=backup_id,
        kind=kind,
        engine="sqlite",
        parent=parent,
        created=created,
        bytes=2048 if kind == "full" else 512,
        sha256="ab" * 32,
        path=str(path),
    )


def _chain(backup_dir: Path, name: str, start: dt.datetime, incrementals: int) -> list[Backup]:
    records = [_record(backup_dir, f"{name}-F", "full", start)]
    for n in range(incrementals):
        records.append(
            _record(
                backup_dir,
                f"{name}-I{n}",
                "incremental",
                start + dt.timedelta(days=n + 1),
                parent=records[-1],
            )
        )
    return records


def test_retention_prunes_the_oldest_chains_only(backup_dir: Path) -> None:
    now = timezone.now()
    parameters.set_parameter(actor=None, key="backup_keep_full", value="2", reason="测试")
    parameters.set_parameter(actor=None, key="backup_keep_days", value="10", reason="测试")
    a = _chain(backup_dir, "A", now - dt.timedelta(days=40), 2)
    b = _chain(backup_dir, "B", now - dt.timedelta(days=30), 2)
    c = _chain(backup_dir, "C", now - dt.timedelta(days=20), 2)
    d = _chain(backup_dir, "D", now - dt.timedelta(days=12), 6)  # newest reaches into 10 days
    removed = services.prune(now=now)
    assert sorted(removed) == sorted(r.backup_id for r in a + b)
    for record in a + b:
        record.refresh_from_db()
        assert record.status == Backup.Status.PRUNED
        assert (
            not Path(record.path).exists() and not Path(record.path).with_suffix(".json").exists()
        )
    for record in c + d:
        record.refresh_from_db()
        assert record.status == Backup.Status.OK and Path(record.path).exists()
    assert AuditEvent.objects.filter(action="ops.backup_prune").count() == 6
    # Keep one chain, no days: the chain of the newest backup stays, even though older ones go.
    parameters.set_parameter(actor=None, key="backup_keep_full", value="1", reason="测试")
    parameters.set_parameter(actor=None, key="backup_keep_days", value="0", reason="测试")
    assert sorted(services.prune(now=now)) == sorted(r.backup_id for r in c)
    assert Backup.objects.filter(status="ok").count() == len(d)


def test_recent_chains_are_kept_beyond_the_count(backup_dir: Path) -> None:
    now = timezone.now()
    parameters.set_parameter(actor=None, key="backup_keep_full", value="1", reason="测试")
    old = _chain(backup_dir, "OLD", now - dt.timedelta(days=80), 1)
    recent = _chain(backup_dir, "R", now - dt.timedelta(days=5), 1)
    newest = _chain(backup_dir, "N", now - dt.timedelta(hours=2), 0)
    assert services.prune(now=now) == [r.backup_id for r in reversed(old)]
    assert {r.backup_id for r in Backup.objects.filter(status="ok")} == {
        r.backup_id for r in recent + newest
    }


def test_page_shows_chains_age_size_drill_and_retention(backup_dir: Path) -> None:
    now = timezone.now()
    full = _record(backup_dir, "20261101-020000-F", "full", now - dt.timedelta(days=3, hours=2))
    inc = _record(
        backup_dir, "20261102-020000-I", "incremental", now - dt.timedelta(hours=5), parent=full
    )
    RecoveryDrill.objects.create(
        started=now - dt.timedelta(hours=1),
        finished=now,
        ok=True,
        backup=inc,
        rto_seconds=12.4,
        rpo_seconds=14400,
        checks={"archives": 2, "tables": 58, "rows": 1234, "files": 3, "audit_events": 77},
    )
    client = staff_client(make_staff(Role.OPERATOR))
    page = client.get("/ops/backups/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "20261101-020000-F" in html and "└ 20261102-020000-I" in html
    assert "3 天 2 小时" in html and "5 小时 0 分钟" in html
    assert "2.0 KB" in html or "2.0 KB" in html.replace("\xa0", " ")
    assert "12.4 秒" in html and "14400 秒" in html
    assert "58 张表的行数与清单一致（共 1234 行）" in html
    assert "保留最近 5 条备份链" in html and "35 天内的备份一律保留" in html
    assert 'id="take-full"' in html
    assert "备份与恢复" in client.get("/ops/").content.decode()  # in the console's bar


def test_auditor_reads_without_buttons_others_refused(backup_dir: Path) -> None:
    auditor = staff_client(make_staff(Role.AUDITOR))
    page = auditor.get("/ops/backups/")
    assert page.status_code == 200 and "尚无备份" in page.content.decode()
    assert 'id="take-full"' not in page.content.decode()
    assert auditor.post("/ops/backups/take/", {"kind": "full"}).status_code == 403
    assert auditor.post("/ops/backups/drill/").status_code == 403
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert bureau.get("/ops/backups/").status_code == 403
    assert not Backup.objects.exists()


def test_incremental_or_drill_without_a_backup_is_refused(backup_dir: Path) -> None:
    client = staff_client(make_staff(Role.OPERATOR))
    page = client.post("/ops/backups/take/", {"kind": "incremental"}, follow=True)
    assert "还没有可用的全量备份：请先进行一次全量备份。" in page.content.decode()
    page = client.post("/ops/backups/drill/", follow=True)
    assert "没有可用于恢复演练的备份" in page.content.decode()
    page = client.post("/ops/backups/take/", {"kind": "weekly"}, follow=True)
    assert "备份类型只能是全量备份或增量备份。" in page.content.decode()
    assert not Backup.objects.exists()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_operator_takes_a_backup_and_runs_a_drill_from_the_page(
    backup_dir: Path, django_capture_on_commit_callbacks
) -> None:
    operator = make_staff(Role.OPERATOR)
    client = staff_client(operator)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/ops/backups/take/", {"kind": "full"}, follow=True)
    assert "已提交全量备份任务" in page.content.decode()
    full = Backup.objects.get(status="ok")
    assert Path(full.path).is_file() and full.kind == "full"
    assert AuditEvent.objects.get(action="ops.backup").actor_id == operator.pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ops/backups/take/", {"kind": "incremental"})
    inc = Backup.objects.get(kind="incremental")
    assert inc.parent == full and inc.bytes < full.bytes
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ops/backups/drill/")
    drill = RecoveryDrill.objects.get()
    assert drill.ok, drill.failure
    assert drill.backup == inc and drill.checks["chain"] == [full.backup_id, inc.backup_id]
    html = client.get("/ops/backups/").content.decode()
    assert "通过" in html and inc.backup_id in html


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_scheduled_jobs_take_backups_and_drill(backup_dir: Path) -> None:
    first = runner.execute(runner.plan("backup_incremental").pk)  # nothing yet: a full one
    assert first.ok, first.output
    assert "全量备份" in first.output
    second = runner.execute(runner.plan("backup_incremental").pk)
    assert second.ok and "增量备份" in second.output
    drill = runner.execute(runner.plan("backup_drill").pk)
    assert drill.ok and "恢复演练通过" in drill.output
    # A damaged file: the drill job fails, the drill is recorded, an alert names the backup.
    full = Backup.objects.get(kind="full")
    Path(full.path).write_bytes(b"damaged")
    failed = runner.execute(runner.plan("backup_drill").pk)
    assert failed.ok is False and full.backup_id in failed.output
    alert = Alert.objects.get(code="backup_drill")
    assert full.backup_id in alert.message and alert.incident is not None


def test_schedule_weekly_full_daily_incremental_monthly_drill() -> None:
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=BEIJING)

    def next_time(name: str) -> dt.datetime:
        trigger = schedule_trigger(job(name), "Asia/Shanghai")
        return trigger.get_next_fire_time(None, saturday)

    assert next_time("backup_full") == dt.datetime(2026, 12, 6, 2, 0, tzinfo=BEIJING)  # Sunday
    assert next_time("backup_incremental") == dt.datetime(2026, 12, 7, 2, 0, tzinfo=BEIJING)
    assert next_time("backup_drill") == dt.datetime(2027, 1, 1, 3, 30, tzinfo=BEIJING)


def test_page_shows_backups_and_drills_waiting_for_the_worker(backup_dir: Path) -> None:
    from django_tasks_db.models import DBTaskResult

    common = {"backend_name": "default", "run_after": timezone.now(), "traceback": ""}
    DBTaskResult.objects.create(
        task_path="jifen.ops.tasks.backup_task",
        args_kwargs={"args": ["full", None], "kwargs": {}},
        status="RUNNING",
        exception_class_path="",
        **common,
    )
    DBTaskResult.objects.create(
        task_path="jifen.ops.tasks.drill_task",
        args_kwargs={"args": [None], "kwargs": {}},
        exception_class_path="",
        **common,
    )
    DBTaskResult.objects.create(
        task_path="jifen.ops.tasks.backup_task",
        args_kwargs={"args": ["incremental", None], "kwargs": {}},
        status="SUCCESSFUL",
        exception_class_path="",
        **common,
    )
    client = staff_client(make_staff(Role.OPERATOR))
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        html = client.get("/ops/backups/").content.decode()
    assert "全量备份：执行中" in html and "恢复演练：排队等待" in html
    assert "增量备份：" not in html
