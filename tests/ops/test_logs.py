"""The JSON-line logs: access.log (one line per request), login.log, error.log, rotation."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jifen.ops import jobs
from jifen.ops.logging_setup import rotate_logs
from tests.factories import PASSWORD, id_number, make_applicant, make_staff

pytestmark = pytest.mark.django_db

ACCESS_KEYS = {
    "timestamp",
    "level",
    "event",
    "request_id",
    "user_id",
    "ip",
    "method",
    "path",
    "status",
    "duration_ms",
}


def lines(name: str) -> list[dict[str, Any]]:
    path = Path(settings.LOG_DIR) / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_logs_of_tests_stay_out_of_the_repository() -> None:
    assert not str(settings.LOG_DIR).startswith(str(settings.BASE_DIR))


def test_a_request_writes_one_access_line_with_the_exact_keys_and_no_query(
    client: Client,
) -> None:
    marker = uuid.uuid4().hex
    secret = id_number(serial=7)
    response = client.get(f"/healthz/live?probe={marker}&id={secret}", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200

    raw = (Path(settings.LOG_DIR) / "access.log").read_text(encoding="utf-8")
    assert marker not in raw and secret not in raw  # the query string is never written
    mine = [line for line in lines("access.log") if line["ip"] == "10.1.2.3"]
    assert len(mine) == 1, "one line per request (request_started is not written)"
    line = mine[0]
    assert set(line) == ACCESS_KEYS
    assert line["event"] == "request_finished"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz/live", 200)
    assert line["user_id"] is None and line["level"] == "info"
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset() is not None  # ISO 8601 with its offset
    assert len(line["request_id"]) == 36


def test_a_signed_in_request_carries_the_user_id_never_the_name() -> None:
    operator = make_staff("operator")
    client = Client()
    client.force_login(operator)
    client.get("/healthz/live", REMOTE_ADDR="10.9.9.9")
    line = [item for item in lines("access.log") if item["ip"] == "10.9.9.9"][-1]
    assert line["user_id"] == operator.pk
    raw = (Path(settings.LOG_DIR) / "access.log").read_text(encoding="utf-8")
    assert operator.username not in raw


def test_login_failure_success_and_logout_write_login_lines() -> None:
    applicant = make_applicant()
    client = Client()
    ip = "10.20.30.40"
    login = reverse("accounts:login")
    client.post(
        login, {"username": applicant.username, "password": "wrong-Passw0rd"}, REMOTE_ADDR=ip
    )
    client.post(
        login, {"username": "nobody-" + uuid.uuid4().hex[:6], "password": "x"}, REMOTE_ADDR=ip
    )
    client.post(login, {"username": applicant.username, "password": PASSWORD}, REMOTE_ADDR=ip)
    client.post(reverse("accounts:logout"), REMOTE_ADDR=ip)

    mine = [line for line in lines("login.log") if line["ip"] == ip]
    assert [line["event"] for line in mine] == [
        "login_failed",
        "login_failed",
        "login_succeeded",
        "logout",
    ]
    assert [line["user_id"] for line in mine] == [applicant.pk, None, applicant.pk, applicant.pk]
    for line in mine:
        assert {"timestamp", "level", "event", "user_id", "ip"} <= set(line)
        assert "username" not in json.dumps(line)
    raw = (Path(settings.LOG_DIR) / "login.log").read_text(encoding="utf-8")
    assert applicant.username not in raw and "王素芳" not in raw


def test_lock_out_is_a_login_line() -> None:
    applicant = make_applicant()
    client = Client()
    ip = "10.20.30.41"
    for _ in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": applicant.username, "password": "wrong-Passw0rd"},
            REMOTE_ADDR=ip,
        )
    events = [line["event"] for line in lines("login.log") if line["ip"] == ip]
    assert events.count("login_failed") == 5
    assert "locked_out" in events


def test_warnings_and_errors_go_to_error_log_with_their_traceback() -> None:
    import logging

    marker = uuid.uuid4().hex
    try:
        raise ValueError(marker)
    except ValueError:
        logging.getLogger("jifen.ops.test").exception("failed on purpose %s", "here")
    mine = [line for line in lines("error.log") if marker in line.get("exception", "")]
    assert len(mine) == 1
    assert mine[0]["level"] == "error" and mine[0]["event"] == "failed on purpose here"
    assert "Traceback" in mine[0]["exception"]


def test_rotation_renames_and_prunes_by_retention(tmp_path: Path) -> None:
    day = 86400
    now = time.time()
    (tmp_path / "access.log").write_text('{"event": "request_finished"}\n')
    (tmp_path / "login.log").write_text('{"event": "login_failed"}\n')
    old_access = tmp_path / "access.log.2000-01-01"
    old_login = tmp_path / "login.log.2000-01-01"
    kept_login = tmp_path / "login.log.2000-02-01"
    for path, age_days in ((old_access, 100), (old_login, 200), (kept_login, 100)):
        path.write_text("{}\n")
        os.utime(path, (now - age_days * day, now - age_days * day))

    result = rotate_logs(tmp_path, keep_days=92, login_keep_days=183, now=now)

    assert result == {"rotated": 2, "deleted": 2}
    assert not (tmp_path / "access.log").exists()
    assert len(list(tmp_path.glob("access.log.*"))) == 1
    assert not old_access.exists() and not old_login.exists()
    assert kept_login.exists()  # security events: kept 6 months


def test_rotate_logs_job_uses_the_retention_parameters(settings: Any, tmp_path: Path) -> None:
    settings.LOG_DIR = tmp_path
    old = tmp_path / "error.log.2000-01-01"
    old.write_text("{}\n")
    stamp = time.time() - 93 * 86400
    os.utime(old, (stamp, stamp))
    assert "删除 1 个" in jobs.rotate_logs()
    assert not old.exists()


def test_an_unhandled_exception_is_a_request_failed_line_and_a_traceback_in_error_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jifen.ops import health_checks

    marker = uuid.uuid4().hex

    def explode() -> None:
        raise RuntimeError(f"boom {marker}")

    monkeypatch.setattr(health_checks, "run_checks", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/healthz/ready?x=1", REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 500

    line = [item for item in lines("access.log") if item["ip"] == "10.7.7.7"][-1]
    assert set(line) == ACCESS_KEYS
    assert (line["event"], line["status"], line["path"]) == (
        "request_failed",
        500,
        "/healthz/ready",
    )
    errors = [item for item in lines("error.log") if marker in item.get("exception", "")]
    assert errors, "the traceback is in error.log"
    assert errors[-1]["request_id"] == line["request_id"]
    assert "RuntimeError" in errors[-1]["exception"]


def test_runservers_request_lines_with_their_query_stay_out_of_the_files() -> None:
    import logging

    secret = id_number(serial=9)
    logging.getLogger("django.server").warning('"GET /x?id=%s HTTP/1.1" 404 10', secret)
    for name in ("access.log", "error.log", "login.log"):
        path = Path(settings.LOG_DIR) / name
        assert not path.exists() or secret not in path.read_text(encoding="utf-8")


def test_access_lines_start_with_the_fixed_keys_in_order(client: Client) -> None:
    client.get("/healthz/live", REMOTE_ADDR="10.3.3.3")
    raw = [
        line
        for line in (Path(settings.LOG_DIR) / "access.log").read_text("utf-8").splitlines()
        if '"10.3.3.3"' in line
    ][-1]
    assert list(json.loads(raw))[:8] == [
        "timestamp",
        "level",
        "event",
        "request_id",
        "user_id",
        "ip",
        "method",
        "path",
    ]
