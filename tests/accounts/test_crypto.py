"""Field encryption (SM4-GCM) and blind indexes (HMAC-SM3); production needs its own key."""

from __future__ import annotations

import base64
import hashlib
import importlib
import re
import sys
from types import ModuleType

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from jifen.accounts.models import User
from jifen.core import crypto

OTHER_KEY = "fedcba9876543210" * 4
PLAIN = "11010519880315002X"


def test_round_trip() -> None:
    for text in (PLAIN, "13912345678", "王素芳 · 北京", "", "x" * 5000):
        token = crypto.encrypt(text)
        assert token.startswith("sm4gcm1:")
        assert crypto.decrypt(token) == text


def test_the_plain_text_does_not_show_in_the_token() -> None:
    token = crypto.encrypt(PLAIN)
    assert PLAIN not in token
    assert PLAIN.encode() not in base64.b64decode(token[len("sm4gcm1:"):])


def test_a_random_nonce_makes_every_encryption_different() -> None:
    tokens = {crypto.encrypt(PLAIN) for _ in range(20)}
    assert len(tokens) == 20
    nonces = {base64.b64decode(t[len("sm4gcm1:"):])[:12] for t in tokens}
    assert len(nonces) == 20
    assert {crypto.decrypt(t) for t in tokens} == {PLAIN}


def _flip(token: str, position: int) -> str:
    raw = bytearray(base64.b64decode(token[len("sm4gcm1:"):]))
    raw[position] ^= 0x01
    return "sm4gcm1:" + base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("position", [0, 12, 20, -1])  # nonce, body, body, tag
def test_a_tampered_token_is_refused(position: int) -> None:
    token = crypto.encrypt(PLAIN)
    with pytest.raises(InvalidTag):
        crypto.decrypt(_flip(token, position))


def test_a_truncated_token_is_refused() -> None:
    token = crypto.encrypt(PLAIN)
    raw = base64.b64decode(token[len("sm4gcm1:"):])
    with pytest.raises(InvalidTag):
        crypto.decrypt("sm4gcm1:" + base64.b64encode(raw[:-1]).decode())


def test_a_value_that_was_never_encrypted_is_refused() -> None:
    with pytest.raises(ValueError, match="not an encrypted"):
        crypto.decrypt(PLAIN)


def test_another_key_cannot_decrypt() -> None:
    token = crypto.encrypt(PLAIN)
    with override_settings(FIELD_ENCRYPTION_KEY=OTHER_KEY), pytest.raises(InvalidTag):
        crypto.decrypt(token)


def test_a_short_key_is_refused() -> None:
    with override_settings(FIELD_ENCRYPTION_KEY="00" * 16), pytest.raises(ValueError, match="32"):
        crypto.encrypt(PLAIN)


def test_blind_index_is_deterministic_and_case_normalised() -> None:
    index = crypto.blind_index(PLAIN)
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert crypto.blind_index(PLAIN) == index
    assert crypto.blind_index(PLAIN.lower()) == index
    assert crypto.blind_index(f"  {PLAIN.lower()} ") == index
    assert crypto.blind_index("110105198803150029") != index


def test_blind_index_is_keyed() -> None:
    index = crypto.blind_index(PLAIN)
    assert index != crypto.sm3_hex(PLAIN.encode())  # not a bare hash anyone can recompute
    with override_settings(FIELD_ENCRYPTION_KEY=OTHER_KEY):
        assert crypto.blind_index(PLAIN) != index


def test_sm3_of_the_standards_example() -> None:
    # GB/T 32905-2016, example 1: SM3("abc").
    assert crypto.sm3_hex(b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


@pytest.mark.django_db
def test_encrypted_field_stores_the_token_and_reads_back_the_text() -> None:
    user = User.objects.create_user(username="cipher", password="x" * 12, role="auditor",
                                    phone="13912345678")
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE id = %s", [user.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("sm4gcm1:")
    assert "13912345678" not in raw
    assert User.objects.get(pk=user.pk).phone == "13912345678"


@pytest.mark.django_db
def test_an_empty_encrypted_field_stays_empty() -> None:
    user = User.objects.create_user(username="nophone", password="x" * 12, role="auditor")
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {table} WHERE id = %s", [user.pk])
        assert cursor.fetchone() == ("",)
    assert User.objects.get(pk=user.pk).phone == ""


# --- production settings -----------------------------------------------------------------------

# Random keys (OTHER_KEY, a pattern repeated, is refused in production).
RANDOM_KEY = "8f3b2c71d04e9a56e1b7c2f08d3a649517ce02b8a9f64d3170e5bc28f91a7d46"
AUDIT_KEY = "2d9e41a7c3f05b86e24d7019ab3c58f6d1e09b724fa38c65e70d12b9c4f8a351"
STRONG_SECRET = "k3Y-" + "".join(chr(c) for c in range(ord("A"), ord("z"))) + "-9f8e7d6c5b4a"


def load_production(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """Import jifen.settings.production afresh with exactly the given variables."""
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "AUDIT_CHAIN_KEY", "ALLOWED_HOSTS",
                 "CSRF_TRUSTED_ORIGINS", "BEHIND_TLS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "jifen.settings.production", raising=False)
    return importlib.import_module("jifen.settings.production")


def test_production_requires_a_field_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        load_production(monkeypatch, SECRET_KEY=STRONG_SECRET, ALLOWED_HOSTS="jifen.example.cn")


@pytest.mark.parametrize("key", ["0123abcd", "zz" * 32, "not hex at all", "00" * 31])
def test_production_refuses_a_malformed_field_encryption_key(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        load_production(monkeypatch, SECRET_KEY=STRONG_SECRET, FIELD_ENCRYPTION_KEY=key,
                        ALLOWED_HOSTS="jifen.example.cn")


def test_production_takes_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    production = load_production(monkeypatch, SECRET_KEY=STRONG_SECRET,
                                 FIELD_ENCRYPTION_KEY=RANDOM_KEY, AUDIT_CHAIN_KEY=AUDIT_KEY,
                                 ALLOWED_HOSTS="jifen.example.cn")
    assert production.FIELD_ENCRYPTION_KEY == RANDOM_KEY
    # Never the development default, which derives from SECRET_KEY.
    assert hashlib.sha256(STRONG_SECRET.encode()).hexdigest() != production.FIELD_ENCRYPTION_KEY
