"""The audit log's keys: one secret from the environment, three keys derived from it.

``settings.AUDIT_CHAIN_KEY`` (64 hex characters) never reaches the database; from it come
independent keys (HMAC-SM3 of a label, as :mod:`jifen.core.crypto` derives its own) for

- the chain: each event's ``hash`` is the HMAC-SM3 of its canonical JSON;
- the checkpoints: each line of the checkpoint file carries its own HMAC-SM3;
- value fingerprints: a keyed hash stands in for personal data that changed
  (:mod:`jifen.audit.redact`).

Whoever holds the database but not the key cannot recompute a hash the log would accept.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


@dataclass(frozen=True)
class AuditKeys:
    chain: bytes
    checkpoint: bytes
    fingerprint: bytes


@lru_cache(maxsize=4)
def derive_keys(master_hex: str) -> AuditKeys:
    """The three keys of the master key ``master_hex`` (at least 32 bytes as hex)."""
    try:
        master = bytes.fromhex(master_hex)
    except ValueError as exc:
        raise ValueError("AUDIT_CHAIN_KEY must be hexadecimal (64 characters)") from exc
    if len(master) < 32:
        raise ValueError("AUDIT_CHAIN_KEY must be at least 32 bytes (64 hex characters)")

    def derive(label: bytes) -> bytes:
        return hmac.new(master, label, "sm3").digest()

    return AuditKeys(
        chain=derive(b"jifen audit chain"),
        checkpoint=derive(b"jifen audit checkpoint"),
        fingerprint=derive(b"jifen audit fingerprint"),
    )


def current_keys() -> AuditKeys:
    return derive_keys(settings.AUDIT_CHAIN_KEY)


def hmac_sm3_hex(key: bytes, message: bytes) -> str:
    """HMAC-SM3 of ``message`` as 64 lower-case hex characters."""
    return hmac.new(key, message, "sm3").hexdigest()


def same(left: str, right: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(left.encode(), right.encode())

