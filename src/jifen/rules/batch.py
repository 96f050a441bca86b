"""Streaming batch scoring of JSON Lines: one profile a line in, one result a line out.

The input is read in blocks of whole lines; each block is scored by a worker process and the
blocks are written back in input order, with a bounded number in flight, so that memory stays
flat however long the input is. A bad line becomes a ``jifen.error/1`` object on its own line
and the run goes on; any other exception is a defect and stops the run (the command exits 3).
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import shutil
import stat
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from .profile import validate_profile
from .profile_fast import read_profile_json
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
            profile = read_profile_json(line, rule_set)
            if profile is None:  # not plainly valid: the full validator says why (or accepts)
                profile = validate_profile(orjson.loads(line), rule_set)
            out.append(dumps(to_result(score(profile))))
            continue
        except orjson.JSONDecodeError as exc:
            errors = [f"not valid JSON: {exc}"]
        except ProfileError as exc:
            errors = exc.errors
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


BlockFunction = Callable[[bytes, int, str | None], tuple[bytes, int, int]]


def score_stream(
    source: BinaryIO,
    sink: BinaryIO,
    rule_set: str | None = None,
    workers: int | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> BatchStats:
    """Score every line of ``source`` into ``sink``, in order; never holds the whole input."""
    return process_stream(source, sink, score_block, rule_set, workers, block_bytes)


def process_stream(
    source: BinaryIO,
    sink: BinaryIO,
    block_function: BlockFunction,
    rule_set: str | None = None,
    workers: int | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> BatchStats:
    """Run ``block_function`` over blocks of lines in worker processes, writing in order.

    The benchmark runs the same pipeline with a function that does not score, to measure the
    floor of reading and writing.
    """
    stats = BatchStats()
    workers = workers or os.cpu_count() or 1
    fd = _regular_file(source)
    if workers > 1 and fd is not None and os.fstat(fd).st_size - source.tell() > block_bytes:
        return process_file(fd, sink, block_function, rule_set, workers, block_bytes, source.tell())
    blocks = _blocks(source, block_bytes)
    if workers == 1:
        for block, line in blocks:
            _write(sink, stats, block_function(block, line, rule_set))
        return stats

    # Do the first block here: a small input never pays for starting processes.
    first = next(blocks, None)
    if first is None:
        return stats
    second = next(blocks, None)
    if second is None:
        _write(sink, stats, block_function(first[0], first[1], rule_set))
        return stats

    tasks = ((block, line, rule_set) for block, line in itertools.chain((first, second), blocks))
    for done in _in_order(block_function, tasks, workers):
        _write(sink, stats, done)
    return stats


def _in_order(function: Callable, tasks: Iterable[tuple], workers: int) -> Iterator:  # type: ignore[type-arg]
    """``function(*task)`` for each task in worker processes, yielded in task order.

    At most two tasks per worker are in flight, so memory stays flat however many there are.
    """
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(workers) as pool:
        pending: deque = deque()
        for task in tasks:
            pending.append(pool.apply_async(function, task))
            if len(pending) > workers * 2:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _write(sink: BinaryIO, stats: BatchStats, done: tuple[bytes, int, int]) -> None:
    out, n, failed = done
    sink.write(out)
    stats.lines += n
    stats.failed += failed


def _regular_file(source: BinaryIO) -> int | None:
    """The descriptor of ``source`` when it is a regular file the workers can read themselves."""
    try:
        fd = source.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _range_task(
    fd: int,
    start: int,
    end: int,
    block_function: BlockFunction,
    rule_set: str | None,
    spool: str | None,
) -> tuple[bytes | str, int, int, int]:
    """Process the lines that start in ``[start, end)`` of the file; lines numbered from 1.

    Returns the output, profiles, failures and the number of lines the range held, so that
    the parent can number error lines in the whole file. With a ``spool`` folder, output
    without errors is left in a file there and its path returned instead: the parent then has
    the kernel copy it to the sink, and the results never pass through the parent either.
    """
    data = os.pread(fd, end - start, start)
    if start > 0 and os.pread(fd, 1, start - 1) != b"\n":
        cut = data.find(b"\n")  # the first, partial line belongs to the range before
        data = b"" if cut < 0 else data[cut + 1 :]
    if data and not data.endswith(b"\n"):
        tail = []
        position = end
        while True:  # finish the last line, which runs past the range
            more = os.pread(fd, 65536, position)
            if not more:
                break
            cut = more.find(b"\n")
            if cut >= 0:
                tail.append(more[: cut + 1])
                break
            tail.append(more)
            position += len(more)
        data += b"".join(tail)
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    out, n, failed = block_function(data, 1, rule_set) if data else (b"", 0, 0)
    if spool is not None and not failed and out:
        handle, path = tempfile.mkstemp(dir=spool)
        with os.fdopen(handle, "wb") as spooled:
            spooled.write(out)
        return path, n, failed, lines
    return out, n, failed, lines


def _sink_fd(sink: BinaryIO) -> int | None:
    try:
        return sink.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _copy_spooled(path: str, sink: BinaryIO, sink_fd: int) -> None:
    sink.flush()
    with open(path, "rb") as spooled:
        size = os.fstat(spooled.fileno()).st_size
        offset = 0
        try:
            while offset < size:
                offset += os.sendfile(sink_fd, spooled.fileno(), offset, size - offset)
        except OSError:
            # sendfile() refuses some sinks (a file opened for appending): copy the rest.
            spooled.seek(offset)
            shutil.copyfileobj(spooled, sink)
    os.unlink(path)


def _renumber(out: bytes, offset: int) -> bytes:
    """Shift the line numbers of the error objects in ``out`` by ``offset``."""
    lines = out.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b'{"format":"%s"' % ERROR_FORMAT.encode()):
            obj = orjson.loads(line)
            obj["line"] += offset
            lines[i] = orjson.dumps(obj)
    return b"\n".join(lines)


def process_file(
    fd: int,
    sink: BinaryIO,
    block_function: BlockFunction,
    rule_set: str | None,
    workers: int,
    block_bytes: int,
    start: int = 0,
) -> BatchStats:
    """Like ``process_stream`` for a regular file: each worker reads its own byte range, so
    the input never passes through the parent."""
    stats = BatchStats()
    size = os.fstat(fd).st_size
    ranges = ((a, min(a + block_bytes, size)) for a in range(start, size, block_bytes))
    before = 0  # lines in the ranges already written
    sink_fd = _sink_fd(sink)
    spool = tempfile.mkdtemp(prefix="jifen-batch-") if sink_fd is not None else None
    try:
        tasks = ((fd, a, b, block_function, rule_set, spool) for a, b in ranges)
        for out, n, failed, lines in _in_order(_range_task, tasks, workers):
            if isinstance(out, str):
                _copy_spooled(out, sink, sink_fd)  # type: ignore[arg-type]
                out = b""
            elif failed:
                out = _renumber(out, before)
            _write(sink, stats, (out, n, failed))
            before += lines
    finally:
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
    return stats
