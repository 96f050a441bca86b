"""Fault: the application server is killed (SIGKILL to gunicorn, its workers, everything of the
node) while applicants save and submit through the API. Afterwards every acknowledged write is
in the database with exactly what was sent, and no declaration is half-written: its version
counts its recorded writes, a submitted one has its submission time and self-assessment, the
audit chain verifies."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serving.harness import ServedSystem, clone_database, drop_database, node_python

APPLICANTS = 6
DATABASE = "jifen_faults_kill"

SETUP = """
import json
from tests.factories import make_round, make_applicant, make_employer, fill_declaration
from jifen.applications import services as s
make_round(2026)
out = []
for i in range({n}):
    a = make_applicant(f"kill_applicant{{i}}")
    e = make_employer(f"kill_employer{{i}}")
    link = s.link_request(actor=a, employer_code=e.employer.code)
    s.link_confirm(actor=e, link_id=link.pk)
    app = fill_declaration(a, s.application_start(actor=a))
    out.append({{"username": a.username, "application": app.pk, "version": app.version}})
print("JSON" + json.dumps(out))
"""

# What the database holds of each declaration, and what would show a half-written one.
STATE = """
import json
from jifen.applications.models import Application
from jifen.applications.selectors import evidence_requirements
from jifen.audit.models import AuditEvent
WRITES = ["application.save", "application.submit", "application.withdraw"]
out = {}
for app in Application.objects.select_related("applicant__user").order_by("pk"):
    events = AuditEvent.objects.filter(
        target_type="applications.application", target_id=str(app.pk))
    writes = events.filter(action__in=WRITES)
    saves = writes.filter(action="application.save")
    submit = events.filter(action="application.submit").order_by("-seq").first()
    out[app.applicant.user.username] = {
        "id": app.pk, "version": app.version, "status": app.status, "tax": app.data.get("tax"),
        "submitted_at": app.submitted_at is not None, "writes": writes.count(),
        "save_versions": sorted(e.after["version"] for e in saves),
        "self_assessed": None if submit is None else submit.after.get("self_assessed_total"),
        "missing_evidence": [
            r.section for r, attached in evidence_requirements(app) if not attached],
    }
print("JSON" + json.dumps(out))
"""


def _json_line(output: str) -> Any:
    return json.loads(next(line[4:] for line in output.splitlines() if line.startswith("JSON")))


@dataclass
class State:
    version: int
    status: str
    tax: dict[str, str] | None = None


@dataclass
class Applicant:
    username: str
    application: int
    version: int
    acked: list[tuple[str, State]] = field(default_factory=list)
    in_flight: tuple[str, State] | None = None
    refused: list[str] = field(default_factory=list)


def _tax(rng: random.Random) -> dict[str, str]:
    return {"2023": str(rng.randrange(100000, 200000)), "2024": "80000", "2025": "150000.50"}


def _drive(url: str, who: Applicant, stop: threading.Event, seed: int) -> None:
    """Save the tax section three times, submit, withdraw, again and again, recording each
    write the server acknowledged (2xx) and the one on its way when the server died."""
    rng = random.Random(seed)
    http = requests.Session()
    try:
        token = http.post(f"{url}/api/auth/token", json={
            "username": who.username, "password": "Jifen-test-Passw0rd!"}, timeout=30).json()
    except requests.RequestException:
        return
    http.headers["Authorization"] = f"Bearer {token['token']}"
    base = f"{url}/api/applications/{who.application}"
    version, status, tax = who.version, "draft", None
    step = 0
    while not stop.is_set():
        kind = ("save", "save", "save", "submit", "withdraw")[step % 5]
        step += 1
        if kind == "save":
            tax = _tax(rng)
            expected = State(version + 1, "draft", tax)
            call = ("put", f"{base}/sections/tax", {"version": version, "value": tax})
        else:
            expected = State(version + 1, "submitted" if kind == "submit" else "draft", tax)
            call = ("post", f"{base}/{kind}", {"version": version})
        who.in_flight = (kind, expected)
        try:
            response = getattr(http, call[0])(call[1], json=call[2], timeout=30)
        except requests.RequestException:
            return  # the server is gone: the write in flight may or may not have landed
        if response.status_code >= 300:
            who.refused.append(f"{kind} {response.status_code} {response.text[:300]}")
            return
        body = response.json()
        version, status = body["version"], body.get("status", status)
        assert (version, status) == (expected.version, expected.status), body
        who.acked.append((kind, expected))
        who.in_flight = None


@pytest.fixture
def node(pg_url: str, serve_template: str, serve_var: Path) -> Iterator[ServedSystem]:
    url = clone_database(pg_url, serve_template, DATABASE)
    system = ServedSystem(database_url=url, var_dir=serve_var,
                          redis_url="redis://127.0.0.1:6379/4", gunicorn_workers=2)
    try:
        yield system
    finally:
        system.kill()
        drop_database(pg_url, DATABASE)


def test_acknowledged_writes_survive_sigkill_of_the_server(node: ServedSystem) -> None:
    made = _json_line(node_python(node, SETUP.format(n=APPLICANTS)))
    people = [Applicant(**row) for row in made]
    node.start()

    stop = threading.Event()
    threads = [
        threading.Thread(target=_drive, args=(node.url, who, stop, i), daemon=True)
        for i, who in enumerate(people)
    ]
    for t in threads:
        t.start()
    # Kill once writes of every kind are flowing: a good many acknowledged, one submission.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        acked = [kind for who in people for kind, _ in who.acked]
        if len(acked) >= 60 and "withdraw" in acked:
            break
        time.sleep(0.05)
    in_flight_at_kill = sum(who.in_flight is not None for who in people)
    node.kill()
    stop.set()
    for t in threads:
        t.join(timeout=40)
    assert not [r for who in people for r in who.refused], "a write was refused before the kill"
    assert sum(len(who.acked) for who in people) >= 60, node.output()
    assert in_flight_at_kill > 0, "the kill should catch writes on their way"

    node.start()
    state = _json_line(node_python(node, STATE))
    for who in people:
        row = state[who.username]
        last = who.acked[-1][1] if who.acked else State(who.version, "draft")
        possible = [last] + ([who.in_flight[1]] if who.in_flight else [])
        stored = State(row["version"], row["status"], row["tax"] if row["tax"] else None)
        # Exactly the last acknowledged write, or the one in flight if it committed unanswered.
        assert any(
            (stored.version, stored.status) == (p.version, p.status)
            and (p.tax is None or stored.tax == p.tax)
            for p in possible
        ), (who.username, stored, possible)
        # Every acknowledged save is on the record with its version.
        saves = [s.version for kind, s in who.acked if kind == "save"]
        assert set(saves) <= set(row["save_versions"]), who.username
        # Not half-written: one recorded write per version, the submission's parts together.
        assert row["writes"] == row["version"] - 1, row
        assert row["submitted_at"] == (row["status"] == "submitted"), row
        if row["status"] == "submitted":
            assert row["self_assessed"] is not None, row
        assert row["missing_evidence"] == [], row

    # The restarted node answers each applicant with what the database holds.
    http = requests.Session()
    for who in people:
        token = http.post(f"{node.url}/api/auth/token", json={
            "username": who.username, "password": "Jifen-test-Passw0rd!"}, timeout=30).json()
        detail = http.get(f"{node.url}/api/applications/{who.application}",
                          headers={"Authorization": f"Bearer {token['token']}"}, timeout=30)
        assert detail.status_code == 200
        assert detail.json()["version"] == state[who.username]["version"]
        assert detail.json()["data"]["tax"] == state[who.username]["tax"]

    # The audit chain has no torn link (each write and its event in one transaction).
    assert node.manage("audit_checkpoint").returncode == 0
    verified = node.manage("audit_verify")
    assert verified.returncode == 0, verified.stderr[-2000:]
