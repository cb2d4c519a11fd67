"""Where export files live: `settings.EXPORTS_ROOT`, outside any public URL, one random name per
file (`<workspace id>/<random>.export`), readable only by the server's user (0600).

A file is written to a `.part` beside its final name and renamed once complete, so a crash never
leaves a half-written file under a name an export row points to; whatever no live export names
(a crash's `.part`, the file of a deleted client's export) is deleted by the periodic sweep
(`services.exports_sweep`). `Writer` counts the bytes and their SHA-256 as they go, so nothing
reads the file back to describe it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.conf import settings

CHUNK = 64 * 1024
SUFFIX = ".export"
PART = ".part"


def root() -> Path:
    return Path(settings.EXPORTS_ROOT)


def path_of(storage_name: str) -> Path:
    """The file of a storage name, refusing any name that would leave the root."""
    base = root().resolve()
    target = (base / storage_name).resolve()
    if base not in target.parents:
        raise ValueError(f"Export storage name outside the root: {storage_name!r}")
    return target


def new_name(workspace_id: int) -> str:
    return f"{int(workspace_id)}/{secrets.token_urlsafe(18)}{SUFFIX}"


class Writer:
    """A binary file object over the `.part` of `storage_name`: `write` only (no seeking back,
    so a kind can only stream), counting size and SHA-256; `commit()` renames it into place."""

    def __init__(self, storage_name: str):
        self.storage_name = storage_name
        self.final = path_of(storage_name)
        self.part = self.final.with_name(self.final.name + PART)
        self.final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self._position = 0

    # The file-object protocol zipfile, json and fpdf2 need.
    def write(self, data: bytes | bytearray | memoryview) -> int:
        data = bytes(data)
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.part, self.final)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.part.unlink(missing_ok=True)

    def close(self) -> None:  # zipfile closes what it was given only if it opened it; be safe
        pass


def read_chunks(storage_name: str) -> Iterator[bytes]:
    """The file's bytes, a chunk at a time (FileNotFoundError if it is gone)."""
    handle = path_of(storage_name).open("rb")

    def chunks() -> Iterator[bytes]:
        with handle:
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    return
                yield chunk

    return chunks()


def exists(storage_name: str) -> bool:
    return bool(storage_name) and path_of(storage_name).is_file()


def delete(storage_name: str) -> None:
    if storage_name:
        path = path_of(storage_name)
        path.unlink(missing_ok=True)
        path.with_name(path.name + PART).unlink(missing_ok=True)


def stored_files() -> Iterator[tuple[str, float]]:
    """(storage name, modified time) of every file under the root, `.part` files included."""
    base = root()
    if not base.is_dir():
        return
    for workspace_dir in base.iterdir():
        if not workspace_dir.is_dir():
            continue
        for entry in workspace_dir.iterdir():
            if entry.is_file():
                yield f"{workspace_dir.name}/{entry.name}", entry.stat().st_mtime


def final_name(name: str) -> str:
    """The storage name a stored file belongs to (a `.part` belongs to its final name)."""
    return name.removesuffix(PART)
