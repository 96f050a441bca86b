"""One encrypted file per backup, and its sidecar.

A backup is a tar.gz (``manifest.json`` first, then the database part, the evidence files,
the configuration and the logs) sealed with :mod:`jifen.core.filecrypt` (SM4-GCM in chunks,
the key derived from settings.FIELD_ENCRYPTION_KEY): without that key it cannot be read, and
any changed byte fails authentication. Beside it, ``<id>.json`` (the sidecar) holds what is
needed to find and check the chain when the database itself is lost: id, kind, parent, time,
size, sha256 of the encrypted file and the manifest's summary — no personal data, no secrets.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jifen.core import filecrypt

SUFFIX = ".jbk"
MANIFEST = "manifest.json"


class DamagedBackup(ValueError):
    """A backup file that is missing, altered or unreadable with this system's key."""


def _hashing_writer(out: Any, digest: Any) -> Any:
    class _Writer(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            digest.update(data)
            return out.write(data)

    return _Writer()


def write(dest: Path, manifest: dict[str, Any], members: list[tuple[str, Path]]) -> tuple[int, str]:
    """Write the encrypted archive ``dest`` (atomically); returns its size and sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=dest.parent) as plain:
        with tarfile.open(fileobj=plain, mode="w:gz", compresslevel=6) as tar:
            data = json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for name, source in members:
                tar.add(source, arcname=name, recursive=False)
        plain.seek(0)
        partial = dest.with_name(dest.name + ".part")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            filecrypt.encrypt_stream(
                iter(lambda: plain.read(1024 * 1024), b""), _hashing_writer(out, digest)
            )
            out.flush()
            os.fsync(out.fileno())
    os.replace(partial, dest)
    return dest.stat().st_size, digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: Path, sha256: str, backup_id: str) -> None:
    """The file is there and has the recorded sha256, or DamagedBackup naming the backup."""
    if not path.is_file():
        raise DamagedBackup(f"备份 {backup_id} 的文件不存在：{path}")
    if sha256_of(path) != sha256:
        raise DamagedBackup(
            f"备份 {backup_id} 的文件校验值（SHA-256）与记录不符，文件已损坏或被改动"
        )


@contextlib.contextmanager
def opened(path: Path, backup_id: str, workdir: Path) -> Iterator[tarfile.TarFile]:
    """The decrypted archive as an open tar file (decrypted into ``workdir`` first, so that a
    damaged file is refused before anything of it is used)."""
    with tempfile.TemporaryFile(dir=workdir) as plain:
        try:
            with path.open("rb") as source:
                for block in filecrypt.iter_plaintext(source):
                    plain.write(block)
        except (filecrypt.TamperedFile, OSError) as exc:
            raise DamagedBackup(f"备份 {backup_id} 的文件无法解密或已损坏（{exc}）") from exc
        plain.seek(0)
        # Authenticated plaintext: what comes out is what this system wrote.
        with tarfile.open(fileobj=plain, mode="r:gz") as tar:
            yield tar


def read_manifest(path: Path, backup_id: str) -> dict[str, Any]:
    """The archive's manifest, decrypting only the archive's first chunks."""
    try:
        with path.open("rb") as source:
            reader = io.BufferedReader(filecrypt.DecryptingReader(source))
            with tarfile.open(fileobj=reader, mode="r|gz") as tar:
                for member in tar:
                    if member.name == MANIFEST:
                        handle = tar.extractfile(member)
                        assert handle is not None
                        return json.loads(handle.read())
                    break
    except (filecrypt.TamperedFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise DamagedBackup(f"备份 {backup_id} 的文件无法解密或已损坏（{exc}）") from exc
    raise DamagedBackup(f"备份 {backup_id} 的文件缺少清单（manifest.json）")


def sidecar_path(archive_path: Path) -> Path:
    return archive_path.with_suffix(".json")


def write_sidecar(archive_path: Path, data: dict[str, Any]) -> None:
    target = sidecar_path(archive_path)
    partial = target.with_name(target.name + ".part")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    os.replace(partial, target)


def read_sidecars(directory: Path) -> list[dict[str, Any]]:
    """Every sidecar in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for item in directory.glob("*.json"):
        with contextlib.suppress(ValueError, OSError):
            data = json.loads(item.read_text())
            if isinstance(data, dict) and "id" in data:
                found.append(data)
    return sorted(found, key=lambda d: (d.get("created", ""), d["id"]))
