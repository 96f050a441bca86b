"""Streaming batch scoring of JSON Lines: one profile a line in, one result a line out.

The input is read in blocks of whole lines; each block is scored by a worker process and the
blocks are written back in input order, with a bounded number in flight, so that memory stays
flat however long the input is. A bad line becomes a ``jifen.error/1`` object on its own line
and the run goes on.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from .profile import validate_profile
from .schema import ProfileError
from .scoring import score, to_result

ERROR_FORMAT = "jifen.error/1"
BLOCK_BYTES = 1 << 20


@dataclass(slots=True)
class BatchStats:
    lines: int = 0  # profiles read (blank lines are not counted)
    failed: int = 0


def error_object(errors: list[str], line: int | None = None) -> dict:
    obj: dict = {"format": ERROR_FORMAT}
    if line is not None:
        obj["line"] = line
    obj["errors"] = errors
    return obj


def score_document(data: object, rule_set: str | None) -> tuple[dict, bool]:
    """Score one parsed profile: (result or error object, ok)."""
    try:
        return to_result(score(validate_profile(data, rule_set))), True
    except ProfileError as exc:
        return error_object(exc.errors), False


def score_block(block: bytes, first_line: int, rule_set: str | None) -> tuple[bytes, int, int]:
    """Score the lines of ``block``; returns (output lines, profiles, failures)."""
    out = []
    count = failed = 0
    dumps = orjson.dumps
    lineno = first_line - 1
    for line in block.split(b"\n"):
        lineno += 1
        if not line or line.isspace():
            continue
        count += 1
        try:
            data = orjson.loads(line)
            out.append(dumps(to_result(score(validate_profile(data, rule_set)))))
            continue
        except orjson.JSONDecodeError as exc:
            errors = [f"line {lineno}: not valid JSON: {exc}"]
        except ProfileError as exc:
            errors = exc.errors
        except Exception as exc:  # a defect must not stop a million-line run
            errors = [f"internal error: {type(exc).__name__}: {exc}"]
        failed += 1
        out.append(dumps(error_object(errors, lineno)))
    if not out:
        return b"", count, failed
    out.append(b"")
    return b"\n".join(out), count, failed


def _blocks(stream: BinaryIO, size: int) -> Iterator[tuple[bytes, int]]:
    """Blocks of whole lines with the number of their first line."""
    rest = b""
    line = 1
    while True:
        chunk = stream.read(size)
        if not chunk:
            break
        chunk = rest + chunk
        cut = chunk.rfind(b"\n")
        if cut < 0:
            rest = chunk
            continue
        block, rest = chunk[: cut + 1], chunk[cut + 1 :]
        yield block, line
        line += block.count(b"\n")
    if rest:
        yield rest, line


def _score_block_task(args: tuple[bytes, int, str | None]) -> tuple[bytes, int, int]:
    return score_block(*args)


def score_stream(
    source: BinaryIO,
    sink: BinaryIO,
    rule_set: str | None = None,
    workers: int | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> BatchStats:
    """Score every line of ``source`` into ``sink``, in order; never holds the whole input."""
    stats = BatchStats()
    workers = workers or os.cpu_count() or 1
    blocks = _blocks(source, block_bytes)
    if workers == 1:
        for block, line in blocks:
            out, n, failed = score_block(block, line, rule_set)
            sink.write(out)
            stats.lines += n
            stats.failed += failed
        return stats

    # Score the first block here: a small input never pays for starting processes.
    first = next(blocks, None)
    if first is None:
        return stats
    second = next(blocks, None)
    if second is None:
        out, stats.lines, stats.failed = score_block(first[0], first[1], rule_set)
        sink.write(out)
        return stats

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pending: deque = deque()
    with context.Pool(workers) as pool:

        def drain(limit: int) -> None:
            while len(pending) > limit:
                out, n, failed = pending.popleft().get()
                sink.write(out)
                stats.lines += n
                stats.failed += failed

        for block, line in itertools.chain((first, second), blocks):
            pending.append(pool.apply_async(_score_block_task, ((block, line, rule_set),)))
            drain(workers * 2)
        drain(0)
    return stats
