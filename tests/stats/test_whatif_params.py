"""A copy of a rule set with one changed parameter (pure: no database)."""

from __future__ import annotations

import pytest

from jifen.core.errors import InvalidInput
from jifen.rules import load_rule_set
from jifen.rules.ruleset import RuleSetError, rule_set_variant
from jifen.stats.whatif_params import PARAMETERS, changed_rule_set


def test_a_variant_changes_one_value_only():
    base = load_rule_set("beijing-2020")
    rs = rule_set_variant("beijing-2020", {("indicators", "honours", "points"): 5})
    assert (rs.id, rs.version) == ("beijing-2020*", "2020.1-variant")
    assert rs.honours_points == 500 and base.honours_points == 2000
    assert rs.age_bands == base.age_bands and rs.quota == base.quota
    # The cached rule set is untouched.
    assert load_rule_set("beijing-2020").honours_points == 2000


def test_a_variant_needs_an_existing_key():
    with pytest.raises(RuleSetError):
        rule_set_variant("beijing-2020", {("indicators", "honours", "bonus"): 5})


def test_every_whitelisted_parameter_can_be_changed():
    for key, param in PARAMETERS.items():
        current = param.current("beijing-2020")
        rs, got, old, _new = changed_rule_set("beijing-2020", key, str(current))
        assert got is param and str(old) == str(current) and rs.id == "beijing-2020*"


def test_changed_values_are_typed():
    rs, _, old, new = changed_rule_set("beijing-2020", "employment.rate", "1/5")
    assert (old, new) == ("1/4", "1/5") and str(rs.employment_rate) == "1/5"
    rs, _, old, new = changed_rule_set("beijing-2016", "age.band0", "15")
    assert (old, new, rs.age_bands) == (20, 15, ((45, 1500),))
    with pytest.raises(InvalidInput) as caught:
        changed_rule_set("beijing-2020", "salary", "1")
    assert caught.value.errors[0].as_dict() == {
        "field": "parameter",
        "message": "没有名为“salary”的可调整参数",
    }
    with pytest.raises(InvalidInput) as caught:
        changed_rule_set("beijing-2020", "tax.threshold", "很多")
    assert caught.value.errors[0].message == "「纳税：每年纳税额标准（元）」须为数字，“很多”不是"
