"""Which evidence (证明材料) each declared item needs: data beside the rule set, not code.

``<rule set>.toml`` in this folder says, per declaration section, either that nothing is
uploaded (``none``, with the reason the applicant reads: the departments compare their own
records) or which documents a row needs, by the row's values (``rules``). A file may
``extends`` another and override whole sections. Pure Python: no Django.

    rules = load_evidence_rules("beijing-2020")
    rules.requirements(declaration)   # every item that needs evidence, with its documents
    rules.missing(declaration, {("housing", "a1b2c3d4"), ...})   # those without a file
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


class EvidenceRulesError(ValueError):
    """An evidence data file is unknown or malformed."""


@dataclass(frozen=True)
class Rule:
    when: tuple[tuple[str, Any], ...]
    documents: tuple[str, ...]

    def matches(self, values: dict[str, Any]) -> bool:
        for field, wanted in self.when:
            value = values.get(field)
            if wanted is True:
                if value is not True:
                    return False
            elif not isinstance(value, str) or not value:
                return False
            elif wanted == "*":
                continue
            elif isinstance(wanted, str) and wanted.endswith(".*"):
                if not value.startswith(wanted[:-1]):
                    return False
            elif value != wanted:
                return False
        return True


@dataclass(frozen=True)
class SectionEvidence:
    key: str
    none: str = ""  # why nothing is uploaded ("" when rules apply)
    rules: tuple[Rule, ...] = ()

    def documents_for(self, values: dict[str, Any]) -> tuple[str, ...]:
        """The documents a row (or the answers of a non-list section) needs, in rule order."""
        out: list[str] = []
        for rule in self.rules:
            if rule.matches(values):
                out.extend(d for d in rule.documents if d not in out)
        return tuple(out)


@dataclass(frozen=True)
class Requirement:
    """One item that needs evidence: ``item_id`` "" is the section as a whole, whose ``index``
    is None; ``documents`` are what the file(s) uploaded to it must show."""

    section: str
    item_id: str
    index: int | None
    documents: tuple[str, ...]

    @property
    def path(self) -> str:
        """The item's field path, as the declaration's checks name it (``housing[0]``)."""
        return self.section if self.index is None else f"{self.section}[{self.index}]"


@dataclass(frozen=True)
class EvidenceRules:
    id: str
    reference: str
    sections: dict[str, SectionEvidence]

    def section(self, key: str) -> SectionEvidence:
        """What ``key`` needs; a section the data does not name needs nothing."""
        return self.sections.get(key) or SectionEvidence(key)

    def requirements(self, declaration: dict[str, Any]) -> list[Requirement]:
        """Every item of ``declaration`` that needs evidence, in section and row order."""
        out: list[Requirement] = []
        for key, section in self.sections.items():
            if not section.rules:
                continue
            value = declaration.get(key)
            if isinstance(value, dict):
                documents = section.documents_for(value)
                if documents:
                    out.append(Requirement(key, "", None, documents))
            elif isinstance(value, list):
                for i, row in enumerate(value):
                    if not isinstance(row, dict):
                        continue
                    documents = section.documents_for(row)
                    if documents:
                        out.append(Requirement(key, str(row.get("id", "")), i, documents))
        return out

    def missing(
        self, declaration: dict[str, Any], attached: set[tuple[str, str]]
    ) -> list[Requirement]:
        """The requirements with no file: ``attached`` holds (section, item id) of each file."""
        return [r for r in self.requirements(declaration) if (r.section, r.item_id) not in attached]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key == "sections" and isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}  # a section is replaced whole
        else:
            merged[key] = value
    return merged


def _read(name: str) -> dict[str, Any]:
    try:
        text = resources.files(__package__).joinpath(f"{name}.toml").read_text("utf-8")
    except FileNotFoundError:
        raise EvidenceRulesError(f"no evidence data for rule set {name!r}") from None
    data = tomllib.loads(text)
    parent = data.pop("extends", None)
    return _merge(_read(parent), data) if parent else data


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("when", {}), dict):
        raise EvidenceRulesError(f"{where}: a rule is {{when = {{...}}, documents = [...]}}")
    documents = raw.get("documents")
    if not documents or not all(isinstance(d, str) and d for d in documents):
        raise EvidenceRulesError(f"{where}: documents must be a non-empty list of names")
    for field, wanted in raw.get("when", {}).items():
        if not (wanted is True or (isinstance(wanted, str) and wanted)):
            raise EvidenceRulesError(f"{where}: when.{field} must be true or a text")
    return Rule(tuple(raw.get("when", {}).items()), tuple(documents))


def compile_evidence_rules(data: dict[str, Any]) -> EvidenceRules:
    sections: dict[str, SectionEvidence] = {}
    for key, raw in data.get("sections", {}).items():
        where = f"sections.{key}"
        if not isinstance(raw, dict) or ("none" in raw) == ("rules" in raw):
            raise EvidenceRulesError(f"{where}: give either `none` (a reason) or `rules`")
        if "none" in raw:
            if not isinstance(raw["none"], str) or not raw["none"]:
                raise EvidenceRulesError(f"{where}.none: the reason nothing is uploaded")
            sections[key] = SectionEvidence(key, none=raw["none"])
        else:
            rules = tuple(_rule(r, f"{where}.rules[{i}]") for i, r in enumerate(raw["rules"]))
            sections[key] = SectionEvidence(key, rules=rules)
    return EvidenceRules(
        id=str(data["id"]), reference=str(data.get("reference", "")), sections=sections
    )


@cache
def load_evidence_rules(name: str) -> EvidenceRules:
    """The evidence rules beside rule set ``name`` (e.g. ``beijing-2020``); cached."""
    try:
        return compile_evidence_rules(_read(name))
    except KeyError as exc:
        raise EvidenceRulesError(f"{name}: missing key {exc.args[0]!r}") from exc
