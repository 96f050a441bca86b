"""Canonical serialisation and keyed hashing of audit events.

The hash of an event is the HMAC-SM3 (hex), under the chain key of :mod:`jifen.audit.keys`, of
a compact JSON object with sorted keys (``ensure_ascii=False``, UTF-8). Without the key nobody
can recompute a hash the log accepts. It must come out the same when computed from the values
written (in :func:`jifen.audit.services.record_event`) and from the values read back from
the database (in :func:`jifen.audit.services.verify_chain`); :func:`jsonable` therefore
brings ``before``/``after`` into the form in which every supported database returns them.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .keys import hmac_sm3_hex

GENESIS_HASH = "0" * 64

# PostgreSQL's jsonb keeps numbers as exact decimals and prints them without an exponent, so a
# float Python writes as "1e+16" comes back as the integer 10000000000000000 (and -0.0 as 0.0).
# Floats from 1e16 upwards are whole numbers; they are stored as the integer they denote.
_FLOAT_EXPONENT_FROM = 1e16


def _normalise(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit data cannot hold NaN or infinity")
        if value == 0.0:
            return 0.0
        if abs(value) >= _FLOAT_EXPONENT_FROM:
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    return value


def jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """``value`` as plain JSON data, as the database will give it back.

    Dates, decimals and UUIDs become strings (Django's JSON encoder); NaN and infinity are
    refused; very large floats become integers (see above). ``None`` stays ``None``.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"before/after must be a dict or None, not {type(value).__name__}")
    plain = json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False))
    return _normalise(plain)


def utc_iso(moment: datetime) -> str:
    """``moment`` in UTC, ISO 8601 with microseconds: ``2025-03-01T08:00:00.000000+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(payload: dict[str, Any]) -> str:
    """Sorted-key, compact JSON text; the exact bytes that are hashed (as UTF-8)."""
    return json.dumps(
        _normalise(payload),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def chain_hash(payload: dict[str, Any], key: bytes) -> str:
    """HMAC-SM3 (lower-case hex) under ``key`` of the canonical JSON of ``payload``."""
    return hmac_sm3_hex(key, canonical_json(payload).encode("utf-8"))
