"""record_event / record_access: what an event holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from jifen.audit.context import audit_context, current_context
from jifen.audit.hashing import GENESIS_HASH
from jifen.audit.models import AuditEvent
from jifen.audit.services import record_access, record_event, verify_chain

pytestmark = pytest.mark.django_db


def test_change_event_records_actor_target_and_context(make_user) -> None:
    reviewer = make_user("reviewer1")
    reviewer.role = "reviewer"  # whatever the user model calls its role; read via getattr
    target = make_user("applicant1")
    before_call = timezone.now()
    with audit_context(ip="203.0.113.9", user_agent="Mozilla/5.0 (X11)", channel="web"):
        event = record_event(
            actor=reviewer,
            action="application.approve",
            target=target,
            before={"status": "submitted"},
            after={"status": "approved"},
            detail="材料齐全",
        )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.kind == "change"
    assert stored.actor == reviewer
    assert stored.actor_ref == str(reviewer.pk)
    assert stored.actor_name == "reviewer1"
    assert stored.actor_role == "reviewer"
    assert stored.action == "application.approve"
    assert stored.target_type == target._meta.label_lower
    assert stored.target_id == str(target.pk)
    assert stored.before == {"status": "submitted"}
    assert stored.after == {"status": "approved"}
    assert stored.detail == "材料齐全"
    assert stored.ip == "203.0.113.9"
    assert stored.user_agent == "Mozilla/5.0 (X11)"
    assert stored.channel == "web"
    assert stored.field == ""
    assert before_call <= stored.at <= timezone.now()
    assert stored.seq == 1
    assert stored.prev_hash == GENESIS_HASH
    assert len(stored.hash) == 64


def test_context_ends_with_the_block_and_defaults_to_system() -> None:
    assert current_context().channel == "system"
    with audit_context(ip="198.51.100.1", channel="cli"):
        with audit_context(user_agent="cron"):
            inner = current_context()
        event = record_event(actor=None, action="round.publish")
    assert (inner.ip, inner.user_agent, inner.channel) == ("198.51.100.1", "cron", "cli")
    assert (event.ip, event.channel) == ("198.51.100.1", "cli")
    assert current_context().ip == ""
    plain = record_event(actor=None, action="round.close")
    assert (plain.ip, plain.user_agent, plain.channel) == ("", "", "system")


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="channel"), audit_context(channel="email"):
        pass


def test_system_and_anonymous_actors_have_no_name() -> None:
    system = record_event(actor=None, action="rounds.scoring_run")
    anonymous = record_event(actor=AnonymousUser(), action="accounts.login_failed")
    for event in (system, anonymous):
        assert event.actor is None
        assert (event.actor_ref, event.actor_name, event.actor_role) == ("", "", "")


def test_explicit_target_type_and_id_win_over_the_instance(make_user) -> None:
    user = make_user()
    explicit = record_event(
        actor=user, action="export.run", target_type="stats.export", target_id="2024-q1"
    )
    assert (explicit.target_type, explicit.target_id) == ("stats.export", "2024-q1")
    mixed = record_event(actor=user, action="x.y", target=user, target_type="accounts.person")
    assert (mixed.target_type, mixed.target_id) == ("accounts.person", str(user.pk))


def test_before_and_after_are_stored_as_json(make_user) -> None:
    event = record_event(
        actor=make_user(),
        action="application.edit",
        before={"education": {"degree": "bachelor"}, "months": 60, "deadline": None},
        after={
            "education": {"degree": "master"},
            "months": 61,
            "deadline": dt.date(2024, 6, 30),
            "points": Decimal("12.50"),
            "tags": ["a", "b"],
        },
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {"education": {"degree": "bachelor"}, "months": 60, "deadline": None}
    assert stored.after == {
        "education": {"degree": "master"},
        "months": 61,
        "deadline": "2024-06-30",
        "points": "12.50",
        "tags": ["a", "b"],
    }
    # The in-memory event holds the same plain JSON as the database.
    assert event.after == stored.after
    assert stored.compute_hash() == stored.hash


def test_numbers_that_databases_rewrite_still_verify(make_user) -> None:
    # PostgreSQL's jsonb returns 1e20 as 100000000000000000000 and -0.0 as 0.0.
    record_event(
        actor=make_user(),
        action="x.numbers",
        after={"big": 1e20, "odd": 1.2345678901234567e20, "neg_zero": -0.0, "tiny": 1e-7},
    )
    assert verify_chain().ok


def test_nan_and_non_dict_data_are_refused() -> None:
    with pytest.raises(ValueError):
        record_event(actor=None, action="x.y", after={"score": float("nan")})
    with pytest.raises(TypeError):
        record_event(actor=None, action="x.y", after=["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="action"):
        record_event(actor=None, action=" ")
    assert AuditEvent.objects.count() == 0


def test_unsaved_actor_or_target_is_refused(make_user) -> None:
    from django.contrib.auth import get_user_model

    unsaved = get_user_model()(username="ghost")
    with pytest.raises(ValueError, match="actor"):
        record_event(actor=unsaved, action="x.y")
    with pytest.raises(ValueError, match="target"):
        record_event(actor=None, action="x.y", target=unsaved)


def test_access_event_names_the_field_viewed(make_user) -> None:
    auditor = make_user("auditor1")
    applicant = make_user("applicant2")
    with audit_context(ip="192.0.2.44", channel="api"):
        event = record_access(
            actor=auditor, target=applicant, field="identity_number", detail="复查核对"
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.kind == "access"
    assert stored.field == "identity_number"
    assert stored.action == f"{applicant._meta.label_lower}.view"
    assert stored.target_id == str(applicant.pk)
    assert stored.before is None and stored.after is None
    assert (stored.ip, stored.channel, stored.detail) == ("192.0.2.44", "api", "复查核对")
    with pytest.raises(ValueError, match="field"):
        record_access(actor=auditor, target=applicant, field="")


def test_hash_is_hmac_sm3_of_the_documented_canonical_json(make_user, settings) -> None:
    settings.AUDIT_CHAIN_KEY = "5e" * 8 + "a1" * 8 + "c3" * 8 + "7f" * 8
    user = make_user("hasher")
    with audit_context(ip="203.0.113.1", user_agent="ua", channel="web"):
        event = record_event(actor=user, action="a.b", after={"名": "张三", "n": 1}, detail="d")
    stored = AuditEvent.objects.get(pk=event.pk)
    payload = {
        "seq": 1,
        "at": stored.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": str(user.pk),
        "actor_name": "hasher",
        "actor_role": stored.actor_role,
        "kind": "change",
        "action": "a.b",
        "target_type": "",
        "target_id": "",
        "field": "",
        "before": None,
        "after": {"n": 1, "名": "张三"},
        "detail": "d",
        "ip": "203.0.113.1",
        "user_agent": "ua",
        "channel": "web",
        "prev_hash": "0" * 64,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert '"名":"张三"' in text
    # The chain key is derived from AUDIT_CHAIN_KEY (docs/audit.md); the plain SHA-256 of the
    # same text, which anyone could recompute, is not accepted.
    master = bytes.fromhex(settings.AUDIT_CHAIN_KEY)
    chain_key = hmac.new(master, b"jifen audit chain", "sm3").digest()
    assert stored.hash == hmac.new(chain_key, text.encode("utf-8"), "sm3").hexdigest()
    assert stored.hash != hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_deleting_the_actor_keeps_the_trail_readable_and_intact(make_user) -> None:
    clerk = make_user("clerk1")
    clerk_pk = clerk.pk
    event = record_event(actor=clerk, action="application.edit", after={"a": 1})
    record_event(actor=None, action="x.after")

    clerk.delete()  # Django sets actor_id to NULL: the one update the triggers allow

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor is None
    assert (stored.actor_ref, stored.actor_name) == (str(clerk_pk), "clerk1")
    assert verify_chain().ok
