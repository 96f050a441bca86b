"""The ``jifen`` command: ``jifen score`` and ``jifen synth``.

``jifen score`` is a public interface (see ``../shared/spec/profile-format.md``): its output
formats and exit codes stay stable — 0 all scored, 1 some profile rejected, 2 usage error,
3 an internal error (a bug: the command stops, with a traceback on standard error, and never
reports it as a profile's error line).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import orjson

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    pass


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[BinaryIO]:
    """Standard output, or a file that appears only once it is complete (never half-written)."""
    if path is None or path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as sink:
            yield sink
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        yield stream


def _is_json_lines(raw: bytes) -> bool:
    """Several lines, the first of which is a whole JSON object on its own.

    A pretty-printed profile spans lines too, but its first line ("{") is no JSON by itself:
    with a syntax error it is one bad document, not one bad profile per line.
    """
    lines = (line for line in raw.splitlines() if line.strip())
    first = next(lines, None)
    if first is None or next(lines, None) is None:
        return False
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def _score_single(source: BinaryIO, sink: BinaryIO, rule_set: str | None) -> int:
    from jifen.rules.batch import error_object, score_block, score_document

    raw = source.read()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # Several JSON documents, one a line: score them as JSON Lines rather than refuse.
        if _is_json_lines(raw):
            out, _, failed = score_block(raw, 1, rule_set)
            sink.write(out)
            return EXIT_REJECTED if failed else EXIT_OK
        sink.write(orjson.dumps(error_object([f"not valid JSON: {exc}"])) + b"\n")
        return EXIT_REJECTED
    obj, ok = score_document(data, rule_set)
    sink.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n")
    if not ok:
        for error in obj["errors"]:
            print(f"jifen score: {error}", file=sys.stderr)
    return EXIT_OK if ok else EXIT_REJECTED


def cmd_score(args: argparse.Namespace) -> int:
    from jifen.rules import available_rule_sets
    from jifen.rules.batch import score_stream

    if args.rule_set is not None and args.rule_set not in available_rule_sets():
        known = ", ".join(available_rule_sets())
        raise UsageError(f"unknown rule set {args.rule_set!r} (known: {known})")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    with _input(args.profile) as source, _output(args.output) as sink:
        if not args.jsonl:
            return _score_single(source, sink, args.rule_set)
        stats = score_stream(source, sink, rule_set=args.rule_set, workers=args.workers)
    if stats.failed:
        print(f"jifen score: {stats.failed} of {stats.lines} profiles rejected", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jifen", description="北京市积分落户管理信息系统 — command-line tools"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser(
        "score",
        help="score applicant profiles",
        description="Score one profile (JSON) or many (JSON Lines) and print the results.",
    )
    score.add_argument("profile", metavar="PROFILE", help="a profile file, or - for standard input")
    score.add_argument(
        "--jsonl", action="store_true", help="one profile a line in, one result a line out"
    )
    score.add_argument("--rule-set", metavar="NAME", help="override the rule set chosen by year")
    score.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write here (complete or not at all) instead of stdout",
    )
    score.add_argument(
        "--workers", type=int, metavar="N", help="processes for --jsonl (default: one per core)"
    )
    score.set_defaults(func=cmd_score)

    synth = commands.add_parser(
        "synth",
        help="write synthetic applicant profiles (JSON Lines)",
        description="Synthetic applicants (Faker zh_CN, valid identity numbers) whose scores "
        "resemble the published lists.",
    )
    synth.add_argument(
        "--applicants", type=int, required=True, metavar="N", help="number of profiles to write"
    )
    synth.add_argument(
        "--year", type=int, required=True, metavar="Y", help="application year (2018 onward)"
    )
    synth.add_argument(
        "--seed", type=int, default=0, metavar="S", help="the same seed gives the same bytes"
    )
    synth.add_argument(
        "-o", "--output", metavar="FILE", help="write here (complete or not at all), not stdout"
    )
    synth.set_defaults(func=cmd_synth)
    return parser


def cmd_synth(args: argparse.Namespace) -> int:
    # Imported here: the generator's tables are slow to load and `jifen score` needs none.
    from jifen import synth

    try:
        profiles = synth.generate(args.applicants, args.year, args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with _output(args.output) as sink:
        synth.write_profiles(profiles, sink)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"jifen {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception:
        # A defect of the engine (or of this command): stop, say where, never pass it off as
        # a profile's error. A file named by -o has been removed unwritten by then.
        traceback.print_exc()
        print(f"jifen {args.command}: internal error (exit status 3)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
