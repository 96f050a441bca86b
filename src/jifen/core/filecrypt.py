"""Files encrypted at rest: SM4-GCM in fixed-size chunks, streamed both ways.

The whole file is never held in memory, on the way in or out. The format (version 1):

    header   MAGIC (8 bytes) | file id (16 random bytes)
    chunks   SM4-GCM(chunk i) | tag (16 bytes), each CHUNK plaintext bytes but the last

Each file has its own key, ``HMAC-SM3(base, file id)``, where ``base`` derives from
settings.FIELD_ENCRYPTION_KEY with its own label (as jifen.core.crypto derives its keys), so
no nonce is ever used twice under one key. Chunk ``i``'s nonce is ``i`` (11 bytes, big-endian)
followed by a flag byte, 1 on the last chunk and 0 otherwise: the STREAM construction (Hoang,
Reyhanitabar, Rogaway, Vizár 2015). Chunks swapped, dropped or repeated fail their tag, a
file cut after any chunk has no chunk flagged last, and bytes after the last chunk are refused;
the header is every chunk's associated data. Any such file raises :class:`TamperedFile`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

MAGIC = b"jifenEF1"
FILE_ID = 16
HEADER = len(MAGIC) + FILE_ID
CHUNK = 64 * 1024
TAG = 16
_LABEL = b"jifen evidence files"
_MAX_CHUNKS = 2**88  # the 11-byte counter


class TamperedFile(ValueError):
    """The stored bytes are not what was encrypted: altered, cut, reordered or not ours."""


@lru_cache(maxsize=4)
def _base_key(master_hex: str) -> bytes:
    master = bytes.fromhex(master_hex)
    if len(master) < 32:
        raise ValueError("FIELD_ENCRYPTION_KEY must be at least 32 bytes (64 hex characters)")
    return hmac.new(master, _LABEL, "sm3").digest()


def _file_key(file_id: bytes) -> bytes:
    return hmac.new(_base_key(settings.FIELD_ENCRYPTION_KEY), file_id, "sm3").digest()[:16]


def _nonce(index: int, last: bool) -> bytes:
    if index >= _MAX_CHUNKS:
        raise ValueError("file too large for the chunk counter")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _seal(key: bytes, header: bytes, index: int, last: bool, plain: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.GCM(_nonce(index, last))).encryptor()
    enc.authenticate_additional_data(header)
    return enc.update(plain) + enc.finalize() + enc.tag


def _open(key: bytes, header: bytes, index: int, last: bool, sealed: bytes) -> bytes:
    body, tag = sealed[:-TAG], sealed[-TAG:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(_nonce(index, last), tag)).decryptor()
    dec.authenticate_additional_data(header)
    try:
        return dec.update(body) + dec.finalize()
    except InvalidTag:
        raise TamperedFile(f"chunk {index} failed authentication") from None


def _rechunk(pieces: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """``pieces`` cut into CHUNK-sized blocks, each with whether it is the last one (an empty
    input gives one empty last block)."""
    buffer = b""
    pending: bytes | None = None
    for piece in pieces:
        buffer += piece
        while len(buffer) >= CHUNK:
            if pending is not None:
                yield pending, False
            pending, buffer = buffer[:CHUNK], buffer[CHUNK:]
    if buffer or pending is None:
        if pending is not None:
            yield pending, False
        yield buffer, True
    else:
        yield pending, True


def encrypt_stream(pieces: Iterable[bytes], out: BinaryIO) -> int:
    """Write the encrypted form of the bytes in ``pieces`` to ``out``; returns the plaintext
    size."""
    file_id = os.urandom(FILE_ID)
    header = MAGIC + file_id
    key = _file_key(file_id)
    out.write(header)
    size = 0
    for index, (plain, last) in enumerate(_rechunk(pieces)):
        out.write(_seal(key, header, index, last, plain))
        size += len(plain)
    return size


def encrypt_bytes(data: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream([data], out)
    return out.getvalue()


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def iter_plaintext(source: BinaryIO) -> Iterator[bytes]:
    """The decrypted chunks of ``source`` (read from its start), each checked before it is
    given out; TamperedFile as soon as something is wrong."""
    header = source.read(HEADER)
    if len(header) < HEADER or not header.startswith(MAGIC):
        raise TamperedFile("not an encrypted file of this system")
    key = _file_key(header[len(MAGIC) :])
    index = 0
    sealed = source.read(CHUNK + TAG)
    while True:
        if len(sealed) < TAG:
            raise TamperedFile("truncated: no last chunk")
        following = source.read(CHUNK + TAG) if len(sealed) == CHUNK + TAG else b""
        last = not following
        yield _open(key, header, index, last, sealed)
        if last:
            if source.read(1):
                raise TamperedFile("data after the last chunk")
            return
        index += 1
        sealed = following


def verify(source: BinaryIO) -> tuple[str, int]:
    """Decrypt ``source`` whole, keeping nothing: the plaintext's sha256 (hex) and size."""
    digest = hashlib.sha256()
    size = 0
    for plain in iter_plaintext(source):
        digest.update(plain)
        size += len(plain)
    return digest.hexdigest(), size


class DecryptingReader(io.RawIOBase):
    """A read-only, non-seekable file object giving the plaintext of an encrypted file,
    one chunk in memory at a time. Closing it closes ``source``."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self._source = source
        self._chunks = iter_plaintext(source)
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer and not self._done:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                self._done = True
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            super().close()
