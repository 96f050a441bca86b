"""Canonical JSON of audit data (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from jifen.audit.hashing import canonical_json, jsonable, utc_iso


def test_jsonable_turns_python_values_into_plain_json() -> None:
    identifier = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert jsonable(
        {"d": dt.date(2024, 1, 2), "p": Decimal("1.50"), "u": identifier, "l": [1, (2, 3)]}
    ) == {"d": "2024-01-02", "p": "1.50", "u": str(identifier), "l": [1, [2, 3]]}
    assert jsonable(None) is None


def test_jsonable_writes_numbers_as_postgresql_returns_them() -> None:
    data = jsonable({"big": 1e16, "odd": 1.2345678901234567e20, "neg_zero": -0.0, "x": 12.5})
    assert data == {"big": 10**16, "odd": 123456789012345670000, "neg_zero": 0.0, "x": 12.5}
    assert isinstance(data["big"], int)
    assert str(data["neg_zero"]) == "0.0"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_jsonable_refuses_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        jsonable({"x": bad})


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"z": None, "名": "张三"}}) == (
        '{"a":{"z":null,"名":"张三"},"b":1}'
    )


def test_utc_iso_converts_and_requires_aware_times() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert utc_iso(dt.datetime(2024, 5, 1, 8, 0, tzinfo=beijing)) == (
        "2024-05-01T00:00:00.000000+00:00"
    )
    with pytest.raises(ValueError):
        utc_iso(dt.datetime(2024, 5, 1, 8, 0))
