"""Loads calibration.toml: the generator's parameters and the published facts per round."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

Section = dict[str, Any]


@dataclass(frozen=True)
class Round:
    """Published facts of one application year (None where nothing was published)."""

    year: int
    applicants: int
    applicants_published: bool
    quota: int
    line: float | None
    admitted: int | None


@cache
def _raw() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("calibration.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def parameters(year: int) -> dict[str, Section]:
    """The model's sections for one application year, with that year's `[adjust]` applied."""
    raw = _raw()
    sections = {k: copy.deepcopy(v) for k, v in raw.items() if k not in ("rounds", "adjust")}
    for dotted, value in raw.get("adjust", {}).get(str(year), {}).items():
        # tomllib turns `housing.owner_share = x` into {"housing": {"owner_share": x}}.
        if not isinstance(value, dict):
            raise ValueError(f"adjust.{year}.{dotted}: expected section.key = value")
        section = sections.get(dotted)
        if section is None:
            raise ValueError(f"adjust.{year}: unknown section '{dotted}'")
        for key, inner in value.items():
            if key not in section:
                raise ValueError(f"adjust.{year}.{dotted}.{key}: unknown parameter")
            section[key] = inner
    return sections


def round_facts(year: int) -> Round:
    rounds = _raw()["rounds"]
    entry = rounds.get(str(year), {})
    applicants = entry.get("applicants")
    return Round(
        year=year,
        applicants=int(applicants or rounds["default_applicants"]),
        applicants_published=applicants is not None,
        quota=int(entry.get("quota", rounds["default_quota"])),
        line=entry.get("line"),
        admitted=entry.get("admitted"),
    )


def published_years() -> list[int]:
    return sorted(int(k) for k, v in _raw()["rounds"].items() if isinstance(v, dict))
