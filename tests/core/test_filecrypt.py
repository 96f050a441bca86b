"""Chunked SM4-GCM files: what goes in comes out, and any change to the stored bytes is found
before anything is given out."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.test import override_settings

from jifen.core import filecrypt
from jifen.core.filecrypt import CHUNK, HEADER, TAG, TamperedFile

SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]


def sealed_chunks(stored: bytes) -> list[bytes]:
    body = stored[HEADER:]
    return [body[i : i + CHUNK + TAG] for i in range(0, len(body), CHUNK + TAG)]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_streams_chunk_by_chunk(size: int) -> None:
    plain = os.urandom(size)
    out = io.BytesIO()
    # Pieces of odd sizes, as an upload's chunks may come.
    pieces = [plain[i : i + 10_000] for i in range(0, size, 10_000)] or [b""]
    assert filecrypt.encrypt_stream(pieces, out) == size
    stored = out.getvalue()
    chunks = max(1, -(-size // CHUNK))
    assert len(stored) == HEADER + size + chunks * TAG
    assert stored.startswith(filecrypt.MAGIC)
    given = list(filecrypt.iter_plaintext(io.BytesIO(stored)))
    assert all(len(c) <= CHUNK for c in given)
    assert b"".join(given) == plain
    assert filecrypt.verify(io.BytesIO(stored)) == (hashlib.sha256(plain).hexdigest(), size)
    reader = filecrypt.DecryptingReader(io.BytesIO(stored))
    assert reader.read() == plain


def test_each_file_has_its_own_key_and_nonces() -> None:
    plain = b"same content" * 100
    first, second = filecrypt.encrypt_bytes(plain), filecrypt.encrypt_bytes(plain)
    assert first[HEADER:] != second[HEADER:]
    assert plain not in first


def tampered(how: str) -> bytes:
    stored = filecrypt.encrypt_bytes(os.urandom(3 * CHUNK + 100))
    header, chunks = stored[:HEADER], sealed_chunks(stored)
    if how == "flip a byte":
        body = bytearray(stored)
        body[HEADER + CHUNK + 5] ^= 1
        return bytes(body)
    if how == "flip a tag":
        body = bytearray(stored)
        body[-1] ^= 0x80
        return bytes(body)
    if how == "swap chunks":
        chunks[0], chunks[1] = chunks[1], chunks[0]
    elif how == "drop a chunk":
        del chunks[1]
    elif how == "repeat a chunk":
        chunks.insert(1, chunks[0])
    elif how == "cut at a chunk boundary":
        chunks = chunks[:2]
    elif how == "cut inside a chunk":
        return stored[: HEADER + CHUNK + 1000]
    elif how == "append bytes":
        return stored + b"\x00"
    elif how == "change the header":
        header = filecrypt.MAGIC + bytes(16)
    elif how == "not encrypted":
        return b"%PDF-1.4 plain file\n%%EOF\n"
    elif how == "chunk from another file":
        other = sealed_chunks(filecrypt.encrypt_bytes(os.urandom(3 * CHUNK + 100)))
        chunks[1] = other[1]
    return header + b"".join(chunks)


@pytest.mark.parametrize("how", [
    "flip a byte", "flip a tag", "swap chunks", "drop a chunk", "repeat a chunk",
    "cut at a chunk boundary", "cut inside a chunk", "append bytes", "change the header",
    "not encrypted", "chunk from another file",
])
def test_any_change_is_refused(how: str) -> None:
    stored = tampered(how)
    with pytest.raises(TamperedFile):
        filecrypt.verify(io.BytesIO(stored))
    with pytest.raises(TamperedFile):
        filecrypt.DecryptingReader(io.BytesIO(stored)).read()


def test_another_key_cannot_read_the_file() -> None:
    stored = filecrypt.encrypt_bytes(b"evidence")
    with override_settings(FIELD_ENCRYPTION_KEY="ab" * 32), pytest.raises(TamperedFile):
        filecrypt.verify(io.BytesIO(stored))


def test_the_file_key_has_its_own_label() -> None:
    """Derived from FIELD_ENCRYPTION_KEY like the field keys, but not equal to any of them."""
    from django.conf import settings

    from jifen.core import crypto

    enc, idx = crypto._keys(settings.FIELD_ENCRYPTION_KEY)
    base = filecrypt._base_key(settings.FIELD_ENCRYPTION_KEY)
    assert base not in (enc, idx) and base[:16] != enc
