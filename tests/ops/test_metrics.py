"""/metrics: who may read it, and what our collectors say."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from jifen.api.models import ApiToken
from jifen.core.roles import Role
from jifen.ops import verification
from jifen.ops.alerts import raise_alert
from jifen.ops.models import Backup, Complaint, HealthProbe, RecoveryDrill
from tests.factories import PASSWORD, employer_submitted, make_applicant, make_staff, staff_client

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.7"
REFUSED = "只有本机或已登录的运维人员可以读取监控指标。"


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_anonymous_from_elsewhere_is_refused_in_chinese(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR=REMOTE)
    assert response.status_code == 403
    assert response.content.decode() == REFUSED


def test_a_reviewer_is_refused() -> None:
    reviewer = make_staff(Role.REVIEWER, department="tax")
    response = staff_client(reviewer).get("/metrics", REMOTE_ADDR=REMOTE)
    assert response.status_code == 403
    assert REFUSED in response.content.decode()


def test_an_operator_without_the_second_factor_is_refused() -> None:
    client = Client()
    client.force_login(make_staff(Role.OPERATOR))
    response = client.get("/metrics", REMOTE_ADDR=REMOTE)
    assert response.status_code != 200


def test_loopback_through_a_proxy_is_not_local(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=REMOTE)
    assert response.status_code == 403


def test_an_applicants_token_is_refused(client: Client) -> None:
    applicant = make_applicant()
    token = client.post(
        "/api/auth/token",
        {"username": applicant.username, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    assert ApiToken.objects.filter(user=applicant).exists()
    response = client.get("/metrics", REMOTE_ADDR=REMOTE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403


def test_operator_reads_the_metrics_from_anywhere() -> None:
    response = staff_client(make_staff(Role.OPERATOR)).get("/metrics", REMOTE_ADDR=REMOTE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in body  # django-prometheus
    assert "django_db_execute_total" in body  # its database wrapper


def test_loopback_reads_the_metrics(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_collectors_count_what_was_created(client: Client) -> None:
    employer_submitted()
    now = timezone.now()
    Backup.objects.create(
        backup_id="F1", kind="full", engine="sqlite", created=now - timedelta(days=2), bytes=1000
    )
    Backup.objects.create(
        backup_id="F2", kind="full", engine="sqlite", created=now - timedelta(days=1), bytes=2048
    )
    Backup.objects.create(
        backup_id="I1", kind="incremental", engine="sqlite", created=now, bytes=77
    )
    Backup.objects.create(
        backup_id="X", kind="full", engine="sqlite", created=now, bytes=9, status="failed"
    )
    RecoveryDrill.objects.create(started=now - timedelta(hours=1), ok=True)
    HealthProbe.objects.create(at=now, ok=False)
    raise_alert(source="t", code="disk", level="critical", message="磁盘满")
    Complaint.objects.create(
        number="TS-1",
        channel="phone",
        received_at=now - timedelta(days=6),
        complainant="张三",
        subject="s",
        content="c",
        due_at=now - timedelta(days=1),
    )
    Complaint.objects.create(
        number="TS-2",
        channel="phone",
        received_at=now,
        complainant="李四",
        subject="s",
        content="c",
        due_at=now + timedelta(days=3),
    )
    login = Client()
    for _ in range(3):
        login.post(
            "/accounts/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR="10.0.0.9"
        )
    verification.verify_audit_chain()

    found = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content)

    assert found[("jifen_applications", (("round", "2026"), ("status", "employer_submitted")))] == 1
    assert found[("jifen_backup_last_bytes", (("kind", "full"),))] == 2048
    assert found[("jifen_backup_last_bytes", (("kind", "incremental"),))] == 77
    stamp = found[("jifen_backup_last_timestamp_seconds", (("kind", "full"),))]
    assert abs(stamp - (now - timedelta(days=1)).timestamp()) < 1
    assert found[("jifen_recovery_drill_last_ok", ())] == 1
    assert found[("jifen_health_probe_last_ok", ())] == 0
    assert found[("jifen_incidents_open", (("severity", "serious"),))] == 1
    assert found[("jifen_incidents_open", (("severity", "major"),))] == 0
    assert found[("jifen_complaints_overdue", ())] == 1
    assert found[("jifen_login_failures_last_hour", ())] == 3
    assert found[("jifen_audit_chain_verification_ok", ())] == 1
    assert found[("jifen_audit_chain_verified_seq", ())] > 0
    assert 0 <= found[("jifen_disk_used_ratio", ())] <= 1
    assert ("jifen_task_oldest_ready_age_seconds", ()) in found


def test_several_server_processes_are_read_from_the_multiprocess_folder(
    client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    # No worker has written its files there: only our collector's figures.
    assert "jifen_incidents_open" in body
    assert "django_http_requests_latency_seconds_by_view_method" not in body
