"""The optimistic bytes reader and the full validator accept the same profiles alike."""

from __future__ import annotations

import copy
import random
from typing import Any

import orjson
import pytest

from jifen.rules import ProfileError, validate_profile
from jifen.rules.profile_fast import read_profile_json
from tests.oracle.random_profiles import random_profile

from .profiles import spec_example

# Replacement values that are wrong somewhere: wrong types, unknown codes, bad months.
ODD_VALUES: list[Any] = [
    None, True, 0, -1, 1.5, float("nan"), "", "x", "2021-13", "2021-1", "１９９８-07",
    "1998-07", "2030-01", "通县", "海淀区", [], {}, ["x"], {"a": 1}, "M", "F", "X",
]  # fmt: skip


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += _paths(value, (*prefix, i))
    return out


def _mutate(profile: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    p = copy.deepcopy(profile)
    path = rng.choice(_paths(p))
    parent = p
    for key in path[:-1]:
        parent = parent[key]
    action = rng.random()
    if action < 0.15 and isinstance(parent, dict):
        del parent[path[-1]]
    elif action < 0.25 and isinstance(parent, dict):
        parent[path[-1] + "_typo"] = parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(ODD_VALUES)
    return p


def _state(profile: Any) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in profile.__slots__}


def _agree(data: Any, rule_set: str | None = None) -> None:
    line = orjson.dumps(data)
    fast = read_profile_json(line, rule_set)
    try:
        full = validate_profile(orjson.loads(line), rule_set)
    except ProfileError as exc:
        assert fast is None, f"fast reader accepted a profile the validator refuses: {exc.errors}"
        return
    assert fast is not None, "fast reader gave up on a valid profile"
    assert _state(fast) == _state(full)


def test_valid_random_profiles_read_alike() -> None:
    rng = random.Random(20261124)
    for _ in range(1500):
        _agree(random_profile(rng))


def test_mutated_profiles_are_refused_alike() -> None:
    rng = random.Random(7)
    base = [random_profile(rng) for _ in range(50)] + [spec_example()]
    for _ in range(4000):
        _agree(_mutate(rng.choice(base), rng))


@pytest.mark.parametrize("rule_set", [None, "beijing-2016", "beijing-2020", "nonesuch"])
def test_rule_set_argument(rule_set: str | None) -> None:
    _agree(spec_example(), rule_set)
    _agree(spec_example(rule_set="beijing-2016"), rule_set)
    _agree(spec_example(rule_set=7), rule_set)


def test_lower_case_check_character_is_accepted() -> None:
    profile = spec_example()
    profile["person"]["id_number"] = "11010519491231002x"
    profile["person"]["birth_date"] = "1949-12-31"
    profile["application_year"] = 2000
    profile["rule_set"] = "beijing-2020"
    _agree(profile)
    fast = read_profile_json(orjson.dumps(profile))
    assert fast is not None and fast.id_number.endswith("X")


@pytest.mark.parametrize(
    "line",
    [b"", b"{", b"[]", b"null", b'{"format": "jifen.profile/1"}', b"\xff\xfe", b"1e999"],
)
def test_garbage_is_left_to_the_full_validator(line: bytes) -> None:
    assert read_profile_json(line) is None


def test_duplicate_keys_read_alike() -> None:
    text = orjson.dumps(spec_example()).decode()
    doubled = text.replace(
        '"application_year":2022', '"application_year":2019,"application_year":2022'
    )
    fast = read_profile_json(doubled.encode())
    full = validate_profile(orjson.loads(doubled))
    assert fast is not None and fast.year == full.year == 2022


def test_the_fast_reader_knows_the_same_keys_as_the_schema() -> None:
    """The msgspec structures restate the schema's keys; they must not drift apart."""
    import msgspec

    from jifen.rules import profile_fast as fast
    from jifen.rules import schema

    def names(struct: type) -> set[str]:
        return {f.encode_name for f in msgspec.structs.fields(struct)}

    assert names(fast._Profile) == schema.TOP_KEYS
    assert names(fast._Person) == schema.PERSON_KEYS
    assert names(fast._Insurance) == schema.INSURANCE_KEYS
    assert names(fast._Housing) == schema.HOUSING_KEYS
    assert names(fast._Employment) == schema.EMPLOYMENT_KEYS
    assert names(fast._Education) == schema.EDUCATION_KEYS
    assert names(fast._Violation) == schema.VIOLATION_KEYS
