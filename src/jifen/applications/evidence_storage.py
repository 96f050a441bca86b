"""Where evidence files live: encrypted (jifen.core.filecrypt) under settings.EVIDENCE_ROOT,
readable by the server's user only, never given a URL.

Files are 0600 and folders 0700 whatever the process's umask. A file is written under a
temporary name and renamed when complete, so a failed upload leaves nothing half-written.
Reading checks the whole file (every chunk's tag, the last chunk, the plaintext's sha256
against the database row) before a byte is served: a file that fails is refused with
:class:`EvidenceDamaged` and logged, never served.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from pathlib import Path
from typing import Any, BinaryIO

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

from jifen.core import filecrypt
from jifen.core.errors import ServiceError, Unavailable

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


class EvidenceDamaged(ServiceError):
    """The stored file is not what was uploaded (altered, cut, replaced): never served."""

    status = 500
    code = "evidence_damaged"


DAMAGED_MESSAGE = "该材料文件校验未通过（文件已损坏或被篡改），不能下载。已记录，请联系系统管理员。"


class StorageFull(Unavailable):
    """The evidence folder's disk (or quota) is full: the upload is refused, nothing kept."""

    code = "storage_full"


FULL_MESSAGE = "服务器存储空间不足，文件未保存，请稍后再试；已填写的申报内容不受影响。"
# A full disk or an exhausted quota: the only write failures the applicant can wait out.
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class PrivateFileStorage(FileSystemStorage):
    """A file system storage without URLs: its files are served only by checked views."""

    def url(self, name: str | None) -> str:
        raise ValueError("evidence files have no public URL; use the evidence download view")


class EncryptedFileStorage(PrivateFileStorage):
    """Files encrypted on write and decrypted on read (``open`` gives the plaintext)."""

    def __init__(self, location: Any = None) -> None:
        super().__init__(location=location, file_permissions_mode=FILE_MODE,
                         directory_permissions_mode=DIRECTORY_MODE)

    def _make_directories(self, directory: Path) -> None:
        root = Path(self.location)
        missing = []
        for folder in [directory, *directory.parents]:
            if folder.exists():
                break
            missing.append(folder)
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=DIRECTORY_MODE)
            # mkdir's mode passes through the umask; chmod does not.
            if folder == root or root in folder.parents:
                os.chmod(folder, DIRECTORY_MODE)
        if not directory.is_dir():
            raise FileExistsError(f"{directory} exists and is not a directory")

    def _save(self, name: str, content: File) -> str:
        try:
            return self._save_whole(name, content)
        except OSError as exc:
            if exc.errno not in _FULL_ERRNOS:
                raise
            log.error("evidence storage full: %s not stored (%s)", name, exc.strerror)
            raise StorageFull(FULL_MESSAGE, field="file") from exc

    def _save_whole(self, name: str, content: File) -> str:
        full = Path(self.path(name))
        self._make_directories(full.parent)
        partial = full.with_name(f".{full.name}.{os.urandom(6).hex()}.part")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(partial, flags, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                filecrypt.encrypt_stream(content.chunks(), out)
                out.flush()
                os.fsync(out.fileno())
            # Random names: a file of that name cannot be there; link refuses if it is.
            os.link(partial, full)
        finally:
            partial.unlink(missing_ok=True)
        return str(full.relative_to(Path(self.location))).replace(os.sep, "/")

    def open_raw(self, name: str) -> BinaryIO:
        """The stored (encrypted) bytes."""
        return open(self.path(name), "rb")

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode not in ("r", "rb"):
            raise ValueError("evidence files are read-only once stored")
        return File(filecrypt.DecryptingReader(self.open_raw(name)))


def open_verified(evidence: Any) -> BinaryIO:
    """The plaintext of ``evidence``'s file, to stream, after checking it whole.

    FileNotFoundError when the file is missing; EvidenceDamaged (logged, with the evidence id
    and the stored name only) when it fails any check."""
    storage = evidence.file.storage
    name = evidence.file.name
    try:
        with storage.open_raw(name) as raw:
            digest, size = filecrypt.verify(raw)
    except filecrypt.TamperedFile as exc:
        log.error("evidence %s: stored file %s refused: %s", evidence.pk, name, exc)
        raise EvidenceDamaged(DAMAGED_MESSAGE) from exc
    if (digest, size) != (evidence.sha256, evidence.size):
        log.error("evidence %s: stored file %s does not match its record (sha256/size)",
                  evidence.pk, name)
        raise EvidenceDamaged(DAMAGED_MESSAGE)
    return filecrypt.DecryptingReader(storage.open_raw(name))
