"""Policy examples as executable data: every case of ``cases/*.yaml`` run against the engine.

Like OpenFisca's YAML tests, each file holds ``input → expected`` examples for one indicator,
each expected value computed by hand from the spec (``why:`` shows the arithmetic).

Case file format
----------------
::

    base:                  # optional: partial profile merged onto DEFAULT_BASE for the whole file
      application_year: 2020
    cases:
      - name: one month    # unique in the file; the pytest id is "<file stem>::<name>"
        why: "1 × 0.25"    # required: the hand computation, quoting the spec's rule
        profile: {...}     # partial profile merged onto the file's base
        remove: [person.sex, "housing[0].district"]   # optional: paths deleted after merging
        rule_set: beijing-2016                        # optional: score_profile(..., rule_set=)
        expected:          # at least one of:
          indicators: {employment: 0.25}   # a subset of the ten indicators
          total: 20.25
          eligible: false
          rule_set: beijing-2020
          reasons_count: 2                 # one reason per failed eligibility condition
          reasons_contain: ["居住证"]      # each a substring of some reason
          errors_contain: ["housing[1].district", ["tax.2021", "tax[2021]"]]

``errors_contain`` means the profile must be rejected with ``ProfileError``; each entry is a
substring (or a list of alternative substrings) that must occur in one of ``err.errors``.

Merge rules: a dict merges into a dict key by key (recursively); anything else — a list, a
scalar, null — replaces the value it lands on. ``remove`` runs last.

``person.id_number``: unless the merged profile gives one, it is computed from the merged
``person.birth_date`` and ``person.sex`` (area 110105, a valid GB 11643 check digit), so that
a case changing the birth date or the sex stays a valid person.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from jifen.rules import ProfileError, score_profile

CASES_DIR = Path(__file__).parent / "cases"

INDICATORS = (
    "employment", "housing", "education", "study_deduction", "area",
    "innovation", "tax", "age", "honours", "law",
)  # fmt: skip

# A valid synthetic applicant with no records: age 35 on 2021-01-01 (20 age points), nothing else.
DEFAULT_BASE: dict[str, Any] = {
    "format": "jifen.profile/1",
    "application_year": 2022,
    "application_no": "900001",
    "person": {
        "name": "测试样例",
        "sex": "M",
        "birth_date": "1985-06-15",
        "female_cadre": False,
        "residence_permit": True,
        "criminal_record": False,
    },
    "social_insurance": [],
    "housing": [],
    "employment": [],
    "education": [],
    "innovation": [],
    "tax": {},
    "honours": [],
    "violations": [],
}

CASE_KEYS = {"name", "why", "profile", "remove", "rule_set", "expected"}
EXPECTED_KEYS = {
    "indicators", "total", "eligible", "rule_set",
    "reasons_count", "reasons_contain", "errors_contain",
}  # fmt: skip

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


def gb11643_check_digit(first17: str) -> str:
    """The check character of a resident identity number (GB 11643, ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11]


def make_id_number(birth_date: str, sex: str, area: str = "110105") -> str:
    """A valid identity number for a birth date ``YYYY-MM-DD`` and a sex ``M``/``F``."""
    digits = re.sub(r"\D", "", str(birth_date))[:8].ljust(8, "0")
    # The 17th digit is odd for men and even for women.
    sequence = "001" if sex == "M" else "002"
    first17 = area + digits + sequence
    return first17 + gb11643_check_digit(first17)


def merge(base: Any, override: Any) -> Any:
    """Dicts merge key by key; anything else replaces (lists are never concatenated)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = copy.deepcopy(base)  # never share nested objects with DEFAULT_BASE
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def remove_path(profile: dict[str, Any], path: str) -> None:
    """Delete ``a.b[2].c`` from a profile; the path must exist, so a typo fails loudly."""
    parts: list[str | int] = [
        name if name else int(index) for name, index in _PATH_PART.findall(path)
    ]
    node: Any = profile
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]


def build_profile(file_base: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    profile = merge(merge(DEFAULT_BASE, file_base), case.get("profile") or {})
    person = profile.get("person")
    if isinstance(person, dict) and "id_number" not in person:
        person["id_number"] = make_id_number(
            str(person.get("birth_date", "")), str(person.get("sex", "M"))
        )
    for path in case.get("remove") or []:
        remove_path(profile, path)
    return profile


def _check_case_shape(where: str, case: Any) -> None:
    """Reject malformed cases at collection, so a misspelt key never passes silently."""
    if not isinstance(case, dict):
        raise ValueError(f"{where}: a case must be a mapping")
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "why", "expected"):
        if not case.get(key):
            raise ValueError(f"{where}: missing {key!r}")
    expected = case["expected"]
    unknown = set(expected) - EXPECTED_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown expected keys {sorted(unknown)}")
    if "errors_contain" in expected and len(expected) > 1:
        raise ValueError(f"{where}: errors_contain cannot be combined with scores")
    unknown = set(expected.get("indicators") or {}) - set(INDICATORS)
    if unknown:
        raise ValueError(f"{where}: unknown indicators {sorted(unknown)}")


def load_cases() -> Iterator[Any]:
    files = sorted(CASES_DIR.glob("*.yaml"))
    if not files:
        raise ValueError(f"no case files in {CASES_DIR}")
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if set(data) - {"base", "cases"} or not data.get("cases"):
            raise ValueError(f"{path.name}: needs 'cases' (and optionally 'base') only")
        seen: set[str] = set()
        for index, case in enumerate(data["cases"]):
            where = f"{path.name} case {index}"
            _check_case_shape(where, case)
            if case["name"] in seen:
                raise ValueError(f"{where}: duplicate name {case['name']!r}")
            seen.add(case["name"])
            yield pytest.param(data.get("base") or {}, case, id=f"{path.stem}::{case['name']}")


def _contains(messages: list[str], wanted: str | list[str]) -> bool:
    alternatives = [wanted] if isinstance(wanted, str) else wanted
    return any(alt in message for alt in alternatives for message in messages)


def _check_result_shape(result: dict[str, Any]) -> None:
    """What every result must satisfy (spec "jifen.result/1"), whatever the case."""
    assert result["format"] == "jifen.result/1"
    indicators = result["indicators"]
    assert tuple(indicators) == INDICATORS
    for code, value in indicators.items():
        assert isinstance(value, int | float) and not isinstance(value, bool), code
        assert round(value, 2) == value, f"{code} not rounded to 2 decimals: {value!r}"
    # The total is the sum of the rounded indicators.
    assert result["total"] == round(sum(indicators.values()), 2)
    assert [entry["indicator"] for entry in result["explanation"]] == list(INDICATORS)
    assert result["eligible"] is (not result["reasons"])


@pytest.mark.parametrize(("file_base", "case"), list(load_cases()))
def test_case(file_base: dict[str, Any], case: dict[str, Any]) -> None:
    profile = build_profile(file_base, case)
    expected = case["expected"]
    rule_set = case.get("rule_set")

    if "errors_contain" in expected:
        with pytest.raises(ProfileError) as caught:
            score_profile(profile, rule_set=rule_set)
        errors = caught.value.errors
        assert isinstance(errors, list) and errors
        missing = [w for w in expected["errors_contain"] if not _contains(errors, w)]
        assert not missing, f"no error names {missing}; errors were {errors}"
        return

    try:
        result = score_profile(profile, rule_set=rule_set)
    except ProfileError as err:
        pytest.fail(f"valid profile rejected: {err.errors}")
    _check_result_shape(result)

    got = {code: result["indicators"][code] for code in expected.get("indicators") or {}}
    assert got == expected.get("indicators", {}), case["why"]
    if "total" in expected:
        assert result["total"] == expected["total"], case["why"]
    if "eligible" in expected:
        assert result["eligible"] is expected["eligible"], result["reasons"]
    if "rule_set" in expected:
        assert result["rule_set"] == expected["rule_set"]
    if "reasons_count" in expected:
        assert len(result["reasons"]) == expected["reasons_count"], result["reasons"]
    wanted = expected.get("reasons_contain") or []
    missing = [w for w in wanted if not _contains(result["reasons"], w)]
    assert not missing, f"no reason mentions {missing}; reasons were {result['reasons']}"


def test_id_helper_matches_the_spec_example() -> None:
    # The spec's example identity number is valid; changing its check digit makes it invalid.
    assert make_id_number("1976-01-15", "F")[:14] == "11010519760115"
    assert gb11643_check_digit("11010519760115234") == "7"
    assert gb11643_check_digit("11010519491231002") == "X"  # the GB 11643 standard's example


def test_merge_rules() -> None:
    base = {
        "person": {"sex": "M", "name": "甲"},
        "housing": [{"kind": "owned"}],
        "tax": {"2019": 1},
    }
    override = {"person": {"sex": "F"}, "housing": [], "tax": {"2020": 2}}
    assert merge(base, override) == {
        "person": {"sex": "F", "name": "甲"},
        "housing": [],
        "tax": {"2019": 1, "2020": 2},
    }
    profile = build_profile({}, {"profile": {"person": {"sex": "F"}}, "remove": ["person.name"]})
    assert "name" not in profile["person"]
    assert profile["person"]["id_number"] == make_id_number("1985-06-15", "F")
    assert int(profile["person"]["id_number"][16]) % 2 == 0
