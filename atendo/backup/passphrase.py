"""An archive encrypted with a passphrase (the command line's `--passphrase-file`), so the file is
not readable where it is stored or carried. `cryptography` (already used for encryption at rest):
scrypt derives a key from the passphrase and a random salt; the archive is cut into chunks of 1 MiB,
each sealed with AES-256-GCM under a counter nonce, the last one marked as such in its associated
data, so a reordered, altered or truncated file does not open.

File: `MAGIC`, salt (16 bytes), scrypt log2(n), r, p (one byte each), then per chunk its length (4
bytes, big-endian) and its ciphertext with the tag.
"""

from __future__ import annotations

import os
import secrets
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"ATENDO-BACKUP-AES1\n"
CHUNK = 1024 * 1024
SALT_BYTES = 16
LOG2_N, R, P = 15, 8, 1


class WrongPassphrase(Exception):
    """The passphrase does not open the archive, or the file was altered or cut short."""


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> AESGCM:
    if not passphrase:
        raise ValueError("An empty passphrase encrypts nothing.")
    kdf = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p)
    return AESGCM(kdf.derive(passphrase.encode()))


def _nonce(index: int) -> bytes:
    return struct.pack(">IQ", 0, index)


def _aad(header: bytes, final: bool) -> bytes:
    return header + (b"final" if final else b"more")


def read_passphrase(path: str) -> str:
    """The passphrase is the file's first line (a file, not an argument other users could see)."""
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\r\n")


def is_encrypted(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


class EncryptingWriter:
    """A write-only file object (what zipfile needs) that seals what it is given into `out`."""

    def __init__(self, out: IO[bytes], passphrase: str):
        salt = secrets.token_bytes(SALT_BYTES)
        self.header = MAGIC + salt + bytes([LOG2_N, R, P])
        self._aead = _key(passphrase, salt, LOG2_N, R, P)
        self._out = out
        self._out.write(self.header)
        self._buffer = bytearray()
        self._index = 0
        self._size = 0
        self._closed = False

    def _seal(self, data: bytes, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._index), data, _aad(self.header, final))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        self._size += len(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._out.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Seal the last chunk (marked final). Call once, after the ZIP is complete."""
        if not self._closed:
            self._seal(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._out.flush()
            self._closed = True


def decrypt_to(source: str, target: str, passphrase: str) -> None:
    """Open the encrypted archive `source` into `target` (created 0600), chunk by chunk."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(source, "rb") as handle, os.fdopen(fd, "wb") as out:
        head = handle.read(len(MAGIC) + SALT_BYTES + 3)
        if not head.startswith(MAGIC) or len(head) < len(MAGIC) + SALT_BYTES + 3:
            raise WrongPassphrase("Not an archive encrypted with a passphrase.")
        salt = head[len(MAGIC) : len(MAGIC) + SALT_BYTES]
        log2_n, r, p = head[-3], head[-2], head[-1]
        aead = _key(passphrase, salt, log2_n, r, p)
        index = 0
        while True:
            length_bytes = handle.read(4)
            if len(length_bytes) < 4:
                raise WrongPassphrase("The encrypted archive is cut short.")
            (length,) = struct.unpack(">I", length_bytes)
            sealed = handle.read(length)
            if len(sealed) < length:
                raise WrongPassphrase("The encrypted archive is cut short.")
            final = handle.peek(1)[:1] == b""  # the last chunk is the one the file ends with
            try:
                data = aead.decrypt(_nonce(index), sealed, _aad(head, final))
            except InvalidTag:
                raise WrongPassphrase(
                    "The passphrase does not open this archive (or the file was altered)."
                ) from None
            out.write(data)
            index += 1
            if final:
                return
