"""`jifen score` as the spec's command section describes it: formats, order, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jifen import cli
from jifen.rules.batch import score_stream

from .profiles import spec_example

JIFEN = [sys.executable, "-m", "jifen.cli"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*JIFEN, *args], input=stdin, capture_output=True, timeout=120)


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(spec_example(), ensure_ascii=False, indent=2), "utf-8")
    return path


def test_single_profile_prints_the_result(profile_file: Path) -> None:
    done = run("score", str(profile_file))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["format"] == "jifen.result/1"
    assert result["application_no"] == "252984"
    assert result["rule_set"] == "beijing-2020"
    assert result["eligible"] is True
    assert result["reasons"] == []
    assert result["total"] == 133.42
    assert list(result["indicators"]) == [
        "employment", "housing", "education", "study_deduction", "area",
        "innovation", "tax", "age", "honours", "law",
    ]  # fmt: skip
    assert result["indicators"]["employment"] == 70.5
    assert result["indicators"]["housing"] == 15.92
    assert [e["indicator"] for e in result["explanation"]] == list(result["indicators"])
    housing = result["explanation"][1]
    assert housing["basis"] == "owned 144 months × 1/12 = 12.00; rented 94 months × 1/24 = 3.92"
    assert housing["reference"] == "京政办发〔2020〕9号"


def test_standard_input(profile_file: Path) -> None:
    done = run("score", "-", stdin=profile_file.read_bytes())
    assert done.returncode == 0
    assert json.loads(done.stdout)["total"] == 133.42


def test_rule_set_override(profile_file: Path) -> None:
    done = run("score", "--rule-set", "beijing-2016", str(profile_file))
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["rule_set"] == "beijing-2016"
    # 2016: area from 2017-01, 60 both-out months → 5 × 4 = 20, capped at 12; the rest as 2020.
    assert result["indicators"]["area"] == 12.0
    assert result["total"] == 133.42


def test_invalid_single_profile_exits_1_naming_the_field(tmp_path: Path) -> None:
    bad = spec_example()
    bad["housing"][1]["district"] = "通县"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    done = run("score", str(path))
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["format"] == "jifen.error/1"
    assert error["errors"] == ["housing[1].district: unknown district '通县'"]
    assert "housing[1].district" in done.stderr.decode()


def test_jsonl_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = []
    for i in range(5):
        lines.append(json.dumps(spec_example(application_no=str(i)), ensure_ascii=False))
    lines[1] = "{not json"
    broken = spec_example(application_no="3")
    broken["person"]["sex"] = "M"
    lines[3] = json.dumps(broken, ensure_ascii=False)
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    done = run("score", "--jsonl", str(path))
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == 5
    assert [o.get("application_no") for o in out] == ["0", None, "2", None, "4"]
    assert out[1]["format"] == "jifen.error/1" and out[1]["line"] == 2
    assert "not valid JSON" in out[1]["errors"][0]
    assert out[3] == {
        "format": "jifen.error/1",
        "line": 4,
        "errors": ["person.sex: 'M' does not agree with the identity number"],
    }
    assert "2 of 5 profiles rejected" in done.stderr.decode()


def test_jsonl_all_good_exits_0_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    one = json.dumps(spec_example(), ensure_ascii=False)
    path.write_text(f"{one}\n\n{one}\n", "utf-8")
    done = run("score", "--jsonl", str(path))
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 2


def test_jsonl_from_standard_input_with_line_numbers() -> None:
    good = json.dumps(spec_example(), ensure_ascii=False)
    done = run("score", "--jsonl", "-", stdin=f"{good}\n[]\n".encode())
    assert done.returncode == 1
    second = json.loads(done.stdout.splitlines()[1])
    assert second["line"] == 2
    assert second["errors"] == ["profile: expected a JSON object, got a list"]


@pytest.mark.parametrize(
    "args",
    [
        ("score",),
        ("score", "--rule-set", "beijing-1999", "x.json"),
        ("score", "/no/such/file.json"),
        ("score", "--workers", "0", "--jsonl", "-"),
        ("frobnicate",),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    done = run(*args, stdin=b"")
    assert done.returncode == 2, done.stderr


def test_output_file_is_written_whole(tmp_path: Path, profile_file: Path) -> None:
    target = tmp_path / "out.jsonl"
    src = tmp_path / "in.jsonl"
    src.write_bytes(json.dumps(spec_example()).encode() + b"\n")
    done = run("score", "--jsonl", str(src), "-o", str(target))
    assert done.returncode == 0
    assert json.loads(target.read_text())["total"] == 133.42
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl", "profile.json"]


def test_parallel_scoring_matches_serial_in_order() -> None:
    """Many small blocks through worker processes come back in input order."""
    lines = []
    for i in range(300):
        profile = spec_example(application_no=str(i))
        profile["social_insurance"][0]["from"] = f"{1998 + i % 20}-{i % 12 + 1:02d}"
        lines.append(json.dumps(profile, ensure_ascii=False).encode())
    lines[77] = b'{"format": "jifen.profile/1"}'
    data = b"\n".join(lines) + b"\n"
    serial, parallel = io.BytesIO(), io.BytesIO()
    s1 = score_stream(io.BytesIO(data), serial, workers=1)
    s2 = score_stream(io.BytesIO(data), parallel, workers=2, block_bytes=4096)
    assert serial.getvalue() == parallel.getvalue()
    assert (s1.lines, s1.failed) == (s2.lines, s2.failed) == (300, 1)
    out = serial.getvalue().splitlines()
    assert json.loads(out[77])["line"] == 78
    assert json.loads(out[299])["application_no"] == "299"


def test_block_boundaries_never_split_a_line() -> None:
    one = json.dumps(spec_example(), ensure_ascii=False).encode()
    data = b"\n".join([one] * 10)  # no final newline
    for size in (7, 100, len(one), len(one) + 1, 1 << 20):
        sink = io.BytesIO()
        stats = score_stream(io.BytesIO(data), sink, workers=1, block_bytes=size)
        assert (stats.lines, stats.failed) == (10, 0), size
        assert len(sink.getvalue().splitlines()) == 10


def test_workers_reading_a_file_by_ranges_match_serial(tmp_path: Path) -> None:
    """From a regular file each worker reads its own byte range; errors keep file line numbers."""
    lines = []
    for i in range(400):
        profile = spec_example(application_no=str(i))
        profile["housing"][0]["to"] = f"2009-{i % 12 + 1:02d}"
        lines.append(json.dumps(profile, ensure_ascii=False).encode())
    for bad in (0, 133, 134, 399):
        lines[bad] = b'{"format": "jifen.profile/1", "line": %d}' % bad
    lines[250] = b""
    data = b"\n".join(lines)  # no final newline
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    serial = io.BytesIO()
    expected = score_stream(io.BytesIO(data), serial, workers=1)
    for block in (500, 4096, 100_000):
        parallel = io.BytesIO()
        with path.open("rb") as source:
            stats = score_stream(source, parallel, workers=2, block_bytes=block)
        assert parallel.getvalue() == serial.getvalue(), block
        assert (stats.lines, stats.failed) == (expected.lines, expected.failed) == (399, 4)
        # Into a real file the workers spool their results and the kernel copies them.
        target = tmp_path / f"out-{block}.jsonl"
        with path.open("rb") as source, target.open("wb") as sink:
            score_stream(source, sink, workers=2, block_bytes=block)
        assert target.read_bytes() == serial.getvalue(), block
        # A sink opened for appending (`>> file`): sendfile() refuses it, the copy still works.
        appended = tmp_path / f"appended-{block}.jsonl"
        appended.write_bytes(b"earlier\n")
        with path.open("rb") as source, appended.open("ab") as sink:
            score_stream(source, sink, workers=2, block_bytes=block)
        assert appended.read_bytes() == b"earlier\n" + serial.getvalue(), block
    errors = [json.loads(x) for x in serial.getvalue().splitlines() if b"jifen.error" in x]
    assert [e["line"] for e in errors] == [1, 134, 135, 400]


def test_json_lines_given_without_the_flag_are_scored_line_by_line(tmp_path: Path) -> None:
    one = json.dumps(spec_example(), ensure_ascii=False)
    path = tmp_path / "several.json"
    path.write_text(f"{one}\n{one}\n{{oops\n", "utf-8")
    done = run("score", str(path))
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["format"] for o in out] == ["jifen.result/1", "jifen.result/1", "jifen.error/1"]
    assert out[2]["line"] == 3


def test_invalid_json_single_profile(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "jifen.profile/1",', "utf-8")
    done = run("score", str(path))
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["format"] == "jifen.error/1"
    assert error["errors"][0].startswith("not valid JSON")


# ---------------------------------------------------------------- one document or JSON Lines


def test_a_pretty_printed_profile_with_a_syntax_error_is_one_error(tmp_path: Path) -> None:
    text = json.dumps(spec_example(), ensure_ascii=False, indent=2)
    text = text.replace('"application_year": 2022,', '"application_year": 2022', 1)
    path = tmp_path / "broken.json"
    path.write_text(text, "utf-8")
    done = run("score", str(path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout  # one error, not one per line of the document
    error = json.loads(lines[0])
    assert error["format"] == "jifen.error/1" and "line" not in error
    assert len(error["errors"]) == 1
    assert error["errors"][0].startswith("not valid JSON: ")


def test_a_pretty_printed_profile_from_standard_input_still_scores() -> None:
    text = json.dumps(spec_example(), ensure_ascii=False, indent=2).encode()
    done = run("score", "-", stdin=text)
    assert done.returncode == 0
    assert json.loads(done.stdout)["total"] == 133.42


def test_json_lines_on_standard_input_without_the_flag() -> None:
    one = json.dumps(spec_example(), ensure_ascii=False)
    done = run("score", "-", stdin=f"\n{one}\n[1, 2\n{one}\n".encode())
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["format"] for o in out] == ["jifen.result/1", "jifen.error/1", "jifen.result/1"]
    assert out[1]["line"] == 3


# ---------------------------------------------------------------- a defect: exit 3


@pytest.fixture
def defect(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine fails on the profile numbered "boom" (in this process; see crashing_jifen
    for the worker processes)."""
    from tests.rules import crashing_jifen

    monkeypatch.setattr("jifen.rules.batch.score", crashing_jifen._defective_score)


def _lines(n: int, boom_at: int) -> bytes:
    lines = [
        json.dumps(spec_example(application_no="boom" if i == boom_at else str(i)))
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def _assert_internal_error(code: int, err: str) -> None:
    assert code == 3
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: injected defect" in err
    assert "internal error (exit status 3)" in err


def test_a_defect_scoring_one_profile_exits_3(tmp_path: Path, defect, capsysbinary) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "boom.json"
    path.write_text(json.dumps(spec_example(application_no="boom")), "utf-8")
    code = cli.main(["score", str(path)])
    out, err = capsysbinary.readouterr()
    _assert_internal_error(code, err.decode())
    assert b"jifen.error" not in out and b"jifen.result" not in out


def test_a_defect_in_a_serial_batch_exits_3(tmp_path: Path, defect, capsysbinary) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "in.jsonl"
    path.write_bytes(_lines(5, boom_at=2))
    code = cli.main(["score", "--jsonl", "--workers", "1", str(path)])
    out, err = capsysbinary.readouterr()
    _assert_internal_error(code, err.decode())
    assert b"jifen.error" not in out  # never reported as a profile's error line
    assert b"internal error" not in out


def test_a_defect_writes_no_output_file(tmp_path: Path, defect, capsysbinary) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "in.jsonl"
    source.write_bytes(_lines(5, boom_at=4))
    target = tmp_path / "out.jsonl"
    code = cli.main(["score", "--jsonl", "--workers", "1", str(source), "-o", str(target)])
    _assert_internal_error(code, capsysbinary.readouterr()[1].decode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no file, no temp file


CRASHING = [sys.executable, "-m", "tests.rules.crashing_jifen"]
ROOT = Path(__file__).parents[2]  # where `tests` is importable from


@pytest.mark.parametrize("output", [False, True])
def test_a_defect_in_a_worker_process_exits_3(tmp_path: Path, output: bool) -> None:
    """Worker processes reading byte ranges of a file (over one block: more than 1 MiB)."""
    data = _lines(1500, boom_at=1200)
    assert len(data) > 1 << 20
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    args = ["score", "--jsonl", "--workers", "2", str(source)]
    if output:
        args += ["-o", str(tmp_path / "out.jsonl")]
    done = subprocess.run([*CRASHING, *args], capture_output=True, timeout=120, cwd=ROOT)
    _assert_internal_error(done.returncode, done.stderr.decode())
    assert b"jifen.error" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_defect_in_a_worker_reading_standard_input_exits_3(tmp_path: Path) -> None:
    """Blocks of standard input go to the worker processes (three blocks of 1 MiB or so)."""
    data = _lines(3000, boom_at=2500)
    done = subprocess.run([*CRASHING, "score", "--jsonl", "--workers", "2", "-"], input=data,
                          capture_output=True, timeout=120, cwd=ROOT)  # fmt: skip
    _assert_internal_error(done.returncode, done.stderr.decode())
    assert b"jifen.error" not in done.stdout


def test_the_injected_defect_is_only_that_profile(tmp_path: Path) -> None:
    """Without the "boom" profile the crashing command scores as usual (the test's patch
    breaks nothing else)."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(_lines(3, boom_at=-1))
    done = subprocess.run([*CRASHING, "score", "--jsonl", str(source)], capture_output=True,
                          timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3
