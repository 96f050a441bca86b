"""`jifen synth`: synthetic applicants whose scores resemble the published lists.

`generate` is the library entry point; `jifen synth` (jifen.cli) writes its profiles with
`write_profiles`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

import orjson

from jifen.synth.generator import generate

__all__ = ["generate", "write_profiles"]

_BATCH = 2000  # profiles per write: few system calls, little memory


def write_profiles(profiles: Iterable[dict[str, Any]], out: BinaryIO) -> None:
    """Write profiles as JSON Lines, in batches."""
    dumps = orjson.dumps
    batch: list[bytes] = []
    for profile in profiles:
        batch.append(dumps(profile))
        if len(batch) == _BATCH:
            out.write(b"\n".join(batch) + b"\n")
            batch.clear()
    if batch:
        out.write(b"\n".join(batch) + b"\n")
