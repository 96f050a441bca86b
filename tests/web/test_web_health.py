"""/healthz/live and /healthz/ready."""

import pytest
from django.db import OperationalError, connections
from django.test import Client


def test_live_answers_ok_without_touching_the_database(client: Client) -> None:
    # No django_db mark: pytest-django makes any database access an error here.
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_live_refuses_post(client: Client) -> None:
    assert client.post("/healthz/live").status_code == 405


@pytest.mark.django_db
def test_ready_checks_the_database(client: Client) -> None:
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["cache"] == {"status": "ok"}
    assert body["failing"] == []
    # A fresh system has no backup and no chain verification yet: reported, still 200.
    assert body["checks"]["backup"] == {"status": "warning", "message": "尚无备份"}
    assert {"backup", "audit_chain", "task_worker"} <= set(body["warnings"])


@pytest.mark.django_db
def test_ready_reports_503_when_the_database_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_cursor(*args: object, **kwargs: object) -> None:
        raise OperationalError('could not connect to server at "db.internal" (10.0.0.5)')

    monkeypatch.setattr(connections["default"], "cursor", broken_cursor)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {"status": "error", "error": "OperationalError"}
    assert "database" in body["failing"]
    # Connection details stay in the log, not in a public response.
    assert b"db.internal" not in response.content


@pytest.mark.django_db
def test_ready_gives_outsiders_the_statuses_without_messages(client: Client) -> None:
    # The load balancer's probe through a proxy (a forwarding header) or from another machine.
    for extra in ({"REMOTE_ADDR": "10.9.8.7"}, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}):
        response = client.get("/healthz/ready", **extra)
        assert response.status_code == 200
        body = response.json()
        assert body["checks"]["backup"] == {"status": "warning"}
        assert body["checks"]["database"] == {"status": "ok"}
        assert "backup" in body["warnings"]
        assert "尚无备份" not in response.content.decode()
    # This machine itself still reads the messages.
    assert client.get("/healthz/ready").json()["checks"]["backup"]["message"] == "尚无备份"
