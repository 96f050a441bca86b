"""`jifen synth`: valid, reproducible, streamed profiles with the variety the rules need."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from jifen.cli import main
from jifen.rules import ProfileError, score_profile, validate_profile
from jifen.rules.identity import identity_problem
from jifen.synth import generate
from jifen.synth.params import parameters


def run(argv: list[str]) -> int:
    return main(["synth", *argv])


def _args(*argv: str) -> list[str]:
    return list(argv)


@pytest.mark.parametrize("year", [2018, 2019, 2020, 2022, 2025])
def test_every_profile_validates(year: int) -> None:
    for profile in generate(1500, year, seed=year):
        try:
            validate_profile(profile)
        except ProfileError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"{profile['application_no']}: {exc.errors}")
        assert profile["format"] == "jifen.profile/1"
        assert profile["application_year"] == year


def test_identity_numbers_agree_with_birth_date_and_sex() -> None:
    for profile in generate(3000, 2021, seed=5):
        person = profile["person"]
        number = person["id_number"]
        assert identity_problem(number) is None
        assert number[6:14] == person["birth_date"].replace("-", "")
        assert person["sex"] == ("M" if int(number[16]) % 2 else "F")
        if person["sex"] == "M":
            assert person["female_cadre"] is False


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    outputs = []
    for name, seed in (("a", "11"), ("b", "11"), ("c", "12")):
        path = tmp_path / f"{name}.jsonl"
        assert (
            run(
                _args(
                    "--applicants", "500", "--year", "2020", "--seed", seed, "--output", str(path)
                )
            )
            == 0
        )
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


@pytest.mark.parametrize("count", [0, 1, 37, 2500])
def test_count_is_respected(tmp_path: Path, count: int) -> None:
    path = tmp_path / "out.jsonl"
    assert (
        run(
            _args(
                "--applicants", str(count), "--year", "2023", "--seed", "1", "--output", str(path)
            )
        )
        == 0
    )
    lines = path.read_bytes().splitlines()
    assert len(lines) == count
    numbers = [orjson.loads(line)["application_no"] for line in lines]
    assert len(set(numbers)) == count


def test_writes_to_standard_output(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert run(_args("--applicants", "3", "--year", "2020", "--seed", "2")) == 0
    lines = capsysbinary.readouterr().out.splitlines()
    assert [orjson.loads(line)["application_no"] for line in lines] == [
        "0000001",
        "0000002",
        "0000003",
    ]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="year"):
        generate(10, 2017, 1)
    with pytest.raises(ValueError, match="negative"):
        generate(-1, 2020, 1)
    assert run(_args("--applicants", "5", "--year", "2017")) == 2


def test_generate_is_lazy_and_holds_nothing() -> None:
    stream = generate(10**12, 2020, seed=3)  # far more than could ever be held
    assert isinstance(stream, Iterator)
    assert not isinstance(stream, list | tuple)
    first = list(itertools.islice(stream, 2000))
    assert len(first) == 2000
    # Drawing 5,000 more keeps memory flat (holding them would take ~15 MB).
    tracemalloc.start()
    for _ in itertools.islice(stream, 5000):
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000


def test_prefix_of_a_larger_run_is_the_same_people() -> None:
    small = list(generate(200, 2024, seed=9))
    large = list(itertools.islice(generate(100000, 2024, seed=9), 200))
    assert small == large


def test_pool_has_the_irregular_cases_the_rules_care_about() -> None:
    seen = {
        "back_paid": 0,
        "overlap": 0,
        "part_time": 0,
        "full_time_while_insured": 0,
        "violation": 0,
        "dormitory": 0,
        "second_home": 0,
        "tax_missing_year": 0,
    }
    reasons = {"insurance": 0, "permit": 0, "retirement": 0}
    n = 6000
    for profile in generate(n, 2020, seed=4):
        insurance = profile["social_insurance"]
        first_month = insurance[0]["from"]
        seen["back_paid"] += any(r["back_paid"] for r in insurance)
        seen["overlap"] += any(a["to"] >= b["from"] for a, b in itertools.pairwise(insurance))
        education = profile.get("education", [])
        seen["part_time"] += any(not e["full_time"] for e in education)
        seen["full_time_while_insured"] += any(
            e["full_time"] and e["to"] >= first_month for e in education
        )
        seen["violation"] += bool(profile.get("violations"))
        seen["dormitory"] += any(h["kind"] == "dormitory" for h in profile["housing"])
        seen["second_home"] += sum(h["kind"] == "owned" for h in profile["housing"]) > 1
        seen["tax_missing_year"] += len(profile["tax"]) < 3
        result = score_profile(profile)
        text = " ".join(result["reasons"])
        reasons["insurance"] += "insurance" in text
        reasons["permit"] += "residence permit" in text
        reasons["retirement"] += "retirement" in text
    assert all(count > 0 for count in seen.values()), seen
    assert all(count > 0 for count in reasons.values()), reasons
    ineligible = sum(reasons.values()) / n
    assert 0.01 < ineligible < 0.08  # a few percent


def test_calibration_file_is_complete() -> None:
    for year in (2018, 2020, 2025, 2030):
        sections = parameters(year)
        for name in (
            "arrival",
            "education",
            "insurance",
            "housing",
            "tax",
            "application",
            "depletion",
            "districts",
        ):
            assert name in sections
    assert parameters(2018)["arrival"]["tilt"] != parameters(2024)["arrival"]["tilt"]


def test_people_are_distinct_at_a_size_that_used_to_repeat_one() -> None:
    # Before numbers were made distinct, profile 44,569 of 2022/seed 1 repeated profile
    # 13,718's identity number (the import refuses a person twice); now it takes the next free
    # sequence number of the same area, birth date and sex, and the rest of the stream is
    # unchanged.
    seen: set[str] = set()
    for index, profile in enumerate(generate(44_600, 2022, seed=1)):
        number = profile["person"]["id_number"]
        assert number not in seen, index
        seen.add(number)
        if index == 13_717:
            assert number == "150102197907212611"
        if index == 44_568:
            assert number == "150102197907212638"
            assert profile["person"]["birth_date"] == "1979-07-21"
    assert len(seen) == 44_600
