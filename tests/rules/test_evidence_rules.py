"""The evidence each declared item needs: data beside the rule set, read by a pure loader."""

from __future__ import annotations

import pytest

from jifen.applications import declaration as decl
from jifen.rules.evidence import (
    EvidenceRulesError,
    Requirement,
    compile_evidence_rules,
    load_evidence_rules,
)
from jifen.rules.ruleset import available_rule_sets
from tests.factories import full_declaration


@pytest.mark.parametrize("name", available_rule_sets())
def test_every_rule_set_says_for_every_section_what_is_needed(name: str) -> None:
    rules = load_evidence_rules(name)
    assert rules.id == name
    assert set(rules.sections) == set(decl.SECTION_KEYS)
    for key, section in rules.sections.items():
        assert bool(section.none) != bool(section.rules), key
    # Data the departments hold needs nothing uploaded.
    assert {k for k, s in rules.sections.items() if s.none} == {
        "social_insurance", "employment", "tax", "violations"}


def test_rows_need_the_documents_of_their_kind() -> None:
    data = full_declaration(2026)
    data["housing"].append({"id": "dorm0001", "kind": "dormitory", "from": "2001-01",
                            "to": "2002-01", "district": "海淀区"})
    data["innovation"] = [{"id": "eq000001", "code": "equity.financing.5m"}]
    data["conditions"]["female_cadre"] = True
    for key in ("housing", "education", "honours"):
        for i, row in enumerate(data[key]):
            row.setdefault("id", f"{key[:4]}{i:04d}")
    found = load_evidence_rules("beijing-2020").requirements(data)
    assert [(r.path, r.item_id, r.documents) for r in found] == [
        ("conditions", "", ("北京市居住证", "干部身份证明（任职文件或人事档案证明）")),
        ("housing[0]", "hous0000", ("租赁合同及登记备案证明",)),
        ("housing[1]", "hous0001", ("不动产权证书或房屋所有权证",)),
        ("housing[2]", "dorm0001", ("单位宿舍证明（单位出具）",)),
        ("education[0]", "educ0000", ("学历证书", "学位证书")),
        ("innovation[0]", "eq000001", ("投资协议、验资证明及持股证明",)),
        ("honours[0]", "hono0000", ("荣誉证书或表彰文件",)),
    ]


def test_missing_leaves_out_the_items_with_a_file() -> None:
    data = {"conditions": {"residence_permit": True},
            "housing": [{"id": "a1", "kind": "owned"}, {"id": "b2", "kind": "rented"}]}
    rules = load_evidence_rules("beijing-2020")
    assert rules.missing(data, {("housing", "a1"), ("housing", "zz")}) == [
        Requirement("conditions", "", None, ("北京市居住证",)),
        Requirement("housing", "b2", 1, ("租赁合同及登记备案证明",)),
    ]
    # A file on the section as a whole does not stand for a row's.
    assert [r.path for r in rules.missing(data, {("housing", "")})] == [
        "conditions", "housing[0]", "housing[1]"]


def test_a_degree_alone_needs_only_the_degree_certificate() -> None:
    rules = load_evidence_rules("beijing-2016")
    data = {"education": [{"id": "x", "level": "", "degree": "master"}]}
    assert rules.requirements(data)[0].documents == ("学位证书",)


@pytest.mark.parametrize("section,message", [
    ({"none": "x", "rules": []}, r"sections.housing: give either `none` \(a reason\)"),
    ({}, r"sections.housing: give either `none` \(a reason\) or `rules`"),
    ({"rules": [{"when": {"kind": "owned"}, "documents": []}]},
     r"sections.housing.rules\[0\]: documents must be"),
    ({"rules": [{"when": {"kind": 3}, "documents": ["x"]}]}, "when.kind must be true or a text"),
])
def test_malformed_data_is_refused_with_its_place(section: dict, message: str) -> None:
    with pytest.raises(EvidenceRulesError, match=message):
        compile_evidence_rules({"id": "t", "sections": {"housing": section}})


def test_an_unknown_rule_set_has_no_evidence_data() -> None:
    with pytest.raises(EvidenceRulesError, match="no evidence data"):
        load_evidence_rules("beijing-1999")


def test_the_loader_imports_no_django() -> None:
    import subprocess
    import sys

    code = ("import sys, jifen.rules.evidence as e; e.load_evidence_rules('beijing-2016');"
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
