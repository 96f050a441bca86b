"""from_profile: a profile as a stored declaration, and back through to_profile unchanged.

No database. The profiles are the oracle's random ones (edges of every rule, tax years outside
the window, lists left out) with random variations, and ``jifen synth``'s.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jifen.applications import declaration as decl
from jifen.rules import rule_set_name_for_year, score_profile, validate_profile
from jifen.rules.ruleset import load_rule_set
from jifen.synth.generator import generate
from tests.oracle.random_profiles import random_profile

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LISTS = ("social_insurance", "housing", "employment", "education", "innovation", "honours",
         "violations")


def _varied(rng: random.Random) -> dict[str, Any]:
    """A random valid profile, written in the other ways the format allows."""
    p = random_profile(rng)
    person = p["person"]
    if rng.random() < 0.3:
        del person["female_cadre"]
    if rng.random() < 0.2 and person["id_number"].endswith("X"):
        person["id_number"] = person["id_number"][:17] + "x"
    for rec in p.get("social_insurance", []):
        if not rec["back_paid"] and rng.random() < 0.5:
            if rng.random() < 0.5:
                del rec["back_paid"]
            else:
                rec["back_paid"] = None
    for key in LISTS:
        if key in p and not p[key] and rng.random() < 0.5:
            del p[key]
    if rng.random() < 0.2:
        p["tax"] = {y: float(a) + 0.25 for y, a in p["tax"].items()}
    if rng.random() < 0.1:
        del p["tax"]
    return p


def _rule_set(p: dict[str, Any]) -> str:
    return p.get("rule_set") or rule_set_name_for_year(p["application_year"])


def _round_trip(p: dict[str, Any]) -> dict[str, Any]:
    year, name = p["application_year"], _rule_set(p)
    data = decl.from_profile(copy.deepcopy(p), year=year, rule_set=name)
    person = p["person"]
    return decl.to_profile(
        data,
        year=year,
        rule_set=name,
        application_no=p["application_no"],
        id_number=person["id_number"].upper(),
        name=person["name"],
        sex=person["sex"],
        birth_date=person["birth_date"],
    )


def _with_defaults(p: dict[str, Any]) -> dict[str, Any]:
    """``p`` as to_profile writes it: defaults filled in, the tax of the rule set's years."""
    out = copy.deepcopy(p)
    out["rule_set"] = _rule_set(p)
    person = out["person"]
    person["id_number"] = person["id_number"].upper()
    person["female_cadre"] = bool(person.get("female_cadre")) and person["sex"] == "F"
    for key in LISTS:
        out[key] = out.get(key) or []
    for rec in out["social_insurance"]:
        rec["back_paid"] = rec.get("back_paid") or []
    window = decl.tax_years(p["application_year"], load_rule_set(out["rule_set"]))
    out["tax"] = {y: a for y, a in (p.get("tax") or {}).items() if y in window}
    return out


@SETTINGS
@given(st.randoms(use_true_random=False).map(_varied))
def test_to_profile_of_from_profile_is_the_profile(p: dict[str, Any]) -> None:
    validate_profile(p)  # the generator's profiles are valid
    back = _round_trip(p)
    assert back == _with_defaults(p)
    # The same score; an explanation may write 100000.0 declared as 100000 (as the web does).
    ours, theirs = score_profile(back), score_profile(p)
    assert {**ours, "explanation": None} == {**theirs, "explanation": None}
    assert [e["points"] for e in ours["explanation"]] == [
        e["points"] for e in theirs["explanation"]
    ]


def test_synth_profiles_round_trip() -> None:
    for year in (2019, 2024):
        for p in generate(300, year, seed=year):
            assert _round_trip(p) == _with_defaults(p)


def test_the_declaration_is_what_the_web_would_store() -> None:
    p = next(iter(generate(1, 2024, seed=5)))
    p["social_insurance"] = [
        {"from": "2015-07", "to": "2023-12", "back_paid": ["2016-01", "2016-02"]}
    ]
    p["education"] = [{"level": "junior_college", "degree": None, "full_time": False,
                       "from": "2001-09", "to": "2004-06"}]
    p["innovation"] = ["award.municipal.first"]
    p["honours"] = ["model_worker"]
    p["violations"] = [{"kind": "tax_offence", "date": "2020-03-05"}]
    p["tax"] = {"2019": 12.5, "2021": 100000.0, "2023": 7}
    rs = load_rule_set("beijing-2020")
    data = decl.from_profile(p, year=2024, rule_set=rs)

    assert set(data) == {*decl.SECTION_KEYS, decl.TAX_OUTSIDE_WINDOW}
    assert data["social_insurance"][0]["back_paid"] == "2016-01, 2016-02"
    assert data["education"][0] | {"id": ""} == {
        "id": "", "level": "junior_college", "degree": "", "full_time": False,
        "from": "2001-09", "to": "2004-06",
    }
    # The tax section holds the rule set's three years; 2022 was left out, 2019 is outside.
    assert data["tax"] == {"2021": "100000", "2022": "", "2023": "7"}
    assert data[decl.TAX_OUTSIDE_WINDOW] == {"2019": "12.5"}
    assert data["conditions"] == {
        "residence_permit": p["person"]["residence_permit"],
        "criminal_record": p["person"]["criminal_record"],
        "female_cadre": p["person"]["female_cadre"],
    }
    # Every row has its own id, the format the web gives (evidence attaches to it).
    ids = [r["id"] for k in decl.ROW_FIELDS for r in data[k]]
    assert len(set(ids)) == len(ids) and all(len(i) == 8 for i in ids)
    # Normalising it as the web does (a later save of a section) changes nothing.
    for key in decl.SECTION_KEYS:
        assert decl.normalise_section(key, data[key], 2024, rs) == data[key], key
    # And the web's checks find nothing wrong with it.
    assert decl.clean_declaration(data, year=2024, rule_set=rs) == []
